//! Events as Tracee prints them in JSON, written straight from the packed
//! records (the CLI's `--output json`, on a thread of its own): one object
//! per line, Tracee's field names and order (Tracee's `trace.Event`,
//! types/trace/trace.go), timestamps in ns since the epoch.
//!
//! The same text as packages/core's `traceeJson` of the event the
//! TypeScript decoder makes of the record (its docs give the shape; a
//! test, packages/core/src/tracee-json-native.test.ts, holds the two equal
//! on records of every kind), with one difference: a 64-bit value is
//! written exactly here, where a JavaScript number keeps 53 bits.

use std::collections::HashMap;
use std::mem::size_of;
use std::sync::{Arc, OnceLock};

use crate::bpf::types;
use crate::catalog::{self, ArgKind, EventDef};
use crate::containers::{Entry, SharedContainers, HOST_JSON};
use crate::decoders::decode_value;
use crate::record::{self, DecodeError, Item, FLAG_TRUNCATED, FLAG_UNREADABLE};

/// Arguments in the record's fixed part (`struct event`'s args).
const ARG_COUNT: usize = 6;
const MSGHDR_SIZE: usize = size_of::<types::msghdr_item>();
/// sizeof(struct sockaddr_un): 2 + UNIX_PATH_MAX (108), include/uapi/linux/un.h.
/// The kernel refuses a longer addrlen and strace prints no further.
const SOCKADDR_UN_SIZE: usize = 110;

/// Nanoseconds since the epoch at boot (CLOCK_REALTIME − CLOCK_BOOTTIME),
/// read once per process: records count from boot, Tracee's JSON from the
/// epoch, and every writer of this process adds the same value.
pub fn boot_epoch_ns() -> i128 {
    static EPOCH: OnceLock<i128> = OnceLock::new();
    *EPOCH.get_or_init(|| {
        let now = |clock| {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: ts is a valid out-parameter; both clocks exist on Linux.
            unsafe { libc::clock_gettime(clock, &mut ts) };
            i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
        };
        now(libc::CLOCK_REALTIME) - now(libc::CLOCK_BOOTTIME)
    })
}

/// This host's name (gethostname(2)), as Node's `os.hostname()` reads it.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; gethostname NUL-terminates
    // (or truncates) within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Writes batches of records as JSON lines.
pub struct JsonWriter {
    /// Integer arguments with a decoder as people read them (Tracee's
    /// `parse-arguments`, [`crate::decoders`]): `"O_RDONLY|O_CLOEXEC"`.
    pub parse_arguments: bool,
    epoch_ns: i128,
    /// The host name, as a JSON string (quotes included).
    host_name: Vec<u8>,
    /// The names of the policies, by the bit of `matched_policies` each has.
    policies: Vec<String>,
    /// `matched_policies` bitmap -> its JSON array of names.
    matched: HashMap<u64, Vec<u8>>,
    /// The last bitmap looked up and its array: most records repeat it.
    last_matched: Option<(u64, Vec<u8>)>,
    /// By event id, once seen ([`JsonWriter::event_json`]).
    events: Vec<Option<EventJson>>,
    /// The trace's container table, if it has one: each record's container
    /// (`containerId`, `container`, `kubernetes`) by its cgroupId.
    pub containers: Option<SharedContainers>,
    /// The trace's policy names as reloads change them; None: `policies`
    /// stay as given.
    pub policy_names: Option<std::sync::Arc<crate::PolicyNames>>,
    /// The generation of `policy_names` that `policies` are of.
    policies_generation: u64,
    /// The table's entries as of its generation `view_generation`, copied
    /// once per batch that finds it changed: no lock per record.
    container_view: HashMap<u64, Arc<Entry>>,
    view_generation: Option<u64>,
}

/// What an event's lines share: `,"eventId":"…","eventName":"…"`,
/// its name, and, per argument, `{"name":…,"type":…,"value":`.
struct EventJson {
    head: Vec<u8>,
    /// The event's name as a JSON string.
    name: Vec<u8>,
    arg_heads: Vec<Vec<u8>>,
}

/// What a record says of one argument, gathered from its data items as the
/// TypeScript decoder gathers them (the last item of a kind wins).
#[derive(Default)]
struct Captured<'a> {
    text: Option<Text<'a>>,
    list: Option<Vec<Text<'a>>>,
    sock: Option<Sock<'a>>,
    timespec: Option<(i64, i64)>,
    bytes: Option<&'a [u8]>,
    value: Option<u64>,
}

/// A string as captured, or the address of one that could not be read.
#[derive(Clone, Copy)]
enum Text<'a> {
    Utf8(&'a [u8]),
    Addr(u64),
}

#[derive(Clone, Copy)]
enum Sock<'a> {
    Sockaddr(&'a [u8]),
    Msghdr(&'a [u8]),
}

impl JsonWriter {
    /// A writer for a trace whose policies are `policies` (by bit, as the
    /// tracer's info gives them), with this host's name and boot epoch.
    pub fn new(policies: &[String]) -> Self {
        Self::with(boot_epoch_ns(), &host_name(), policies)
    }

    /// A writer with the given boot epoch (ns) and host name.
    pub fn with(epoch_ns: i128, host_name: &str, policies: &[String]) -> Self {
        let mut quoted = Vec::new();
        json_str(&mut quoted, host_name);
        JsonWriter {
            parse_arguments: false,
            epoch_ns,
            host_name: quoted,
            policies: policies.to_vec(),
            matched: HashMap::new(),
            last_matched: None,
            events: Vec::new(),
            containers: None,
            policy_names: None,
            policies_generation: 0,
            container_view: HashMap::new(),
            view_generation: None,
        }
    }

    /// Copies the container table's entries if it changed since the last
    /// copy (a read lock once per batch).
    /// The policy names of the last reload, where they changed.
    fn refresh_policies(&mut self) {
        let Some(names) = &self.policy_names else {
            return;
        };
        if names.generation() == self.policies_generation {
            return;
        }
        (self.policies_generation, self.policies) = names.get();
        self.matched.clear();
        self.last_matched = None;
    }

    fn refresh_containers(&mut self) {
        let Some(shared) = &self.containers else {
            return;
        };
        let table = shared.read().unwrap_or_else(|e| e.into_inner());
        if self.view_generation == Some(table.generation()) {
            return;
        }
        self.view_generation = Some(table.generation());
        self.container_view = table.all().map(|(id, e)| (id, e.clone())).collect();
    }

    /// Appends one line (`{...}\n`) per record of `batch` to `out`; returns
    /// how many. On a malformed record, what came before it stays in `out`.
    pub fn write_batch(&mut self, batch: &[u8], out: &mut Vec<u8>) -> Result<usize, DecodeError> {
        self.refresh_containers();
        self.refresh_policies();
        let mut rest = batch;
        let mut n = 0;
        while !rest.is_empty() {
            let size = self.write_record(rest, out)?;
            out.push(b'\n');
            rest = &rest[size..];
            n += 1;
        }
        Ok(n)
    }

    /// Appends the record at the start of `buf` as one JSON object (no
    /// newline); returns the record's size. Nothing is appended if it is
    /// malformed.
    pub fn write_record(&mut self, buf: &[u8], out: &mut Vec<u8>) -> Result<usize, DecodeError> {
        let (raw, size) = record::fixed_part(buf)?;
        let def = catalog::by_id(raw.header.event_id);
        // per argument, grown only as far as data items go (most records have none)
        let mut args: Vec<Captured<'_>> = Vec::new();
        let mut unreadable: Vec<String> = Vec::new();
        for item in record::items(&buf[..size]) {
            let Item { arg, kind, bytes } = item?;
            if args.len() <= usize::from(arg) {
                args.resize_with(usize::from(arg) + 1, Captured::default);
            }
            gather(&mut args, &mut unreadable, def, &raw.args, arg, kind, bytes);
        }
        let h = &raw.header;
        let mut num = itoa::Buffer::new();
        // room for a line without data items: no growth mid-record
        out.reserve(1024);
        out.extend_from_slice(b"{\"timestamp\":");
        out.extend_from_slice(
            num.format(self.epoch_ns + i128::from(h.timestamp))
                .as_bytes(),
        );
        // each key a literal (a copy of known size), each value through itoa
        macro_rules! field {
            ($key:literal, $value:expr) => {
                out.extend_from_slice($key);
                out.extend_from_slice(num.format($value).as_bytes());
            };
        }
        field!(
            b",\"threadStartTime\":",
            self.epoch_ns + i128::from(h.thread_start_time)
        );
        field!(b",\"processorId\":", h.processor_id);
        field!(b",\"processId\":", h.process_id);
        field!(b",\"cgroupId\":", h.cgroup_id);
        field!(b",\"threadId\":", h.thread_id);
        field!(b",\"parentProcessId\":", h.parent_process_id);
        field!(b",\"hostProcessId\":", h.host_process_id);
        field!(b",\"hostThreadId\":", h.host_thread_id);
        field!(b",\"hostParentProcessId\":", h.host_parent_process_id);
        field!(b",\"userId\":", h.user_id);
        field!(b",\"mountNamespace\":", h.mount_namespace);
        field!(b",\"pidNamespace\":", h.pid_namespace);
        out.extend_from_slice(b",\"processName\":");
        write_comm(out, &h.process_name);
        out.extend_from_slice(b",\"hostName\":");
        out.extend_from_slice(&self.host_name);
        out.push(b',');
        match self.container_view.get(&h.cgroup_id) {
            Some(e) => out.extend_from_slice(e.json.as_bytes()),
            None => out.extend_from_slice(HOST_JSON.as_bytes()),
        }
        let event = self.event_json(h.event_id, def);
        out.extend_from_slice(&event.head);
        out.extend_from_slice(b",\"matchedPolicies\":");
        out.extend_from_slice(self.matched_policies(h.matched_policies));
        out.extend_from_slice(b",\"argsNum\":");
        let argc = def.map_or(0, |d| count_args(d, &args));
        out.extend_from_slice(num.format(argc).as_bytes());
        out.extend_from_slice(b",\"returnValue\":");
        out.extend_from_slice(num.format(h.return_value).as_bytes());
        out.extend_from_slice(b",\"syscall\":");
        // the syscall the event happened in (for LSM hooks: the one that led there)
        match def {
            Some(d) if d.syscall => {
                let name = &self.event_json(h.event_id, def).name;
                out.extend_from_slice(name);
            }
            _ if h.syscall >= 0 => {
                json_str(out, catalog::by_id(h.syscall as u32).map_or("", |d| d.name))
            }
            _ => out.extend_from_slice(b"\"\""),
        }
        out.extend_from_slice(b",\"args\":[");
        if let Some(d) = def {
            let parse = self.parse_arguments;
            let heads = &self.event_json(h.event_id, def).arg_heads;
            write_args(out, d, heads, &raw.args, &args, parse);
        }
        out.push(b']');
        if h.flags & FLAG_UNREADABLE != 0 && !unreadable.is_empty() {
            out.extend_from_slice(b",\"unreadable\":[");
            for (i, name) in unreadable.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, name);
            }
            out.push(b']');
        }
        if h.flags & FLAG_TRUNCATED != 0 {
            out.extend_from_slice(b",\"truncated\":true");
        }
        out.push(b'}');
        Ok(size)
    }

    /// The parts of an event's JSON that are the same in every record of
    /// it, made once per event id.
    fn event_json(&mut self, id: u32, def: Option<&EventDef>) -> &EventJson {
        let i = id as usize;
        if self.events.len() <= i {
            self.events.resize_with(i + 1, || None);
        }
        self.events[i].get_or_insert_with(|| {
            let mut name = Vec::new();
            match def {
                Some(d) => json_str(&mut name, d.name),
                None => json_str(&mut name, &format!("unknown_{id}")),
            }
            let mut head = b",\"eventId\":\"".to_vec();
            head.extend_from_slice(id.to_string().as_bytes());
            head.extend_from_slice(b"\",\"eventName\":");
            head.extend_from_slice(&name);
            let arg_heads = def
                .map(|d| {
                    d.args
                        .iter()
                        .map(|a| {
                            let mut h = b"{\"name\":".to_vec();
                            json_str(&mut h, a.name);
                            h.extend_from_slice(b",\"type\":");
                            json_str(&mut h, a.ty);
                            h.extend_from_slice(b",\"value\":");
                            h
                        })
                        .collect()
                })
                .unwrap_or_default();
            EventJson {
                head,
                name,
                arg_heads,
            }
        })
    }

    /// The JSON array of the names of the policies whose bits are set.
    fn matched_policies(&mut self, bits: u64) -> &[u8] {
        if self.last_matched.as_ref().is_none_or(|(b, _)| *b != bits) {
            let policies = &self.policies;
            let json = self.matched.entry(bits).or_insert_with(|| {
                let mut out = vec![b'['];
                let names = policies
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i < 64 && bits >> i & 1 == 1);
                for (n, (_, name)) in names.enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    json_str(&mut out, name);
                }
                out.push(b']');
                out
            });
            self.last_matched = Some((bits, json.clone()));
        }
        &self.last_matched.as_ref().expect("set above").1
    }
}

/// The task's comm as a JSON string: its bytes up to the first NUL, as
/// UTF-8 as the other strings (U+FFFD for a bad sequence), as the
/// TypeScript decoder reads it.
fn write_comm(out: &mut Vec<u8>, comm: &[i8]) {
    let bytes: &[u8] = {
        // SAFETY: i8 and u8 have one layout.
        let all = unsafe { std::slice::from_raw_parts(comm.as_ptr().cast::<u8>(), comm.len()) };
        &all[..all.iter().position(|&c| c == 0).unwrap_or(all.len())]
    };
    if bytes
        .iter()
        .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        json_str(out, &String::from_utf8_lossy(bytes));
    }
}

/// Files one data item under its argument.
fn gather<'a>(
    args: &mut [Captured<'a>],
    unreadable: &mut Vec<String>,
    def: Option<&EventDef>,
    slots: &[u64; ARG_COUNT],
    arg: u8,
    kind: u32,
    bytes: &'a [u8],
) {
    use types::tracee_arg_kind as K;
    let i = usize::from(arg);
    let a = &mut args[i];
    if kind == K::ARG_SOCKADDR.0 {
        a.sock = Some(Sock::Sockaddr(bytes));
    } else if kind == K::ARG_MSGHDR.0 {
        a.sock = Some(Sock::Msghdr(bytes));
    } else if kind == K::ARG_VALUE.0 {
        a.value = Some(record::item_u64(bytes));
    } else if kind == K::ARG_UNREADABLE.0 {
        // where the value would be: its address, as strace shows one
        let v = record::item_u64(bytes);
        let arg_def = def.and_then(|d| d.args.get(i));
        let name = arg_def.map_or_else(|| i.to_string(), |a| a.name.to_string());
        // the array pointer itself unreadable, or one of its elements
        let whole = i < ARG_COUNT && slots[i] == v;
        if arg_def.is_some_and(|a| a.kind == ArgKind::StrArray) && !whole {
            let list = a.list.get_or_insert_with(Vec::new);
            unreadable.push(format!("{name}[{}]", list.len()));
            list.push(Text::Addr(v));
        } else {
            unreadable.push(name);
            a.text = Some(Text::Addr(v));
        }
    } else if kind == K::ARG_TIMESPEC.0 {
        let half = |at: usize| i64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        a.timespec = Some((half(0), half(8)));
    } else if kind == K::ARG_BYTES.0 {
        a.bytes = Some(bytes);
    } else if kind == K::ARG_STR_ARRAY.0 {
        a.list.get_or_insert_with(Vec::new).push(Text::Utf8(bytes));
    } else {
        a.text = Some(Text::Utf8(bytes));
    }
}

/// How many arguments [`write_args`] writes: the record's (up to six),
/// and past them those captured.
fn count_args(def: &EventDef, args: &[Captured<'_>]) -> usize {
    let extra = def
        .args
        .iter()
        .enumerate()
        .skip(ARG_COUNT)
        .filter(|(i, a)| args.get(*i).is_some_and(|got| captured(a.kind, got)))
        .count();
    def.args.len().min(ARG_COUNT) + extra
}

/// Whether an argument past the record's six was captured: its strings, or
/// its value item.
fn captured(kind: ArgKind, got: &Captured<'_>) -> bool {
    match kind {
        ArgKind::StrArray => got.list.is_some(),
        ArgKind::Str => got.text.is_some(),
        _ => got.value.is_some(),
    }
}

/// Writes `{"name","type","value"}` per argument (comma-separated, no
/// brackets; `heads` the start of each, [`EventJson`]). Past the record's
/// six, only those captured, as in Tracee's JSON.
fn write_args(
    out: &mut Vec<u8>,
    def: &EventDef,
    heads: &[Vec<u8>],
    slots: &[u64; ARG_COUNT],
    args: &[Captured<'_>],
    parse: bool,
) {
    let none = Captured::default();
    let mut n = 0;
    for (i, (a, head)) in def.args.iter().zip(heads).enumerate() {
        let got = args.get(i).unwrap_or(&none);
        if i >= ARG_COUNT && !captured(a.kind, got) {
            continue;
        }
        if n > 0 {
            out.push(b',');
        }
        n += 1;
        out.extend_from_slice(head);
        // an integer by its decoder (every decoded argument is one: decoders.rs's test)
        let decoder = a.decode.filter(|_| parse);
        let value = if i < ARG_COUNT {
            Some(slots[i])
        } else {
            got.value
        };
        match (decoder, value) {
            (Some(d), Some(v)) if is_int(a.kind) => match decode_value(d, int_value(a.kind, v)) {
                Some(text) => json_str(out, &text),
                // as decodeValue shows a decoder it does not know: the number, as text
                None => json_str(out, &int_value(a.kind, v).to_string()),
            },
            _ if i < ARG_COUNT => write_value(out, a.kind, slots[i], got),
            _ => write_extra(out, a.kind, got),
        }
        out.push(b'}');
    }
}

fn is_int(kind: ArgKind) -> bool {
    matches!(
        kind,
        ArgKind::I32 | ArgKind::U32 | ArgKind::I64 | ArgKind::U64
    )
}

/// One of the record's six arguments: what was captured for it, else its
/// slot (an address in hex, an integer by kind).
fn write_value(out: &mut Vec<u8>, kind: ArgKind, slot: u64, got: &Captured<'_>) {
    let mut num = itoa::Buffer::new();
    match kind {
        ArgKind::Str => match got.text {
            Some(t) => write_text(out, t),
            None => out.extend_from_slice(b"\"\""),
        },
        // an address, or the strings where the kernel side was asked to copy them (envp)
        ArgKind::Ptr => match &got.list {
            Some(list) => write_list(out, list),
            None => write_addr(out, slot),
        },
        ArgKind::Sockaddr | ArgKind::Msghdr => match got.sock {
            Some(Sock::Sockaddr(b)) => write_sockaddr(out, b),
            Some(Sock::Msghdr(b)) => write_msghdr(out, b),
            None => write_addr(out, slot),
        },
        ArgKind::Timespec => match got.timespec {
            Some((sec, nsec)) => {
                out.extend_from_slice(b"{\"tv_sec\":");
                out.extend_from_slice(num.format(sec).as_bytes());
                out.extend_from_slice(b",\"tv_nsec\":");
                out.extend_from_slice(num.format(nsec).as_bytes());
                out.push(b'}');
            }
            None => write_addr(out, slot),
        },
        // a buffer's first bytes; unreadable: the address
        ArgKind::Bytes => match got.bytes {
            Some(b) => {
                out.push(b'[');
                for (i, x) in b.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(num.format(*x).as_bytes());
                }
                out.push(b']');
            }
            None => write_addr(out, slot),
        },
        // no element: []; an array that could not be read came as its address
        ArgKind::StrArray => match (&got.list, got.text) {
            (Some(list), _) => write_list(out, list),
            (None, Some(t)) => write_text(out, t),
            (None, None) => out.extend_from_slice(b"[]"),
        },
        // name, owner pairs
        ArgKind::HookedSymbols => {
            out.push(b'[');
            let list = got.list.as_deref().unwrap_or_default();
            for (n, pair) in list.chunks_exact(2).enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"SymbolName\":");
                write_text(out, pair[0]);
                out.extend_from_slice(b",\"ModuleOwner\":");
                write_text(out, pair[1]);
                out.push(b'}');
            }
            out.push(b']');
        }
        ArgKind::I32 | ArgKind::U32 | ArgKind::I64 | ArgKind::U64 => write_int(out, kind, slot),
        ArgKind::Bool => write_bool(out, slot),
    }
}

/// A C bool (its low byte), as Tracee writes bool arguments.
fn write_bool(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(if v as u8 != 0 { b"true" } else { b"false" });
}

/// An argument past the record's six, [`captured`]: its strings or its value.
fn write_extra(out: &mut Vec<u8>, kind: ArgKind, got: &Captured<'_>) {
    match (kind, &got.list, got.text, got.value) {
        (ArgKind::StrArray, Some(list), _, _) => write_list(out, list),
        (ArgKind::Str, _, Some(t), _) => write_text(out, t),
        (ArgKind::Bool, _, _, Some(v)) => write_bool(out, v),
        (_, _, _, Some(v)) => write_int(out, kind, v),
        _ => {}
    }
}

/// An integer argument's value by kind, from its 8 bytes.
fn int_value(kind: ArgKind, v: u64) -> i128 {
    match kind {
        ArgKind::I32 => i128::from(v as u32 as i32),
        ArgKind::U32 => i128::from(v as u32),
        ArgKind::I64 => i128::from(v as i64),
        _ => i128::from(v),
    }
}

fn write_int(out: &mut Vec<u8>, kind: ArgKind, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(int_value(kind, v)).as_bytes());
}

fn write_text(out: &mut Vec<u8>, t: Text<'_>) {
    match t {
        Text::Utf8(b) => json_str(out, &String::from_utf8_lossy(b)),
        Text::Addr(v) => write_addr(out, v),
    }
}

fn write_list(out: &mut Vec<u8>, list: &[Text<'_>]) {
    out.push(b'[');
    for (i, t) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_text(out, *t);
    }
    out.push(b']');
}

/// An address as strace shows one: `"0x7ffd5c2a1b40"`.
fn write_addr(out: &mut Vec<u8>, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (64 - v.leading_zeros()).div_ceil(4).max(1) as usize;
    out.extend_from_slice(b"\"0x");
    for i in (0..digits).rev() {
        out.push(HEX[(v >> (4 * i) & 0xf) as usize]);
    }
    out.push(b'"');
}

/// A string as JSON.stringify writes it (serde_json escapes the same
/// characters: `"`, `\`, and controls, as `\n` or `\u001b`).
fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("a Vec takes every write");
}

/// A `struct msghdr_item` and the address after it: `{msg_name, msg_namelen,
/// msg_iovlen, msg_controllen, msg_flags}`, msg_name the address where it
/// was captured, else its pointer.
fn write_msghdr(out: &mut Vec<u8>, b: &[u8]) {
    // SAFETY: items() checked MSGHDR_SIZE bytes; msghdr_item is plain integers.
    let m: types::msghdr_item = unsafe { std::ptr::read_unaligned(b.as_ptr().cast()) };
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(b"{\"msg_name\":");
    if b.len() >= MSGHDR_SIZE + 2 {
        write_sockaddr(out, &b[MSGHDR_SIZE..]);
    } else {
        write_addr(out, m.msg_name);
    }
    out.extend_from_slice(b",\"msg_namelen\":");
    out.extend_from_slice(num.format(m.msg_namelen).as_bytes());
    out.extend_from_slice(b",\"msg_iovlen\":");
    out.extend_from_slice(num.format(m.msg_iovlen).as_bytes());
    out.extend_from_slice(b",\"msg_controllen\":");
    out.extend_from_slice(num.format(m.msg_controllen).as_bytes());
    out.extend_from_slice(b",\"msg_flags\":");
    out.extend_from_slice(num.format(m.msg_flags).as_bytes());
    out.push(b'}');
}

/// A struct sockaddr's fields, as packages/core's `decodeSockaddr` gives
/// them (its docs: Tracee's keys, strace's and glibc's notation): an
/// object of strings, `sa_family` first.
fn write_sockaddr(out: &mut Vec<u8>, b: &[u8]) {
    let mut fields: Vec<(&str, String)> = Vec::with_capacity(7);
    let family = u16::from_le_bytes([b[0], b[1]]);
    let name = catalog::constant_name("socket_family", i64::from(family));
    let be16 = |at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
    let le32 = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
    let n = b.len();
    let hex = |from: usize| {
        b[from..]
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    match name {
        Some("AF_INET") if n >= 8 => {
            fields.push(("sin_port", be16(2).to_string()));
            fields.push(("sin_addr", format!("{}.{}.{}.{}", b[4], b[5], b[6], b[7])));
        }
        Some("AF_INET6") if n >= 24 => {
            fields.push(("sin6_port", be16(2).to_string()));
            fields.push((
                "sin6_flowinfo",
                u32::from_be_bytes(b[4..8].try_into().expect("4 bytes")).to_string(),
            ));
            fields.push((
                "sin6_addr",
                inet_ntop6(b[8..24].try_into().expect("16 bytes")),
            ));
            // the kernel reads a scope id only from an addrlen of 28; strace shows none before
            if n >= 28 {
                fields.push(("sin6_scopeid", le32(24).to_string()));
            }
        }
        Some("AF_UNIX") => {
            let end = n.min(SOCKADDR_UN_SIZE);
            if end > 2 {
                let path = if b[2] == 0 {
                    format!("@{}", strace_quote(&b[3..end]))
                } else {
                    let nul = b[2..end]
                        .iter()
                        .position(|&c| c == 0)
                        .map_or(end, |p| 2 + p);
                    String::from_utf8_lossy(&b[2..nul]).into_owned()
                };
                fields.push(("sun_path", path));
            }
        }
        Some("AF_NETLINK") if n >= 12 => {
            fields.push(("nl_pid", le32(4).to_string()));
            fields.push(("nl_groups", format!("{:08x}", le32(8))));
        }
        Some("AF_PACKET") if n >= 20 => {
            let halen = usize::from(b[11]);
            fields.push(("sll_protocol", be16(2).to_string()));
            fields.push(("sll_ifindex", (le32(4) as i32).to_string()));
            fields.push(("sll_hatype", u16::from_le_bytes([b[8], b[9]]).to_string()));
            fields.push(("sll_pkttype", b[10].to_string()));
            fields.push(("sll_halen", b[11].to_string()));
            let addr: Vec<String> = b[12..12 + halen.min(8)]
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect();
            fields.push(("sll_addr", addr.join(":")));
        }
        _ => fields.push(("sa_data", hex(2))),
    }
    out.extend_from_slice(b"{\"sa_family\":");
    match name {
        Some(name) => json_str(out, name),
        None => json_str(out, &family.to_string()),
    }
    for (key, value) in fields {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        json_str(out, &value);
    }
    out.push(b'}');
}

/// 16 bytes of IPv6 address as glibc's inet_ntop(AF_INET6) writes them
/// (resolv/inet_ntop.c, inet_ntop6): lowercase hex words without leading
/// zeros; the first longest run of two or more zero words as `::`; and,
/// when that run is words 0-5, or words 0-4 followed by ffff, the last 4
/// bytes as a dotted quad.
fn inet_ntop6(a: &[u8; 16]) -> String {
    let w: Vec<u16> = (0..8)
        .map(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]))
        .collect();
    let (mut base, mut len) = (None, 0);
    let mut i = 0;
    while i < 8 {
        let mut j = i;
        while j < 8 && w[j] == 0 {
            j += 1;
        }
        if j - i > len {
            (base, len) = (Some(i), j - i);
        }
        i = if j > i { j } else { i + 1 };
    }
    if len < 2 {
        base = None;
    }
    let mut out = String::new();
    for i in 0..8 {
        if let Some(b) = base {
            if i >= b && i < b + len {
                if i == b {
                    out.push(':');
                }
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 && base == Some(0) && (len == 6 || (len == 5 && w[5] == 0xffff)) {
            return format!("{out}{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
        }
        let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{:x}", w[i]));
    }
    if base.is_some_and(|b| b + len == 8) {
        out.push(':');
    }
    out
}

/// Bytes as strace's string_quote quotes them (src/util.c, no -x), without
/// the quotes: printable ASCII as is; `"`, `\` and `\f\n\r\t\v` escaped;
/// any other byte as an octal escape, shortest unless an octal digit follows.
fn strace_quote(s: &[u8]) -> String {
    let mut out = String::new();
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x0b => out.push_str("\\v"),
            0x20..=0x7e => out.push(char::from(c)),
            _ => {
                let octal_next = s.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n));
                let _ = if octal_next {
                    std::fmt::Write::write_fmt(&mut out, format_args!("\\{c:03o}"))
                } else {
                    std::fmt::Write::write_fmt(&mut out, format_args!("\\{c:o}"))
                };
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FIXED_SIZE;

    fn record(event_id: u32, args: [u64; 6], items: &[(u8, u32, &[u8])]) -> Vec<u8> {
        let mut ev = types::event::default();
        ev.header.event_id = event_id;
        ev.header.timestamp = 5;
        ev.header.host_process_id = 42;
        ev.header.return_value = -2;
        ev.header.syscall = -1;
        for (i, c) in b"cat".iter().enumerate() {
            ev.header.process_name[i] = *c as i8;
        }
        ev.args = args;
        record::build(ev, items).unwrap()
    }

    fn line(buf: &[u8]) -> serde_json::Value {
        let mut w = JsonWriter::with(
            1_000_000_000_000_000_000,
            "host\"1",
            &["".into(), "p1".into()],
        );
        let mut out = Vec::new();
        assert_eq!(w.write_batch(buf, &mut out).unwrap(), 1);
        assert_eq!(out.last(), Some(&b'\n'));
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn the_header_in_tracees_names_and_exact_timestamps() {
        let openat = catalog::by_name("openat").unwrap();
        let mut buf = record(
            openat.id,
            [u64::MAX - 99, 0x7ffd_0000_1000, 0x80000, 0o644, 0, 0],
            &[(1, types::tracee_arg_kind::ARG_STR.0, b"/etc/passwd")],
        );
        // matched policies 0 and 1
        buf[24] = 0b11;
        let j = line(&buf);
        // 10^18 + 5: past 2^53, exact
        assert_eq!(j["timestamp"].to_string(), "1000000000000000005");
        assert_eq!(j["hostName"], "host\"1");
        assert_eq!(j["eventId"], openat.id.to_string());
        assert_eq!(j["eventName"], "openat");
        assert_eq!(j["syscall"], "openat");
        assert_eq!(j["processName"], "cat");
        assert_eq!(j["matchedPolicies"], serde_json::json!(["", "p1"]));
        assert_eq!(j["returnValue"], -2);
        assert_eq!(j["argsNum"], 4);
        assert_eq!(
            j["args"][0],
            serde_json::json!({"name": "dirfd", "type": "int", "value": -100})
        );
        assert_eq!(j["args"][1]["value"], "/etc/passwd");
        assert_eq!(j["args"][2]["value"], 0x80000);
        // outside containers: Tracee's empty id and objects
        assert_eq!(j["containerId"], "");
        assert_eq!(j["container"], serde_json::json!({}));
        assert_eq!(j["kubernetes"], serde_json::json!({}));
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 25, "no unreadable or truncated: {keys:?}");
    }

    #[test]
    fn a_containers_events_carry_it_from_the_table_as_it_changes() {
        use crate::containers::{ContainerTable, Enrichment};
        use std::sync::{Arc, RwLock};
        let id = "4f1c9dbbd0cbc8df94d61ce4ea8b3aeb4ce8b8e3d7a6fb6ff6a47a2fb0c51f1b";
        let mut table = ContainerTable::default();
        table.add(77, &format!("/docker/{id}"), 1, true);
        let table = Arc::new(RwLock::new(table));
        let mut w = JsonWriter::with(0, "h", &["".into()]);
        w.containers = Some(table.clone());
        let mut buf = record(catalog::by_name("getppid").unwrap().id, [0; 6], &[]);
        buf[16..24].copy_from_slice(&77u64.to_ne_bytes());
        let write = |w: &mut JsonWriter| {
            let mut out = Vec::new();
            w.write_batch(&buf, &mut out).unwrap();
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        let j = write(&mut w);
        assert_eq!(j["containerId"], id);
        assert_eq!(j["container"], serde_json::json!({"id": id}));
        assert_eq!(j["kubernetes"], serde_json::json!({}));
        // enriched since: the next batch says so
        table.write().unwrap().enrich(
            id,
            &Enrichment {
                name: "web".into(),
                image: "busybox:1".into(),
                ..Enrichment::default()
            },
        );
        let j = write(&mut w);
        assert_eq!(
            j["container"],
            serde_json::json!({"id": id, "name": "web", "image": "busybox:1"})
        );
        let text =
            String::from_utf8(w.events.iter().flatten().next().unwrap().head.clone()).unwrap();
        assert!(text.starts_with(",\"eventId\":"), "{text}");
    }

    #[test]
    fn unknown_events_and_malformed_records() {
        let j = line(&record(1999, [0; 6], &[]));
        assert_eq!(j["eventName"], "unknown_1999");
        assert_eq!(j["argsNum"], 0);
        assert_eq!(j["syscall"], "");
        let mut w = JsonWriter::with(0, "h", &[]);
        let mut out = Vec::new();
        let mut buf = record(0, [0; 6], &[]);
        buf.truncate(FIXED_SIZE - 1);
        assert!(w.write_batch(&buf, &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn sockaddrs_as_strace_and_glibc_print_them() {
        let mut v6 = vec![10, 0, 0, 80, 0, 0, 0, 0];
        v6.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
        let mut out = Vec::new();
        write_sockaddr(&mut out, &v6);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"sa_family":"AF_INET6","sin6_port":"80","sin6_flowinfo":"0","sin6_addr":"::ffff:127.0.0.1"}"#
        );
        assert_eq!(
            inet_ntop6(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            "::1"
        );
        assert_eq!(
            inet_ntop6(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]),
            "2001:db8::1:0:0:1"
        );
        assert_eq!(strace_quote(b"a\0\x01"), "a\\0\\1");
        assert_eq!(strace_quote(b"\x001"), "\\0001");
    }
}
