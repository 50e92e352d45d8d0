//! Load, select, attach, poll: the life of one trace.
//!
//! Everything the kernel holds for a trace (object, maps, links) is created
//! and dropped on the poll thread, so stopping that thread is what detaches
//! it: there is no path on which a program stays attached after `stop`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use crossbeam_channel::{bounded, Receiver, SendTimeoutError, Sender};
use libbpf_rs::{Link, Map, MapCore, MapFlags, Object, ObjectBuilder, PerfBufferBuilder, RingBufferBuilder};

use crate::bpf::types;
use crate::btf::{self, BtfSource, Decision, ObjectSource};
use crate::catalog::{ArgKind, EventDef};
use crate::{catalog, libbpf_log, privileges, Error};

/// Highest event id + 1 (`MAX_EVENT_ID` in bpf/tracee.h).
const MAX_EVENT_ID: usize = 2048;

/// The CO-RE object built from bpf/ (crates/tracee-core/build.rs).
pub(crate) static BPF_OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tracee.bpf.o"));

/// What to trace and how to deliver it.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    /// Event names and set names (see [`catalog::resolve`]).
    pub events: Vec<String>,
    /// Size of the kernel ring buffer; a power of two, at least a page.
    pub ring_buffer_bytes: u32,
    /// A batch is handed over once it holds this many records...
    pub batch_events: u32,
    /// ...or this many bytes...
    pub batch_bytes: usize,
    /// ...or this long has passed: the bound on delivery latency.
    pub flush_interval: Duration,
    /// Batches waiting for the consumer. When they are all taken the poll
    /// thread waits, the kernel ring fills, and the kernel counts the loss:
    /// memory stays bounded and no record is dropped silently.
    pub queue_batches: usize,
    /// Use a perf event array even where the kernel has a BPF ring buffer
    /// (it is used anyway on kernels before 5.8, which have none).
    pub perf_buffer: bool,
    /// Use the legacy programs even where the kernel has global data (they
    /// are used anyway on kernels before 5.2, which have none).
    pub legacy_programs: bool,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            events: vec!["default".into()],
            ring_buffer_bytes: 8 << 20,
            batch_events: 4096,
            batch_bytes: 1 << 20,
            flush_interval: Duration::from_millis(20),
            queue_batches: 8,
            perf_buffer: false,
            legacy_programs: false,
        }
    }
}

/// Raw records, back to back, each starting with its `event_header` (whose
/// `size` gives its length). Decode with [`crate::Records`].
#[derive(Debug, Default)]
pub struct Batch {
    pub data: Vec<u8>,
    pub events: u32,
}

/// What a running trace is made of, for the "attached" line and `btf info`.
#[derive(Debug, Clone)]
pub struct TracerInfo {
    pub events: Vec<&'static str>,
    /// Where each attached program attaches, e.g. `raw_tracepoint/sys_enter`.
    pub programs: Vec<String>,
    /// Where CO-RE relocations were resolved from.
    pub btf: String,
    /// Which object and BTF were chosen, and why.
    pub decision: Decision,
    pub ring_buffer_bytes: u32,
    /// How records reach user space, and why that way.
    pub transport: String,
    /// Selected events this kernel cannot provide, and why.
    pub disabled: Vec<Disabled>,
}

/// Counters of a trace; `lost` is exact (failed ring-buffer writes).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub received: u64,
    pub lost: u64,
    pub batches: u64,
    /// (event name, records received), for events with at least one.
    pub per_event: Vec<(&'static str, u64)>,
}

struct Shared {
    received: AtomicU64,
    lost: AtomicU64,
    batches: AtomicU64,
    per_event: Box<[AtomicU64]>,
}

/// A running trace. Dropping it stops it.
pub struct Tracer {
    info: TracerInfo,
    batches: Receiver<Batch>,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Result<(), Error>>>,
}

impl Tracer {
    /// Loads, attaches and starts polling; returns once every program is
    /// attached, or with the reason nothing is.
    pub fn start(opts: TraceOptions) -> Result<Tracer, Error> {
        let events = catalog::resolve(&opts.events)?;
        let decision = btf::decide(&btf::Environment::read(), btf::embedded()?)?;
        if let BtfSource::File(path) = &decision.btf {
            btf::check_btf_header(path).map_err(|cause| Error::BtfFile { path: path.clone(), cause })?;
        }
        privileges::check()?;
        let legacy = opts.legacy_programs || global_data_supported() == Some(false);
        let transport = match (legacy, opts.perf_buffer, ring_buffer_supported()) {
            (true, _, _) if opts.legacy_programs => Transport::PerfBuffer("perf buffer, legacy programs (forced)"),
            (true, _, _) => Transport::PerfBuffer("perf buffer, legacy programs (this kernel has no BPF global data)"),
            (false, true, _) => Transport::PerfBuffer("perf buffer (forced)"),
            (false, false, Some(false)) => Transport::PerfBuffer("perf buffer (this kernel has no BPF ring buffer)"),
            (false, false, _) => Transport::RingBuffer,
        };
        libbpf_log::install();

        let (tx, rx) = bounded(opts.queue_batches.max(1));
        let (ready_tx, ready_rx) = bounded(1);
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            received: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            per_event: (0..MAX_EVENT_ID).map(|_| AtomicU64::new(0)).collect(),
        });
        let thread = {
            let (stop, shared) = (stop.clone(), shared.clone());
            std::thread::Builder::new()
                .name("tracee-poll".into())
                .spawn(move || run(&opts, &events, &decision, transport, legacy, &tx, &ready_tx, &stop, &shared))
                .map_err(|e| Error::Thread { cause: e.to_string() })?
        };
        match ready_rx.recv() {
            Ok(Ok(info)) => Ok(Tracer { info, batches: rx, stop, shared, thread: Some(thread) }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(Error::Thread { cause: join_cause(thread) }),
        }
    }

    pub fn info(&self) -> &TracerInfo {
        &self.info
    }

    /// Batches in arrival order; disconnected once the trace has stopped.
    pub fn batches(&self) -> &Receiver<Batch> {
        &self.batches
    }

    pub fn stats(&self) -> Stats {
        let s = &self.shared;
        let per_event = s
            .per_event
            .iter()
            .enumerate()
            .filter_map(|(id, n)| {
                let n = n.load(Ordering::Relaxed);
                (n > 0).then(|| (catalog::by_id(id as u32).map_or("unknown", |d| d.name), n))
            })
            .collect();
        Stats {
            received: s.received.load(Ordering::Relaxed),
            lost: s.lost.load(Ordering::Relaxed),
            batches: s.batches.load(Ordering::Relaxed),
            per_event,
        }
    }

    /// Detaches every program and frees every map; idempotent. Returns the
    /// error that ended the poll thread, if one did.
    pub fn stop(&mut self) -> Result<(), Error> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take() {
            Some(t) => match t.join() {
                Ok(r) => r,
                Err(p) => Err(Error::Thread { cause: panic_message(&p) }),
            },
            None => Ok(()),
        }
    }

    /// True once the poll thread has ended (stopped, or failed).
    pub fn is_stopped(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// How records cross to user space.
#[derive(Debug, Clone, Copy)]
enum Transport {
    RingBuffer,
    /// With the reason it is used.
    PerfBuffer(&'static str),
}

/// Whether the kernel has global data (read-only array maps, 5.2+), which
/// `.rodata` needs; None if the probe could not tell (e.g. no privileges).
fn global_data_supported() -> Option<bool> {
    use libbpf_rs::libbpf_sys as sys;
    let opts = sys::bpf_map_create_opts {
        sz: std::mem::size_of::<sys::bpf_map_create_opts>() as _,
        map_flags: sys::BPF_F_RDONLY_PROG,
        ..Default::default()
    };
    // SAFETY: creates a 1-entry array map, closed right away.
    let fd = unsafe { sys::bpf_map_create(sys::BPF_MAP_TYPE_ARRAY, std::ptr::null(), 4, 4, 1, &opts) };
    if fd >= 0 {
        // SAFETY: fd was just returned to us.
        unsafe { libc::close(fd) };
        return Some(true);
    }
    match -fd {
        libc::EINVAL => Some(false),
        _ => None,
    }
}

/// Whether the kernel has BPF ring buffers (5.8+); None if the probe failed.
fn ring_buffer_supported() -> Option<bool> {
    // SAFETY: a plain feature probe; NULL options are allowed.
    let r = unsafe {
        libbpf_rs::libbpf_sys::libbpf_probe_bpf_map_type(libbpf_rs::libbpf_sys::BPF_MAP_TYPE_RINGBUF, std::ptr::null())
    };
    match r {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    }
}

/// Whether raw tracepoint programs may call `helper` on this kernel. A
/// failed probe (e.g. no privileges) counts as yes: loading will say why.
fn helper_supported(helper: libbpf_rs::libbpf_sys::bpf_func_id) -> bool {
    // SAFETY: a plain feature probe; NULL options are allowed.
    let r = unsafe {
        libbpf_rs::libbpf_sys::libbpf_probe_bpf_helper(libbpf_rs::libbpf_sys::BPF_PROG_TYPE_RAW_TRACEPOINT, helper, std::ptr::null())
    };
    r != 0
}

/// The length of the record at the start of `data`: perf buffer samples
/// are padded to 8 bytes, ring buffer samples are exact.
fn record_len(data: &[u8]) -> usize {
    let off = std::mem::offset_of!(types::event_header, size);
    match data.get(off..off + 2) {
        Some(b) => (u16::from_ne_bytes([b[0], b[1]]) as usize).clamp(1, data.len()),
        None => data.len(),
    }
}

/// Accumulates raw records into the batch being built.
struct Batcher {
    batch: Batch,
    /// Event id of each record in the batch, counted once it is delivered.
    ids: Vec<u32>,
    max_events: u32,
    max_bytes: usize,
}

impl Batcher {
    fn push(&mut self, data: &[u8]) {
        let record = &data[..record_len(data)];
        self.batch.data.extend_from_slice(record);
        self.batch.events += 1;
        let off = std::mem::offset_of!(types::event_header, event_id);
        let id = record.get(off..off + 4).map_or(u32::MAX, |b| u32::from_ne_bytes(b.try_into().unwrap()));
        self.ids.push(id);
    }

    fn full(&self) -> bool {
        self.batch.events >= self.max_events || self.batch.data.len() >= self.max_bytes
    }

    /// Hands the batch to the consumer, waiting while the queue is full (up
    /// to `patience` once stopping). Counts what was delivered; false when
    /// the batch could not be delivered.
    fn deliver(&mut self, tx: &Sender<Batch>, stop: &AtomicBool, shared: &Shared, patience: Duration) -> bool {
        if self.batch.events == 0 {
            return true;
        }
        let cap = self.batch.data.capacity();
        let mut batch = std::mem::replace(&mut self.batch, Batch { data: Vec::with_capacity(cap), events: 0 });
        let deadline = std::time::Instant::now() + patience;
        let delivered = loop {
            match tx.send_timeout(batch, Duration::from_millis(50)) {
                Ok(()) => break true,
                Err(SendTimeoutError::Timeout(b)) if !stop.load(Ordering::Relaxed) || std::time::Instant::now() < deadline => {
                    batch = b
                }
                Err(_) => break false,
            }
        };
        if delivered {
            shared.batches.fetch_add(1, Ordering::Relaxed);
            shared.received.fetch_add(self.ids.len() as u64, Ordering::Relaxed);
            for &id in &self.ids {
                if let Some(n) = shared.per_event.get(id as usize) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.ids.clear();
        delivered
    }
}

/// How long a stopping trace waits for its consumer to take the last batch.
const FINAL_PATIENCE: Duration = Duration::from_millis(200);

/// The poll thread: everything the kernel holds for this trace lives here.
fn run(
    opts: &TraceOptions,
    events: &[&'static EventDef],
    decision: &Decision,
    transport: Transport,
    legacy: bool,
    tx: &Sender<Batch>,
    ready: &Sender<Result<TracerInfo, Error>>,
    stop: &AtomicBool,
    shared: &Shared,
) -> Result<(), Error> {
    let (obj, links, info) = match load_and_attach(opts, events, decision, transport, legacy) {
        Ok(v) => v,
        Err(e) => {
            let _ = ready.send(Err(e));
            return Ok(());
        }
    };

    let batcher = Rc::new(RefCell::new(Batcher {
        batch: Batch { data: Vec::with_capacity(opts.batch_bytes + 16 * 1024), events: 0 },
        ids: Vec::with_capacity(opts.batch_events as usize),
        max_events: opts.batch_events.max(1),
        max_bytes: opts.batch_bytes.max(1),
    }));
    let lost_map = find_map(&obj, "lost")?;
    let on_record = |record: &[u8]| -> bool {
        let mut b = batcher.borrow_mut();
        b.push(record);
        // false: stopping, leave the rest in the kernel
        !b.full() || b.deliver(tx, stop, shared, Duration::ZERO)
    };
    let poller = match transport {
        Transport::RingBuffer => {
            let events_map = find_map(&obj, "events")?;
            let mut builder = RingBufferBuilder::new();
            let built = builder
                .add(&events_map, move |record: &[u8]| if on_record(record) { 0 } else { -1 })
                .map(|_| ())
                .and_then(|_| builder.build());
            built.map(Poller::Ring)
        }
        Transport::PerfBuffer(_) => {
            let perf_map = find_map(&obj, "perf_events")?;
            let cpus = libbpf_rs::num_possible_cpus().unwrap_or(1).max(1);
            let pages = ((opts.ring_buffer_bytes as usize / 4096) / cpus).max(1).next_power_of_two();
            PerfBufferBuilder::new(&perf_map)
                .pages(pages)
                .sample_cb(move |_cpu, record: &[u8]| {
                    on_record(record);
                })
                .build()
                .map(Poller::Perf)
        }
    };
    let poller = match poller {
        Ok(p) => p,
        Err(e) => {
            let _ = ready.send(Err(Error::Load { cause: format!("{transport:?}: {e}"), log: libbpf_log::take() }));
            return Ok(());
        }
    };
    if ready.send(Ok(info)).is_err() {
        return Ok(());
    }

    let mut result = Ok(());
    while !stop.load(Ordering::Relaxed) {
        // The kernel side wakes us only once the ring is a quarter full; the
        // timeout bounds latency below that, and consume() drains the rest.
        let polled = poller.poll(opts.flush_interval);
        if let Err(e) = polled {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if e.kind() != libbpf_rs::ErrorKind::Interrupted {
                result = Err(Error::Poll { cause: e.to_string() });
                break;
            }
        }
        if !batcher.borrow_mut().deliver(tx, stop, shared, Duration::ZERO) {
            break;
        }
        shared.lost.store(read_lost(&lost_map), Ordering::Relaxed);
    }
    // Records already taken from the ring reach the consumer if it still reads.
    batcher.borrow_mut().deliver(tx, stop, shared, FINAL_PATIENCE);
    shared.lost.store(read_lost(&lost_map), Ordering::Relaxed);
    drop(poller);
    drop(links);
    drop(obj);
    result
}

/// Drains records from the kernel, whichever way they come.
enum Poller<'a> {
    Ring(libbpf_rs::RingBuffer<'a>),
    Perf(libbpf_rs::PerfBuffer<'a>),
}

impl Poller<'_> {
    fn poll(&self, timeout: Duration) -> libbpf_rs::Result<()> {
        match self {
            // The kernel side wakes us only once the ring is a quarter full;
            // the timeout bounds latency below that, and consume() drains the rest.
            Poller::Ring(r) => r.poll(timeout).and_then(|_| r.consume()),
            Poller::Perf(p) => p.poll(timeout),
        }
    }
}

fn find_map<'o>(obj: &'o Object, name: &str) -> Result<Map<'o>, Error> {
    obj.maps()
        .find(|m| m.name() == name)
        .ok_or_else(|| Error::Load { cause: format!("the object has no map '{name}'"), log: String::new() })
}

/// The BTF bytes in a memfd, for libbpf's `btf_custom_path`: no file on
/// disk to clean up, gone when the fd is closed.
fn memfd_with(bytes: &[u8]) -> Result<OwnedFd, Error> {
    let fail = |what: &str| Error::Load { cause: format!("{what}: {}", std::io::Error::last_os_error()), log: String::new() };
    // The raw syscall: glibc has a wrapper only since 2.27, and the binary
    // targets older ones. SAFETY: the name is a NUL-terminated literal.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, c"tracee-btf".as_ptr(), libc::MFD_CLOEXEC) } as i32;
    if fd < 0 {
        return Err(fail("memfd_create"));
    }
    // SAFETY: fd was just created and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut file = std::fs::File::from(fd.try_clone().map_err(|_| fail("dup"))?);
    std::io::Write::write_all(&mut file, bytes).map_err(|_| fail("write memfd"))?;
    Ok(fd)
}

fn load_and_attach(
    opts: &TraceOptions,
    events: &[&'static EventDef],
    decision: &Decision,
    transport: Transport,
    legacy: bool,
) -> Result<(Object, Vec<Link>, TracerInfo), Error> {
    let perf = matches!(transport, Transport::PerfBuffer(_));
    // Held until load() has resolved the CO-RE relocations.
    let mut _memfd = None;
    let custom_btf: Option<PathBuf> = match &decision.btf {
        BtfSource::Kernel(_) => None,
        BtfSource::File(path) => Some(path.clone()),
        BtfSource::Embedded(key) => {
            let bytes = btf::embedded()?.get(key).ok_or_else(|| Error::Archive { cause: format!("{key} vanished") })?;
            let fd = memfd_with(bytes)?;
            let path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
            _memfd = Some(fd);
            Some(path)
        }
    };
    // Load only the programs the selection needs.
    let needed = |prog: &str| events.iter().any(|e| serves(prog, e));
    // A program the kernel rejects (a field renamed or missing in this
    // kernel) disables only the events that need it: reopen without it and
    // load again, until what is left loads or nothing selected is left.
    let mut disabled: Vec<Disabled> = Vec::new();
    let mut first_error = None;
    let obj = loop {
        let off: Vec<&str> = disabled.iter().flat_map(|d| d.programs.iter().copied()).collect();
        let enabled = |prog: &str| needed(prog) && !off.contains(&prog);
        // the object's names: the base name, or with _legacy
        let load = |actual: &str| match actual.strip_suffix("_legacy") {
            Some(base) => legacy && enabled(base),
            None => !legacy && enabled(actual),
        };
        if !PROGRAMS.iter().any(|p| enabled(p)) {
            // nothing selected can load here: the first failure explains it
            return Err(btf_file_error(first_error.expect("a failure disabled them"), decision));
        }
        let err = match open_and_load(custom_btf.as_deref(), opts, decision, perf, legacy, &load) {
            Ok(obj) => break obj,
            Err(err) => err,
        };
        let group = match &err {
            Error::Verifier { program, .. } => {
                program_group(program.strip_suffix("_legacy").unwrap_or(program)).filter(|g| enabled(g[0]))
            }
            _ => None,
        };
        let Some(group) = group else { return Err(btf_file_error(err, decision)) };
        let events_of_group = events.iter().filter(|e| group.iter().any(|p| serves(p, e))).map(|e| e.name).collect();
        disabled.push(Disabled { programs: group, events: events_of_group, reason: disabled_reason(&err, decision) });
        first_error.get_or_insert(err);
    };
    let active = |prog: &str| needed(prog) && !disabled.iter().any(|d| d.programs.contains(&prog));
    let events: Vec<&'static EventDef> =
        events.iter().copied().filter(|e| !disabled.iter().any(|d| d.events.contains(&e.name))).collect();

    if legacy {
        // what .rodata says to the other programs
        let settings = find_map(&obj, "legacy_settings")?;
        settings
            .update(&0u32.to_ne_bytes(), &std::process::id().to_ne_bytes(), MapFlags::ANY)
            .map_err(|err| Error::Load { cause: format!("legacy_settings: {err}"), log: String::new() })?;
    }
    let configs = find_map(&obj, "event_configs")?;
    for e in &events {
        let cfg = event_config(e);
        // SAFETY: event_config is repr(C), integers only, no implicit padding.
        let value = unsafe {
            std::slice::from_raw_parts((&cfg as *const types::event_config).cast::<u8>(), size_of_val(&cfg))
        };
        configs
            .update(&e.id.to_ne_bytes(), value, MapFlags::ANY)
            .map_err(|err| Error::Load { cause: format!("selecting {}: {err}", e.name), log: String::new() })?;
    }

    // Attach in a fixed order; any failure drops what was attached.
    let mut links = Vec::new();
    let mut programs = Vec::new();
    for base in PROGRAMS {
        if !active(base) {
            continue;
        }
        let prog_name = if legacy { format!("{base}_legacy") } else { base.to_string() };
        let prog = obj
            .progs_mut()
            .find(|p| p.name() == prog_name.as_str())
            .ok_or_else(|| Error::Load { cause: format!("the object has no program {prog_name}"), log: String::new() })?;
        // where it attaches is its section name, e.g. raw_tracepoint/sys_enter
        let attach_point = prog.section().to_string_lossy().into_owned();
        let link = prog.attach().map_err(|e| Error::Attach { program: attach_point.clone(), cause: e.to_string() })?;
        links.push(link);
        programs.push(attach_point);
    }

    let info = TracerInfo {
        disabled,
        events: events.iter().map(|e| e.name).collect(),
        programs,
        btf: decision.btf.to_string(),
        decision: decision.clone(),
        ring_buffer_bytes: opts.ring_buffer_bytes,
        transport: match transport {
            Transport::RingBuffer => "BPF ring buffer".into(),
            Transport::PerfBuffer(why) => why.into(),
        },
    };
    Ok((obj, links, info))
}

/// The object's programs (each also as `<name>_legacy`), in attach order.
const PROGRAMS: [&str; 5] =
    ["tracee_sys_enter", "tracee_sys_exit", "tracee_sched_process_fork", "tracee_sched_process_exec", "tracee_sched_process_exit"];

/// Programs that only work together: a syscall needs both halves.
fn program_group(program: &str) -> Option<Vec<&'static str>> {
    match program {
        "tracee_sys_enter" | "tracee_sys_exit" => Some(vec!["tracee_sys_enter", "tracee_sys_exit"]),
        p => PROGRAMS.iter().find(|name| **name == p).map(|name| vec![*name]),
    }
}

/// Whether `program` is needed for event `e`: the one rule of which
/// program serves which event (bpf/tracee.bpf.c's entry points).
fn serves(program: &str, e: &EventDef) -> bool {
    match program {
        // only what must be caught at entry: exit's no-return, execve's strings
        "tracee_sys_enter" => e.syscall && (e.noreturn || e.strings_at_entry),
        // every other syscall is reported from sys_exit alone
        "tracee_sys_exit" => e.syscall && !e.noreturn,
        // tracee_sched_process_exec serves sched_process_exec, and so on
        p => p.strip_prefix("tracee_") == Some(e.name),
    }
}

/// Events switched off because their program could not load here.
#[derive(Debug, Clone)]
pub struct Disabled {
    pub programs: Vec<&'static str>,
    pub events: Vec<&'static str>,
    pub reason: String,
}

fn disabled_reason(err: &Error, decision: &Decision) -> String {
    match err {
        Error::Verifier { program, cause, log } => match unresolved_field(log) {
            Some(field) => format!("{program}: {field} is not in this kernel's BTF ({})", decision.btf),
            None => format!("{program}: rejected by the verifier: {cause}"),
        },
        other => other.to_string(),
    }
}

/// "failed to resolve CO-RE relocation <byte_off> [408] struct pt_regs.di (0:14 @ offset 112)"
fn unresolved_field(log: &str) -> Option<String> {
    log.lines()
        .find_map(|l| l.split_once("failed to resolve CO-RE relocation"))
        .map(|(_, rest)| rest.split_once("] ").map_or(rest, |(_, f)| f).split(" (").next().unwrap_or("").trim().to_string())
}

/// A BTF given in TRACEE_BTF_FILE that fails CO-RE is that file's fault.
fn btf_file_error(err: Error, decision: &Decision) -> Error {
    match (&decision.btf, err) {
        (BtfSource::File(path), Error::Verifier { log, .. } | Error::Load { log, .. }) if log.contains("CO-RE relocat") => {
            let field = unresolved_field(&log).unwrap_or_else(|| "a type or field the programs read".into());
            Error::BtfFile {
                path: path.clone(),
                cause: format!("it does not describe this kernel: {field} is not in it (libbpf could not resolve that CO-RE relocation)"),
            }
        }
        (BtfSource::File(path), Error::Load { cause, .. }) => Error::BtfFile { path: path.clone(), cause: format!("libbpf cannot use it: {cause}") },
        (_, err) => err,
    }
}

/// Opens the object, sets what user space decides before load, and loads
/// the programs `enabled` says.
fn open_and_load(
    custom_btf: Option<&std::path::Path>,
    opts: &TraceOptions,
    decision: &Decision,
    perf: bool,
    legacy: bool,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Object, Error> {
    libbpf_log::take();
    let mut builder = ObjectBuilder::default();
    if let Some(path) = custom_btf {
        builder.btf_custom_path(path).map_err(load_error)?;
    }
    let mut open = match &decision.object {
        ObjectSource::Embedded => builder.open_memory(BPF_OBJECT).map_err(load_error)?,
        ObjectSource::File(path) => builder
            .open_file(path)
            .map_err(|e| Error::BpfFile { path: path.clone(), cause: format!("libbpf cannot open it: {e}") })?,
    };

    for mut map in open.maps_mut() {
        let name = map.name().to_string_lossy().into_owned();
        if name == "btf_anchor" || (legacy && name.ends_with(".rodata")) || (!legacy && name == "legacy_settings") {
            // only for BTF, or for the other set of programs
            map.set_autocreate(false).map_err(load_error)?;
        } else if name.ends_with(".rodata") {
            let init = map.initial_value_mut().ok_or_else(|| Error::Load { cause: ".rodata has no initial value".into(), log: String::new() })?;
            // The layout of .rodata is the skeleton's: an object whose
            // .rodata differs was not built from this tree's bpf/.
            // (the Rust struct may carry trailing padding the section lacks)
            let needed = std::mem::offset_of!(types::rodata, has_ktime_boot) + 1;
            if init.len() < needed || init.len() > std::mem::size_of::<types::rodata>() {
                let cause = format!(".rodata is {} bytes, this version's is {needed}", init.len());
                return Err(match &decision.object {
                    ObjectSource::File(path) => Error::BpfFile { path: path.clone(), cause },
                    ObjectSource::Embedded => Error::Load { cause, log: String::new() },
                });
            }
            let mut put = |offset: usize, bytes: &[u8]| init[offset..offset + bytes.len()].copy_from_slice(bytes);
            // The tracer's own threads (poll, napi, node) would trace themselves.
            put(std::mem::offset_of!(types::rodata, self_tgid), &std::process::id().to_ne_bytes());
            put(std::mem::offset_of!(types::rodata, wakeup_bytes), &u64::from(opts.ring_buffer_bytes / 4).to_ne_bytes());
            put(std::mem::offset_of!(types::rodata, use_perf_buffer), &[u8::from(perf)]);
            put(std::mem::offset_of!(types::rodata, has_ktime_boot), &[u8::from(helper_supported(libbpf_rs::libbpf_sys::BPF_FUNC_ktime_get_boot_ns))]);
        } else if name == "events" {
            if perf {
                // never created: kernels before 5.8 cannot
                map.set_autocreate(false).map_err(load_error)?;
            } else {
                map.set_max_entries(opts.ring_buffer_bytes).map_err(load_error)?;
            }
        }
    }

    for mut prog in open.progs_mut() {
        let name = prog.name().to_string_lossy().into_owned();
        prog.set_autoload(enabled(&name));
    }
    open.load().map_err(load_error)
}

fn event_config(e: &EventDef) -> types::event_config {
    let mut cfg = types::event_config { policies: 1, ..Default::default() };
    for (i, a) in e.args.iter().enumerate() {
        if a.kind == ArgKind::Str {
            cfg.arg_kinds[i] = types::tracee_arg_kind::ARG_STR.0 as u8;
        }
    }
    if e.noreturn {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_NORETURN.0 as u8;
    }
    if e.strings_at_entry {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_STR_AT_ENTRY.0 as u8;
    }
    cfg
}

fn read_lost(lost: &Map<'_>) -> u64 {
    match lost.lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY) {
        Ok(Some(per_cpu)) => per_cpu
            .iter()
            .filter_map(|v| v.get(..8).map(|b| u64::from_ne_bytes(b.try_into().unwrap())))
            .sum(),
        _ => 0,
    }
}

/// Turns a libbpf failure into the error that explains it, using what
/// libbpf printed (the verifier log above all).
fn load_error(e: libbpf_rs::Error) -> Error {
    let log = libbpf_log::take();
    if e.kind() == libbpf_rs::ErrorKind::PermissionDenied {
        return Error::Privileges { missing: format!("the kernel refused: {e}") };
    }
    if let Some(start) = log.find("-- BEGIN PROG LOAD LOG --") {
        // "libbpf: prog 'tracee_sys_enter': BPF program load failed: ..."
        let program = log
            .lines()
            .filter(|l| l.contains("load failed") || l.contains("failed to load"))
            .find_map(|l| l.split_once("prog '").and_then(|(_, r)| r.split('\'').next()))
            .unwrap_or("?")
            .to_string();
        let body = &log[start..];
        let cause = body
            .lines()
            .rev()
            .find(|l| !l.is_empty() && !l.starts_with("--") && !l.starts_with("processed") && !l.starts_with("libbpf"))
            .unwrap_or("rejected")
            .to_string();
        return Error::Verifier { program, cause, log: body.to_string() };
    }
    Error::Load { cause: e.to_string(), log }
}

fn join_cause(t: JoinHandle<Result<(), Error>>) -> String {
    match t.join() {
        Ok(Ok(())) => "exited before attaching".into(),
        Ok(Err(e)) => e.to_string(),
        Err(p) => panic_message(&p),
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into())
}
