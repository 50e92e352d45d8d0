//! What to load for one trace, decided before anything is loaded: which
//! selected events can run with this set of programs, how kernel-function
//! events are hooked (fentry, kprobes, or derived at syscalls' exit),
//! where syscalls are hooked, and so which programs are needed and which
//! of their variants go unused. The fallbacks (fallback.rs) revise it
//! when the kernel refuses a program.

use std::thread::JoinHandle;

use crate::catalog::EventDef;
use crate::features::{self, helper_supported};
use crate::policy::KernelScope;
use crate::rootkit;
use crate::syscall_hooks::{self, SyscallHooks};
use crate::Error;

use super::programs::{
    all_programs, function_hook, serves, FunctionHook, FUNCTION_HOOKS, SCHED_PROCESS_EXEC_FIND_VMA,
};
use super::{settings, Disabled, Plan};

/// /proc/kallsyms read for the rootkit checks (rootkit::Checker::prepare).
type RootkitPrepared = JoinHandle<Result<(rootkit::Kallsyms, u64, u64), String>>;

/// What to load, and what is off and why; kept up to date as programs are
/// refused.
pub(super) struct Selection {
    /// The events loaded for: the selection but those off from the start.
    /// Programs are needed for these even once a fallback turns some off.
    pub events: Vec<&'static EventDef>,
    /// Events off, with their programs and why.
    pub disabled: Vec<Disabled>,
    /// Programs an event needs but that are not loaded: the variant not
    /// chosen (the kprobe where fentry runs, the plain exec program where
    /// bpf_find_vma runs...).
    pub unused: Vec<&'static str>,
    /// Why fentry was refused, for the events that fell back to kprobes.
    pub fentry_refused: Vec<(&'static str, String)>,
    /// Whether kprobes can run here, or why not.
    pub kprobes: Result<(), String>,
    pub hooks: SyscallHooks,
    /// The events derived at syscalls' exit by their fallback (a switch
    /// in .rodata each).
    pub derive: Vec<&'static str>,
    pub scope: KernelScope,
    /// /proc/kallsyms, read while the object loads (~70 ms here).
    pub rootkit_prepared: Option<RootkitPrepared>,
}

impl Selection {
    /// Whether `program` (a base name) is needed: it serves a selected
    /// event, or the scopes' bookkeeping (process trees, executables,
    /// follow) needs it whether or not its event is selected.
    pub fn needed(&self, program: &str) -> bool {
        let keeps = match program {
            "tracee_sched_process_fork" | "tracee_sched_process_exit" => self.scope.needs_fork,
            "tracee_sched_process_exec" | SCHED_PROCESS_EXEC_FIND_VMA => self.scope.needs_exec,
            // the container table (containers::table) is kept from them
            "tracee_cgroup_mkdir" | "tracee_cgroup_rmdir" => true,
            _ => false,
        };
        keeps || self.events.iter().any(|e| serves(program, e, &self.hooks))
    }

    /// Whether `program` is needed and neither unused nor disabled.
    pub fn enabled(&self, program: &str) -> bool {
        self.needed(program)
            && !self.unused.contains(&program)
            && !self.disabled.iter().any(|d| d.programs.contains(&program))
    }

    /// The events no fallback has turned off.
    pub fn loaded_events(&self) -> Vec<&'static EventDef> {
        self.events
            .iter()
            .copied()
            .filter(|e| !self.disabled.iter().any(|d| d.events.contains(&e.name)))
            .collect()
    }
}

/// Decides what to load for `plan`. Err: the syscalls cannot be hooked as
/// asked (syscall_hooks::plan).
pub(super) fn select(plan: &Plan) -> Result<Selection, Error> {
    let mut disabled = Vec::new();
    let (events, rootkit_prepared) = runnable_events(plan, &mut disabled);
    let functions = function_hooks(plan, &events, &mut disabled);
    let FunctionHooks {
        mut unused,
        fentry_refused,
        kprobes,
        fallbacks,
    } = functions;
    let derived: Vec<(&'static str, &'static [&'static str])> = events
        .iter()
        .filter(|e| !e.after.is_empty())
        .map(|e| (e.name, e.after))
        .chain(fallbacks.iter().map(|(e, _)| (e.name, e.fallback)))
        .collect();
    // sched_process_exec finds the ELF interpreter walking the process's
    // mappings: a list before 6.1, walked by the plain program; a maple
    // tree since, searched by bpf_find_vma (5.17+), which needs the
    // kernel's own BTF. One of the two programs is loaded. mem_prot_alert
    // reads the mapping's flags at mprotect's entry with it too (no plain
    // variant: elsewhere it keeps to the regions it saw made W+X).
    let find_vma = !plan.legacy
        && plan.decision.btf.has_kernel_btf()
        && helper_supported(libbpf_rs::libbpf_sys::BPF_FUNC_find_vma);
    let derived_entry: Vec<&'static str> = if find_vma {
        events
            .iter()
            .flat_map(|e| e.before.iter().copied())
            .collect()
    } else {
        Vec::new()
    };
    let mut hooks =
        syscall_hooks::plan(plan.opts.syscall_hooks, &events, &derived, &derived_entry)?;
    // the syscalls hooked at their exit: those that return (programs::serves)
    hooks.exit_fixed = events
        .iter()
        .filter(|e| e.syscall && !e.noreturn)
        .all(|e| settings::fixed_record(e, plan.opts.exec_env));
    for (e, why) in &fallbacks {
        hooks.why.push_str(&format!(
            "; {} from the exit of {} ({why})",
            e.name,
            e.fallback.join(", ")
        ));
    }
    unused.push(if find_vma {
        "tracee_sched_process_exec"
    } else {
        SCHED_PROCESS_EXEC_FIND_VMA
    });
    Ok(Selection {
        events,
        disabled,
        unused,
        fentry_refused,
        kprobes,
        hooks,
        derive: fallbacks.iter().map(|(e, _)| e.name).collect(),
        scope: plan
            .compiled
            .kernel_scope(&plan.containers.table.read().expect("the table's lock")),
        rootkit_prepared,
    })
}

/// The selected events this set of programs can serve; the others into
/// `disabled`. Starts reading /proc/kallsyms where rootkit checks run.
fn runnable_events(
    plan: &Plan,
    disabled: &mut Vec<Disabled>,
) -> (Vec<&'static EventDef>, Option<RootkitPrepared>) {
    let legacy = plan.legacy;
    // events derived at syscalls' exit have programs for 5.2+ only
    // (tracee_derived_exit, no legacy variant): with the legacy programs
    // they are off, and hook nothing
    let (events, derived): (Vec<&'static EventDef>, Vec<&'static EventDef>) = plan
        .events
        .iter()
        .partition(|e| !legacy || e.after.is_empty());
    if !derived.is_empty() {
        disabled.push(Disabled {
            programs: Vec::new(),
            events: derived.iter().map(|e| e.name).collect(),
            reason: "derived in the kernel by the programs for Linux 5.2+ only, and the legacy programs run here".into(),
        });
    }
    // the rootkit checks: run through BPF_PROG_TEST_RUN (no legacy
    // variant), and judged with /proc/kallsyms, which must show addresses
    let (mut events, rootkit_events): (Vec<&'static EventDef>, Vec<&'static EventDef>) = events
        .into_iter()
        .partition(|e| !rootkit::EVENTS.contains(&e.name));
    let mut prepared = None;
    if !rootkit_events.is_empty() {
        let names = rootkit_events.iter().map(|e| e.name).collect();
        if legacy {
            disabled.push(Disabled {
                programs: vec![rootkit::PROGRAM],
                events: names,
                reason:
                    "checked by a program for Linux 5.10+ only, and the legacy programs run here"
                        .into(),
            });
        } else {
            // /proc/kallsyms takes ~70 ms to read here: read while the
            // object loads; judged once it has
            prepared = Some(std::thread::spawn(rootkit::Checker::prepare));
            events.extend(rootkit_events.iter().copied());
        }
    }
    (events, prepared)
}

/// How the selected kernel-function events are hooked.
struct FunctionHooks {
    /// The programs not chosen.
    unused: Vec<&'static str>,
    fentry_refused: Vec<(&'static str, String)>,
    kprobes: Result<(), String>,
    /// The events derived at syscalls' exit instead, with why.
    fallbacks: Vec<(&'static EventDef, String)>,
}

/// Kernel-function events: fentry where the kernel has its own BTF,
/// kprobes elsewhere, else derived at syscalls' exit where the event has
/// such a fallback (security_file_open, security_inode_rename), else off
/// (into `disabled`). None has a legacy variant.
fn function_hooks(
    plan: &Plan,
    events: &[&'static EventDef],
    disabled: &mut Vec<Disabled>,
) -> FunctionHooks {
    let legacy = plan.legacy;
    let selected: Vec<&FunctionHook> = FUNCTION_HOOKS
        .iter()
        .filter(|h| events.iter().any(|e| e.name == h.event))
        .collect();
    let fentry = if selected.is_empty() {
        Ok(()) // not asked: not probed
    } else if legacy {
        Err("fentry needs Linux 5.5+ and the legacy programs run on older kernels".to_string())
    } else if !plan.decision.btf.has_kernel_btf() {
        Err(format!(
            "fentry needs the kernel's own BTF, and this trace uses {}",
            plan.decision.btf
        ))
    } else {
        // some kernels refuse every fentry program: known before loading
        features::fentry_supported()
            .map_err(|why| format!("this kernel runs no fentry programs ({why})"))
    };
    let kprobes = if legacy {
        Err("the kprobe programs need Linux 5.2+ (global data)".to_string())
    } else {
        features::kprobes_available()
    };
    let mut out = FunctionHooks {
        unused: Vec::new(),
        fentry_refused: Vec::new(),
        kprobes: Ok(()),
        fallbacks: Vec::new(),
    };
    match (&fentry, &kprobes) {
        (Ok(()), _) => out.unused.extend(selected.iter().map(|h| h.kprobe)),
        (Err(f), Ok(())) => {
            out.unused.extend(selected.iter().map(|h| h.fentry));
            out.fentry_refused
                .extend(selected.iter().map(|h| (h.event, f.clone())));
        }
        (Err(f), Err(k)) => {
            let def = |h: &FunctionHook| events.iter().copied().find(|e| e.name == h.event);
            let (derived, off): (Vec<&FunctionHook>, Vec<&FunctionHook>) = selected
                .iter()
                .copied()
                .partition(|h| def(h).is_some_and(|e| !e.fallback.is_empty() && !legacy));
            for h in derived {
                out.unused.extend([h.fentry, h.kprobe]);
                out.fallbacks
                    .extend(def(h).map(|e| (e, format!("{f}; {k}"))));
            }
            if !off.is_empty() {
                disabled.push(Disabled {
                    programs: off.iter().flat_map(|h| [h.fentry, h.kprobe]).collect(),
                    events: off.iter().map(|h| h.event).collect(),
                    reason: format!("{f}; {k}"),
                });
            }
        }
    }
    out.kprobes = kprobes;
    out
}

/// Whether anything selected is left to load.
pub(super) fn anything_enabled(sel: &Selection) -> bool {
    all_programs().any(|p| sel.enabled(p))
}

/// Whether every program off is a kernel-function one.
pub(super) fn only_functions_off(sel: &Selection) -> bool {
    sel.disabled
        .iter()
        .all(|d| d.programs.iter().all(|p| function_hook(p).is_some()))
}
