//! The events the workload must cause, each with what its record must
//! show: its syscalls, its two execs, the catalog's kernel-function events
//! and the events derived at syscalls' exit.

use tracee_core::Event;

use crate::workload::{Workload, SOCKET_DUP_FD};

/// The guest binary's ELF interpreter, copied into the guest at the path
/// ldd gives on the build host (test/qemu/matrix.mjs).
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// <linux/capability.h>
const CAP_SYS_ADMIN: u64 = 21;

/// An event the workload must cause.
pub struct Expected<'a> {
    pub event: &'static str,
    /// What it must show, as the report names it when no event does.
    pub what: String,
    pub check: Box<dyn Fn(&Event) -> bool + 'a>,
}

fn expect<'a>(
    event: &'static str,
    what: impl Into<String>,
    check: impl Fn(&Event) -> bool + 'a,
) -> Expected<'a> {
    Expected {
        event,
        what: what.into(),
        check: Box::new(check),
    }
}

/// Every event the workload must cause, in the order the report counts
/// them. `kernel_btf`: traced with the kernel's own BTF.
pub fn expected(w: &Workload, kernel_btf: bool) -> Vec<Expected<'_>> {
    let mut all = syscall_events(w);
    all.extend(exec_events(kernel_btf));
    all.extend(function_events(w));
    all.extend(derived_events(w));
    all
}

/// Whether the event's argument `i` is the string `want`.
fn string(e: &Event, i: u8, want: &str) -> bool {
    e.string_arg(i) == Some(want)
}

/// Where a file in /tmp is in its own filesystem (the tmpfs on /tmp), as
/// the inode hooks give its path.
fn in_tmpfs(p: &str) -> String {
    format!("/{}", p.rsplit('/').next().unwrap())
}

/// A sockaddr_in's port and address, as the kernel side copied it.
fn inet(bytes: &[u8]) -> Option<(u16, [u8; 4])> {
    (bytes.len() == 16 && u16::from_ne_bytes([bytes[0], bytes[1]]) == libc::AF_INET as u16).then(
        || {
            (
                u16::from_be_bytes([bytes[2], bytes[3]]),
                [bytes[4], bytes[5], bytes[6], bytes[7]],
            )
        },
    )
}

/// The event's first sockaddr, as an IPv4 port and address.
fn sockaddr(e: &Event) -> Option<(u16, [u8; 4])> {
    e.sockaddrs.first().and_then(|(_, b)| inet(b))
}

/// The guest binary's exec, its file, and the exec of /bin/true, each
/// with its return value.
fn syscall_events(w: &Workload) -> Vec<Expected<'_>> {
    let path = &w.path;
    vec![
        expect("execve", "/tracee-guest", |e| {
            string(e, 0, "/tracee-guest") && e.header.return_value == 0
        }),
        expect("openat", path, move |e| {
            string(e, 1, path) && e.header.return_value >= 0
        }),
        expect("execve", "/bin/true", |e| {
            string(e, 0, "/bin/true")
                && e.string_array(1) == ["/bin/true"]
                && e.header.return_value == 0
        }),
    ]
}

/// sched_process_exec's file: its identity as the guest sees it, in the
/// kernel's dev_t encoding (MKDEV: major << 20 | minor).
fn identity(p: &str) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).expect("stat");
    (
        ((libc::major(m.dev()) << 20) | libc::minor(m.dev())) as u64,
        m.ino(),
    )
}

/// Whether sched_process_exec can name the ELF interpreter here. It is
/// found walking the mappings: a list before 6.1; since, bpf_find_vma,
/// which needs the kernel's own BTF.
fn interpreter_found(kernel_btf: bool) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut version = release
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let maple_tree = (version.next().unwrap_or(0), version.next().unwrap_or(0)) >= (6, 1);
    kernel_btf || !maple_tree
}

/// sched_process_exec in Tracee's shape, for both execs.
fn exec_events(kernel_btf: bool) -> Vec<Expected<'static>> {
    let (busybox, guest, loader) = (
        identity("/bin/busybox"),
        identity("/tracee-guest"),
        identity(LOADER),
    );
    let interpreter_found = interpreter_found(kernel_btf);
    vec![
        // Tracee's arguments: the name given, the file that runs (a link to
        // busybox, static: no interpreter), its identity, argv from the new stack
        expect("sched_process_exec", "/bin/true: /bin/busybox", move |e| {
            string(e, 0, "/bin/true")
                && string(e, 1, "/bin/busybox")
                && (e.args[2], e.args[3]) == busybox
                && e.args[4] > 0
                && e.args[5] & 0o170000 == 0o100000
                && e.string_array(10) == ["/bin/true"]
                && string(e, 11, "/bin/true")
                && e.int_arg(7).is_none()
        }),
        // the workload's own exec: dynamically linked, its loader the interpreter
        expect(
            "sched_process_exec",
            format!(
                "/tracee-guest: interpreter {}",
                if interpreter_found {
                    LOADER
                } else {
                    "unknown (6.1+ without kernel BTF)"
                }
            ),
            move |e| {
                let interpreter = string(e, 6, LOADER)
                    && (e.int_arg(7), e.int_arg(8)) == (Some(loader.0), Some(loader.1))
                    && e.int_arg(9).is_some_and(|c| c > 0);
                string(e, 1, "/tracee-guest")
                    && (e.args[2], e.args[3]) == guest
                    && if interpreter_found {
                        interpreter
                    } else {
                        e.int_arg(7).is_none()
                    }
            },
        ),
    ]
}

/// The catalog's kernel-function events, each once with its arguments:
/// the workload's file opened, executed, renamed, unlinked and read as a
/// module; its mount and the capability checked for it; its loopback
/// sockets with their addresses.
fn function_events(w: &Workload) -> Vec<Expected<'_>> {
    let (path, moved, mount_point, port) = (&w.path, &w.moved, &w.mount_point, w.listen_port);
    vec![
        // the path d_path (fentry) or the dentry walk (kprobe) gives
        expect("security_file_open", path, move |e| string(e, 0, path)),
        // the file executed: busybox, which /bin/true links to
        expect("security_bprm_check", "/bin/busybox", |e| {
            string(e, 0, "/bin/busybox") && e.args[2] > 0
        }),
        expect("security_inode_rename", in_tmpfs(path), move |e| {
            string(e, 0, &in_tmpfs(path)) && string(e, 1, &in_tmpfs(moved))
        }),
        expect("security_inode_unlink", in_tmpfs(moved), move |e| {
            string(e, 0, &in_tmpfs(moved)) && e.args[1] > 0
        }),
        // READING_MODULE (2 in enum kernel_read_file_id since 5.10)
        expect("security_kernel_read_file", moved, move |e| {
            string(e, 0, moved) && e.args[3] == 2
        }),
        expect("security_sb_mount", mount_point, move |e| {
            string(e, 1, mount_point)
                && string(e, 0, "tracee-dev")
                && string(e, 2, "tmpfs")
                && e.args[3] == libc::MS_NOSUID
        }),
        expect("cap_capable", "CAP_SYS_ADMIN", |e| {
            e.args[0] == CAP_SYS_ADMIN
        }),
        expect("security_socket_bind", "127.0.0.1:0", |e| {
            sockaddr(e) == Some((0, [127, 0, 0, 1]))
                && e.args[2] == libc::SOCK_STREAM as u64
                && (e.args[0] as i64) >= 0
        }),
        expect(
            "security_socket_connect",
            format!("127.0.0.1:{port}"),
            move |e| sockaddr(e) == Some((port, [127, 0, 0, 1])) && (e.args[0] as i64) >= 0,
        ),
        expect(
            "security_socket_accept",
            format!("127.0.0.1:{port}"),
            move |e| sockaddr(e) == Some((port, [127, 0, 0, 1])) && (e.args[0] as i64) >= 0,
        ),
    ]
}

/// The events derived at syscalls' exit: the file's first bytes, the rwx
/// mapping, the dup2ed socket.
fn derived_events(w: &Workload) -> Vec<Expected<'_>> {
    let path = &w.path;
    let (port, fd, local) = (w.listen_port, w.socket_fd, w.socket_local_port);
    vec![
        expect("magic_write", path, move |e| {
            string(e, 0, path)
                && e.bytes.first().map(|(_, b)| b.as_slice()) == Some(b"hello".as_slice())
        }),
        expect("mem_prot_alert", "rwx", |e| {
            e.args[0] == 1 && e.args[2] == 4096 && e.args[3] == 7
        }),
        // the connected socket dup2ed: its remote and local addresses, read
        // from the kernel's socket
        expect(
            "socket_dup",
            format!("{fd} -> {SOCKET_DUP_FD}: 127.0.0.1:{port} from 127.0.0.1:{local}"),
            move |e| {
                let addr = |arg: u8| {
                    e.sockaddrs
                        .iter()
                        .find(|(a, _)| *a == arg)
                        .and_then(|(_, b)| inet(b))
                };
                e.args[0] == fd
                    && e.args[1] == SOCKET_DUP_FD as u64
                    && addr(2) == Some((port, [127, 0, 0, 1]))
                    && addr(3) == Some((local, [127, 0, 0, 1]))
            },
        ),
    ]
}
