//! Decoding of the records the kernel side writes (layout: bpf/tracee.h).
//!
//! The Rust types are the skeleton's, which libbpf-cargo derives from the
//! object's BTF; nothing here restates the C structs. Records come from the
//! local kernel, so integers are in native byte order.

use std::mem::size_of;

use crate::bpf::types;
use crate::catalog::{self, EventDef};

/// The context header of every record (fields as in `struct event_header`).
pub type Header = types::event_header;

/// Bytes before a record's data section: header and the six arguments.
pub const FIXED_SIZE: usize = size_of::<types::event>();
const ITEM_SIZE: usize = size_of::<types::data_item>();

/// A string argument was cut at the kernel side's limit (PATH_MAX).
pub const FLAG_TRUNCATED: u16 = types::tracee_record_flags::RECORD_FLAG_TRUNCATED.0 as u16;
/// Reported at syscall entry: the syscall does not return.
pub const FLAG_AT_ENTRY: u16 = types::tracee_record_flags::RECORD_FLAG_AT_ENTRY.0 as u16;
/// The syscall's saved registers were not found: the arguments read as 0.
pub const FLAG_ARGS_UNKNOWN: u16 = types::tracee_record_flags::RECORD_FLAG_ARGS_UNKNOWN.0 as u16;
/// Some user string could not be read (`Event::unreadable`).
pub const FLAG_UNREADABLE: u16 = types::tracee_record_flags::RECORD_FLAG_UNREADABLE.0 as u16;
/// Arguments an event may have, the record's and those in data items.
const MAX_EVENT_ARGS: usize = types::tracee_limits::MAX_EVENT_ARGS.0 as usize;

/// One decoded record.
#[derive(Debug, Clone)]
pub struct Event {
    pub header: Header,
    /// Raw argument values; for strings, the address they were read from.
    pub args: [u64; 6],
    /// Strings captured by the kernel side, with the argument they belong to.
    pub strings: Vec<(u8, String)>,
    /// `struct sockaddr`s captured by the kernel side (their bytes), with
    /// the argument they belong to.
    pub sockaddrs: Vec<(u8, Vec<u8>)>,
    /// `struct __kernel_timespec`s captured (seconds, nanoseconds), with the
    /// argument they belong to.
    pub timespecs: Vec<(u8, (i64, i64))>,
    /// Buffers' first bytes, with the argument they belong to.
    pub bytes: Vec<(u8, Vec<u8>)>,
    /// `struct user_msghdr`s captured (a `struct msghdr_item`, then the
    /// address's bytes), with the argument they belong to.
    pub msghdrs: Vec<(u8, Vec<u8>)>,
    /// Integer arguments past `args` (an event with more than six, such
    /// as sched_process_exec), with their index.
    pub values: Vec<(u8, u64)>,
    /// User strings that could not be read (`RECORD_FLAG_UNREADABLE`):
    /// their argument and address. Each also stands in `strings` as the
    /// address (`0x…`), where its value would be, so arrays keep their order.
    pub unreadable: Vec<(u8, u64)>,
}

impl Event {
    pub fn def(&self) -> Option<&'static EventDef> {
        catalog::by_id(self.header.event_id)
    }

    pub fn name(&self) -> &'static str {
        self.def().map_or("unknown", |d| d.name)
    }

    /// The task's comm (`process_name`).
    pub fn process_name(&self) -> String {
        let bytes: Vec<u8> = self
            .header
            .process_name
            .iter()
            .map(|&c| c as u8)
            .take_while(|&c| c != 0)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The elements captured for string-array argument `index` (argv).
    pub fn string_array(&self, index: u8) -> Vec<&str> {
        self.strings
            .iter()
            .filter(|(i, _)| *i == index)
            .map(|(_, s)| s.as_str())
            .collect()
    }

    /// The string captured for argument `index`, if any (not one that
    /// could not be read).
    pub fn string_arg(&self, index: u8) -> Option<&str> {
        if self.unreadable.iter().any(|(i, _)| *i == index) {
            return None;
        }
        self.strings
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, s)| s.as_str())
    }

    /// Integer argument `index`: in the record's args, or past them in a data item.
    pub fn int_arg(&self, index: usize) -> Option<u64> {
        match self.args.get(index) {
            Some(v) => Some(*v),
            None => self
                .values
                .iter()
                .find(|(i, _)| usize::from(*i) == index)
                .map(|(_, v)| *v),
        }
    }

    /// The string captured for the argument named `name`, if any.
    pub fn string(&self, name: &str) -> Option<&str> {
        let index = self.def()?.args.iter().position(|a| a.name == name)?;
        self.string_arg(index as u8)
    }
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record truncated: {need} bytes needed, {have} present")]
    Truncated { need: usize, have: usize },
    #[error("record declares size {size}, below the fixed part of {FIXED_SIZE} bytes")]
    BadSize { size: usize },
    #[error("data item at offset {offset} is malformed: {what}")]
    BadItem { offset: usize, what: &'static str },
}

/// The record at the start of `buf`, checked: its fixed part (header and
/// args) and its size in bytes; its data items are [`items`] of
/// `&buf[..size]`.
pub fn fixed_part(buf: &[u8]) -> Result<(types::event, usize), DecodeError> {
    if buf.len() < FIXED_SIZE {
        return Err(DecodeError::Truncated {
            need: FIXED_SIZE,
            have: buf.len(),
        });
    }
    // SAFETY: buf holds at least size_of::<event>() bytes, and event is
    // repr(C) made only of integers and arrays of them, valid for any bits.
    let raw: types::event = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
    let size = usize::from(raw.header.size);
    if size < FIXED_SIZE {
        return Err(DecodeError::BadSize { size });
    }
    if size > buf.len() {
        return Err(DecodeError::Truncated {
            need: size,
            have: buf.len(),
        });
    }
    Ok((raw, size))
}

/// One data item of a record: the argument it belongs to, its kind
/// (`enum tracee_arg_kind`) and its bytes, checked to be as long as the
/// kind needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    pub arg: u8,
    pub kind: u32,
    pub bytes: &'a [u8],
}

/// The data items of one whole record (`&buf[..size]` of [`fixed_part`]),
/// in the order the kernel side wrote them (a string array's elements in
/// order). Stops after the first malformed item.
pub fn items(record: &[u8]) -> Items<'_> {
    Items {
        record,
        offset: FIXED_SIZE,
    }
}

/// See [`items`].
pub struct Items<'a> {
    record: &'a [u8],
    offset: usize,
}

impl<'a> Items<'a> {
    fn item(&self) -> Result<(Item<'a>, usize), DecodeError> {
        let offset = self.offset;
        let rest = &self.record[offset..];
        let bad = |what| Err(DecodeError::BadItem { offset, what });
        if rest.len() < ITEM_SIZE {
            return bad("item header cut short");
        }
        // SAFETY: ITEM_SIZE bytes are present; data_item is plain integers.
        let item: types::data_item = unsafe { std::ptr::read_unaligned(rest.as_ptr().cast()) };
        let len = usize::from(item.len);
        if usize::from(item.arg) >= MAX_EVENT_ARGS {
            return bad("argument index out of range");
        }
        if ITEM_SIZE + len > rest.len() {
            return bad("string runs past the record");
        }
        let kind = u32::from(item.kind);
        let need = if kind == types::tracee_arg_kind::ARG_SOCKADDR.0 {
            // room for the family, at least
            (len < 2).then_some("a sockaddr is at least 2 bytes")
        } else if kind == types::tracee_arg_kind::ARG_MSGHDR.0 {
            (len < size_of::<types::msghdr_item>()).then_some("a msghdr is cut short")
        } else if kind == types::tracee_arg_kind::ARG_TIMESPEC.0 {
            (len != 16).then_some("a timespec is 16 bytes")
        } else if kind == types::tracee_arg_kind::ARG_VALUE.0
            || kind == types::tracee_arg_kind::ARG_UNREADABLE.0
        {
            (len != 8).then_some("a value or an address is 8 bytes")
        } else {
            None
        };
        if let Some(what) = need {
            return bad(what);
        }
        let bytes = &rest[ITEM_SIZE..ITEM_SIZE + len];
        Ok((
            Item {
                arg: item.arg,
                kind,
                bytes,
            },
            ITEM_SIZE + len,
        ))
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<Item<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.offset >= self.record.len() {
            return None;
        }
        match self.item() {
            Ok((item, len)) => {
                self.offset += len;
                Some(Ok(item))
            }
            Err(e) => {
                self.offset = self.record.len();
                Some(Err(e))
            }
        }
    }
}

/// An 8-byte item's value (ARG_VALUE, ARG_UNREADABLE: checked by [`items`]).
pub fn item_u64(bytes: &[u8]) -> u64 {
    u64::from_ne_bytes(bytes.try_into().expect("8 bytes, checked by items()"))
}

/// A record as the kernel side writes one (bpf/tracee.h): `event` (its
/// header's `size` set here) then the data items `(argument, kind, bytes)`
/// in order. For the records user space makes (containers.rs) and for
/// tests. None past the largest record (a u16 size).
pub fn build(mut event: types::event, items: &[(u8, u32, &[u8])]) -> Option<Vec<u8>> {
    let size = FIXED_SIZE
        + items
            .iter()
            .map(|(_, _, b)| ITEM_SIZE + b.len())
            .sum::<usize>();
    event.header.size = u16::try_from(size).ok()?;
    let mut out = Vec::with_capacity(size);
    // SAFETY: event is repr(C), made only of integers and arrays of them.
    out.extend_from_slice(unsafe {
        std::slice::from_raw_parts((&event as *const types::event).cast::<u8>(), FIXED_SIZE)
    });
    for (arg, kind, bytes) in items {
        let item = types::data_item {
            arg: *arg,
            kind: u8::try_from(*kind).ok()?,
            len: u16::try_from(bytes.len()).ok()?,
        };
        // SAFETY: data_item is repr(C) plain integers.
        out.extend_from_slice(unsafe {
            std::slice::from_raw_parts((&item as *const types::data_item).cast::<u8>(), ITEM_SIZE)
        });
        out.extend_from_slice(bytes);
    }
    Some(out)
}

/// Decodes the record at the start of `buf`; returns it and its size.
pub fn decode(buf: &[u8]) -> Result<(Event, usize), DecodeError> {
    use types::tracee_arg_kind as K;
    let (raw, size) = fixed_part(buf)?;
    let mut strings = Vec::new();
    let mut sockaddrs = Vec::new();
    let mut timespecs = Vec::new();
    let mut captured = Vec::new();
    let mut values = Vec::new();
    let mut unreadable = Vec::new();
    let mut msghdrs = Vec::new();
    for item in items(&buf[..size]) {
        let Item { arg, kind, bytes } = item?;
        // a string array's elements are strings of the same argument, in order
        if kind == K::ARG_SOCKADDR.0 {
            sockaddrs.push((arg, bytes.to_vec()));
        } else if kind == K::ARG_BYTES.0 {
            captured.push((arg, bytes.to_vec()));
        } else if kind == K::ARG_MSGHDR.0 {
            msghdrs.push((arg, bytes.to_vec()));
        } else if kind == K::ARG_TIMESPEC.0 {
            let half =
                |at: usize| i64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
            timespecs.push((arg, (half(0), half(8))));
        } else if kind == K::ARG_VALUE.0 {
            values.push((arg, item_u64(bytes)));
        } else if kind == K::ARG_UNREADABLE.0 {
            let v = item_u64(bytes);
            unreadable.push((arg, v));
            strings.push((arg, format!("{v:#x}")));
        } else {
            strings.push((arg, String::from_utf8_lossy(bytes).into_owned()));
        }
    }
    Ok((
        Event {
            header: raw.header,
            args: raw.args,
            strings,
            sockaddrs,
            timespecs,
            bytes: captured,
            msghdrs,
            values,
            unreadable,
        },
        size,
    ))
}

/// The records of a batch, in order. Stops after the first error.
pub struct Records<'a> {
    buf: &'a [u8],
}

impl<'a> Records<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Records { buf }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Event, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        match decode(self.buf) {
            Ok((event, size)) => {
                self.buf = &self.buf[size..];
                Some(Ok(event))
            }
            Err(e) => {
                self.buf = &[];
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a record the way the kernel side lays it out.
    fn record(event_id: u32, strings: &[(u8, &[u8])]) -> Vec<u8> {
        let items: Vec<(u8, u32, &[u8])> = strings
            .iter()
            .map(|(a, s)| (*a, types::tracee_arg_kind::ARG_STR.0, *s))
            .collect();
        record_items(event_id, &items)
    }

    fn record_items(event_id: u32, items: &[(u8, u32, &[u8])]) -> Vec<u8> {
        let mut ev = types::event::default();
        ev.header.event_id = event_id;
        ev.header.host_process_id = 42;
        ev.header.return_value = -2;
        for (i, c) in b"cat".iter().enumerate() {
            ev.header.process_name[i] = *c as i8;
        }
        ev.args = [1, 2, 3, 4, 5, 6];
        build(ev, items).unwrap()
    }

    #[test]
    fn decodes_header_args_and_strings() {
        let buf = record(257, &[(1, b"/etc/passwd")]);
        let (ev, size) = decode(&buf).unwrap();
        assert_eq!(size, buf.len());
        assert_eq!(ev.name(), "openat");
        assert_eq!(ev.header.host_process_id, 42);
        assert_eq!(ev.header.return_value, -2);
        assert_eq!(ev.process_name(), "cat");
        assert_eq!(ev.args, [1, 2, 3, 4, 5, 6]);
        assert_eq!(ev.string("pathname"), Some("/etc/passwd"));
    }

    #[test]
    fn values_past_the_six_and_unreadable_strings() {
        use types::tracee_arg_kind as K;
        let dev = 0x0080_0001u64.to_ne_bytes();
        let addr = 0x5555_0000_1004u64.to_ne_bytes();
        let buf = record_items(
            1003,
            &[
                (7, K::ARG_VALUE.0, &dev),
                (1, K::ARG_KSTR.0, b"/usr/bin/echo"),
                (10, K::ARG_STR_ARRAY.0, b"echo"),
                (10, K::ARG_UNREADABLE.0, &addr),
                (10, K::ARG_STR_ARRAY.0, b"two"),
            ],
        );
        let (ev, _) = decode(&buf).unwrap();
        assert_eq!(ev.int_arg(7), Some(0x0080_0001));
        assert_eq!(ev.int_arg(2), Some(3), "the record's own args first");
        assert_eq!(ev.int_arg(8), None, "not captured");
        assert_eq!(ev.string("pathname"), Some("/usr/bin/echo"));
        // the unreadable element keeps its place, as its address
        assert_eq!(ev.string_array(10), ["echo", "0x555500001004", "two"]);
        assert_eq!(ev.unreadable, [(10, 0x5555_0000_1004)]);
        assert_eq!(
            ev.string_arg(10),
            None,
            "an argument with an unreadable part is not a string to match"
        );
        // a value must be 8 bytes, a msghdr at least its struct
        let buf = record_items(1003, &[(7, K::ARG_VALUE.0, b"abc")]);
        assert!(matches!(
            decode(&buf),
            Err(DecodeError::BadItem {
                what: "a value or an address is 8 bytes",
                ..
            })
        ));
        let buf = record_items(46, &[(1, K::ARG_MSGHDR.0, b"short")]);
        assert!(matches!(
            decode(&buf),
            Err(DecodeError::BadItem {
                what: "a msghdr is cut short",
                ..
            })
        ));
    }

    /// The bytes of a skeleton struct (repr(C) plain integers), as the
    /// kernel side writes it.
    fn bytes_of<T>(v: &T) -> Vec<u8> {
        // SAFETY: T is one of the skeleton's repr(C) structs of integers.
        unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
    }

    /// The id of `event` and the index of its argument `name`, from the catalog.
    fn arg(event: &str, name: &str) -> (u32, u8) {
        let def = catalog::by_name(event).unwrap();
        let i = def.args.iter().position(|a| a.name == name).unwrap();
        (def.id, i as u8)
    }

    #[test]
    fn every_data_item_kind_decodes_to_its_value() {
        use types::tracee_arg_kind as K;
        let kind = |k: types::tracee_arg_kind| k.0;
        // execve: a user string, an array with an element that could not be
        // read (its address in its place), the record flagged
        let (execve, pathname) = arg("execve", "pathname");
        let (_, argv) = arg("execve", "argv");
        let gone = 0x7ffd_0000_2f10u64.to_ne_bytes();
        let mut exec = record_items(
            execve,
            &[
                (pathname, kind(K::ARG_STR), "/tmp/données".as_bytes()),
                (argv, kind(K::ARG_STR_ARRAY), b"sh"),
                (argv, kind(K::ARG_UNREADABLE), &gone),
                (argv, kind(K::ARG_STR_ARRAY), b"-c"),
            ],
        );
        let flags = FLAG_TRUNCATED | FLAG_UNREADABLE;
        let at = std::mem::offset_of!(types::event_header, flags);
        exec[at..at + 2].copy_from_slice(&flags.to_ne_bytes());
        // sockaddrs, kept as the kernel copied them, each of its argument:
        // AF_INET 10.0.0.1:443 (linux/in.h), an AF_UNIX abstract name with a NUL
        let inet = [2, 0, 0x01, 0xbb, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let unix = b"\x01\x00\x00ab\x00c";
        let (dup, remote) = arg("socket_dup", "remote_addr");
        let (_, local) = arg("socket_dup", "local_addr");
        let socket_dup = record_items(
            dup,
            &[
                (remote, kind(K::ARG_SOCKADDR), &inet),
                (local, kind(K::ARG_SOCKADDR), unix),
            ],
        );
        // struct __kernel_timespec: two s64 (linux/time_types.h), signed
        let (sleep, rqtp) = arg("clock_nanosleep", "rqtp");
        let (_, rmtp) = arg("clock_nanosleep", "rmtp");
        let ts = |sec: i64, nsec: i64| [sec.to_le_bytes(), nsec.to_le_bytes()].concat();
        let (t1, t2) = (ts(1_700_000_000, 5), ts(-1, 999_999_999));
        let nanosleep = record_items(
            sleep,
            &[
                (rqtp, kind(K::ARG_TIMESPEC), &t1),
                (rmtp, kind(K::ARG_TIMESPEC), &t2),
            ],
        );
        // a buffer's first bytes
        let (write_id, buf_arg) = arg("write", "buf");
        let write = record_items(write_id, &[(buf_arg, kind(K::ARG_BYTES), b"\x7fELF\x02")]);
        // struct msghdr_item then msg_name's bytes; none where the call failed
        let (sendmsg_id, msg_arg) = arg("sendmsg", "msg");
        let (recvmsg_id, _) = arg("recvmsg", "msg");
        let fields = types::msghdr_item {
            msg_name: 0x7ffd_0000_7000,
            msg_iovlen: 2,
            msg_controllen: 1 << 32,
            msg_namelen: inet.len() as u32,
            msg_flags: 0x40,
        };
        let mut named = bytes_of(&fields);
        named.extend_from_slice(&inet);
        let unnamed = bytes_of(&fields);
        let sendmsg = record_items(sendmsg_id, &[(msg_arg, kind(K::ARG_MSGHDR), &named)]);
        let recvmsg = record_items(recvmsg_id, &[(msg_arg, kind(K::ARG_MSGHDR), &unnamed)]);
        // past the record's six: integers and a kernel string
        let (exec_id, interp_path) = arg("sched_process_exec", "interpreter_pathname");
        let (_, interp_inode) = arg("sched_process_exec", "interpreter_inode");
        let (_, old_pid) = arg("sched_process_exec", "old_pid");
        let inode = 0x100_0000_0005u64.to_ne_bytes();
        let pid = 4244u64.to_ne_bytes();
        let sched = record_items(
            exec_id,
            &[
                (
                    interp_path,
                    kind(K::ARG_KSTR),
                    b"/lib64/ld-linux-x86-64.so.2",
                ),
                (interp_inode, kind(K::ARG_VALUE), &inode),
                (old_pid, kind(K::ARG_VALUE), &pid),
            ],
        );

        let batch = [exec, socket_dup, nanosleep, write, sendmsg, recvmsg, sched].concat();
        let events: Vec<Event> = Records::new(&batch).map(|r| r.unwrap()).collect();
        let [exec, dup, sleep, write, sent, failed, sched] = &events[..] else {
            panic!("{} events", events.len())
        };

        assert_eq!(exec.name(), "execve");
        assert_eq!(exec.header.flags, FLAG_TRUNCATED | FLAG_UNREADABLE);
        assert_eq!(exec.string("pathname"), Some("/tmp/données"));
        assert_eq!(exec.string_array(argv), ["sh", "0x7ffd00002f10", "-c"]);
        assert_eq!(exec.unreadable, [(argv, 0x7ffd_0000_2f10)]);
        assert_eq!(exec.string_arg(argv), None);

        assert_eq!(
            dup.sockaddrs,
            [(remote, inet.to_vec()), (local, unix.to_vec())]
        );
        assert!(dup.strings.is_empty() && dup.timespecs.is_empty());

        assert_eq!(
            sleep.timespecs,
            [(rqtp, (1_700_000_000, 5)), (rmtp, (-1, 999_999_999))]
        );
        assert_eq!(write.bytes, [(buf_arg, b"\x7fELF\x02".to_vec())]);
        assert_eq!(sent.msghdrs, [(msg_arg, named)]);
        assert_eq!(failed.msghdrs, [(msg_arg, unnamed)]);

        assert_eq!(
            sched.string_arg(interp_path),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(sched.int_arg(interp_inode.into()), Some(0x100_0000_0005));
        assert_eq!(sched.int_arg(old_pid.into()), Some(4244));
        assert_eq!(
            sched.values,
            [(interp_inode, 0x100_0000_0005), (old_pid, 4244)]
        );

        // invalid UTF-8 in a user string: replaced, never an error
        let buf = record_items(execve, &[(pathname, kind(K::ARG_STR), b"/tmp/\xff")]);
        assert_eq!(
            decode(&buf).unwrap().0.string("pathname"),
            Some("/tmp/\u{fffd}")
        );
        // a timespec is 16 bytes
        let buf = record_items(
            sleep.header.event_id,
            &[(rqtp, kind(K::ARG_TIMESPEC), &t1[..12])],
        );
        assert!(matches!(
            decode(&buf),
            Err(DecodeError::BadItem {
                what: "a timespec is 16 bytes",
                ..
            })
        ));
    }

    #[test]
    fn iterates_a_batch_of_records() {
        let mut buf = record(257, &[(1, b"/a")]);
        buf.extend(record(1003, &[(0, b"/bin/true")]));
        buf.extend(record(39, &[]));
        let names: Vec<_> = Records::new(&buf).map(|r| r.unwrap().name()).collect();
        assert_eq!(names, ["openat", "sched_process_exec", "getpid"]);
    }

    #[test]
    fn truncated_records_are_errors() {
        let buf = record(257, &[(1, b"/etc/passwd")]);
        for cut in [0, 1, FIXED_SIZE - 1, FIXED_SIZE, buf.len() - 1] {
            assert!(
                matches!(decode(&buf[..cut]), Err(DecodeError::Truncated { .. })),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn corrupt_records_are_errors_not_panics() {
        // declared size below the fixed part
        let mut buf = record(257, &[]);
        buf[offset_of_size()..offset_of_size() + 2].copy_from_slice(&10u16.to_ne_bytes());
        assert_eq!(decode(&buf).unwrap_err(), DecodeError::BadSize { size: 10 });

        // a string length that runs past the record
        let mut buf = record(257, &[(1, b"abc")]);
        buf[FIXED_SIZE + 2..FIXED_SIZE + 4].copy_from_slice(&400u16.to_ne_bytes());
        assert!(matches!(
            decode(&buf),
            Err(DecodeError::BadItem {
                what: "string runs past the record",
                ..
            })
        ));

        // an argument index past any event's arguments (tracee.h MAX_EVENT_ARGS)
        let mut buf = record(257, &[(1, b"abc")]);
        buf[FIXED_SIZE] = MAX_EVENT_ARGS as u8;
        assert!(matches!(
            decode(&buf),
            Err(DecodeError::BadItem {
                what: "argument index out of range",
                ..
            })
        ));

        // an item header cut short: two stray bytes counted into the record
        let mut buf = record(257, &[]);
        buf.extend([0, 0]);
        let size = (FIXED_SIZE + 2) as u16;
        buf[offset_of_size()..offset_of_size() + 2].copy_from_slice(&size.to_ne_bytes());
        assert!(matches!(
            decode(&buf),
            Err(DecodeError::BadItem {
                what: "item header cut short",
                ..
            })
        ));

        // a batch stops at the first bad record
        let mut batch = record(257, &[]);
        batch.extend([1, 2, 3]);
        let results: Vec<_> = Records::new(&batch).collect();
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok() && results[1].is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        // xorshift: deterministic noise, including valid-looking sizes
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 400) as usize;
            let mut buf: Vec<u8> = (0..len).map(|i| (x >> (i % 56)) as u8).collect();
            if len >= FIXED_SIZE {
                let size = (FIXED_SIZE + (x as usize >> 8) % (len - FIXED_SIZE + 8)) as u16;
                buf[offset_of_size()..offset_of_size() + 2].copy_from_slice(&size.to_ne_bytes());
            }
            for r in Records::new(&buf) {
                let _ = r;
            }
        }
    }

    fn offset_of_size() -> usize {
        std::mem::offset_of!(types::event_header, size)
    }
}
