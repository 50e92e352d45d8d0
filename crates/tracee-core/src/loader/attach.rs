//! Attaching the loaded programs, in a fixed order (programs.rs): each
//! where its section says, the per-syscall ones on each selected
//! syscall's tracepoint. A kernel function that cannot be attached turns
//! off its event only; any other failure drops what was attached. Then
//! the rootkit checks, which run the checking program rather than attach
//! it, are set up.

use libbpf_rs::{Link, Object, ProgramMut};

use crate::catalog::EventDef;
use crate::rootkit;
use crate::syscall_hooks::{open_tracepoint, Hook};
use crate::Error;

use super::plan::Selection;
use super::programs::{all_programs, function_hook, object_name, FunctionHook};
use super::{settings, Disabled};

/// The links, and where each program went (`raw_tracepoint/sys_exit`,
/// `tracepoint/syscalls/sys_exit_openat`, `BPF_PROG_TEST_RUN ...`).
pub(super) struct Attached {
    pub links: Vec<Link>,
    pub programs: Vec<String>,
}

/// Attaches every program `sel` enables; `events` loses those whose kernel
/// function cannot be attached (deselected in the kernel, into
/// `sel.disabled`). Err: any other program failed to attach.
pub(super) fn attach(
    obj: &Object,
    legacy: bool,
    sel: &mut Selection,
    events: &mut Vec<&'static EventDef>,
) -> Result<Attached, Error> {
    let mut attached = Attached {
        links: Vec::new(),
        programs: Vec::new(),
    };
    for base in all_programs() {
        if !sel.enabled(base) {
            continue;
        }
        if base == rootkit::PROGRAM {
            // not attached: run by the checks (rootkit.rs)
            attached.programs.push(format!("BPF_PROG_TEST_RUN {base}"));
            continue;
        }
        let prog_name = object_name(base, legacy);
        let prog = obj
            .progs_mut()
            .find(|p| p.name() == prog_name.as_str())
            .ok_or_else(|| Error::Load {
                cause: format!("the object has no program {prog_name}"),
                log: String::new(),
            })?;
        let per_syscall = match base {
            "tracee_sys_enter_per_syscall" => &sel.hooks.entry,
            "tracee_sys_exit_per_syscall" | "tracee_sys_exit_fixed_per_syscall" => &sel.hooks.exit,
            "tracee_derived_exit_per_syscall" => &sel.hooks.derived,
            "tracee_derived_enter_find_vma_per_syscall" => &sel.hooks.derived_entry,
            _ => &Hook::None,
        };
        if let Hook::PerSyscall(tracepoints) = per_syscall {
            attach_per_syscall(&prog, tracepoints, &mut attached)?;
            continue;
        }
        // where it attaches is its section name, e.g. raw_tracepoint/sys_exit
        let attach_point = prog.section().to_string_lossy().into_owned();
        match (prog.attach(), function_hook(base)) {
            (Ok(link), _) => {
                attached.links.push(link);
                attached.programs.push(attach_point);
            }
            // a kernel function this kernel does not have (or cannot probe):
            // that event is off, the rest runs
            (Err(e), Some(hook)) => {
                let cause = format!("{attach_point}: cannot attach: {e}");
                function_off(obj, sel, events, hook, cause);
            }
            (Err(e), None) => {
                return Err(Error::Attach {
                    program: attach_point,
                    cause: e.to_string(),
                })
            }
        }
    }
    Ok(attached)
}

/// One program on each of `tracepoints` (syscall tracepoints and their
/// ids), through perf events.
fn attach_per_syscall(
    prog: &ProgramMut,
    tracepoints: &[(String, u64)],
    attached: &mut Attached,
) -> Result<(), Error> {
    for (tp, id) in tracepoints {
        let attach_point = format!("tracepoint/{tp}");
        let fail = |cause: String| Error::Attach {
            program: attach_point.clone(),
            cause,
        };
        let pfd = open_tracepoint(*id).map_err(|e| fail(format!("perf_event_open: {e}")))?;
        let link = prog
            .attach_perf_event(std::os::fd::AsRawFd::as_raw_fd(&pfd))
            .map_err(|e| fail(format!("{e:#}")))?;
        // the link owns the perf event now, and closes it on detach
        let _ = std::os::fd::IntoRawFd::into_raw_fd(pfd);
        attached.links.push(link);
        attached.programs.push(attach_point);
    }
    Ok(())
}

/// The event of a kernel function that could not be attached: off, and
/// deselected so that no other program reports it either.
fn function_off(
    obj: &Object,
    sel: &mut Selection,
    events: &mut Vec<&'static EventDef>,
    hook: &FunctionHook,
    cause: String,
) {
    let fentry_why = sel
        .fentry_refused
        .iter()
        .find(|(ev, _)| *ev == hook.event)
        .map(|(_, w)| format!("{w}; "));
    sel.disabled.push(Disabled {
        programs: vec![hook.fentry, hook.kprobe],
        events: vec![hook.event],
        reason: format!("{}{cause}", fentry_why.unwrap_or_default()),
    });
    if let Some(e) = events.iter().find(|e| e.name == hook.event) {
        settings::deselect(obj, e);
    }
    events.retain(|e| e.name != hook.event);
}

/// The rootkit checks, where selected and loaded: judged now that the
/// program can read the kernel. Where they cannot run, their events are
/// off (deselected, into `sel.disabled`).
pub(super) fn rootkit_checker(
    obj: &Object,
    sel: &mut Selection,
    events: &mut Vec<&'static EventDef>,
) -> Option<rootkit::Checker> {
    let prepared = sel.rootkit_prepared.take()?;
    let selected = |name: &str| events.iter().any(|e| e.name == name);
    let (syscalls, fops) = (selected("hooked_syscall"), selected("hooked_proc_fops"));
    if !syscalls && !fops {
        return None;
    }
    let prepared = prepared
        .join()
        .unwrap_or_else(|_| Err("reading /proc/kallsyms panicked".into()));
    let reason = match prepared.and_then(|p| rootkit::Checker::new(obj, p, syscalls, fops)) {
        Ok(checker) => return Some(checker),
        Err(reason) => reason,
    };
    let off: Vec<&'static str> = events
        .iter()
        .filter(|e| rootkit::EVENTS.contains(&e.name))
        .map(|e| e.name)
        .collect();
    for e in events.iter().filter(|e| off.contains(&e.name)) {
        settings::deselect(obj, e);
    }
    events.retain(|e| !off.contains(&e.name));
    sel.disabled.push(Disabled {
        programs: vec![rootkit::PROGRAM],
        events: off,
        reason,
    });
    None
}
