//! The Node binding of tracee-core, and nothing else.
//!
//! Records cross to JavaScript as they came from the kernel: a batch at a
//! time (1–4k records), copied into a Buffer JavaScript reuses (nextBatch),
//! decoded in TypeScript by a decoder generated from the same layout
//! (packages/core/scripts/codegen.mjs). JavaScript pulls: it asks for the
//! next batch once it has handled the last, so a slow subscriber slows the
//! poll thread, the kernel ring fills, and the kernel counts the loss,
//! instead of memory growing without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::Receiver;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tracee_core::containers::{Enrichment, Entry, SharedContainers};
use tracee_core::{Batch, ErrorCode, Tracer};

/// What the binding's calls return: their errors carry tracee-core's code
/// as napi's status, which becomes the JavaScript error's `code`
/// (`EUNKNOWNEVENT`), and its message unchanged.
type Result<T> = napi::Result<T, ErrorCode>;

fn to_napi(e: tracee_core::Error) -> napi::Error<ErrorCode> {
    napi::Error::new(e.code(), e)
}

/// One policy as written: Tracee's scope and filter strings, unparsed
/// (tracee-core's policy module parses and checks them).
#[napi(object)]
#[derive(Clone)]
pub struct NativePolicy {
    pub name: String,
    pub scope: Vec<String>,
    pub rules: Vec<NativeRule>,
}

#[napi(object)]
#[derive(Clone)]
pub struct NativeRule {
    pub event: String,
    pub filters: Vec<String>,
}

/// A problem in a policy: which one (index), where in it (a JSON pointer
/// such as `/rules/1/filters/0`), and what.
#[napi(object)]
pub struct NativePolicyIssue {
    pub policy: u32,
    /// The policy's name.
    pub name: String,
    pub path: String,
    /// One line (without the policy's name).
    pub message: String,
    /// EUNKNOWNEVENT or EPOLICY (see `errorCodes()`).
    pub code: String,
}

fn to_core(policies: Vec<NativePolicy>) -> Vec<tracee_core::Policy> {
    policies
        .into_iter()
        .map(|p| tracee_core::Policy {
            name: p.name,
            scope: p.scope,
            rules: p
                .rules
                .into_iter()
                .map(|r| tracee_core::Rule {
                    event: r.event,
                    filters: r.filters,
                })
                .collect(),
        })
        .collect()
}

/// Every problem in `policies`, without loading anything; empty if none.
#[napi]
pub fn check_policies(policies: Vec<NativePolicy>) -> Vec<NativePolicyIssue> {
    match tracee_core::policy::compile(&to_core(policies)) {
        Ok(_) => Vec::new(),
        Err(issues) => issues
            .into_iter()
            .map(|i| NativePolicyIssue {
                policy: i.policy as u32,
                name: i.name.clone(),
                path: i.path.clone(),
                message: i.message.clone(),
                code: i.code.as_str().to_string(),
            })
            .collect(),
    }
}

/// Options of `NativeTracer.start`; unset fields take tracee-core's
/// defaults (`defaults()`).
#[napi(object)]
pub struct NativeTraceOptions {
    /// Policies: bit N of a record's matched policies is `policies[N]`.
    pub policies: Vec<NativePolicy>,
    /// Bytes; a number, not a u32, so that a fraction or a value out of
    /// range is refused by tracee-core's check, not wrapped by napi.
    pub ring_buffer_bytes: Option<f64>,
    /// Numbers, not u32s, for the same reason: checked by tracee-core
    /// (`check_integer_option`), never wrapped (-1 would be 49 days).
    pub batch_events: Option<f64>,
    pub flush_interval_ms: Option<f64>,
    pub queue_batches: Option<f64>,
    /// Force the perf-buffer transport (used anyway before Linux 5.8).
    pub perf_buffer: Option<bool>,
    /// Force the legacy programs (used anyway before Linux 5.2).
    pub legacy_programs: Option<bool>,
    /// "auto", "raw" (raw tracepoints sys_enter/sys_exit) or
    /// "per-syscall" (the tracepoints of the selected syscalls).
    pub syscall_hooks: Option<String>,
    /// execve's envp as strings (Tracee's option:exec-env).
    pub exec_env: Option<bool>,
    /// Seconds between the rootkit checks after the one at start.
    pub rootkit_check_interval_s: Option<f64>,
    /// How long existing_container and container_create wait for
    /// `enrichContainer` of their container before they go without a
    /// runtime's details (ms, 0 to 60000; 0, the default, where no runtime
    /// is asked).
    pub enrich_wait_ms: Option<f64>,
    /// Where the cgroup hierarchy that tells containers is mounted (cgroup2,
    /// or a v1 controller's); default: cgroup2 where mounted, else cpuset's.
    pub cgroupfs: Option<String>,
    /// The policies can be replaced while attached (`reload`); the
    /// scopes are then read from a map (a few ns per scoped event).
    pub reloadable: Option<bool>,
}

/// What was attached, and with which BTF (TypeScript's `TraceInfo`).
#[napi(object)]
#[derive(Clone)]
pub struct NativeTraceInfo {
    pub events: Vec<String>,
    /// The policies' names, by bit: an event's `matchedPolicies` are among
    /// them (`""` is the one of events/scope).
    pub policies: Vec<String>,
    /// Where each program is attached, one entry per attachment.
    pub programs: Vec<String>,
    /// How syscalls are hooked, and why.
    pub syscall_hooks: String,
    /// What the rootkit checks read (where the syscall table is, and how it
    /// was found) and how often; empty if none is selected.
    pub rootkit_checks: String,
    /// Where CO-RE relocations were resolved from.
    pub btf: String,
    /// Tracee's load decision: 1 BPF file + BTF, 3 embedded object +
    /// kernel/given BTF, 4 embedded minimized BTF.
    pub decision_case: u32,
    pub decision_reason: String,
    pub ring_buffer_bytes: u32,
    /// How records reach user space: BPF ring buffer or perf buffer, and why.
    pub transport: String,
    /// Selected events this kernel cannot provide (a program it rejects),
    /// and why; the rest run.
    pub disabled: Vec<NativeDisabled>,
}

#[napi(object)]
#[derive(Clone)]
pub struct NativeDisabled {
    pub events: Vec<String>,
    pub reason: String,
}

/// Counters of a trace; `lost` is exact (records the kernel could not write).
#[napi(object)]
pub struct NativeStats {
    pub received: f64,
    pub lost: f64,
    /// Records the policies' event filters dropped before they reached
    /// JavaScript.
    pub filtered: f64,
    pub batches: f64,
    pub per_event: HashMap<String, f64>,
    /// Rootkit checks run so far (at start, then every
    /// rootkitCheckInterval); 0 if none is selected.
    pub rootkit_checks: f64,
    /// Polls of the kernel side by the poll thread: more than 0 once it
    /// has polled, moving while it runs.
    pub polls: f64,
    /// Records counted in `received` that JavaScript had not taken when
    /// the trace stopped (it had stopped reading); 0 while it reads.
    pub undelivered: f64,
}

/// One loaded program's counters in the kernel (tracee-core
/// `ProgramStats`): counted only while the kernel's BPF stats are on
/// (sysctl `kernel.bpf_stats_enabled`).
#[napi(object)]
pub struct NativeProgramStats {
    /// Its name in the object (`tracee_sys_enter`).
    pub name: String,
    /// The kernel's id of it (`bpftool prog show id N`).
    pub id: u32,
    /// Time spent running it since it was loaded, in ns.
    pub run_time_ns: f64,
    /// Times it ran.
    pub run_count: f64,
    /// Runs the kernel skipped because it was already running on that CPU.
    pub recursion_misses: f64,
}

/// How full the BPF ring buffer is (tracee-core `RingFill`).
#[napi(object)]
pub struct NativeRingFill {
    /// Bytes reserved or written and not yet taken by the poll thread.
    pub used_bytes: f64,
    /// The ring's size in bytes.
    pub size_bytes: f64,
}

/// A running trace; `stop()` detaches everything.
#[napi]
pub struct NativeTracer {
    tracer: Mutex<Option<Tracer>>,
    batches: Receiver<Batch>,
    /// Events `writeJson` has written so far (readable while it blocks).
    written: Arc<AtomicU64>,
    max_batch_bytes: usize,
    info: NativeTraceInfo,
    last_stats: Mutex<tracee_core::Stats>,
    containers: SharedContainers,
    policy_names: Arc<tracee_core::PolicyNames>,
    reloader: tracee_core::Reloader,
    /// The JSON writer of `nextBatchJson`, made at its first call (its
    /// caches of event heads and policy arrays last across batches).
    json_writer: Arc<Mutex<Option<tracee_core::json::JsonWriter>>>,
}

fn to_enrichment(info: NativeEnrichment) -> Enrichment {
    Enrichment {
        name: info.name.unwrap_or_default(),
        image: info.image.unwrap_or_default(),
        image_digest: info.image_digest.unwrap_or_default(),
        pod_name: info.pod_name.unwrap_or_default(),
        pod_namespace: info.pod_namespace.unwrap_or_default(),
        pod_uid: info.pod_uid.unwrap_or_default(),
        pod_sandbox: info.pod_sandbox.unwrap_or(false),
    }
}

/// A container of the trace's table (tracee-core containers::table).
#[napi(object)]
pub struct NativeContainer {
    /// Every cgroup of it (cgroupId): its own first, then those inside it.
    pub cgroup_ids: Vec<f64>,
    /// `"containerId":…,"container":{…},"kubernetes":{…}`: what an event
    /// of it carries, as Tracee's JSON (parse it inside `{}`).
    pub json: String,
    pub id: String,
    /// Tracee's runtime name (docker, containerd, crio, podman; ours lxc, systemd-nspawn).
    pub runtime: String,
    /// Its cgroup's creation, ns since the epoch, as a decimal string (past 2^53).
    pub ctime: String,
    /// Made after the trace started.
    pub new: bool,
    /// Removed (kept a while for the events read before).
    pub removed: bool,
    /// `enrichContainer` was called for it.
    pub enriched: bool,
}

/// What a runtime said of a container (`enrichContainer`).
#[napi(object)]
pub struct NativeEnrichment {
    pub name: Option<String>,
    pub image: Option<String>,
    pub image_digest: Option<String>,
    pub pod_name: Option<String>,
    pub pod_namespace: Option<String>,
    pub pod_uid: Option<String>,
    pub pod_sandbox: Option<bool>,
}

/// Why a reload was refused: tracee-core's error code and message (the
/// running policies stay).
#[napi(object)]
pub struct NativeReloadError {
    pub code: String,
    pub message: String,
}

/// `reload`, on a thread of libuv's pool: it waits for the poll thread,
/// which may wait for JavaScript to take a batch.
pub struct Reload {
    reloader: tracee_core::Reloader,
    policies: Vec<tracee_core::Policy>,
}

impl Task for Reload {
    type Output = Option<NativeReloadError>;
    type JsValue = Option<NativeReloadError>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self
            .reloader
            .reload(std::mem::take(&mut self.policies))
            .err()
            .map(|e| NativeReloadError {
                code: e.code().as_str().to_string(),
                message: e.to_string(),
            }))
    }

    fn resolve(&mut self, _: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output)
    }
}

#[napi]
impl NativeTracer {
    /// Loads and attaches; throws an error with tracee-core's `code` if
    /// anything fails, in which case nothing stays attached.
    #[napi(factory)]
    pub fn start(options: NativeTraceOptions) -> Result<NativeTracer> {
        let defaults = tracee_core::TraceOptions::default();
        let integer = |name: &str, value: Option<f64>, range: (u32, u32), default: u32| {
            value.map_or(Ok(default), |v| {
                tracee_core::check_integer_option(name, v, range)
                    .map_err(|cause| napi::Error::new(ErrorCode::Invalid, cause))
            })
        };
        let flush_ms = integer(
            "flushIntervalMs",
            options.flush_interval_ms,
            tracee_core::FLUSH_INTERVAL_MS_RANGE,
            defaults.flush_interval.as_millis() as u32,
        )?;
        let batch_events = integer(
            "batchEvents",
            options.batch_events,
            tracee_core::BATCH_EVENTS_RANGE,
            defaults.batch_events,
        )?;
        let queue_batches = integer(
            "queueBatches",
            options.queue_batches,
            tracee_core::QUEUE_BATCHES_RANGE,
            defaults.queue_batches as u32,
        )?;
        let rootkit_check_interval = match options.rootkit_check_interval_s {
            None => defaults.rootkit_check_interval,
            // the checks run between polls: one shorter than the flush
            // interval (the longest poll) would not be kept
            Some(s) if s.is_finite() && s * 1000.0 >= flush_ms as f64 => Duration::from_secs_f64(s),
            Some(s) => {
                let msg = format!(
                    "rootkitCheckInterval (--rootkit-check-interval) {s} s is shorter than the flush interval ({flush_ms} ms), between whose polls the checks run; give at least {} (the default is {} s)",
                    flush_ms as f64 / 1000.0,
                    defaults.rootkit_check_interval.as_secs()
                );
                return Err(napi::Error::new(ErrorCode::Invalid, msg));
            }
        };
        let ring_buffer_bytes = match options.ring_buffer_bytes {
            None => defaults.ring_buffer_bytes,
            Some(bytes) => tracee_core::check_ring_buffer_bytes(bytes).map_err(|cause| {
                napi::Error::new(
                    ErrorCode::Invalid,
                    format!("ringBufferBytes (--ring-buffer-mb): {cause}"),
                )
            })?,
        };
        let opts = tracee_core::TraceOptions {
            // the plain event list is the Rust API's: JavaScript sends policies
            events: Vec::new(),
            policies: to_core(options.policies),
            ring_buffer_bytes,
            batch_events,
            flush_interval: Duration::from_millis(u64::from(flush_ms)),
            queue_batches: queue_batches as usize,
            perf_buffer: options.perf_buffer.unwrap_or(false),
            legacy_programs: options.legacy_programs.unwrap_or(false),
            exec_env: options.exec_env.unwrap_or(false),
            rootkit_check_interval,
            cgroupfs: options.cgroupfs.map(std::path::PathBuf::from),
            enrich_wait: match options.enrich_wait_ms {
                None => Duration::ZERO,
                Some(ms) if ms.is_finite() && (0.0..=60_000.0).contains(&ms) => {
                    Duration::from_secs_f64(ms / 1000.0)
                }
                Some(ms) => {
                    return Err(napi::Error::new(
                        ErrorCode::Invalid,
                        format!("enrichWaitMs {ms} is not a wait from 0 to 60000 ms"),
                    ))
                }
            },
            syscall_hooks: match options.syscall_hooks.as_deref() {
                None => defaults.syscall_hooks,
                Some(name) => tracee_core::SyscallHookMode::parse(name).ok_or_else(|| {
                    let modes: Vec<&str> = tracee_core::SyscallHookMode::ALL
                        .iter()
                        .map(|m| m.name())
                        .collect();
                    napi::Error::new(
                        ErrorCode::Invalid,
                        format!("syscallHooks '{name}' is not one of {}", modes.join(", ")),
                    )
                })?,
            },
            reloadable: options.reloadable.unwrap_or(false),
            ..defaults
        };
        let tracer = Tracer::start(opts).map_err(to_napi)?;
        let info = tracer.info();
        let info = NativeTraceInfo {
            events: info.events.iter().map(|s| s.to_string()).collect(),
            policies: info.policies.clone(),
            programs: info.programs.iter().map(|s| s.to_string()).collect(),
            syscall_hooks: info.syscall_hooks.clone(),
            rootkit_checks: info.rootkit_checks.clone(),
            btf: info.btf.clone(),
            decision_case: u32::from(info.decision.case),
            decision_reason: info.decision.reason.clone(),
            ring_buffer_bytes: info.ring_buffer_bytes,
            transport: info.transport.clone(),
            disabled: info
                .disabled
                .iter()
                .map(|d| NativeDisabled {
                    events: d.events.iter().map(|e| e.to_string()).collect(),
                    reason: d.reason.clone(),
                })
                .collect(),
        };
        Ok(NativeTracer {
            containers: tracer.containers().clone(),
            policy_names: tracer.policy_names(),
            reloader: tracer.reloader(),
            json_writer: Arc::new(Mutex::new(None)),
            batches: tracer.batches().clone(),
            written: Arc::new(AtomicU64::new(0)),
            max_batch_bytes: tracer.max_batch_bytes(),
            tracer: Mutex::new(Some(tracer)),
            info,
            last_stats: Mutex::new(Default::default()),
        })
    }

    /// The most bytes a batch holds: the least `into` of `nextBatch` takes.
    #[napi]
    pub fn max_batch_bytes(&self) -> u32 {
        self.max_batch_bytes as u32
    }

    /// Copies the next batch of packed records into `into` (from its
    /// start; at least `maxBatchBytes()` long, else an EINVAL) and resolves
    /// with its length in bytes, or null once the trace has stopped and
    /// every batch has been taken. The copy is made on the libuv pool, as
    /// `fs.read` fills its buffer: leave `into` alone until this settles.
    ///
    /// Copied into the caller's buffer, which it reuses, rather than handed
    /// over as a Buffer of its own: a batch's memory is then free again as
    /// soon as it is copied, where a Buffer over it would keep it until V8
    /// collects that Buffer, which it may not do for a long time when the
    /// decoding allocates little (up to 20 MB of batches waited for it at
    /// 1 M events/s: `npm run bench -- --sections memory`).
    #[napi(ts_return_type = "Promise<number | null>")]
    pub fn next_batch(&self, into: Buffer) -> Result<AsyncTask<NextBatch>> {
        if into.len() < self.max_batch_bytes {
            return Err(napi::Error::new(
                ErrorCode::Invalid,
                format!(
                    "nextBatch: a buffer of {} bytes is shorter than maxBatchBytes() ({})",
                    into.len(),
                    self.max_batch_bytes
                ),
            ));
        }
        Ok(AsyncTask::new(NextBatch {
            batches: self.batches.clone(),
            into,
        }))
    }

    /// As `nextBatch`, and also makes the batch's Tracee JSON lines (the
    /// text `writeJson` writes, with `parseArguments` as there, following
    /// the trace's container table and policy names as it does) on the same
    /// libuv thread: resolves with the batch's length in bytes and its lines,
    /// one per record in the batch's order (what `decodeBatch` emits one
    /// event for), without their newline; or null once the trace has
    /// stopped and every batch has been taken. Each line is a string of its
    /// own (not a slice of the batch's text, which a line kept in a queue
    /// would keep alive whole). `lines` is null for a batch the writer
    /// cannot decode (then `decodeBatch` reports it). Beside `nextBatch`
    /// (either takes the next batch), not beside `writeJson`.
    #[napi(ts_return_type = "Promise<NativeBatchJson | null>")]
    pub fn next_batch_json(
        &self,
        into: Buffer,
        parse_arguments: Option<bool>,
    ) -> Result<AsyncTask<NextBatchJson>> {
        if into.len() < self.max_batch_bytes {
            return Err(napi::Error::new(
                ErrorCode::Invalid,
                format!(
                    "nextBatchJson: a buffer of {} bytes is shorter than maxBatchBytes() ({})",
                    into.len(),
                    self.max_batch_bytes
                ),
            ));
        }
        self.json_writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(|| {
                let mut w = tracee_core::json::JsonWriter::new(&self.info.policies);
                w.containers = Some(self.containers.clone());
                w.policy_names = Some(self.policy_names.clone());
                w
            });
        Ok(AsyncTask::new(NextBatchJson {
            batches: self.batches.clone(),
            into,
            writer: self.json_writer.clone(),
            parse_arguments: parse_arguments.unwrap_or(false),
        }))
    }

    /// Writes every batch as Tracee's JSON lines (`jsonLines`, with
    /// `parseArguments` as there) to file descriptor `fd`, on a thread of
    /// its own (`tracee-json`, not the libuv pool: one stuck in a write to
    /// a reader that takes no more must not hold the process's exit), in
    /// writes of about 1 MiB (or less when no batch waits), until the trace
    /// ends and every batch is written; resolves with the count. A reader
    /// that goes away (EPIPE) ends it early (`readerGone`); then stop the
    /// trace. An error (ECORRUPT, EOUTPUT) is in the result's `error`.
    /// Instead of `nextBatch`, not beside it.
    #[napi(ts_return_type = "Promise<NativeWriteResult>")]
    pub fn write_json<'env>(
        &self,
        env: &'env Env,
        fd: i32,
        parse_arguments: Option<bool>,
    ) -> napi::Result<Object<'env>> {
        let mut writer = tracee_core::json::JsonWriter::new(&self.info.policies);
        writer.parse_arguments = parse_arguments.unwrap_or(false);
        writer.containers = Some(self.containers.clone());
        writer.policy_names = Some(self.policy_names.clone());
        let mut task = WriteJson {
            batches: self.batches.clone(),
            fd,
            writer,
            written: self.written.clone(),
        };
        let (deferred, promise) = env.create_deferred::<NativeWriteResult, _>()?;
        std::thread::Builder::new()
            .name("tracee-json".into())
            .spawn(move || {
                let result = task.run();
                deferred.resolve(move |_| Ok(result));
            })
            .map_err(|e| {
                napi::Error::from_reason(format!("starting the JSON writer's thread failed: {e}"))
            })?;
        Ok(promise)
    }

    /// Events `writeJson` has written so far: while a write blocks (a
    /// reader that takes no more), what reached the reader.
    #[napi(getter)]
    pub fn written(&self) -> f64 {
        self.written.load(Ordering::Relaxed) as f64
    }

    #[napi]
    pub fn info(&self) -> NativeTraceInfo {
        self.info.clone()
    }

    /// Counters so far; still readable after `stop()` (final values).
    #[napi]
    pub fn stats(&self) -> NativeStats {
        let guard = self.tracer.lock().unwrap_or_else(|e| e.into_inner());
        let stats = match guard.as_ref() {
            Some(t) => {
                let s = t.stats();
                *self.last_stats.lock().unwrap_or_else(|e| e.into_inner()) = s.clone();
                s
            }
            None => self
                .last_stats
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        };
        NativeStats {
            received: stats.received as f64,
            lost: stats.lost as f64,
            filtered: stats.filtered as f64,
            batches: stats.batches as f64,
            per_event: stats
                .per_event
                .into_iter()
                .map(|(k, v)| (k.to_string(), v as f64))
                .collect(),
            rootkit_checks: stats.rootkit_checks as f64,
            polls: stats.polls as f64,
            undelivered: stats.undelivered as f64,
        }
    }

    /// Each loaded program's run time and runs as the kernel counts them
    /// now; empty once stopped.
    #[napi]
    pub fn program_stats(&self) -> Vec<NativeProgramStats> {
        let guard = self.tracer.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map_or_else(Vec::new, |t| {
            t.program_stats()
                .into_iter()
                .map(|p| NativeProgramStats {
                    name: p.name,
                    id: p.id,
                    run_time_ns: p.run_time_ns as f64,
                    run_count: p.run_count as f64,
                    recursion_misses: p.recursion_misses as f64,
                })
                .collect()
        })
    }

    /// How full the BPF ring buffer is now; null with a perf buffer (not
    /// measured) and once stopped.
    #[napi]
    pub fn ring_fill(&self) -> Option<NativeRingFill> {
        let guard = self.tracer.lock().unwrap_or_else(|e| e.into_inner());
        let fill = guard.as_ref()?.ring_fill()?;
        Some(NativeRingFill {
            used_bytes: fill.used_bytes as f64,
            size_bytes: fill.size_bytes as f64,
        })
    }

    /// Detaches every program and frees every map; idempotent. Throws the
    /// error that ended the trace, if one did.
    #[napi]
    pub fn stop(&self) -> Result<()> {
        let mut guard = self.tracer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut t) = guard.take() {
            let result = t.stop();
            *self.last_stats.lock().unwrap_or_else(|e| e.into_inner()) = t.stats();
            result.map_err(to_napi)?;
        }
        Ok(())
    }

    /// Replaces the policies while every program stays attached (a trace
    /// started with `reloadable: true`); resolves once records read after
    /// carry them, with null, or with why not (the running policies kept):
    /// not reloadable, a policy problem, or events or scopes the attached
    /// hooks cannot give.
    #[napi(ts_return_type = "Promise<NativeReloadError | null>")]
    pub fn reload(&self, policies: Vec<NativePolicy>) -> AsyncTask<Reload> {
        AsyncTask::new(Reload {
            reloader: self.reloader.clone(),
            policies: to_core(policies),
        })
    }

    /// Moves on each reload: `policies()` is stale when this differs.
    #[napi(getter)]
    pub fn policies_generation(&self) -> f64 {
        self.policy_names.generation() as f64
    }

    /// The policy names by bit (matched policies bit N names `[N]`), as the
    /// last reload left them: also the removed policies', at their bits.
    #[napi]
    pub fn policies(&self) -> Vec<String> {
        self.policy_names.get().1
    }

    /// Moves on every change of the container table: a mirror of it
    /// (`containers()`) is stale when this differs from its own.
    #[napi(getter)]
    pub fn containers_generation(&self) -> f64 {
        self.containers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .generation() as f64
    }

    /// The container table: every container running, or removed lately.
    #[napi]
    pub fn containers(&self) -> Vec<NativeContainer> {
        let table = self.containers.read().unwrap_or_else(|e| e.into_inner());
        let mut by_container: Vec<(Arc<Entry>, Vec<f64>)> = Vec::new();
        let mut all: Vec<(u64, &Arc<Entry>)> = table.all().collect();
        // its own cgroup first
        all.sort_by_key(|(id, e)| (e.container.cgroup_id, *id != e.container.cgroup_id, *id));
        for (id, e) in all {
            match by_container.last_mut() {
                Some((last, ids)) if Arc::ptr_eq(last, e) => ids.push(id as f64),
                _ => by_container.push((e.clone(), vec![id as f64])),
            }
        }
        by_container
            .into_iter()
            .map(|(e, cgroup_ids)| NativeContainer {
                cgroup_ids,
                json: e.json.clone(),
                id: e.container.id.clone(),
                runtime: e.container.runtime.to_string(),
                ctime: e.container.ctime_ns.to_string(),
                new: e.container.new,
                removed: e.is_removed(),
                enriched: e.container.enriched,
            })
            .collect()
    }

    /// Sets what a runtime said of container `id` (every event of it
    /// carries it from then on); false if no container has that id.
    #[napi]
    pub fn enrich_container(&self, id: String, info: NativeEnrichment) -> bool {
        let e = to_enrichment(info);
        self.containers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .enrich(&id, &e)
    }

    /// True once the trace has ended, by `stop()` or by an error.
    #[napi(getter)]
    pub fn stopped(&self) -> bool {
        self.tracer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(|t| t.is_stopped())
    }
}

/// What `writeJson` did: the events written; whether it stopped early
/// because the reader went away (EPIPE: `| head`); the error that stopped
/// it, if one did.
#[napi(object)]
pub struct NativeWriteResult {
    pub written: f64,
    pub reader_gone: bool,
    pub error: Option<NativeWriteError>,
}

/// An error of `writeJson`: `code` ECORRUPT (a batch that does not decode)
/// or EOUTPUT (a write error), and a one-line message.
#[napi(object)]
pub struct NativeWriteError {
    pub code: String,
    pub message: String,
}

/// Writes every batch as JSON lines to a file descriptor, on the thread
/// `write_json` starts, until the trace ends.
pub struct WriteJson {
    batches: Receiver<Batch>,
    fd: i32,
    writer: tracee_core::json::JsonWriter,
    written: Arc<AtomicU64>,
}

/// Bytes of JSON gathered before a write: large writes, few syscalls.
const WRITE_CHUNK: usize = 1 << 20;

impl WriteJson {
    fn run(&mut self) -> NativeWriteResult {
        // a pipe holds 64 KiB by default: one write of WRITE_CHUNK would wake
        // its reader 16 times. Grown to the chunk where the kernel lets this
        // process (up to /proc/sys/fs/pipe-max-size, 1 MiB by default);
        // not a pipe, or refused: as it is.
        // SAFETY: fcntl on the caller's fd; F_SETPIPE_SZ only sizes a pipe.
        unsafe { libc::fcntl(self.fd, libc::F_SETPIPE_SZ, WRITE_CHUNK as libc::c_int) };
        let mut out = Vec::with_capacity(WRITE_CHUNK + (64 << 10));
        let mut written = 0u64;
        let mut pending = 0u64;
        let result =
            |written: u64, reader_gone, error: Option<(ErrorCode, String)>| NativeWriteResult {
                written: written as f64,
                reader_gone,
                error: error.map(|(code, message)| NativeWriteError {
                    code: code.as_str().to_string(),
                    message,
                }),
            };
        while let Ok(batch) = self.batches.recv() {
            let n = match self.writer.write_batch(&batch.data, &mut out) {
                Ok(n) => n,
                Err(e) => {
                    let msg = format!("corrupt batch from the kernel side: {e}");
                    return result(written, false, Some((ErrorCode::Corrupt, msg)));
                }
            };
            pending += n as u64;
            // written when large, or when no batch waits: a quiet trace's
            // events appear within the flush interval
            if out.len() >= WRITE_CHUNK || self.batches.is_empty() {
                match write_all(self.fd, &out) {
                    Ok(()) => {}
                    Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {
                        return result(written, true, None);
                    }
                    Err(e) => {
                        let to = if self.fd == 1 {
                            "stdout".to_string()
                        } else {
                            format!("file descriptor {}", self.fd)
                        };
                        let msg = format!("writing events to {to} failed: {e}");
                        return result(written, false, Some((ErrorCode::Output, msg)));
                    }
                }
                if written == 0 && pending > 0 {
                    // TRACEE_TIMING's last start-up phase, as the JavaScript printer marks it
                    tracee_core::timing::mark("first event written");
                }
                written += pending;
                self.written.store(written, Ordering::Relaxed);
                pending = 0;
                out.clear();
            }
        }
        result(written, false, None)
    }
}

/// Writes all of `buf` to `fd`, waiting where the fd is non-blocking and
/// full (a pipe Node has made non-blocking) and retrying on EINTR.
fn write_all(fd: i32, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: buf is valid for buf.len() bytes; fd is the caller's.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n >= 0 {
            buf = &buf[n as usize..];
            continue;
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EAGAIN) => {
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: p is one valid pollfd.
                unsafe { libc::poll(&mut p, 1, -1) };
            }
            _ => return Err(e),
        }
    }
    Ok(())
}

/// Waits on the libuv pool for the next batch and copies it into `into`.
pub struct NextBatch {
    batches: Receiver<Batch>,
    /// At least the tracer's max_batch_bytes (checked by next_batch).
    into: Buffer,
}

impl Task for NextBatch {
    type Output = Option<u32>;
    type JsValue = Option<u32>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Ok(batch) = self.batches.recv() else {
            return Ok(None);
        };
        // SAFETY: nothing else writes `into` meanwhile: the caller leaves it
        // alone until this task settles (nextBatch's contract, fs.read's),
        // and the Buffer's reference keeps its memory alive until then.
        let into: &mut [u8] = self.into.as_mut();
        into[..batch.data.len()].copy_from_slice(&batch.data);
        // the batch's Vec is freed here, for the poll thread to reuse
        Ok(Some(batch.data.len() as u32))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output)
    }
}

/// A batch as `nextBatchJson` gives it: its packed records' length in
/// bytes (copied into the caller's buffer) and their JSON lines.
#[napi(object)]
pub struct NativeBatchJson {
    pub length: u32,
    /// One line of Tracee's JSON per record, in order, without newline;
    /// null where a record does not decode.
    pub lines: Option<Vec<String>>,
}

/// Waits on the libuv pool for the next batch, copies it into `into` and
/// writes its JSON lines.
pub struct NextBatchJson {
    batches: Receiver<Batch>,
    /// At least the tracer's max_batch_bytes (checked by next_batch_json).
    into: Buffer,
    /// The tracer's writer (one task at a time uses it: a lock per batch).
    writer: Arc<Mutex<Option<tracee_core::json::JsonWriter>>>,
    parse_arguments: bool,
}

impl Task for NextBatchJson {
    type Output = Option<NativeBatchJson>;
    type JsValue = Option<NativeBatchJson>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Ok(batch) = self.batches.recv() else {
            return Ok(None);
        };
        // SAFETY: as NextBatch's: the caller leaves `into` alone until this
        // task settles, and the Buffer's reference keeps its memory alive.
        let into: &mut [u8] = self.into.as_mut();
        into[..batch.data.len()].copy_from_slice(&batch.data);
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let writer = guard.as_mut().expect("next_batch_json made the writer");
        writer.parse_arguments = self.parse_arguments;
        // a record's line is a few times its packed size
        let mut out = Vec::with_capacity(batch.data.len() * 4);
        let written = writer.write_batch(&batch.data, &mut out);
        drop(guard);
        let lines = written.ok().map(|_| {
            let text = String::from_utf8(out).expect("the writer writes UTF-8");
            // every line ends in a newline, and none has one inside (JSON escapes it)
            text.split_terminator('\n').map(str::to_owned).collect()
        });
        Ok(Some(NativeBatchJson {
            length: batch.data.len() as u32,
            lines,
        }))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output)
    }
}

/// The record layout and the event catalog, as JSON (see tracee-core's
/// build.rs); the TypeScript decoder is generated from it.
#[napi]
pub fn schema() -> &'static str {
    tracee_core::SCHEMA_JSON
}

/// Every code the binding's errors carry as `code` (tracee-core's
/// `ErrorCode::ALL`); the TypeScript union is generated from it.
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

/// tracee-core's defaults of the trace options (`TraceOptions::default()`)
/// and the values `syscallHooks` takes: what the TypeScript options and the
/// CLI show and fall back to (generated into DEFAULTS by codegen.mjs).
#[napi(object)]
pub struct NativeDefaults {
    /// What is traced when nothing is named (event and set names).
    pub events: Vec<String>,
    /// The kernel ring buffer's size in bytes.
    pub ring_buffer_bytes: u32,
    pub batch_events: u32,
    pub flush_interval_ms: u32,
    pub queue_batches: u32,
    pub perf_buffer: bool,
    pub legacy_programs: bool,
    pub syscall_hooks: String,
    /// Every value syscallHooks takes.
    pub syscall_hooks_modes: Vec<String>,
    /// `auto` hooks each syscall's own tracepoints for up to this many
    /// selected syscalls.
    pub per_syscall_max: u32,
    pub exec_env: bool,
    /// Seconds between the rootkit checks after the one at start.
    pub rootkit_check_interval_s: f64,
}

#[napi]
pub fn defaults() -> NativeDefaults {
    let d = tracee_core::TraceOptions::default();
    NativeDefaults {
        events: d.events,
        ring_buffer_bytes: d.ring_buffer_bytes,
        batch_events: d.batch_events,
        flush_interval_ms: d.flush_interval.as_millis() as u32,
        queue_batches: d.queue_batches as u32,
        perf_buffer: d.perf_buffer,
        legacy_programs: d.legacy_programs,
        syscall_hooks: d.syscall_hooks.name().to_string(),
        syscall_hooks_modes: tracee_core::SyscallHookMode::ALL
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
        per_syscall_max: tracee_core::PER_SYSCALL_MAX as u32,
        exec_env: d.exec_env,
        rootkit_check_interval_s: d.rootkit_check_interval.as_secs_f64(),
    }
}

/// The forms of a scope filter the policy parser takes, one entry each
/// (`comm=`, `pid=/pid>=`, `tree=PID`, `follow`): `--scope`'s help.
#[napi]
pub fn scope_syntax() -> Vec<String> {
    tracee_core::policy::scope_syntax()
}

/// Up to `n` of `candidates` nearest to `name` (edit distance), none more
/// than `within` edits away, nearest first: tracee-core's "did you mean".
#[napi]
pub fn nearest_names(name: String, candidates: Vec<String>, n: u32, within: u32) -> Vec<String> {
    tracee_core::catalog::nearest(
        &name,
        candidates.iter().map(String::as_str),
        n as usize,
        within as usize,
    )
    .into_iter()
    .map(str::to_string)
    .collect()
}

/// Nanoseconds since the epoch at boot (CLOCK_REALTIME − CLOCK_BOOTTIME),
/// in decimal: records count from boot, Tracee's JSON from the epoch, and
/// the sum does not fit a JavaScript number exactly.
#[napi]
pub fn boot_epoch_ns() -> String {
    tracee_core::json::boot_epoch_ns().to_string()
}

/// A batch of packed records (as `nextBatch` gives them) as Tracee's JSON
/// lines, each ending in a newline: the text `writeJson` writes (with
/// `parseArguments`, integers by their decoder, as `decodeValue`).
/// `policies` are the trace's (`info().policies`), by bit. Throws ECORRUPT
/// for a batch that does not decode.
#[napi]
pub fn json_lines(
    batch: Buffer,
    policies: Vec<String>,
    parse_arguments: Option<bool>,
) -> Result<String> {
    let mut out = Vec::new();
    let mut writer = tracee_core::json::JsonWriter::new(&policies);
    writer.parse_arguments = parse_arguments.unwrap_or(false);
    writer.write_batch(&batch, &mut out).map_err(corrupt)?;
    Ok(String::from_utf8(out).expect("the writer writes UTF-8"))
}

/// An integer argument shown by its events.tbl decoder (`open_flags`:
/// `O_RDONLY|O_CLOEXEC`), as Tracee's parse-arguments shows it; null for a
/// decoder not known or a value that is not finite. `value` is taken as an
/// integer (a fraction is cut).
#[napi]
pub fn decode_value(decoder: String, value: f64) -> Option<String> {
    // NaN and infinities are no integers: null, shown as JavaScript shows them
    if !value.is_finite() {
        return None;
    }
    tracee_core::decoders::decode_value(&decoder, value as i128)
}

fn corrupt(e: tracee_core::DecodeError) -> napi::Error<ErrorCode> {
    napi::Error::new(
        ErrorCode::Corrupt,
        format!("corrupt batch from the kernel side: {e}"),
    )
}

/// What `tracee-rs btf info` prints: the environment read, the decision
/// (or why there is none) and the embedded archive.
#[napi(object)]
pub struct NativeBtfInfo {
    pub bpf_file: Option<String>,
    pub btf_file: Option<String>,
    /// The kernel BTF path if usable, else why not.
    pub kernel_btf: String,
    pub kernel_btf_usable: bool,
    /// This kernel's key (os id/version/arch/release), or why it is unknown.
    pub kernel_key: String,
    /// Whether this kernel's key is in the embedded archive.
    pub embedded_match: bool,
    pub decision_case: Option<u32>,
    pub object: Option<String>,
    pub btf_source: Option<String>,
    pub reason: String,
    /// Set when no decision could be made: `CODE: message`.
    pub error: Option<String>,
    pub embedded_kernels: u32,
    pub embedded_blobs: u32,
    pub embedded_bytes: u32,
}

#[napi]
pub fn btf_info() -> Result<NativeBtfInfo> {
    use tracee_core::btf::{self, ObjectSource};
    let env = btf::Environment::read();
    let archive = btf::embedded().map_err(to_napi)?;
    let decision = btf::decide(&env, archive);
    let key = env.kernel.as_ref().map(|k| k.to_string());
    Ok(NativeBtfInfo {
        bpf_file: env.bpf_file.as_ref().map(|p| p.display().to_string()),
        btf_file: env.btf_file.as_ref().map(|p| p.display().to_string()),
        kernel_btf: match &env.kernel_btf {
            Ok(p) => p.display().to_string(),
            Err(why) => why.clone(),
        },
        kernel_btf_usable: env.kernel_btf.is_ok(),
        embedded_match: env.kernel.as_ref().is_ok_and(|k| archive.get(k).is_some()),
        kernel_key: key.unwrap_or_else(|e| format!("unknown: {e}")),
        decision_case: decision.as_ref().ok().map(|d| u32::from(d.case)),
        object: decision.as_ref().ok().map(|d| match &d.object {
            ObjectSource::Embedded => "embedded".to_string(),
            ObjectSource::File(p) => p.display().to_string(),
        }),
        btf_source: decision.as_ref().ok().map(|d| d.btf.to_string()),
        reason: decision
            .as_ref()
            .map(|d| d.reason.clone())
            .unwrap_or_default(),
        error: decision
            .as_ref()
            .err()
            .map(|e| format!("{}: {e}", e.code())),
        embedded_kernels: archive.len() as u32,
        embedded_blobs: archive.blob_count() as u32,
        embedded_bytes: btf::embedded_size() as u32,
    })
}

#[napi(object)]
pub struct NativeEmbeddedBtf {
    pub key: String,
    pub bytes: u32,
}

/// The kernels whose minimized BTF is embedded.
#[napi]
pub fn btf_list() -> Result<Vec<NativeEmbeddedBtf>> {
    let archive = tracee_core::btf::embedded().map_err(to_napi)?;
    Ok(archive
        .keys()
        .map(|k| NativeEmbeddedBtf {
            key: k.to_string(),
            bytes: archive.get(k).map_or(0, |b| b.len() as u32),
        })
        .collect())
}

/// One embedded minimized BTF, by key (`id/version/arch/release`).
#[napi]
pub fn btf_extract(key: String) -> Result<Buffer> {
    let bytes = tracee_core::btf::extract(&key).map_err(to_napi)?;
    Ok(bytes.to_vec().into())
}

/// The build's size report of the embedded archive.
#[napi]
pub fn btf_report() -> &'static str {
    tracee_core::btf::BUILD_REPORT
}

#[napi(object)]
pub struct NativeCheck {
    pub name: String,
    /// ok, warn (works, at a cost) or fail (tracing cannot start)
    pub status: String,
    pub detail: String,
    pub fix: Option<String>,
}

/// The preflight checks of `tracee-rs doctor`.
#[napi]
pub fn doctor() -> Vec<NativeCheck> {
    use tracee_core::doctor::Status;
    tracee_core::doctor::run()
        .into_iter()
        .map(|c| NativeCheck {
            name: c.name.to_string(),
            status: match c.status {
                Status::Ok => "ok",
                Status::Warn => "warn",
                Status::Fail => "fail",
            }
            .to_string(),
            detail: c.detail,
            fix: c.fix,
        })
        .collect()
}
