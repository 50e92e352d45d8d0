//! Where syscalls are hooked, decided per trace. Two ways:
//! - the raw tracepoints `sys_enter`/`sys_exit`: every syscall of every
//!   process runs the program, which then looks up whether that syscall is
//!   selected;
//! - the per-syscall tracepoints `syscalls/sys_{enter,exit}_<name>` of the
//!   selected syscalls only: other syscalls run no program at all (the
//!   kernel's perf hook tests one bit). Their ids come from tracefs, and they
//!   attach through `perf_event_open`; neither needs kernel BTF.
//!
//! Entry hooks are only needed for exit/exit_group and execve/execveat, so
//! they are per-syscall wherever tracefs has them: a raw `sys_enter` would
//! cost every syscall for the sake of four. Exit hooks are per-syscall for a
//! narrow selection; tracing (nearly) everything is cheaper through the one
//! raw `sys_exit` than through hundreds of perf events.

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use libbpf_rs::libbpf_sys;

use crate::catalog::EventDef;
use crate::Error;

/// A selection of at most this many syscalls gets per-syscall exit hooks.
/// Each costs a perf event (an fd) and attach time; past this the single
/// raw `sys_exit` is the cheaper choice for the many syscalls traced.
pub const PER_SYSCALL_MAX: usize = 64;

/// How the user asked syscalls to be hooked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyscallHookMode {
    /// Per-syscall tracepoints where tracefs has them and the selection is
    /// narrow; raw tracepoints otherwise.
    #[default]
    Auto,
    /// Always the raw tracepoints `sys_enter`/`sys_exit`.
    RawTracepoints,
    /// Always the per-syscall tracepoints; an error where tracefs lacks one.
    PerSyscall,
}

impl SyscallHookMode {
    /// Every mode, in the order options list them.
    pub const ALL: [SyscallHookMode; 3] = [
        SyscallHookMode::Auto,
        SyscallHookMode::RawTracepoints,
        SyscallHookMode::PerSyscall,
    ];

    /// Its name in options (`--syscall-hooks`, `trace({ syscallHooks })`).
    pub const fn name(self) -> &'static str {
        match self {
            SyscallHookMode::Auto => "auto",
            SyscallHookMode::RawTracepoints => "raw",
            SyscallHookMode::PerSyscall => "per-syscall",
        }
    }

    /// The mode of that name, if one has it.
    pub fn parse(name: &str) -> Option<SyscallHookMode> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// One direction of the syscalls' hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hook {
    /// Nothing selected needs this direction.
    None,
    /// raw_tracepoint sys_enter or sys_exit.
    Raw,
    /// The tracepoints `syscalls/<name>` with their ids.
    PerSyscall(Vec<(String, u64)>),
}

#[derive(Debug, Clone)]
pub(crate) struct SyscallHooks {
    pub entry: Hook,
    pub exit: Hook,
    /// Every syscall hooked at its exit has a fixed record (no strings, no
    /// data): they are served by the exit program without the data path,
    /// which loads in a fraction of the time (set by the loader's plan).
    pub exit_fixed: bool,
    /// The exits of the syscalls events are derived from (magic_write:
    /// write, pwrite64), for their own programs.
    pub derived: Hook,
    /// The entries of the syscalls they look at before the call
    /// (mem_prot_alert: mprotect, pkey_mprotect), where that can run.
    pub derived_entry: Hook,
    /// The events those programs derive.
    pub derived_events: Vec<&'static str>,
    /// One line: how syscalls are hooked and why.
    pub why: String,
}

/// The syscalls each of [`SyscallHooks`]' directions hooks.
struct Syscalls<'e> {
    /// Those that do not return, and those whose strings are read at entry.
    entry: Vec<&'e EventDef>,
    /// Those that return.
    exit: Vec<&'e EventDef>,
    /// The syscalls events are derived from at their exit, selected or not.
    derived: Vec<&'e EventDef>,
    /// The syscalls derived events look at before the call.
    derived_entry: Vec<&'e EventDef>,
}

impl<'e> Syscalls<'e> {
    fn of(
        events: &[&'e EventDef],
        derived_from: &[(&'static str, &'static [&'static str])],
        derived_entry_of: &[&'static str],
    ) -> Syscalls<'e> {
        let syscalls = |keep: fn(&EventDef) -> bool| -> Vec<&'e EventDef> {
            events
                .iter()
                .copied()
                .filter(|e| e.syscall && keep(e))
                .collect()
        };
        Syscalls {
            entry: syscalls(|e| e.noreturn || e.strings_at_entry),
            exit: syscalls(|e| !e.noreturn),
            derived: named_syscalls(derived_from.iter().flat_map(|(_, from)| from.iter())),
            derived_entry: named_syscalls(derived_entry_of.iter()),
        }
    }

    fn is_empty(&self) -> bool {
        self.entry.is_empty()
            && self.exit.is_empty()
            && self.derived.is_empty()
            && self.derived_entry.is_empty()
    }
}

/// The catalog's syscalls of these names, each once, in their order.
fn named_syscalls<'n>(names: impl Iterator<Item = &'n &'static str>) -> Vec<&'static EventDef> {
    let mut defs: Vec<&'static EventDef> = Vec::new();
    for name in names {
        if let Some(def) = crate::catalog::by_name(name)
            .filter(|d| d.syscall && !defs.iter().any(|x| x.id == d.id))
        {
            defs.push(def);
        }
    }
    defs
}

/// Decides how the selected syscalls are hooked, the exits of the
/// syscalls `derived` events come from (event, its syscalls), and the
/// entries of `derived_entry_of` (syscalls).
pub(crate) fn plan(
    mode: SyscallHookMode,
    events: &[&EventDef],
    derived_from: &[(&'static str, &'static [&'static str])],
    derived_entry_of: &[&'static str],
) -> Result<SyscallHooks, Error> {
    let syscalls = Syscalls::of(events, derived_from, derived_entry_of);
    let need = |v: &[&EventDef]| if v.is_empty() { Hook::None } else { Hook::Raw };
    let derived_events = derived_from.iter().map(|(e, _)| *e).collect();
    let mut hooks = SyscallHooks {
        entry: need(&syscalls.entry),
        exit: need(&syscalls.exit),
        exit_fixed: false,
        derived: need(&syscalls.derived),
        derived_entry: need(&syscalls.derived_entry),
        derived_events,
        why: String::new(),
    };
    if syscalls.is_empty() {
        hooks.why = "no syscalls selected".into();
        return Ok(hooks);
    }
    if mode == SyscallHookMode::RawTracepoints {
        hooks.why = "raw tracepoints sys_enter/sys_exit (forced)".into();
        return Ok(hooks);
    }
    let tracefs = match Tracefs::open() {
        Ok(t) => t,
        Err(cause) if mode == SyscallHookMode::Auto => {
            hooks.why = format!("raw tracepoints sys_enter/sys_exit ({cause})");
            return Ok(hooks);
        }
        Err(cause) => return Err(unavailable(cause)),
    };
    let notes = hook_each_per_syscall(&tracefs, mode, &syscalls, &mut hooks)?;
    hooks.why = per_syscall_why(&hooks, &notes);
    Ok(hooks)
}

/// Hooks each direction at the syscalls' own tracepoints, but for a wide
/// selection's exits with `auto`. Returns what stays raw with `auto`, and
/// why, a note each.
fn hook_each_per_syscall(
    tracefs: &Tracefs,
    mode: SyscallHookMode,
    syscalls: &Syscalls,
    hooks: &mut SyscallHooks,
) -> Result<Vec<String>, Error> {
    let mut notes = Vec::new();
    // with `auto`, what stays raw is said in a note
    let hook = |notes: &mut Vec<String>, dir, syscalls: &[&EventDef], what, hook: &mut Hook| {
        let raw = hook_per_syscall(tracefs, mode, dir, syscalls, hook)?;
        notes.extend(raw.map(|cause| format!("{what}: raw {dir}, {cause}")));
        Ok::<(), Error>(())
    };
    hook(
        &mut notes,
        "sys_enter",
        &syscalls.entry,
        "entry",
        &mut hooks.entry,
    )?;
    let exit = &syscalls.exit;
    if mode == SyscallHookMode::Auto && exit.len() > PER_SYSCALL_MAX {
        notes.push(format!(
            "exit: raw sys_exit, {} syscalls selected (per-syscall up to {PER_SYSCALL_MAX})",
            exit.len()
        ));
    } else {
        hook(&mut notes, "sys_exit", exit, "exit", &mut hooks.exit)?;
    }
    // a few syscalls: their own tracepoints whenever tracefs has them
    hook(
        &mut notes,
        "sys_exit",
        &syscalls.derived,
        "derived events",
        &mut hooks.derived,
    )?;
    let what = "derived events' entry";
    hook(
        &mut notes,
        "sys_enter",
        &syscalls.derived_entry,
        what,
        &mut hooks.derived_entry,
    )?;
    Ok(notes)
}

/// The line that says how many per-syscall tracepoints `hooks` use, and
/// the `notes` on what stays raw.
fn per_syscall_why(hooks: &SyscallHooks, notes: &[String]) -> String {
    let per_syscall = [
        &hooks.entry,
        &hooks.exit,
        &hooks.derived,
        &hooks.derived_entry,
    ]
    .iter()
    .map(|h| {
        if let Hook::PerSyscall(v) = h {
            v.len()
        } else {
            0
        }
    })
    .sum::<usize>();
    match (per_syscall, notes.is_empty()) {
        (0, _) => format!("raw tracepoints ({})", notes.join("; ")),
        (n, true) => format!("{n} per-syscall tracepoints"),
        (n, false) => format!("{n} per-syscall tracepoints ({})", notes.join("; ")),
    }
}

/// Hooks `syscalls` (if any) at their own `dir` tracepoints (`sys_enter`,
/// `sys_exit`) where tracefs has them. Where it has not: with `auto`, `hook`
/// stays raw and Ok(Some(why)) says why; otherwise the error.
fn hook_per_syscall(
    tracefs: &Tracefs,
    mode: SyscallHookMode,
    dir: &str,
    syscalls: &[&EventDef],
    hook: &mut Hook,
) -> Result<Option<String>, Error> {
    if syscalls.is_empty() {
        return Ok(None);
    }
    match tracefs.ids(dir, syscalls) {
        Ok(ids) => {
            *hook = Hook::PerSyscall(ids);
            Ok(None)
        }
        Err(cause) if mode == SyscallHookMode::Auto => Ok(Some(cause)),
        Err(cause) => Err(unavailable(cause)),
    }
}

fn unavailable(cause: String) -> Error {
    Error::Attach {
        program: "per-syscall tracepoints".into(),
        cause: format!(
            "{cause}; mount tracefs ({}) or use the raw tracepoints (--syscall-hooks raw)",
            crate::features::mount_tracefs()
        ),
    }
}

/// tracefs, where it is mounted, or mounted by us for as long as we read
/// the tracepoint ids (and unmounted again: no trace left on the host).
struct Tracefs {
    root: PathBuf,
    mounted_by_us: bool,
}

impl Tracefs {
    fn open() -> Result<Tracefs, String> {
        for root in crate::features::TRACEFS_MOUNTS {
            if Path::new(root).join("events/syscalls").is_dir() {
                return Ok(Tracefs {
                    root: root.into(),
                    mounted_by_us: false,
                });
            }
        }
        let root = std::env::temp_dir().join(format!("tracee-rs-tracefs-{}", std::process::id()));
        std::fs::create_dir_all(&root).map_err(|e| {
            format!(
                "tracefs is not mounted and {} cannot be made: {e}",
                root.display()
            )
        })?;
        let target = std::ffi::CString::new(root.as_os_str().as_encoded_bytes())
            .expect("no NUL in a temp path");
        // SAFETY: all strings are NUL-terminated; no data argument.
        let rc = unsafe {
            libc::mount(
                c"nodev".as_ptr(),
                target.as_ptr(),
                c"tracefs".as_ptr(),
                libc::MS_RDONLY,
                std::ptr::null(),
            )
        };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            let _ = std::fs::remove_dir(&root);
            return Err(format!(
                "tracefs is not mounted and mounting it failed: {err}"
            ));
        }
        let t = Tracefs {
            root,
            mounted_by_us: true,
        };
        if !t.root.join("events/syscalls").is_dir() {
            return Err("this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)".into());
        }
        Ok(t)
    }

    /// The ids of `<dir>_<name>` for each syscall, e.g. sys_exit_openat.
    fn ids(&self, dir: &str, syscalls: &[&EventDef]) -> Result<Vec<(String, u64)>, String> {
        syscalls
            .iter()
            .map(|e| {
                tracepoint_names(dir, e.name)
                    .into_iter()
                    .find_map(|tp| {
                        let text = std::fs::read_to_string(
                            self.root.join("events/syscalls").join(&tp).join("id"),
                        )
                        .ok()?;
                        Some((format!("syscalls/{tp}"), text.trim().parse().ok()?))
                    })
                    .ok_or_else(|| format!("tracefs has no tracepoint syscalls/{dir}_{}", e.name))
            })
            .collect()
    }
}

impl Drop for Tracefs {
    fn drop(&mut self) {
        if self.mounted_by_us {
            let target = std::ffi::CString::new(self.root.as_os_str().as_encoded_bytes())
                .expect("no NUL in a temp path");
            // SAFETY: a NUL-terminated path we mounted.
            unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
            let _ = std::fs::remove_dir(&self.root);
        }
    }
}

/// The names the kernel may define a syscall under (SYSCALL_DEFINE), which
/// for a few syscalls differ from the name in <asm/unistd.h>: the `new` ABI
/// of stat, fstat, lstat and uname, umount2 (defined as umount), sendfile
/// (sendfile64). Tracepoints and the entry points in kallsyms
/// (`__x64_sys_<name>`) are named after it.
pub(crate) fn kernel_names(syscall: &str) -> Vec<String> {
    let mut names = vec![syscall.to_string(), format!("new{syscall}")];
    match syscall {
        "umount2" => names.push("umount".into()),
        "sendfile" => names.push("sendfile64".into()),
        _ => {}
    }
    names
}

fn tracepoint_names(dir: &str, syscall: &str) -> Vec<String> {
    kernel_names(syscall)
        .into_iter()
        .map(|n| format!("{dir}_{n}"))
        .collect()
}

/// A perf event for tracepoint `id`, on which a BPF program then attaches.
/// One suffices for all CPUs: the program hangs on the tracepoint itself.
pub(crate) fn open_tracepoint(id: u64) -> std::io::Result<OwnedFd> {
    let attr = libbpf_sys::perf_event_attr {
        type_: libbpf_sys::PERF_TYPE_TRACEPOINT,
        size: size_of::<libbpf_sys::perf_event_attr>() as u32,
        config: id,
        ..Default::default()
    };
    // SAFETY: attr outlives the call; pid -1 + cpu 0 is how libbpf opens one.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const _,
            -1i32,
            0i32,
            -1i32,
            libc::c_ulong::from(libbpf_sys::PERF_FLAG_FD_CLOEXEC),
        )
    } as i32;
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new fd owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracepoint_names_cover_the_syscall_define_names() {
        assert_eq!(
            tracepoint_names("sys_exit", "openat"),
            ["sys_exit_openat", "sys_exit_newopenat"]
        );
        assert!(tracepoint_names("sys_enter", "stat").contains(&"sys_enter_newstat".to_string()));
        assert!(tracepoint_names("sys_exit", "umount2").contains(&"sys_exit_umount".to_string()));
    }
}
