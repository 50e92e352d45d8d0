//! Load, select, attach, poll: the life of one trace.
//!
//! Everything the kernel holds for a trace (object, maps, links) is created
//! and dropped on the poll thread, so stopping that thread is what detaches
//! it: there is no path on which a program stays attached after `stop`.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, SendTimeoutError, Sender};
use libbpf_rs::{Map, MapCore, MapFlags, Object, PerfBufferBuilder};

use crate::bpf::types;
use crate::bpf_stats::{KernelIds, ProgramStats, RingFill};
use crate::btf::{self, BtfSource, Decision};
use crate::catalog;
use crate::containers::SharedContainers;
use crate::features::{global_data_supported, helper_supported, ring_buffer_supported, Transport};
use crate::loader::{load_and_attach, map, reload, Disabled, Live, Plan};
use crate::policy::{self, EventFilters, Policy, Slots};
use crate::syscall_hooks::SyscallHookMode;
use crate::{libbpf_log, privileges, rootkit, timing, Error};

/// Highest event id + 1, from bpf/tracee.h through the object's BTF.
const MAX_EVENT_ID: usize = types::tracee_limits::MAX_EVENT_ID.0 as usize;

/// What to trace and how to deliver it.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    /// Event names and set names (see [`catalog::resolve`]): one policy
    /// over every process. Ignored when `policies` are given.
    pub events: Vec<String>,
    /// Policies (scopes, events, filters): see [`crate::policy`].
    pub policies: Vec<Policy>,
    /// Size of the kernel ring buffer; a power of two, at least a page
    /// ([`check_ring_buffer_bytes`]).
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
    /// Raw tracepoints or per-syscall tracepoints (syscall_hooks.rs).
    pub syscall_hooks: SyscallHookMode,
    /// execve's envp captured as strings, not an address (Tracee's
    /// `--output option:exec-env`): up to MAX_STR_ARRAY of them, as argv.
    pub exec_env: bool,
    /// How often the rootkit checks (hooked_syscall, hooked_proc_fops) run
    /// after the one at start, where selected (rootkit.rs).
    pub rootkit_check_interval: Duration,
    /// Where the cgroup hierarchy that tells containers is mounted (Tracee's
    /// `--enrichment container.cgroupfs.path`): cgroup2, or a v1
    /// controller's; None: cgroup2 where mounted, else cpuset's v1.
    pub cgroupfs: Option<std::path::PathBuf>,
    /// How long existing_container and container_create wait for a
    /// runtime's details of their container
    /// ([`crate::containers::ContainerTable::enrich`]) before they are sent
    /// without them; zero where no runtime is asked.
    pub enrich_wait: Duration,
    /// The policies can be replaced while the programs stay attached
    /// ([`Tracer::reload`]): the kernel side reads the scopes from a map
    /// instead of .rodata, so the verifier keeps the tests of every scope
    /// field (a few ns per event that a scoped policy selects).
    pub reloadable: bool,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            events: vec!["default".into()],
            policies: Vec::new(),
            // ~200k records without strings: a consumer stalled for 70 ms
            // (a GC pause, a busy event loop) loses nothing at 3 M events/s
            // (npm run bench). 32 MiB of RSS, mapped once (ringbuf.rs).
            // Tracee's is 4 MiB a CPU (perf buffers of 1024 pages), 8 on
            // two; 8 and 16 MiB lost records (up to 0.5 %) tracing every
            // syscall under W1 on a busy 2-CPU machine, in 30 s runs where
            // 32 lost none (npm run bench -- --sections memory, RING_MB=16).
            ring_buffer_bytes: 32 << 20,
            batch_events: 4096,
            batch_bytes: 1 << 20,
            flush_interval: Duration::from_millis(20),
            queue_batches: 8,
            perf_buffer: false,
            legacy_programs: false,
            syscall_hooks: SyscallHookMode::Auto,
            exec_env: false,
            rootkit_check_interval: crate::rootkit::DEFAULT_INTERVAL,
            enrich_wait: Duration::ZERO,
            cgroupfs: None,
            reloadable: false,
        }
    }
}

/// The largest ring: `max_entries` of a BPF map is a u32 (the kernel's own
/// limit, RINGBUF_MAX_DATA_SZ, is 64 GiB and above).
const RING_BUFFER_MAX: u64 = 1 << 31;

/// Checks a size of the kernel ring buffer ([`TraceOptions::ring_buffer_bytes`];
/// the Node binding's `ringBufferBytes`, a JavaScript number, hence f64)
/// as the kernel will: a BPF ring buffer is a power of two times the page
/// size (kernel/bpf/ringbuf.c, `ringbuf_map_alloc`: EINVAL otherwise), up
/// to 2 GiB here; the perf buffer's pages are taken from the same size.
/// Returns the size in bytes, or why not in one line: the value and the
/// nearest sizes that are.
pub fn check_ring_buffer_bytes(bytes: f64) -> Result<u32, String> {
    let page = crate::features::page_size();
    let (min, max) = (page as f64, RING_BUFFER_MAX as f64);
    if bytes.is_finite()
        && bytes.fract() == 0.0
        && (min..=max).contains(&bytes)
        && (bytes as u64).is_power_of_two()
    {
        return Ok(bytes as u32);
    }
    let size = |b: u64| match b {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{b} bytes ({} MiB)", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{b} bytes ({} KiB)", b >> 10),
        b => format!("{b} bytes"),
    };
    let given =
        if bytes.is_finite() && bytes.fract() == 0.0 && bytes >= 0.0 && bytes <= u64::MAX as f64 {
            size(bytes as u64)
        } else {
            format!("{bytes} bytes")
        };
    // the powers of two on either side, within [page, max]
    let clamped = if bytes.is_nan() {
        min
    } else {
        bytes.clamp(min, max)
    };
    let above = (clamped.ceil() as u64).next_power_of_two();
    let below = if above as f64 > clamped {
        above / 2
    } else {
        above
    }
    .max(page);
    let fix = if below == above {
        size(above)
    } else {
        format!("{} or {}", size(below), size(above))
    };
    Err(format!("{given} is not a size a BPF ring buffer takes: a power of two times the page size ({page} bytes), at most {}; use {fix}", size(RING_BUFFER_MAX)))
}

/// Bounds of [`TraceOptions::batch_events`]: records per batch.
pub const BATCH_EVENTS_RANGE: (u32, u32) = (1, 1 << 20);
/// Bounds of [`TraceOptions::flush_interval`], in ms: the poll thread waits
/// this long at most, so stopping (an unsubscribe) waits at most this too.
pub const FLUSH_INTERVAL_MS_RANGE: (u32, u32) = (0, 1000);
/// Bounds of [`TraceOptions::queue_batches`]: batches waiting for the consumer.
pub const QUEUE_BATCHES_RANGE: (u32, u32) = (1, 1024);

/// Checks an integer option given as a number (the Node binding's are
/// JavaScript numbers, hence f64): a whole number within `range`
/// (inclusive). Returns it, or why not in one line naming `name`, the value
/// and the range.
pub fn check_integer_option(name: &str, value: f64, range: (u32, u32)) -> Result<u32, String> {
    let (min, max) = range;
    if value.is_finite()
        && value.fract() == 0.0
        && value >= f64::from(min)
        && value <= f64::from(max)
    {
        return Ok(value as u32);
    }
    Err(format!(
        "{name} {value} is not a whole number from {min} to {max}"
    ))
}

/// Checks the options a caller of the Rust API sets freely: the ring size
/// ([`check_ring_buffer_bytes`]) and the batching bounds above.
fn check_options(opts: &TraceOptions) -> Result<(), Error> {
    let invalid = |option: &'static str| move |cause: String| Error::Invalid { option, cause };
    check_ring_buffer_bytes(f64::from(opts.ring_buffer_bytes))
        .map_err(invalid("ring_buffer_bytes"))?;
    check_integer_option(
        "batch_events",
        f64::from(opts.batch_events),
        BATCH_EVENTS_RANGE,
    )
    .map_err(invalid("batch_events"))?;
    check_integer_option(
        "flush_interval (ms)",
        // from whole nanoseconds: exact (as_secs_f64() * 1000 makes 7 ms 7.000000000000001)
        opts.flush_interval.as_nanos() as f64 / 1e6,
        FLUSH_INTERVAL_MS_RANGE,
    )
    .map_err(invalid("flush_interval"))?;
    check_integer_option(
        "queue_batches",
        opts.queue_batches as f64,
        QUEUE_BATCHES_RANGE,
    )
    .map_err(invalid("queue_batches"))?;
    Ok(())
}

/// The longest record: its `event_header`'s `size` is a u16.
const RECORD_MAX_BYTES: usize = u16::MAX as usize;

/// The most bytes a batch of a trace with these options holds
/// ([`Tracer::max_batch_bytes`]): one is handed over once it holds
/// `batch_bytes`, so the record that crosses that mark is the most it
/// passes it by.
fn max_batch_bytes(opts: &TraceOptions) -> usize {
    opts.batch_bytes.max(1) - 1 + RECORD_MAX_BYTES
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
    /// Policy names by bit: `matched_policies` bit N is `policies[N]`.
    pub policies: Vec<String>,
    /// Where each attached program attaches, e.g. `raw_tracepoint/sys_exit`
    /// or `tracepoint/syscalls/sys_exit_openat` (one entry per attachment).
    pub programs: Vec<String>,
    /// How syscalls are hooked, and why.
    pub syscall_hooks: String,
    /// What the rootkit checks read and how often; empty if none is selected.
    pub rootkit_checks: String,
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
    /// Records the policies' event filters dropped on the poll thread.
    pub filtered: u64,
    pub batches: u64,
    /// (event name, records received), for events with at least one.
    pub per_event: Vec<(&'static str, u64)>,
    /// Rootkit checks run (each reads the syscall table and/or /proc's
    /// operations; a clean kernel gives no event).
    pub rootkit_checks: u64,
    /// Polls of the kernel side done by the poll thread (one per wake-up
    /// or flush interval): more than 0 once it has polled, and moving while
    /// it runs (a health check's sign of life).
    pub polls: u64,
    /// Records read from the kernel (and counted in `received`) that the
    /// consumer had not taken when the trace stopped: the last batch waits
    /// [`FINAL_PATIENCE`] for room and is then let go. Only a consumer that
    /// stopped reading (e.g. one that blocks on a full destination) makes
    /// them; `received - undelivered` is what it was handed. Every counter
    /// here only grows (Prometheus counters are built on them).
    pub undelivered: u64,
}

struct Shared {
    received: AtomicU64,
    lost: AtomicU64,
    filtered: AtomicU64,
    batches: AtomicU64,
    per_event: Box<[AtomicU64]>,
    rootkit_checks: AtomicU64,
    polls: AtomicU64,
    undelivered: AtomicU64,
    /// The kernel's ids of the programs and ring, set by the poll thread
    /// before the trace is reported started (bpf_stats.rs).
    kernel_ids: std::sync::OnceLock<KernelIds>,
    policies: Arc<PolicyNames>,
}

/// The policies' names by bit (matched_policies bit N names `names[N]`),
/// as the last reload left them (at start: TracerInfo's), and how many
/// reloads made them: a consumer that caches the names refreshes them
/// when `generation` moves ([`crate::json::JsonWriter::policy_names`]).
#[derive(Debug, Default)]
pub struct PolicyNames {
    generation: AtomicU64,
    names: std::sync::RwLock<Vec<String>>,
}

impl PolicyNames {
    /// How many reloads made the names.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The names, with the generation they are of.
    pub fn get(&self) -> (u64, Vec<String>) {
        let names = self.names.read().unwrap_or_else(|e| e.into_inner());
        (self.generation(), names.clone())
    }

    fn set(&self, names: Vec<String>, reloaded: bool) {
        let mut guard = self.names.write().unwrap_or_else(|e| e.into_inner());
        *guard = names;
        if reloaded {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// A request to the poll thread: the new policies, and where to answer.
type ReloadRequest = (Vec<Policy>, Sender<Result<(), Error>>);

/// Reloads a trace's policies ([`Tracer::reload`]) from any thread.
#[derive(Debug, Clone)]
pub struct Reloader(Option<Sender<ReloadRequest>>);

impl Reloader {
    /// See [`Tracer::reload`].
    pub fn reload(&self, policies: Vec<Policy>) -> Result<(), Error> {
        let invalid = |cause: &str| Error::Invalid {
            option: "reload",
            cause: cause.into(),
        };
        let Some(reloads) = &self.0 else {
            return Err(invalid("this trace was started without reloadable (TraceOptions::reloadable): its scopes are constants the verifier saw; start it reloadable"));
        };
        let (answer_tx, answer_rx) = bounded(1);
        reloads
            .send((policies, answer_tx))
            .map_err(|_| invalid("the trace has stopped"))?;
        answer_rx
            .recv()
            .map_err(|_| invalid("the trace stopped before the reload was applied"))?
    }
}

/// A running trace. Dropping it stops it.
pub struct Tracer {
    info: TracerInfo,
    containers: crate::containers::SharedContainers,
    max_batch_bytes: usize,
    batches: Receiver<Batch>,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    /// To the poll thread, where the object is (None: not reloadable).
    reloads: Option<Sender<ReloadRequest>>,
    thread: Option<JoinHandle<Result<(), Error>>>,
}

impl Tracer {
    /// Loads, attaches and starts polling; returns once every program is
    /// attached, or with the reason nothing is.
    pub fn start(opts: TraceOptions) -> Result<Tracer, Error> {
        timing::mark("tracer start");
        check_options(&opts)?;
        let policies = if opts.policies.is_empty() {
            // the plain event list: its names checked as before (NoEvents, UnknownEvent)
            let named: Vec<&String> = opts
                .events
                .iter()
                .filter(|n| !n.trim().starts_with('-'))
                .collect();
            catalog::resolve(&named)?;
            vec![Policy::from_events(&opts.events)]
        } else {
            opts.policies.clone()
        };
        let compiled = policy::compile(&policies).map_err(|mut issues| Error::Policy {
            issue: issues.remove(0),
        })?;
        let events: Vec<_> = compiled.events.iter().map(|(e, _)| *e).collect();
        let env = btf::Environment::read();
        let decision = btf::decide(&env, btf::embedded()?)?;
        if let BtfSource::File(path) = &decision.btf {
            btf::check_btf_header(path).map_err(|cause| Error::BtfFile {
                path: path.clone(),
                cause,
            })?;
        }
        privileges::check()?;
        let legacy = opts.legacy_programs || global_data_supported() == Some(false);
        let transport = match (legacy, opts.perf_buffer, ring_buffer_supported()) {
            (true, _, _) if opts.legacy_programs => {
                Transport::PerfBuffer("perf buffer, legacy programs (forced)")
            }
            (true, _, _) => Transport::PerfBuffer(
                "perf buffer, legacy programs (this kernel has no BPF global data)",
            ),
            (false, true, _) => Transport::PerfBuffer("perf buffer (forced)"),
            (false, false, Ok(false)) => {
                Transport::PerfBuffer("perf buffer (this kernel has no BPF ring buffer)")
            }
            (false, false, _) => Transport::RingBuffer,
        };
        // Plain loads are typed by the verifier with the kernel's own BTF, so
        // they need CO-RE to have resolved against that same BTF: with a BTF
        // given in TRACEE_BTF_FILE (or embedded) it is probe reads.
        let direct_task_reads = !legacy
            && decision.btf.has_kernel_btf()
            && helper_supported(libbpf_rs::libbpf_sys::BPF_FUNC_get_current_task_btf);
        // the containers running now: for container=<id>, the containers
        // map, existing_container
        let containers =
            crate::containers::Tracking::start(opts.cgroupfs.as_deref()).map_err(|cause| {
                Error::Invalid {
                    option: "cgroupfs (--enrichment container.cgroupfs.path)",
                    cause,
                }
            })?;
        compiled
            .resolve_containers(&containers.table.read().expect("the table's lock"))
            .map_err(|cause| Error::Invalid {
                option: "policy scope",
                cause,
            })?;
        let table = containers.table.clone();
        libbpf_log::install();
        timing::mark("checked (policies, BTF decision, privileges, kernel features)");

        let max_batch_bytes = max_batch_bytes(&opts);
        let (tx, rx) = bounded(opts.queue_batches.max(1));
        let (ready_tx, ready_rx) = bounded(1);
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            received: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            filtered: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            per_event: (0..MAX_EVENT_ID).map(|_| AtomicU64::new(0)).collect(),
            rootkit_checks: AtomicU64::new(0),
            policies: Arc::default(),
            polls: AtomicU64::new(0),
            undelivered: AtomicU64::new(0),
            kernel_ids: std::sync::OnceLock::new(),
        });
        let (reloads_tx, reloads_rx) = bounded::<ReloadRequest>(1);
        let reloadable = opts.reloadable;
        let thread = {
            let (stop, shared) = (stop.clone(), shared.clone());
            std::thread::Builder::new()
                .name("tracee-poll".into())
                .spawn(move || {
                    run(
                        &Plan {
                            opts,
                            events,
                            policies,
                            compiled,
                            decision,
                            transport,
                            legacy,
                            direct_task_reads,
                            containers,
                        },
                        &Handoff {
                            tx: &tx,
                            stop: &stop,
                            shared: &shared,
                            reloads: &reloads_rx,
                        },
                        &ready_tx,
                    )
                })
                .map_err(|e| Error::Thread {
                    cause: e.to_string(),
                })?
        };
        match ready_rx.recv() {
            Ok(Ok(info)) => Ok(Tracer {
                reloads: reloadable.then_some(reloads_tx),
                info,
                containers: table,
                max_batch_bytes,
                batches: rx,
                stop,
                shared,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(Error::Thread {
                cause: join_cause(thread),
            }),
        }
    }

    pub fn info(&self) -> &TracerInfo {
        &self.info
    }

    /// The container table: which container owns each cgroup (cgroupId),
    /// kept by the poll thread ahead of the batches it hands over.
    pub fn containers(&self) -> &crate::containers::SharedContainers {
        &self.containers
    }

    /// The most bytes one of [`Tracer::batches`] holds (its `data.len()`):
    /// what a consumer that copies each into a buffer of its own needs.
    pub fn max_batch_bytes(&self) -> usize {
        self.max_batch_bytes
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
            filtered: s.filtered.load(Ordering::Relaxed),
            batches: s.batches.load(Ordering::Relaxed),
            per_event,
            rootkit_checks: s.rootkit_checks.load(Ordering::Relaxed),
            polls: s.polls.load(Ordering::Relaxed),
            undelivered: s.undelivered.load(Ordering::Relaxed),
        }
    }

    /// Replaces the policies while every program stays attached (a trace
    /// started with [`TraceOptions::reloadable`]): scopes, filters, names,
    /// and which policies select each event, among the events this trace
    /// attached hooks for. A policy keeps its bit (matched_policies) while
    /// its name stays. Returns once the kernel and the poll thread apply
    /// them: records read after carry the new policies.
    ///
    /// Errors (the running policies stay): not reloadable, stopped, the
    /// policies do not compile (Error::Policy), or they select an event
    /// whose hooks are not attached, or scopes that need process tracking
    /// the trace did not attach (Error::Invalid).
    pub fn reload(&self, policies: Vec<Policy>) -> Result<(), Error> {
        self.reloader().reload(policies)
    }

    /// What [`Tracer::reload`]s from another thread: it waits for the poll
    /// thread, which may itself wait for the consumer to take a batch, so
    /// a consumer must not wait for it on the thread that takes batches.
    pub fn reloader(&self) -> Reloader {
        Reloader(self.reloads.clone())
    }

    /// The policies' names by bit, kept up to date by reloads: TracerInfo's
    /// policies until the first; then also the names of the policies
    /// removed, at their bits, for the records made before.
    pub fn policy_names(&self) -> Arc<PolicyNames> {
        self.shared.policies.clone()
    }

    /// Each loaded program's run time and runs as the kernel counts them
    /// now (while its BPF stats are on: [`ProgramStats::run_time_ns`]);
    /// empty once stopped. Read by id, from any thread (bpf_stats.rs).
    pub fn program_stats(&self) -> Vec<ProgramStats> {
        if self.is_stopped() {
            return Vec::new();
        }
        self.shared
            .kernel_ids
            .get()
            .map_or_else(Vec::new, KernelIds::program_stats)
    }

    /// How full the BPF ring buffer is now; None with a perf buffer (not
    /// measured) and once stopped.
    pub fn ring_fill(&self) -> Option<RingFill> {
        if self.is_stopped() {
            return None;
        }
        self.shared.kernel_ids.get()?.ring_fill()
    }

    /// Detaches every program and frees every map; idempotent. Returns the
    /// error that ended the poll thread, if one did.
    pub fn stop(&mut self) -> Result<(), Error> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take() {
            Some(t) => match t.join() {
                Ok(r) => r,
                Err(p) => Err(Error::Thread {
                    cause: panic_message(&p),
                }),
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
    /// Event id of each record in the batch, counted as it is handed over.
    ids: Vec<u32>,
    max_events: u32,
    max_bytes: usize,
    /// No batch handed over yet: the first goes with its first record, so
    /// that the trace's first event reaches the consumer (and is printed)
    /// at once, not after the thousands gathered while it starts.
    first: bool,
}

impl Batcher {
    fn new(opts: &TraceOptions) -> Batcher {
        Batcher {
            batch: Batch {
                data: Vec::with_capacity(opts.batch_bytes + 16 * 1024),
                events: 0,
            },
            ids: Vec::with_capacity(opts.batch_events as usize),
            max_events: opts.batch_events.max(1),
            max_bytes: opts.batch_bytes.max(1),
            first: true,
        }
    }

    /// Adds a record unless the policies' event filters drop it (false);
    /// `containers`: for the filters on a record's container.
    fn push(&mut self, data: &[u8], filters: &EventFilters, containers: &SharedContainers) -> bool {
        let record = &data[..record_len(data)];
        let off = std::mem::offset_of!(types::event_header, event_id);
        let id = record
            .get(off..off + 4)
            .map_or(u32::MAX, |b| u32::from_ne_bytes(b.try_into().unwrap()));
        let start = self.batch.data.len();
        self.batch.data.extend_from_slice(record);
        if filters.filters(id) {
            // decoded only for events some rule filters
            let Ok((event, _)) = crate::record::decode(record) else {
                return true;
            };
            let table = containers.read().unwrap_or_else(|e| e.into_inner());
            let container = table.get(event.header.cgroup_id).map(|e| &e.container);
            let matched = filters.apply(&event, event.header.matched_policies, container);
            if matched == 0 {
                self.batch.data.truncate(start);
                return false;
            }
            let at = start + std::mem::offset_of!(types::event_header, matched_policies);
            self.batch.data[at..at + 8].copy_from_slice(&matched.to_ne_bytes());
        }
        self.batch.events += 1;
        self.ids.push(id);
        true
    }

    fn full(&self) -> bool {
        (self.first && self.batch.events > 0)
            || self.batch.events >= self.max_events
            || self.batch.data.len() >= self.max_bytes
    }

    /// Adds this batch to the shared counters.
    fn count(&self, shared: &Shared) {
        shared.batches.fetch_add(1, Ordering::Relaxed);
        shared
            .received
            .fetch_add(self.ids.len() as u64, Ordering::Relaxed);
        for &id in &self.ids {
            if let Some(n) = shared.per_event.get(id as usize) {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Hands the batch to the consumer, waiting while the queue is full (up
    /// to `patience` once stopping). Counts what was delivered; false when
    /// the batch could not be delivered.
    fn deliver(&mut self, out: &Handoff, patience: Duration) -> bool {
        if self.batch.events == 0 {
            return true;
        }
        let cap = self.batch.data.capacity();
        let mut batch = std::mem::replace(
            &mut self.batch,
            Batch {
                data: Vec::with_capacity(cap),
                events: 0,
            },
        );
        // Counted before the send: a consumer that has taken a batch must
        // find it in the stats it reads next (counting after the send raced
        // with the consumer). A batch that cannot be delivered (only when
        // stopping) stays counted, and is counted as undelivered too:
        // taking it back out made `received` go down, which a rate or a
        // Prometheus counter cannot show.
        let events = self.ids.len() as u64;
        self.count(out.shared);
        let deadline = std::time::Instant::now() + patience;
        let delivered = loop {
            match out.tx.send_timeout(batch, Duration::from_millis(50)) {
                Ok(()) => break true,
                Err(SendTimeoutError::Timeout(b))
                    if !out.stopping() || std::time::Instant::now() < deadline =>
                {
                    batch = b
                }
                Err(_) => break false,
            }
        };
        if !delivered {
            out.shared.undelivered.fetch_add(events, Ordering::Relaxed);
        } else if self.first {
            self.first = false;
            timing::mark("first batch handed over");
        }
        self.ids.clear();
        delivered
    }
}

/// How long a stopping trace waits for its consumer to take the last batch.
const FINAL_PATIENCE: Duration = Duration::from_millis(200);

/// The poll thread's ends of what it shares with the [`Tracer`]: the
/// queue batches are handed over on, the stop flag, the counters.
struct Handoff<'a> {
    tx: &'a Sender<Batch>,
    stop: &'a AtomicBool,
    shared: &'a Shared,
    reloads: &'a Receiver<ReloadRequest>,
}

impl Handoff<'_> {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The poll thread: everything the kernel holds for this trace lives here.
fn run(plan: &Plan, out: &Handoff, ready: &Sender<Result<TracerInfo, Error>>) -> Result<(), Error> {
    let (obj, links, info, mut checker, hooked) = match load_and_attach(plan) {
        Ok(v) => v,
        Err(e) => {
            let _ = ready.send(Err(e));
            return Ok(());
        }
    };

    let batcher = RefCell::new(Batcher::new(&plan.opts));
    let lost_map = map!(&obj, lost)?;
    let live = RefCell::new(Live {
        compiled: plan.compiled.clone(),
        slots: Slots::first(&plan.policies),
    });
    out.shared.policies.set(info.policies.clone(), false);
    let cgroups = CgroupRecords::new(&obj, plan, &live)?;
    // false: stopping, leave the rest in the kernel
    let push = |b: &mut Batcher, record: &[u8]| -> bool {
        if !b.push(
            record,
            &live.borrow().compiled.filters,
            &plan.containers.table,
        ) {
            out.shared.filtered.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        !b.full() || b.deliver(out, Duration::ZERO)
    };
    let push_all = |records: Vec<Vec<u8>>| -> bool {
        let mut b = batcher.borrow_mut();
        // every one pushed, even once one said stop (the batch keeps them)
        let mut go = true;
        for r in &records {
            go &= push(&mut b, r);
        }
        go
    };
    let on_record = |record: &[u8]| -> bool {
        if cgroups.is_cgroup_record(record) {
            // the lifecycle records it makes follow it
            let (selected, made) = cgroups.take(record);
            let go = !selected || push(&mut batcher.borrow_mut(), record);
            return push_all(made) && go;
        }
        push(&mut batcher.borrow_mut(), record)
    };
    let transport = plan.transport;
    let poller = match open_poller(&obj, transport, plan.opts.ring_buffer_bytes, on_record)? {
        Ok(p) => p,
        Err(e) => {
            let _ = ready.send(Err(Error::Load {
                cause: format!("{transport:?}: {e}"),
                log: libbpf_log::take(),
            }));
            return Ok(());
        }
    };
    timing::mark("ready to poll");
    let _ = out.shared.kernel_ids.set(KernelIds::of(
        &obj,
        matches!(transport, Transport::RingBuffer),
    ));
    if ready.send(Ok(info)).is_err() {
        return Ok(());
    }
    // the containers made between the scan at start and the attach of
    // cgroup_mkdir, which no record tells: a second scan, now that it is
    // attached; then existing_container, one per container running at start
    cgroups.rescan();
    push_all(cgroups.existing());

    let result = poll(
        &obj,
        &poller,
        checker.as_mut(),
        &lost_map,
        &plan.opts,
        out,
        // records made since (container_create that waited for a
        // runtime), then the batch handed over if due; a reload asked for
        &|| {
            if let Ok((policies, answer)) = out.reloads.try_recv() {
                let table = plan
                    .containers
                    .table
                    .read()
                    .unwrap_or_else(|e| e.into_inner());
                let mut l = live.borrow_mut();
                let r = reload(&obj, &mut l, &hooked, &policies, &table, plan.opts.exec_env);
                if r.is_ok() {
                    out.shared.policies.set(l.compiled.names.clone(), true);
                }
                let _ = answer.send(r);
            }
            push_all(cgroups.due(false)) && batcher.borrow_mut().deliver(out, Duration::ZERO)
        },
    );
    push_all(cgroups.due(true));
    // Records already taken from the ring reach the consumer if it still reads.
    batcher.borrow_mut().deliver(out, FINAL_PATIENCE);
    out.shared
        .lost
        .store(read_lost(&lost_map), Ordering::Relaxed);
    drop(poller);
    drop(links);
    drop(obj);
    result
}

/// The consumer of the object's records, whichever way they come, each
/// handed to `on_record` (false: stop taking them). Err: the object lacks
/// the map, as for run's other maps; Ok(Err): libbpf could not build the
/// consumer, which is why the trace cannot start.
fn open_poller<'a>(
    obj: &'a Object,
    transport: Transport,
    ring_buffer_bytes: u32,
    on_record: impl Fn(&[u8]) -> bool + 'a,
) -> Result<libbpf_rs::Result<Poller<'a>>, Error> {
    Ok(match transport {
        Transport::RingBuffer => {
            let events_map = map!(obj, events)?;
            // ours, not libbpf's: maps the ring's data once (ringbuf.rs)
            crate::ringbuf::RingBuffer::new(&events_map, on_record)
                .map(Poller::Ring)
                .map_err(libbpf_rs::Error::from)
        }
        Transport::PerfBuffer(_) => {
            let perf_map = map!(obj, perf_events)?;
            let cpus = libbpf_rs::num_possible_cpus().unwrap_or(1).max(1);
            let page = crate::features::page_size() as usize;
            let pages = ((ring_buffer_bytes as usize / page) / cpus)
                .max(1)
                .next_power_of_two();
            PerfBufferBuilder::new(&perf_map)
                .pages(pages)
                .sample_cb(move |_cpu, record: &[u8]| {
                    on_record(record);
                })
                .build()
                .map(Poller::Perf)
        }
    })
}

/// The cgroup_mkdir/cgroup_rmdir records (bpf/hooks/cgroup.h), which keep
/// the container table and the kernel's containers map: taken on the poll
/// thread as read, before the records after them reach a consumer. Makes
/// the lifecycle records (containers::events): existing_container at
/// start, container_create (once a runtime has said what it is, or
/// `enrich_wait` has passed) and container_remove, for every policy that
/// selects them, whatever its scope (as the rootkit checks' events: the
/// kernel did not see them happen).
struct CgroupRecords<'a> {
    mkdir: u32,
    rmdir: u32,
    ids: crate::containers::events::LifecycleIds,
    map: Map<'a>,
    nums: Map<'a>,
    plan: &'a Plan,
    /// The policies in force (they change with a reload).
    live: &'a RefCell<Live>,
    /// existing_container and container_create records waiting for a
    /// runtime's details: the event, the container's cgroup, the context
    /// (the cgroup_mkdir record's; none for existing_container), the deadline.
    pending: RefCell<Vec<Pending>>,
}

impl<'a> CgroupRecords<'a> {
    fn new(
        obj: &'a Object,
        plan: &'a Plan,
        live: &'a RefCell<Live>,
    ) -> Result<CgroupRecords<'a>, Error> {
        let id = |name| catalog::by_name(name).map_or(u32::MAX, |e| e.id);
        Ok(CgroupRecords {
            mkdir: id("cgroup_mkdir"),
            rmdir: id("cgroup_rmdir"),
            ids: crate::containers::events::LifecycleIds::get(),
            map: map!(obj, containers)?,
            nums: map!(obj, scope_nums)?,
            plan,
            live,
            pending: RefCell::new(Vec::new()),
        })
    }

    /// The policies in force that select event `id`.
    fn policies(&self, id: u32) -> u64 {
        self.live
            .borrow()
            .compiled
            .events
            .iter()
            .find(|(e, _)| e.id == id)
            .map_or(0, |(_, bits)| *bits)
    }

    fn is_cgroup_record(&self, record: &[u8]) -> bool {
        let off = std::mem::offset_of!(types::event_header, event_id);
        let id = record
            .get(off..off + 4)
            .map_or(u32::MAX, |b| u32::from_ne_bytes(b.try_into().unwrap()));
        id == self.mkdir || id == self.rmdir
    }

    fn table(&self) -> std::sync::RwLockWriteGuard<'_, crate::containers::ContainerTable> {
        self.plan
            .containers
            .table
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Adds the cgroups of the hierarchy not in the table yet (made before
    /// cgroup_mkdir was attached, after the scan at start), to it and to the
    /// kernel's containers map, as there at start.
    fn rescan(&self) {
        let Some(h) = &self.plan.containers.hierarchy else {
            return;
        };
        let Ok(cgroups) = crate::containers::scan_cgroup_mount(&h.mount) else {
            return;
        };
        let mut table = self.table();
        for c in &cgroups {
            if table.get(c.id).is_some() {
                continue;
            }
            if let Some(
                crate::containers::Change::Created(e)
                | crate::containers::Change::Nested { container: e, .. },
            ) = table.add(c.id, &c.path, c.ctime_ns, false)
            {
                let state = crate::loader::container_state(e.container.new);
                let _ = self
                    .map
                    .update(&c.id.to_ne_bytes(), &state.to_ne_bytes(), MapFlags::ANY);
            }
        }
    }

    /// existing_container, one per container running at start: due once
    /// a runtime has described it, or the wait is over ([`Self::due`]).
    fn existing(&self) -> Vec<Vec<u8>> {
        let existing_policies = self.policies(self.ids.existing);
        if existing_policies == 0 {
            return Vec::new();
        }
        let header = crate::containers::events::no_process(boot_time_ns());
        let deadline = std::time::Instant::now() + self.plan.opts.enrich_wait;
        let cgroups: Vec<u64> = self
            .table()
            .containers()
            .iter()
            .map(|e| e.container.cgroup_id)
            .collect();
        self.pending
            .borrow_mut()
            .extend(cgroups.into_iter().map(|cgroup| Pending {
                event: self.ids.existing,
                policies: existing_policies,
                cgroup,
                header,
                deadline,
            }));
        self.due(false)
    }

    /// The lifecycle records due, in the order they were made: those whose
    /// container a runtime has described, or whose wait is over (all, with
    /// `all`). One not due holds back those after it.
    fn due(&self, all: bool) -> Vec<Vec<u8>> {
        let mut pending = self.pending.borrow_mut();
        if pending.is_empty() {
            return Vec::new();
        }
        let now = std::time::Instant::now();
        let table = self.table();
        let ready = pending
            .iter()
            .take_while(|p| {
                all || now >= p.deadline || table.get(p.cgroup).is_none_or(|e| e.container.enriched)
            })
            .count();
        pending
            .drain(..ready)
            .filter_map(|p| {
                let e = table.get(p.cgroup)?;
                crate::containers::events::created(p.event, p.policies, &p.header, &e.container)
            })
            .collect()
    }

    /// Updates the table and the map from a cgroup record: whether a
    /// policy selected the record itself (it goes to the consumer), and the
    /// lifecycle records due after it.
    fn take(&self, record: &[u8]) -> (bool, Vec<Vec<u8>>) {
        use crate::containers::{events, Change};
        let Ok((event, _)) = crate::record::decode(record) else {
            return (true, Vec::new());
        };
        let selected = event.header.matched_policies != 0;
        let cgroup = event.args[0];
        let mut made = Vec::new();
        if event.header.event_id == self.mkdir {
            let path = event.string_arg(1).unwrap_or_default();
            let ctime = (crate::json::boot_epoch_ns() + i128::from(event.header.timestamp)) as u64;
            let change = self.table().add(cgroup, path, ctime, true);
            let (entry, created) = match change {
                Some(Change::Created(e)) => (e, true),
                Some(Change::Nested { container, .. }) => (container, false),
                _ => return (selected, made),
            };
            let state = crate::loader::container_state(entry.container.new);
            let _ = self
                .map
                .update(&cgroup.to_ne_bytes(), &state.to_ne_bytes(), MapFlags::ANY);
            // a container a policy lists by id, made again (restarted)
            let bits = self
                .live
                .borrow()
                .compiled
                .container_id_policies(&entry.container.id);
            if bits != 0 {
                let key = types::scope_num_key {
                    field: types::scope_field::SCOPE_CONTAINER_ID.0,
                    dev: 0,
                    value: cgroup,
                };
                let _ = self.nums.update(
                    crate::loader::bytes_of(&key),
                    &bits.to_ne_bytes(),
                    MapFlags::ANY,
                );
            }
            let create_policies = self.policies(self.ids.create);
            if created && create_policies != 0 {
                self.pending.borrow_mut().push(Pending {
                    event: self.ids.create,
                    policies: create_policies,
                    cgroup,
                    header: event.header,
                    deadline: std::time::Instant::now() + self.plan.opts.enrich_wait,
                });
                made = self.due(false);
            }
        } else {
            // its container_create first, if it still waits (and those
            // before it)
            let waiting = self
                .pending
                .borrow()
                .iter()
                .position(|p| p.cgroup == cgroup);
            if let Some(i) = waiting {
                let now = std::time::Instant::now();
                for p in self.pending.borrow_mut().iter_mut().take(i + 1) {
                    p.deadline = now;
                }
                made = self.due(false);
            }
            let change = self.table().remove(cgroup);
            if change.is_some() {
                let _ = self.map.delete(&cgroup.to_ne_bytes());
            }
            if let Some(Change::Removed(e)) = change {
                let remove_policies = self.policies(self.ids.remove);
                if remove_policies != 0 {
                    made.extend(events::removed(
                        self.ids.remove,
                        remove_policies,
                        &event.header,
                        &e.container,
                    ));
                }
            }
        }
        (selected, made)
    }
}

/// A lifecycle record waiting for a runtime's details (CgroupRecords::due).
struct Pending {
    /// container_create or existing_container.
    event: u32,
    policies: u64,
    /// The container's own cgroup.
    cgroup: u64,
    /// The record's context: the cgroup_mkdir record's, or none.
    header: types::event_header,
    deadline: std::time::Instant,
}

/// CLOCK_BOOTTIME now, in ns: the records' clock (bpf_ktime_get_boot_ns).
fn boot_time_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Polls until stopped: the rootkit checks at start, then on their
/// interval; records into batches; after each poll `tick` (the records
/// user space made since, the batch handed over if due; false: stop); the
/// kernel's count of lost records. The error that ended it, if one did.
fn poll(
    obj: &Object,
    poller: &Poller,
    mut checker: Option<&mut rootkit::Checker>,
    lost_map: &Map,
    opts: &TraceOptions,
    out: &Handoff,
    tick: &dyn Fn() -> bool,
) -> Result<(), Error> {
    let mut next_check = std::time::Instant::now();
    while !out.stopping() {
        if let Some(c) = checker
            .as_mut()
            .filter(|_| std::time::Instant::now() >= next_check)
        {
            c.check(obj).map_err(|cause| Error::Poll {
                cause: format!("rootkit check: {cause}"),
            })?;
            out.shared.rootkit_checks.store(c.checks, Ordering::Relaxed);
            next_check = std::time::Instant::now() + opts.rootkit_check_interval;
        }
        // The kernel side wakes us only once the ring is a quarter full; the
        // timeout bounds latency below that, and consume() drains the rest.
        if let Err(e) = poller.poll(opts.flush_interval) {
            if out.stopping() {
                break;
            }
            if e.kind() != libbpf_rs::ErrorKind::Interrupted {
                return Err(Error::Poll {
                    cause: e.to_string(),
                });
            }
        }
        out.shared.polls.fetch_add(1, Ordering::Relaxed);
        if !tick() {
            break;
        }
        out.shared
            .lost
            .store(read_lost(lost_map), Ordering::Relaxed);
    }
    Ok(())
}

/// Drains records from the kernel, whichever way they come.
enum Poller<'a> {
    Ring(crate::ringbuf::RingBuffer<'a>),
    Perf(libbpf_rs::PerfBuffer<'a>),
}

impl Poller<'_> {
    fn poll(&self, timeout: Duration) -> libbpf_rs::Result<()> {
        match self {
            // The kernel side wakes us only once the ring is a quarter full;
            // the timeout bounds latency below that, and poll() drains the rest.
            Poller::Ring(r) => r.poll(timeout).map_err(libbpf_rs::Error::from),
            Poller::Perf(p) => p.poll(timeout),
        }
    }
}

fn read_lost(lost: &Map<'_>) -> u64 {
    match lost.lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY) {
        Ok(Some(per_cpu)) => per_cpu
            .iter()
            .filter_map(|v| {
                v.get(..8)
                    .map(|b| u64::from_ne_bytes(b.try_into().unwrap()))
            })
            .sum(),
        _ => 0,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn integer_options_are_whole_numbers_in_range() {
        assert_eq!(
            check_integer_option("batchEvents", 1.0, BATCH_EVENTS_RANGE),
            Ok(1)
        );
        assert_eq!(
            check_integer_option("flushIntervalMs", 0.0, FLUSH_INTERVAL_MS_RANGE),
            Ok(0)
        );
        assert_eq!(
            check_integer_option("flushIntervalMs", 1000.0, FLUSH_INTERVAL_MS_RANGE),
            Ok(1000)
        );
        for (value, shown) in [
            (-1.0, "-1"),
            (1001.0, "1001"),
            (2.5, "2.5"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(
                check_integer_option("flushIntervalMs", value, FLUSH_INTERVAL_MS_RANGE),
                Err(format!(
                    "flushIntervalMs {shown} is not a whole number from 0 to 1000"
                ))
            );
        }
        // the Rust API's options: checked at start, before anything loads;
        // every whole millisecond passes (7 ms is no whole number of 1/1000 s in f64)
        for ms in 0..=1000 {
            let opts = TraceOptions {
                flush_interval: Duration::from_millis(ms),
                ..TraceOptions::default()
            };
            assert!(check_options(&opts).is_ok(), "{ms} ms");
        }
        let opts = TraceOptions {
            batch_events: 0,
            ..TraceOptions::default()
        };
        let err = Tracer::start(opts).err().expect("refused");
        assert_eq!(err.code(), ErrorCode::Invalid);
        assert!(
            err.to_string()
                .contains("batch_events 0 is not a whole number from 1 to 1048576"),
            "{err}"
        );
    }

    /// A record of `size` bytes whose header says so (event id 0).
    fn record(size: usize) -> Vec<u8> {
        let mut r = vec![0u8; size];
        let off = std::mem::offset_of!(types::event_header, size);
        r[off..off + 2].copy_from_slice(&(size as u16).to_ne_bytes());
        r
    }

    #[test]
    fn batches_hold_at_most_max_batch_bytes() {
        let header = std::mem::size_of::<types::event_header>();
        for batch_bytes in [1, 4096, 1 << 20] {
            let opts = TraceOptions {
                batch_bytes,
                batch_events: BATCH_EVENTS_RANGE.1,
                ..TraceOptions::default()
            };
            let mut b = Batcher::new(&opts);
            // past the first batch, which goes with its first record
            b.first = false;
            let filters = EventFilters::default();
            // short records up to one byte short of the mark, then the longest
            while b.batch.data.len() + header < batch_bytes {
                assert!(b.push(&record(header), &filters, &Default::default()));
            }
            let crossing = record(RECORD_MAX_BYTES);
            while !b.full() {
                assert!(b.push(&crossing, &filters, &Default::default()));
            }
            assert!(
                b.batch.data.len() <= max_batch_bytes(&opts),
                "{batch_bytes}"
            );
        }
        // the longest record into a batch one byte short of full: the bound, exactly
        let opts = TraceOptions {
            batch_bytes: 4096,
            ..TraceOptions::default()
        };
        let mut b = Batcher::new(&opts);
        b.batch.data.resize(4095, 0);
        assert!(b.push(
            &record(RECORD_MAX_BYTES),
            &EventFilters::default(),
            &Default::default()
        ));
        assert_eq!(b.batch.data.len(), max_batch_bytes(&opts));
    }

    #[test]
    fn ring_buffer_sizes_are_powers_of_two_of_pages() {
        let page = crate::features::page_size();
        assert_eq!(page, 4096, "the expectations below are for 4 KiB pages");
        for ok in [4096.0, 8192.0, f64::from(32u32 << 20), 2147483648.0] {
            assert_eq!(check_ring_buffer_bytes(ok), Ok(ok as u32));
        }
        let limits =
            "a power of two times the page size (4096 bytes), at most 2147483648 bytes (2048 MiB)";
        for (bad, fix) in [
            (
                f64::from(3u32 << 20),
                "2097152 bytes (2 MiB) or 4194304 bytes (4 MiB)",
            ),
            (12288.0, "8192 bytes (8 KiB) or 16384 bytes (16 KiB)"),
            (100.0, "4096 bytes (4 KiB)"),
            (0.0, "4096 bytes (4 KiB)"),
            (4294967296.0, "2147483648 bytes (2048 MiB)"),
        ] {
            let given = match bad as u64 {
                b if b >= 1 << 20 => format!("{b} bytes ({} MiB)", b >> 20),
                b if b >= 1 << 10 => format!("{b} bytes ({} KiB)", b >> 10),
                b => format!("{b} bytes"),
            };
            assert_eq!(
                check_ring_buffer_bytes(bad),
                Err(format!(
                    "{given} is not a size a BPF ring buffer takes: {limits}; use {fix}"
                ))
            );
        }
        // JavaScript numbers that are no u32 at all
        assert_eq!(
            check_ring_buffer_bytes(4096.5),
            Err(format!("4096.5 bytes is not a size a BPF ring buffer takes: {limits}; use 4096 bytes (4 KiB) or 8192 bytes (8 KiB)"))
        );
        assert_eq!(
            check_ring_buffer_bytes(f64::NAN),
            Err(format!(
                "NaN bytes is not a size a BPF ring buffer takes: {limits}; use 4096 bytes (4 KiB)"
            ))
        );
        assert_eq!(
            check_ring_buffer_bytes(-8192.0),
            Err(format!("-8192 bytes is not a size a BPF ring buffer takes: {limits}; use 4096 bytes (4 KiB)"))
        );
    }

    #[test]
    fn a_bad_ring_size_fails_before_anything_is_loaded() {
        let e = Tracer::start(TraceOptions {
            ring_buffer_bytes: 3 << 20,
            ..TraceOptions::default()
        })
        .err()
        .expect("a 3 MiB ring is refused");
        assert_eq!(e.code(), ErrorCode::Invalid);
        assert!(
            e.to_string().starts_with(
                "ring_buffer_bytes: 3145728 bytes (3 MiB) is not a size a BPF ring buffer takes"
            ),
            "{e}"
        );
    }
}
