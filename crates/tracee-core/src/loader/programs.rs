//! The object's programs: their names, the order they attach in, which
//! ones fail together, and which serve which event. The one table the
//! plan, the fallbacks and the attach step read.

use std::sync::LazyLock;

use crate::catalog::{EventDef, FUNCTION_EVENTS};
use crate::rootkit;
use crate::syscall_hooks::{Hook, SyscallHooks};

/// The kernel-function events, none with a legacy variant.
pub(super) static FUNCTION_HOOKS: LazyLock<Vec<FunctionHook>> = LazyLock::new(|| {
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

pub(super) fn function_hook(program: &str) -> Option<&'static FunctionHook> {
    FUNCTION_HOOKS
        .iter()
        .find(|h| h.fentry == program || h.kprobe == program)
}

/// The object's tracepoint programs (each also as `<name>_legacy`, but the
/// derived events'), in attach order; the kernel-function ones follow
/// (`all_programs()`).
pub(super) const TRACEPOINT_PROGRAMS: [&str; 17] = [
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
    // the same without the data path, where no selected syscall has data
    "tracee_sys_exit_fixed_per_syscall",
    // first of the rest: the container table learns of a container's
    // cgroup before the processes moved into it run
    "tracee_cgroup_mkdir",
    "tracee_cgroup_rmdir",
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
pub(super) const SCHED_PROCESS_EXEC_FIND_VMA: &str = "tracee_sched_process_exec_find_vma";

/// The entries of the syscalls derived events look at before the call
/// (events.tbl @before=: mem_prot_alert's mprotect, pkey_mprotect), raw
/// sys_enter or per-syscall; with bpf_find_vma (5.17+, kernel BTF) only.
pub(super) const DERIVED_ENTRY_FIND_VMA: [&str; 2] = [
    "tracee_derived_enter_find_vma",
    "tracee_derived_enter_find_vma_per_syscall",
];

/// Every program of the object by its base name, in attach order.
pub(super) fn all_programs() -> impl Iterator<Item = &'static str> {
    TRACEPOINT_PROGRAMS
        .into_iter()
        .chain(FUNCTION_HOOKS.iter().flat_map(|h| [h.fentry, h.kprobe]))
}

/// Programs that only work together: the syscall programs share their code
/// (a kernel that rejects one rejects the others), and a syscall may need
/// an entry and an exit half.
pub(super) fn program_group(program: &str) -> Option<Vec<&'static str>> {
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
pub(super) fn serves(program: &str, e: &EventDef, hooks: &SyscallHooks) -> bool {
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
        "tracee_sys_exit_per_syscall" => exit && per_syscall(&hooks.exit) && !hooks.exit_fixed,
        "tracee_sys_exit_fixed_per_syscall" => exit && per_syscall(&hooks.exit) && hooks.exit_fixed,
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

/// The name of `base` in the object: with `_legacy` for the legacy programs.
pub(super) fn object_name(base: &str, legacy: bool) -> String {
    if legacy {
        format!("{base}_legacy")
    } else {
        base.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TRACEPOINT_EVENTS;

    /// The catalog's `@tracepoint` events and the object's tracepoint
    /// programs other than the syscalls' and the derived events': one
    /// `tracee_<event>` each (bpf/hooks/sched.h), both ways.
    #[test]
    fn each_tracepoint_event_has_its_program() {
        let mut events: Vec<&str> = TRACEPOINT_EVENTS.to_vec();
        events.sort();
        let mut programs: Vec<&str> = TRACEPOINT_PROGRAMS
            .iter()
            .filter(|p| {
                (p.starts_with("tracee_sched_") || p.starts_with("tracee_cgroup_"))
                    && **p != SCHED_PROCESS_EXEC_FIND_VMA
            })
            .map(|p| &p["tracee_".len()..])
            .collect();
        programs.sort();
        assert_eq!(events, programs);
        assert_eq!(
            events,
            [
                "cgroup_mkdir",
                "cgroup_rmdir",
                "sched_process_exec",
                "sched_process_exit",
                "sched_process_fork"
            ]
        );
    }
}
