//! Opening, loading and attaching the object for one trace, step by step:
//! - [`plan`]: what to load (events, syscall and kernel-function hooks,
//!   programs), from the trace's [`Plan`];
//! - [`object`]: the object, opened from the decision's source with its
//!   BTF, and loaded;
//! - [`fallback`]: the programs a kernel rejects (their events disabled,
//!   or their other variant used) and the reloads without them;
//! - [`settings`]: what user space writes into the object before and
//!   after load (.rodata, scopes, the selection);
//! - [`attach`]: the programs attached, the rootkit checks set up.
//!
//! [`programs`] is the table of the object's programs they all read.

mod attach;
mod fallback;
mod object;
mod plan;
mod programs;
mod reload;
mod settings;
pub(crate) use reload::{reload, Hooked, Live};
pub(crate) use settings::container_state;

use libbpf_rs::{Link, Map, MapCore, Object};

use crate::btf::{self, BtfSource, Decision};
use crate::catalog::EventDef;
use crate::features::Transport;
use crate::policy::Compiled;
use crate::rootkit;
use crate::tracer::{TraceOptions, TracerInfo};
use crate::Error;

/// The name of the object's map `$name`, checked against the skeleton
/// libbpf-cargo generates from bpf/ (its `TraceeMaps` has a field per
/// map): a map bpf/ does not define is a compile error, not a failure at
/// run time.
macro_rules! map_name {
    ($name:ident) => {{
        // never called: it only names the skeleton's field
        let _ = |maps: &crate::bpf::TraceeMaps<'_>| {
            let _ = &maps.$name;
        };
        stringify!($name)
    }};
}
pub(crate) use map_name;

/// The loaded object's map `$name` (see `map_name!`).
macro_rules! map {
    ($obj:expr, $name:ident) => {
        crate::loader::find_map($obj, crate::loader::map_name!($name))
    };
}
pub(crate) use map;

/// The bytes of a skeleton type without implicit padding (repr(C),
/// integers and arrays of them).
pub(crate) fn bytes_of<T>(v: &T) -> &[u8] {
    // SAFETY: T is one of the skeleton's plain-data structs whose padding,
    // if any, is an explicit field: every byte is initialized.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

pub(crate) fn find_map<'o>(obj: &'o Object, name: &str) -> Result<Map<'o>, Error> {
    obj.maps()
        .find(|m| m.name() == name)
        .ok_or_else(|| Error::Load {
            cause: format!("the object has no map '{name}'"),
            log: String::new(),
        })
}

/// Everything decided before the poll thread starts.
pub(crate) struct Plan {
    pub opts: TraceOptions,
    pub events: Vec<&'static EventDef>,
    /// The policies as given, and compiled: which select each event, their
    /// scopes and filters.
    pub policies: Vec<crate::Policy>,
    pub compiled: Compiled,
    pub decision: Decision,
    pub transport: Transport,
    /// Load the legacy programs (kernels without BPF global data).
    pub legacy: bool,
    /// Read the task's fields with plain loads (kernel BTF and 5.11+).
    pub direct_task_reads: bool,
    /// The containers: the hierarchy that tells them, and the table.
    pub containers: crate::containers::Tracking,
}

/// Events switched off because their program could not load here.
#[derive(Debug, Clone)]
pub struct Disabled {
    pub programs: Vec<&'static str>,
    pub events: Vec<&'static str>,
    pub reason: String,
}

/// What a trace holds once attached: the object, its links, what was
/// attached, the rootkit checks, and what the hooks can give a reload.
pub(crate) type Loaded = (
    Object,
    Vec<Link>,
    TracerInfo,
    Option<rootkit::Checker>,
    Hooked,
);

/// Loads and attaches what `plan` selects; the events that cannot run
/// here are off (TracerInfo's `disabled`) while the rest runs. Err: none
/// of the selected events can run, or a failure that is not one event's.
pub(crate) fn load_and_attach(plan: &Plan) -> Result<Loaded, Error> {
    // the memfd is held until load() has resolved the CO-RE relocations
    let (custom_btf, _memfd) = object::custom_btf(&plan.decision)?;
    let mut sel = plan::select(plan)?;
    let obj = fallback::load(plan, &mut sel, custom_btf.as_deref())?;
    let mut events = sel.loaded_events();
    settings::after_load(&obj, plan, &sel.scope, &events)?;
    let attached = attach::attach(&obj, plan.legacy, &mut sel, &mut events)?;
    let checker = attach::rootkit_checker(&obj, &mut sel, &mut events);
    if events.is_empty() {
        // every selected event's kernel function failed to attach
        return Err(unavailable(&sel.disabled));
    }
    // Processes already running: their trees and executables, now that
    // the fork and exec hooks keep the map for the ones to come.
    settings::seed_proc_scopes(&obj, &sel.scope)?;
    crate::timing::mark("attached");
    let hooked = Hooked {
        events: events.clone(),
        fork: sel.enabled("tracee_sched_process_fork"),
        exec: sel.enabled("tracee_sched_process_exec")
            || sel.enabled(programs::SCHED_PROCESS_EXEC_FIND_VMA),
    };
    let info = TracerInfo {
        policies: plan.compiled.names.clone(),
        disabled: sel.disabled,
        events: events.iter().map(|e| e.name).collect(),
        programs: attached.programs,
        syscall_hooks: sel.hooks.why,
        rootkit_checks: checker
            .as_ref()
            .map(|c| c.describe(plan.opts.rootkit_check_interval))
            .unwrap_or_default(),
        btf: plan.decision.btf.to_string(),
        decision: plan.decision.clone(),
        ring_buffer_bytes: plan.opts.ring_buffer_bytes,
        transport: match plan.transport {
            Transport::RingBuffer => "BPF ring buffer".into(),
            Transport::PerfBuffer(why) => why.into(),
        },
    };
    Ok((obj, attached.links, info, checker, hooked))
}

/// Nothing selected can run: why each event is off.
fn unavailable(disabled: &[Disabled]) -> Error {
    Error::Unavailable {
        reasons: disabled
            .iter()
            .map(|d| format!("{}: {}", d.events.join(","), d.reason))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The object with only `program` loaded, for a one-off run (the rootkit
/// checks' reader, rootkit::syscall_table): against the kernel's BTF, or
/// the one TRACEE_BTF_FILE gives.
pub(crate) fn load_one(program: &str, event: &str) -> Result<Object, Error> {
    let policies = vec![crate::Policy::from_events(&[event])];
    let compiled = crate::policy::compile(&policies).map_err(|mut issues| Error::Policy {
        issue: issues.remove(0),
    })?;
    let decision = btf::decide(&btf::Environment::read(), btf::embedded()?)?;
    crate::privileges::check()?;
    let custom_btf = match &decision.btf {
        BtfSource::Kernel(_) => None,
        BtfSource::File(path) => Some(path.clone()),
        BtfSource::Embedded(key) => {
            return Err(Error::Unavailable {
                reasons: format!("{program} runs with the kernel's own BTF only, and this kernel has none (embedded {key})"),
            })
        }
    };
    let plan = Plan {
        opts: TraceOptions::default(),
        events: crate::catalog::by_name(event).into_iter().collect(),
        policies,
        compiled,
        decision,
        transport: Transport::RingBuffer,
        legacy: false,
        direct_task_reads: false,
        containers: crate::containers::Tracking::start(None).map_err(|cause| Error::Load {
            cause,
            log: String::new(),
        })?,
    };
    let scope = plan
        .compiled
        .kernel_scope(&plan.containers.table.read().expect("the table's lock"));
    object::open_and_load(&plan, &scope, custom_btf.as_deref(), &[], &|p: &str| {
        p == program
    })
}
