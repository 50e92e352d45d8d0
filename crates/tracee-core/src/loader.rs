//! Opening, loading and attaching the object for one trace: the decision's
//! object and BTF, the settings user space writes before load, the
//! selection, and the programs a kernel rejects (their events disabled, the
//! rest loaded).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::LazyLock;

use libbpf_rs::{Link, Map, MapCore, MapFlags, Object, ObjectBuilder};

use crate::bpf::types;
use crate::btf::{self, BtfSource, Decision, ObjectSource};
use crate::catalog::{ArgKind, EventDef, FUNCTION_EVENTS};
use crate::features::{self, helper_supported, Transport};
use crate::policy::{Compiled, KernelScope};
use crate::rootkit;
use crate::syscall_hooks::{self, open_tracepoint, Hook, SyscallHooks};
use crate::tracer::{TraceOptions, TracerInfo};
use crate::{libbpf_log, Error};

/// The CO-RE object built from bpf/ (crates/tracee-core/build.rs).
static BPF_OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tracee.bpf.o"));

pub(crate) fn find_map<'o>(obj: &'o Object, name: &str) -> Result<Map<'o>, Error> {
    obj.maps()
        .find(|m| m.name() == name)
        .ok_or_else(|| Error::Load {
            cause: format!("the object has no map '{name}'"),
            log: String::new(),
        })
}

/// The BTF bytes in a memfd, for libbpf's `btf_custom_path`: no file on
/// disk to clean up, gone when the fd is closed.
fn memfd_with(bytes: &[u8]) -> Result<OwnedFd, Error> {
    let fail = |what: &str| Error::Load {
        cause: format!("{what}: {}", std::io::Error::last_os_error()),
        log: String::new(),
    };
    // The raw syscall: glibc has a wrapper only since 2.27, and the binary
    // targets older ones. SAFETY: the name is a NUL-terminated literal.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            c"tracee-btf".as_ptr(),
            libc::MFD_CLOEXEC,
        )
    } as i32;
    if fd < 0 {
        return Err(fail("memfd_create"));
    }
    // SAFETY: fd was just created and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut file = std::fs::File::from(fd.try_clone().map_err(|_| fail("dup"))?);
    std::io::Write::write_all(&mut file, bytes).map_err(|_| fail("write memfd"))?;
    Ok(fd)
}

/// Everything decided before the poll thread starts.
pub(crate) struct Plan {
    pub opts: TraceOptions,
    pub events: Vec<&'static EventDef>,
    /// The policies: which select each event, their scopes and filters.
    pub compiled: Compiled,
    pub decision: Decision,
    pub transport: Transport,
    /// Load the legacy programs (kernels without BPF global data).
    pub legacy: bool,
    /// Read the task's fields with plain loads (kernel BTF and 5.11+).
    pub direct_task_reads: bool,
}

pub(crate) fn load_and_attach(
    plan: &Plan,
) -> Result<(Object, Vec<Link>, TracerInfo, Option<rootkit::Checker>), Error> {
    let Plan {
        opts,
        events,
        compiled,
        decision,
        transport,
        legacy,
        ..
    } = plan;
    let (transport, legacy) = (*transport, *legacy);
    let mut disabled: Vec<Disabled> = Vec::new();
    // events derived at syscalls' exit have programs for 5.2+ only
    // (tracee_derived_exit, no legacy variant): with the legacy programs
    // they are off, and hook nothing
    let (events, derived): (Vec<&'static EventDef>, Vec<&'static EventDef>) =
        events.iter().partition(|e| !legacy || e.after.is_empty());
    if !derived.is_empty() {
        disabled.push(Disabled {
            programs: Vec::new(),
            events: derived.iter().map(|e| e.name).collect(),
            reason: "derived in the kernel by the programs for Linux 5.2+ only, and the legacy programs run here".into(),
        });
    }
    // the rootkit checks: run through BPF_PROG_TEST_RUN (no legacy
    // variant), and judged with /proc/kallsyms, which must show addresses
    let (events, rootkit_events): (Vec<&'static EventDef>, Vec<&'static EventDef>) = events
        .into_iter()
        .partition(|e| !rootkit::EVENTS.contains(&e.name));
    let mut rootkit_prepared = None;
    let mut events = events;
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
            rootkit_prepared = Some(std::thread::spawn(rootkit::Checker::prepare));
            events.extend(rootkit_events.iter().copied());
        }
    }
    let events = events.as_slice();
    let scope = compiled.kernel_scope();
    // Held until load() has resolved the CO-RE relocations.
    let mut _memfd = None;
    let custom_btf: Option<PathBuf> = match &decision.btf {
        BtfSource::Kernel(_) => None,
        BtfSource::File(path) => Some(path.clone()),
        BtfSource::Embedded(key) => {
            let bytes = btf::embedded()?.get(key).ok_or_else(|| Error::Archive {
                cause: format!("{key} vanished"),
            })?;
            let fd = memfd_with(bytes)?;
            let path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
            _memfd = Some(fd);
            Some(path)
        }
    };
    // why fentry was refused, for the events that fell back to kprobes
    let mut fentry_refused: Vec<(&'static str, String)> = Vec::new();
    // Kernel-function events: fentry where the kernel has its own BTF,
    // kprobes elsewhere, else derived at syscalls' exit where the event has
    // such a fallback (security_file_open, security_inode_rename); the programs not chosen are
    // `unused`. None has a legacy variant.
    let selected_hooks: Vec<&FunctionHook> = FUNCTION_HOOKS
        .iter()
        .filter(|h| events.iter().any(|e| e.name == h.event))
        .collect();
    let fentry = if selected_hooks.is_empty() {
        Ok(()) // not asked: not probed
    } else if legacy {
        Err("fentry needs Linux 5.5+ and the legacy programs run on older kernels".to_string())
    } else if !decision.btf.has_kernel_btf() {
        Err(format!(
            "fentry needs the kernel's own BTF, and this trace uses {}",
            decision.btf
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
    let mut unused: Vec<&'static str> = Vec::new();
    // events derived at syscalls' exit instead, with why
    let mut fallbacks: Vec<(&'static EventDef, String)> = Vec::new();
    match (&fentry, &kprobes) {
        (Ok(()), _) => unused.extend(selected_hooks.iter().map(|h| h.kprobe)),
        (Err(f), Ok(())) => {
            unused.extend(selected_hooks.iter().map(|h| h.fentry));
            fentry_refused.extend(selected_hooks.iter().map(|h| (h.event, f.clone())));
        }
        (Err(f), Err(k)) => {
            let def = |h: &FunctionHook| events.iter().copied().find(|e| e.name == h.event);
            let (derived, off): (Vec<&FunctionHook>, Vec<&FunctionHook>) = selected_hooks
                .iter()
                .copied()
                .partition(|h| def(h).is_some_and(|e| !e.fallback.is_empty() && !legacy));
            for h in derived {
                unused.extend([h.fentry, h.kprobe]);
                fallbacks.extend(def(h).map(|e| (e, format!("{f}; {k}"))));
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
    let find_vma = !legacy
        && decision.btf.has_kernel_btf()
        && helper_supported(libbpf_rs::libbpf_sys::BPF_FUNC_find_vma);
    let derived_entry: Vec<&'static str> = if find_vma {
        events
            .iter()
            .flat_map(|e| e.before.iter().copied())
            .collect()
    } else {
        Vec::new()
    };
    let mut hooks = syscall_hooks::plan(opts.syscall_hooks, events, &derived, &derived_entry)?;
    for (e, why) in &fallbacks {
        hooks.why.push_str(&format!(
            "; {} from the exit of {} ({why})",
            e.name,
            e.fallback.join(", ")
        ));
    }
    // the events derived by their fallback (a switch in .rodata each)
    let derive: Vec<&'static str> = fallbacks.iter().map(|(e, _)| e.name).collect();
    // Load only the programs the selection needs.
    // The scopes' bookkeeping (process trees, executables, follow) needs
    // the sched_process_* hooks whether or not their events are selected.
    let keeps = |prog: &str| match prog {
        "tracee_sched_process_fork" | "tracee_sched_process_exit" => scope.needs_fork,
        "tracee_sched_process_exec" | SCHED_PROCESS_EXEC_FIND_VMA => scope.needs_exec,
        _ => false,
    };
    unused.push(if find_vma {
        "tracee_sched_process_exec"
    } else {
        SCHED_PROCESS_EXEC_FIND_VMA
    });
    let needed = |prog: &str| keeps(prog) || events.iter().any(|e| serves(prog, e, &hooks));
    // A program the kernel rejects (a field renamed or missing in this
    // kernel) disables only the events that need it: reopen without it and
    // load again, until what is left loads or nothing selected is left.
    let mut first_error = None;
    let obj = loop {
        let off: Vec<&str> = disabled
            .iter()
            .flat_map(|d| d.programs.iter().copied())
            .chain(unused.iter().copied())
            .collect();
        let enabled = |prog: &str| needed(prog) && !off.contains(&prog);
        // the object's names: the base name, or with _legacy
        let load = |actual: &str| match actual.strip_suffix("_legacy") {
            Some(base) => legacy && enabled(base),
            None => !legacy && enabled(actual),
        };
        if !all_programs().any(enabled) {
            // nothing selected can load here: the first failure explains it
            let only_functions = disabled
                .iter()
                .all(|d| d.programs.iter().all(|p| function_hook(p).is_some()));
            return Err(match first_error {
                Some(err) if !only_functions => btf_file_error(err, decision),
                _ => Error::Unavailable {
                    reasons: disabled
                        .iter()
                        .map(|d| format!("{}: {}", d.events.join(","), d.reason))
                        .collect::<Vec<_>>()
                        .join("; "),
                },
            });
        }
        let err = match open_and_load(plan, &scope, custom_btf.as_deref(), &derive, &load) {
            Ok(obj) => break obj,
            Err(err) => err,
        };
        let failed = match &err {
            Error::Verifier { program, .. } => Some(
                program
                    .strip_suffix("_legacy")
                    .unwrap_or(program)
                    .to_string(),
            ),
            // a kernel-function program this kernel refuses: "prog 'x': failed to
            // find kernel BTF type ID of 'y'", or EPERM without a verifier log
            Error::Load { log, .. } => all_programs()
                .find(|p| {
                    function_hook(p).is_some() && enabled(p) && log.contains(&format!("prog '{p}'"))
                })
                .map(str::to_string),
            _ => None,
        };
        if failed.as_deref() == Some(SCHED_PROCESS_EXEC_FIND_VMA) {
            // bpf_find_vma refused: the plain program, without the interpreter on 6.1+
            unused.retain(|p| *p != "tracee_sched_process_exec");
            unused.push(SCHED_PROCESS_EXEC_FIND_VMA);
            first_error.get_or_insert(err);
            continue;
        }
        if failed
            .as_deref()
            .is_some_and(|p| DERIVED_ENTRY_FIND_VMA.contains(&p))
        {
            // refused: mem_prot_alert from what the exits saw only
            unused.extend(DERIVED_ENTRY_FIND_VMA);
            first_error.get_or_insert(err);
            continue;
        }
        if let Some(hook) = failed.as_deref().and_then(function_hook) {
            let why = disabled_reason(&err, decision);
            let is_fentry = failed.as_deref() == Some(hook.fentry);
            // EPERM without a verifier log: this kernel runs no fentry program
            // at all, so every fentry program is off, not only this one
            let hooks: Vec<&FunctionHook> = if is_fentry && why.contains("EPERM") {
                FUNCTION_HOOKS
                    .iter()
                    .filter(|h| enabled(h.fentry))
                    .collect()
            } else {
                vec![hook]
            };
            if is_fentry && kprobes.is_ok() {
                // the kprobe programs instead
                for h in hooks {
                    unused.retain(|p| *p != h.kprobe);
                    unused.push(h.fentry);
                    fentry_refused.push((h.event, why.clone()));
                }
            } else {
                let fentry_why = fentry_refused
                    .iter()
                    .find(|(e, _)| *e == hook.event)
                    .map(|(_, w)| w.clone());
                let reason = match (&kprobes, fentry_why) {
                    (Err(k), _) => format!("{why}; {k}"),
                    (Ok(()), Some(f)) => format!("{f}; {why}"),
                    (Ok(()), None) => why,
                };
                disabled.push(Disabled {
                    programs: hooks.iter().flat_map(|h| [h.fentry, h.kprobe]).collect(),
                    events: hooks.iter().map(|h| h.event).collect(),
                    reason,
                });
            }
            first_error.get_or_insert(err);
            continue;
        }
        let Some(group) = failed
            .as_deref()
            .and_then(program_group)
            .filter(|g| enabled(g[0]))
        else {
            return Err(btf_file_error(err, decision));
        };
        let events_of_group = events
            .iter()
            .filter(|e| group.iter().any(|p| serves(p, e, &hooks)))
            .map(|e| e.name)
            .collect();
        disabled.push(Disabled {
            programs: group,
            events: events_of_group,
            reason: disabled_reason(&err, decision),
        });
        first_error.get_or_insert(err);
    };
    let active = |prog: &str, disabled: &[Disabled]| {
        needed(prog)
            && !unused.contains(&prog)
            && !disabled.iter().any(|d| d.programs.contains(&prog))
    };
    let mut events: Vec<&'static EventDef> = events
        .iter()
        .copied()
        .filter(|e| !disabled.iter().any(|d| d.events.contains(&e.name)))
        .collect();

    if legacy {
        // what .rodata says to the other programs
        let settings = find_map(&obj, "legacy_settings")?;
        settings
            .update(
                &0u32.to_ne_bytes(),
                &std::process::id().to_ne_bytes(),
                MapFlags::ANY,
            )
            .map_err(|err| Error::Load {
                cause: format!("legacy_settings: {err}"),
                log: String::new(),
            })?;
    }
    if legacy {
        find_map(&obj, "legacy_scope")?
            .update(&0u32.to_ne_bytes(), bytes_of(&scope.config), MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("legacy_scope: {err}"),
                log: String::new(),
            })?;
    }
    write_scope_maps(&obj, &scope)?;
    let configs = find_map(&obj, "event_configs")?;
    for e in &events {
        let policies = compiled
            .events
            .iter()
            .find(|(d, _)| d.id == e.id)
            .map_or(0, |(_, bits)| *bits);
        let cfg = event_config(e, policies, opts.exec_env);
        // SAFETY: event_config is repr(C), integers only, no implicit padding.
        let value = unsafe {
            std::slice::from_raw_parts(
                (&cfg as *const types::event_config).cast::<u8>(),
                size_of_val(&cfg),
            )
        };
        configs
            .update(&e.id.to_ne_bytes(), value, MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("selecting {}: {err}", e.name),
                log: String::new(),
            })?;
    }

    // Attach in a fixed order; any failure drops what was attached.
    let mut links = Vec::new();
    let mut programs = Vec::new();
    for base in all_programs() {
        if !active(base, &disabled) {
            continue;
        }
        if base == rootkit::PROGRAM {
            // not attached: run by the checks (rootkit.rs)
            programs.push(format!("BPF_PROG_TEST_RUN {base}"));
            continue;
        }
        let prog_name = if legacy {
            format!("{base}_legacy")
        } else {
            base.to_string()
        };
        let prog = obj
            .progs_mut()
            .find(|p| p.name() == prog_name.as_str())
            .ok_or_else(|| Error::Load {
                cause: format!("the object has no program {prog_name}"),
                log: String::new(),
            })?;
        let per_syscall = match base {
            "tracee_sys_enter_per_syscall" => &hooks.entry,
            "tracee_sys_exit_per_syscall" => &hooks.exit,
            "tracee_derived_exit_per_syscall" => &hooks.derived,
            "tracee_derived_enter_find_vma_per_syscall" => &hooks.derived_entry,
            _ => &Hook::None,
        };
        if let Hook::PerSyscall(tracepoints) = per_syscall {
            // one program on each selected syscall's tracepoint
            for (tp, id) in tracepoints {
                let attach_point = format!("tracepoint/{tp}");
                let fail = |cause: String| Error::Attach {
                    program: attach_point.clone(),
                    cause,
                };
                let pfd =
                    open_tracepoint(*id).map_err(|e| fail(format!("perf_event_open: {e}")))?;
                let link = prog
                    .attach_perf_event(std::os::fd::AsRawFd::as_raw_fd(&pfd))
                    .map_err(|e| fail(format!("{e:#}")))?;
                // the link owns the perf event now, and closes it on detach
                let _ = std::os::fd::IntoRawFd::into_raw_fd(pfd);
                links.push(link);
                programs.push(attach_point);
            }
            continue;
        }
        // where it attaches is its section name, e.g. raw_tracepoint/sys_exit
        let attach_point = prog.section().to_string_lossy().into_owned();
        match (prog.attach(), function_hook(base)) {
            (Ok(link), _) => {
                links.push(link);
                programs.push(attach_point);
            }
            // a kernel function this kernel does not have (or cannot probe):
            // that event is off, the rest runs
            (Err(e), Some(hook)) => {
                let fentry_why = fentry_refused
                    .iter()
                    .find(|(ev, _)| *ev == hook.event)
                    .map(|(_, w)| format!("{w}; "));
                let reason = format!(
                    "{}{attach_point}: cannot attach: {e}",
                    fentry_why.unwrap_or_default()
                );
                disabled.push(Disabled {
                    programs: vec![hook.fentry, hook.kprobe],
                    events: vec![hook.event],
                    reason,
                });
                if let Some(e) = events.iter().find(|e| e.name == hook.event) {
                    // deselected, so that no other program reports it either
                    let _ = configs.delete(&e.id.to_ne_bytes());
                }
                events.retain(|e| e.name != hook.event);
            }
            (Err(e), None) => {
                return Err(Error::Attach {
                    program: attach_point,
                    cause: e.to_string(),
                })
            }
        }
    }
    let mut checker = None;
    if let Some(prepared) = rootkit_prepared {
        let selected = |name: &str| events.iter().any(|e| e.name == name);
        let (syscalls, fops) = (selected("hooked_syscall"), selected("hooked_proc_fops"));
        if syscalls || fops {
            let prepared = prepared
                .join()
                .unwrap_or_else(|_| Err("reading /proc/kallsyms panicked".into()));
            match prepared.and_then(|p| rootkit::Checker::new(&obj, p, syscalls, fops)) {
                Ok(c) => checker = Some(c),
                Err(reason) => {
                    let off: Vec<&'static str> = events
                        .iter()
                        .filter(|e| rootkit::EVENTS.contains(&e.name))
                        .map(|e| e.name)
                        .collect();
                    for e in events.iter().filter(|e| off.contains(&e.name)) {
                        let _ = configs.delete(&e.id.to_ne_bytes());
                    }
                    events.retain(|e| !off.contains(&e.name));
                    disabled.push(Disabled {
                        programs: vec![rootkit::PROGRAM],
                        events: off,
                        reason,
                    });
                }
            }
        }
    }
    if events.is_empty() {
        // every selected event's kernel function failed to attach
        return Err(Error::Unavailable {
            reasons: disabled
                .iter()
                .map(|d| format!("{}: {}", d.events.join(","), d.reason))
                .collect::<Vec<_>>()
                .join("; "),
        });
    }

    // Processes already running: their trees and executables, now that
    // the fork and exec hooks keep the map for the ones to come.
    seed_proc_scopes(&obj, &scope)?;

    let info = TracerInfo {
        policies: compiled.names.clone(),
        disabled,
        events: events.iter().map(|e| e.name).collect(),
        programs,
        syscall_hooks: hooks.why.clone(),
        rootkit_checks: checker
            .as_ref()
            .map(|c| c.describe(opts.rootkit_check_interval))
            .unwrap_or_default(),
        btf: decision.btf.to_string(),
        decision: decision.clone(),
        ring_buffer_bytes: opts.ring_buffer_bytes,
        transport: match transport {
            Transport::RingBuffer => "BPF ring buffer".into(),
            Transport::PerfBuffer(why) => why.into(),
        },
    };
    Ok((obj, links, info, checker))
}

/// The kernel-function events, none with a legacy variant.
static FUNCTION_HOOKS: LazyLock<Vec<FunctionHook>> = LazyLock::new(|| {
    // named as bpf/hooks/functions.h's FUNCTION_HOOK names them; built once
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    FUNCTION_EVENTS
        .iter()
        .map(|&event| FunctionHook {
            event,
            fentry: leak(format!("tracee_{event}")),
            kprobe: leak(format!("tracee_{event}_kprobe")),
        })
        .collect()
});

/// A kernel-function event (events.tbl `@function`) and its two programs:
/// fentry where the kernel has its own BTF, kprobe elsewhere.
pub(crate) struct FunctionHook {
    pub event: &'static str,
    pub fentry: &'static str,
    pub kprobe: &'static str,
}

fn function_hook(program: &str) -> Option<&'static FunctionHook> {
    FUNCTION_HOOKS
        .iter()
        .find(|h| h.fentry == program || h.kprobe == program)
}

/// The object's tracepoint programs (each also as `<name>_legacy`, but the
/// derived events'), in attach order; the kernel-function ones follow
/// (`all_programs()`).
const TRACEPOINT_PROGRAMS: [&str; 14] = [
    "tracee_sys_enter",
    "tracee_sys_enter_per_syscall",
    // before the syscalls' exit: an event derived there (a fallback's
    // security_inode_rename) comes before the syscall's, as Tracee's hook,
    // inside the syscall, does (the rules' dedupe counts on it)
    "tracee_derived_exit",
    "tracee_derived_exit_per_syscall",
    DERIVED_ENTRY_FIND_VMA[0],
    DERIVED_ENTRY_FIND_VMA[1],
    "tracee_sys_exit",
    "tracee_sys_exit_per_syscall",
    "tracee_sched_process_fork",
    // one of these two (SCHED_PROCESS_EXEC_FIND_VMA where bpf_find_vma runs),
    // before tracee_exec_syscall: it keeps the executable scope that one tests
    "tracee_sched_process_exec",
    SCHED_PROCESS_EXEC_FIND_VMA,
    "tracee_exec_syscall",
    "tracee_sched_process_exit",
    // not attached: run by the rootkit checks
    rootkit::PROGRAM,
];

/// tracee_sched_process_exec with the ELF interpreter found by
/// bpf_find_vma, for kernels whose mappings are a maple tree (6.1+); no
/// legacy variant.
const SCHED_PROCESS_EXEC_FIND_VMA: &str = "tracee_sched_process_exec_find_vma";

/// The entries of the syscalls derived events look at before the call
/// (events.tbl @before=: mem_prot_alert's mprotect, pkey_mprotect), raw
/// sys_enter or per-syscall; with bpf_find_vma (5.17+, kernel BTF) only.
const DERIVED_ENTRY_FIND_VMA: [&str; 2] = [
    "tracee_derived_enter_find_vma",
    "tracee_derived_enter_find_vma_per_syscall",
];

/// Every program of the object by its base name, in attach order.
fn all_programs() -> impl Iterator<Item = &'static str> {
    TRACEPOINT_PROGRAMS
        .into_iter()
        .chain(FUNCTION_HOOKS.iter().flat_map(|h| [h.fentry, h.kprobe]))
}

/// Programs that only work together: the syscall programs share their code
/// (a kernel that rejects one rejects the others), and a syscall may need
/// an entry and an exit half.
fn program_group(program: &str) -> Option<Vec<&'static str>> {
    match program {
        p if p.starts_with("tracee_sys_") => Some(
            TRACEPOINT_PROGRAMS
                .iter()
                .copied()
                .filter(|n| n.starts_with("tracee_sys_"))
                .collect(),
        ),
        p => all_programs()
            .find(|name| *name == p)
            .map(|name| vec![name]),
    }
}

/// Whether `program` is needed for event `e`: the one rule of which
/// program serves which event (the entry points in bpf/hooks/), given
/// where syscalls are hooked (syscall_hooks.rs).
fn serves(program: &str, e: &EventDef, hooks: &SyscallHooks) -> bool {
    // only what must be caught at entry: exit's no-return, execve's strings;
    // every other syscall is reported from its exit alone
    let entry = e.syscall && (e.noreturn || e.strings_at_entry);
    let exit = e.syscall && !e.noreturn;
    // execve, execveat: a successful one is reported at sched_process_exec
    let exec = e.syscall && e.strings_at_entry;
    // events derived at syscalls' exit (magic_write, mem_prot_alert, socket_dup, a fallback)
    let derived = hooks.derived_events.contains(&e.name);
    let per_syscall = |h: &Hook| matches!(h, Hook::PerSyscall(_));
    match program {
        "tracee_sys_enter" => entry && !per_syscall(&hooks.entry),
        "tracee_sys_enter_per_syscall" => entry && per_syscall(&hooks.entry),
        "tracee_sys_exit" => exit && !per_syscall(&hooks.exit),
        "tracee_sys_exit_per_syscall" => exit && per_syscall(&hooks.exit),
        "tracee_derived_exit" => derived && !per_syscall(&hooks.derived),
        "tracee_derived_exit_per_syscall" => derived && per_syscall(&hooks.derived),
        // Hook::None where bpf_find_vma cannot run (never planned)
        p if p == DERIVED_ENTRY_FIND_VMA[0] => {
            !e.before.is_empty() && hooks.derived_entry == Hook::Raw
        }
        p if p == DERIVED_ENTRY_FIND_VMA[1] => {
            !e.before.is_empty() && per_syscall(&hooks.derived_entry)
        }
        "tracee_exec_syscall" => exec,
        SCHED_PROCESS_EXEC_FIND_VMA => e.name == "sched_process_exec",
        rootkit::PROGRAM => rootkit::EVENTS.contains(&e.name),
        // tracee_sched_process_exec serves sched_process_exec, and so on
        p => function_hook(p).map_or_else(
            || p.strip_prefix("tracee_") == Some(e.name),
            |h| h.event == e.name,
        ),
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
        Error::Load { log, .. } => match log.lines().find(|l| FUNCTION_HOOKS.iter().any(|h| [h.fentry, h.kprobe].iter().any(|p| l.contains(&format!("prog '{p}'"))))) {
            // "libbpf: prog 'tracee_security_file_open': failed to find kernel BTF type ID of 'security_file_open': -3"
            Some(line) if line.contains("EPERM") || line.contains("not permitted") => format!(
                "this kernel runs no fentry programs ({}, without a verifier log: no ftrace direct calls)",
                line.trim_start_matches("libbpf: ").trim()
            ),
            Some(line) => format!("this kernel refuses it ({})", line.trim_start_matches("libbpf: ").trim()),
            None => err.to_string(),
        },
        other => other.to_string(),
    }
}

/// "failed to resolve CO-RE relocation <byte_off> [408] struct pt_regs.di (0:14 @ offset 112)"
fn unresolved_field(log: &str) -> Option<String> {
    log.lines()
        .find_map(|l| l.split_once("failed to resolve CO-RE relocation"))
        .map(|(_, rest)| {
            rest.split_once("] ")
                .map_or(rest, |(_, f)| f)
                .split(" (")
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
}

/// A BTF given in TRACEE_BTF_FILE that fails CO-RE is that file's fault.
fn btf_file_error(err: Error, decision: &Decision) -> Error {
    match (&decision.btf, err) {
        (BtfSource::File(path), Error::Verifier { log, .. } | Error::Load { log, .. })
            if log.contains("CO-RE relocat") =>
        {
            let field = unresolved_field(&log)
                .unwrap_or_else(|| "a type or field the programs read".into());
            Error::BtfFile {
                path: path.clone(),
                cause: format!("it does not describe this kernel: {field} is not in it (libbpf could not resolve that CO-RE relocation)"),
            }
        }
        (BtfSource::File(path), Error::Load { cause, .. }) => Error::BtfFile {
            path: path.clone(),
            cause: format!("libbpf cannot use it: {cause}"),
        },
        (_, err) => err,
    }
}

/// Opens the object, sets what user space decides before load, and loads
/// the programs `enabled` says.
fn open_and_load(
    plan: &Plan,
    scope: &KernelScope,
    custom_btf: Option<&std::path::Path>,
    derive: &[&str],
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Object, Error> {
    let Plan {
        opts,
        decision,
        legacy,
        direct_task_reads,
        ..
    } = plan;
    let (legacy, direct_task_reads) = (*legacy, *direct_task_reads);
    let perf = matches!(plan.transport, Transport::PerfBuffer(_));
    libbpf_log::take();
    let mut builder = ObjectBuilder::default();
    if let Some(path) = custom_btf {
        builder.btf_custom_path(path).map_err(load_error)?;
    }
    let mut open = match &decision.object {
        ObjectSource::Embedded => builder.open_memory(BPF_OBJECT).map_err(load_error)?,
        ObjectSource::File(path) => builder.open_file(path).map_err(|e| Error::BpfFile {
            path: path.clone(),
            cause: format!("libbpf cannot open it: {e}"),
        })?,
    };

    for mut map in open.maps_mut() {
        let name = map.name().to_string_lossy().into_owned();
        if name == "btf_anchor"
            || (legacy && name.ends_with(".rodata"))
            || (!legacy && name == "legacy_settings")
        {
            // only for BTF, or for the other set of programs
            map.set_autocreate(false).map_err(load_error)?;
        } else if name.ends_with(".rodata") {
            let init = map.initial_value_mut().ok_or_else(|| Error::Load {
                cause: ".rodata has no initial value".into(),
                log: String::new(),
            })?;
            // The layout of .rodata is the skeleton's: an object whose
            // .rodata differs was not built from this tree's bpf/.
            // (the Rust struct may carry trailing padding the section lacks)
            let needed =
                std::mem::offset_of!(types::rodata, scope) + size_of::<types::scope_config>();
            if init.len() < needed || init.len() > std::mem::size_of::<types::rodata>() {
                let cause = format!(
                    ".rodata is {} bytes, this version's is {needed}",
                    init.len()
                );
                return Err(match &decision.object {
                    ObjectSource::File(path) => Error::BpfFile {
                        path: path.clone(),
                        cause,
                    },
                    ObjectSource::Embedded => Error::Load {
                        cause,
                        log: String::new(),
                    },
                });
            }
            let mut put = |offset: usize, bytes: &[u8]| {
                init[offset..offset + bytes.len()].copy_from_slice(bytes)
            };
            // The tracer's own threads (poll, napi, node) would trace themselves.
            put(
                std::mem::offset_of!(types::rodata, self_tgid),
                &std::process::id().to_ne_bytes(),
            );
            put(
                std::mem::offset_of!(types::rodata, wakeup_bytes),
                &u64::from(opts.ring_buffer_bytes / 4).to_ne_bytes(),
            );
            put(
                std::mem::offset_of!(types::rodata, use_perf_buffer),
                &[u8::from(perf)],
            );
            put(
                std::mem::offset_of!(types::rodata, has_ktime_boot),
                &[u8::from(helper_supported(
                    libbpf_rs::libbpf_sys::BPF_FUNC_ktime_get_boot_ns,
                ))],
            );
            put(
                std::mem::offset_of!(types::rodata, direct_task_reads),
                &[u8::from(direct_task_reads)],
            );
            put(
                std::mem::offset_of!(types::rodata, scope),
                bytes_of(&scope.config),
            );
            // enum tracee_known_syscall: each one's number here
            let known_syscalls: Vec<u8> = crate::catalog::KNOWN_SYSCALLS
                .iter()
                .flat_map(|n| {
                    crate::catalog::by_name(n)
                        .filter(|e| e.syscall)
                        .map_or(-1, |e| e.id as i32)
                        .to_ne_bytes()
                })
                .collect();
            put(
                std::mem::offset_of!(types::rodata, known_syscalls),
                &known_syscalls,
            );
            let selected = |name: &str| plan.events.iter().any(|e| e.name == name);
            put(
                std::mem::offset_of!(types::rodata, derive_magic_write),
                &[u8::from(selected("magic_write"))],
            );
            put(
                std::mem::offset_of!(types::rodata, derive_mem_prot_alert),
                &[u8::from(selected("mem_prot_alert"))],
            );
            put(
                std::mem::offset_of!(types::rodata, derive_socket_dup),
                &[u8::from(selected("socket_dup"))],
            );
            put(
                std::mem::offset_of!(types::rodata, derive_file_open),
                &[u8::from(derive.contains(&"security_file_open"))],
            );
            put(
                std::mem::offset_of!(types::rodata, derive_inode_rename),
                &[u8::from(derive.contains(&"security_inode_rename"))],
            );
        } else if name == "events" {
            if perf {
                // never created: kernels before 5.8 cannot
                map.set_autocreate(false).map_err(load_error)?;
            } else {
                map.set_max_entries(opts.ring_buffer_bytes)
                    .map_err(load_error)?;
            }
        }
    }

    for mut prog in open.progs_mut() {
        let name = prog.name().to_string_lossy().into_owned();
        prog.set_autoload(enabled(&name));
    }
    open.load().map_err(load_error)
}

/// The bytes of a skeleton type (repr(C), integers and arrays of them).
pub(crate) fn bytes_of<T>(v: &T) -> &[u8] {
    // SAFETY: T is one of the skeleton's plain-data structs, read as bytes.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

/// The values the scopes list, into the scope_* maps.
fn write_scope_maps(obj: &Object, scope: &KernelScope) -> Result<(), Error> {
    for (map, key, bits) in scope.map_entries() {
        find_map(obj, map)?
            .update(&key, &bits.to_ne_bytes(), MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("writing the scope into {map}: {err}"),
                log: String::new(),
            })?;
    }
    Ok(())
}

/// Trees and executables of the processes running at start, merged with
/// what the hooks wrote since they were attached.
fn seed_proc_scopes(obj: &Object, scope: &KernelScope) -> Result<(), Error> {
    if scope.procs.is_empty() {
        return Ok(());
    }
    let map = find_map(obj, "proc_scopes")?;
    for (&pid, &(tree, exe)) in &scope.procs {
        let key = pid.to_ne_bytes();
        let mut v = types::proc_scope::default();
        if let Ok(Some(bytes)) = map.lookup(&key, MapFlags::ANY) {
            if bytes.len() == size_of::<types::proc_scope>() {
                // SAFETY: the map's value type, plain integers.
                v = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) };
            }
        }
        v.tree |= tree;
        v.exe |= exe;
        map.update(&key, bytes_of(&v), MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("proc_scopes: {err}"),
                log: String::new(),
            })?;
    }
    Ok(())
}

fn event_config(e: &EventDef, policies: u64, exec_env: bool) -> types::event_config {
    // the arguments a record carries (bpf/tracee.h MAX_ARGS): an event's
    // others are built by its own program
    let carried = cfg_arg_count();
    let mut cfg = types::event_config {
        policies,
        nargs: e.args.len().min(carried) as u8,
        ..Default::default()
    };
    for (i, a) in e.args.iter().enumerate().take(carried) {
        let copied = match a.kind {
            // kept an address unless asked for (large, and rarely wanted)
            ArgKind::Ptr if exec_env && exec_env_arg(e) == Some(i) => {
                types::tracee_arg_kind::ARG_STR_ARRAY
            }
            ArgKind::Str => types::tracee_arg_kind::ARG_STR,
            ArgKind::Sockaddr => types::tracee_arg_kind::ARG_SOCKADDR,
            ArgKind::Msghdr => types::tracee_arg_kind::ARG_MSGHDR,
            ArgKind::StrArray => types::tracee_arg_kind::ARG_STR_ARRAY,
            ArgKind::Bytes => types::tracee_arg_kind::ARG_BYTES,
            ArgKind::Timespec => types::tracee_arg_kind::ARG_TIMESPEC,
            _ => continue,
        };
        cfg.arg_kinds[i] = copied.0 as u8;
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_DATA.0 as u8;
    }
    if e.noreturn {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_NORETURN.0 as u8;
    }
    if e.strings_at_entry {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_STR_AT_ENTRY.0 as u8;
    }
    if e.addrlen_ptr {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_ADDRLEN_PTR.0 as u8;
    }
    if exec_env && e.args.iter().any(|a| a.name == "env") {
        // sched_process_exec's env (its arguments past the record's are
        // built by its program, not by arg_kinds)
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_EXEC_ENV.0 as u8;
    }
    cfg
}

/// Arguments a record carries and an event's config describes (bpf/tracee.h MAX_ARGS).
fn cfg_arg_count() -> usize {
    types::event_config::default().arg_kinds.len()
}

/// The position of an exec's envp where the kernel side can copy a string
/// array (tracee.h's STR_ARRAY_ARG_*): execve's; execveat's is past them.
fn exec_env_arg(e: &EventDef) -> Option<usize> {
    let i = e.args.iter().position(|a| a.name == "envp")?;
    let positions = [
        types::tracee_limits::STR_ARRAY_ARG_A.0 as usize,
        types::tracee_limits::STR_ARRAY_ARG_B.0 as usize,
    ];
    (e.name.starts_with("execve") && positions.contains(&i)).then_some(i)
}

/// Turns a libbpf failure into the error that explains it, using what
/// libbpf printed (the verifier log above all).
fn load_error(e: libbpf_rs::Error) -> Error {
    let log = libbpf_log::take();
    // an fentry program some kernels refuse outright (EPERM, no verifier
    // log: no ftrace direct calls): that program's failure, not privileges
    if FUNCTION_HOOKS
        .iter()
        .any(|h| log.contains(&format!("prog '{}': BPF program load failed", h.fentry)))
    {
        return Error::Load {
            cause: e.to_string(),
            log,
        };
    }
    // the verifier's rejections are EACCES too: its log tells them apart
    // (the log is kept from its end: a long one has lost its first line)
    let verifier = log.contains("-- END PROG LOAD LOG --");
    if e.kind() == libbpf_rs::ErrorKind::PermissionDenied && !verifier {
        return Error::Privileges {
            missing: format!("the kernel refused: {e}"),
        };
    }
    if verifier {
        let start = log.find("-- BEGIN PROG LOAD LOG --").unwrap_or(0);
        // "libbpf: prog 'tracee_sys_enter': BPF program load failed: ..."
        let program = log
            .lines()
            .filter(|l| l.contains("load failed") || l.contains("failed to load"))
            .find_map(|l| {
                l.split_once("prog '")
                    .and_then(|(_, r)| r.split('\'').next())
            })
            .unwrap_or("?")
            .to_string();
        let body = &log[start..];
        let cause = body
            .lines()
            .rev()
            .find(|l| {
                !l.is_empty()
                    && !l.starts_with("--")
                    && !l.starts_with("processed")
                    && !l.starts_with("libbpf")
            })
            .unwrap_or("rejected")
            .to_string();
        return Error::Verifier {
            program,
            cause,
            log: body.to_string(),
        };
    }
    Error::Load {
        cause: e.to_string(),
        log,
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
        compiled,
        decision,
        transport: Transport::RingBuffer,
        legacy: false,
        direct_task_reads: false,
    };
    let scope = plan.compiled.kernel_scope();
    open_and_load(&plan, &scope, custom_btf.as_deref(), &[], &|p: &str| {
        p == program
    })
}
