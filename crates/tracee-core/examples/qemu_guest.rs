//! Runs inside a qemu guest booted by test/qemu/matrix.mjs, on a Debian
//! kernel: reports the load decision, then traces a known workload and
//! checks what the kernel side read through CO-RE against what /proc says
//! in the guest. With `--kernel-btf` (run before the guest hides its BTF)
//! once, with the automatic hooks; without, once per way of hooking
//! syscalls. The automatic-hooks runs select through policies whose scopes
//! use every field the kernel tests (so this kernel's verifier sees all of
//! that code), and each event must carry exactly the policy it matched.

//! One JSON object per line, prefixed `tracee-guest: `, on stdout (the
//! serial console).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tracee_core::btf::{self, Environment};
use tracee_core::{catalog, Event, Policy, Records, Rule, SyscallHookMode, TraceOptions, Tracer};

fn say(v: Value) {
    println!("tracee-guest: {v}");
}

/// The inode number of /proc/self/ns/<kind>, as the kernel side reports it.
fn ns_inode(kind: &str) -> u32 {
    let link = std::fs::read_link(format!("/proc/self/ns/{kind}")).expect("/proc/self/ns");
    let text = link.to_string_lossy();
    text[text.find('[').unwrap() + 1..text.len() - 1]
        .parse()
        .unwrap()
}

fn main() {
    if let Some(path) = std::env::args().skip_while(|a| a != "--workload").nth(1) {
        return workload(&path);
    }
    let env = Environment::read();
    let kernel = match &env.kernel {
        Ok(key) => key.to_string(),
        Err(e) => format!("unknown ({e})"),
    };
    let archive = match btf::embedded() {
        Ok(a) => a,
        Err(e) => {
            return say(
                json!({ "kernel": kernel, "error": { "code": e.code().as_str(), "message": e.to_string() } }),
            )
        }
    };
    let with_kernel_btf = std::env::args().any(|a| a == "--kernel-btf");
    let phase = if with_kernel_btf {
        "kernel-btf"
    } else {
        "hidden-btf"
    };
    match btf::decide(&env, archive) {
        Ok(d) => say(
            json!({ "phase": phase, "kernel": kernel, "case": d.case, "btf": d.btf.to_string(), "reason": d.reason }),
        ),
        // case 5 (or 2): tracing cannot start here, and says why
        Err(e) => {
            return say(
                json!({ "phase": phase, "kernel": kernel, "error": { "code": e.code().as_str(), "message": e.to_string() } }),
            )
        }
    }
    if with_kernel_btf {
        say(rootkit_report());
    }
    let modes: &[(&str, SyscallHookMode)] = if with_kernel_btf {
        &[("auto", SyscallHookMode::Auto)]
    } else {
        &[
            ("auto", SyscallHookMode::Auto),
            ("raw", SyscallHookMode::RawTracepoints),
        ]
    };
    for (name, mode) in modes {
        let mut report = run(name, *mode, with_kernel_btf);
        report["phase"] = json!(phase);
        say(report);
    }
}

/// The rootkit checks' reader on this kernel (its own BTF): the syscall
/// table, where kallsyms names it (Debian's kernels have
/// CONFIG_KALLSYMS_ALL), entry by entry against kallsyms, and /proc's
/// directory operations (proc_root_readdir).
fn rootkit_report() -> Value {
    let table = match tracee_core::rootkit::syscall_table() {
        Ok(t) => {
            let ni = format!("{}ni_syscall", t.prefix);
            let bad: Vec<String> = (0..t.entries.len())
                .filter(|&nr| {
                    let (name, names) = &t.syscalls[nr];
                    let s = &t.symbols[nr];
                    let fine = s.iter().any(|n| n.starts_with(t.prefix))
                        && (name.is_empty()
                            || s.contains(&ni)
                            || names
                                .iter()
                                .any(|k| s.contains(&format!("{}{k}", t.prefix))));
                    !fine
                })
                .map(|nr| format!("{nr} {:#x} {:?}", t.entries[nr], t.symbols[nr]))
                .collect();
            json!({ "how": t.how, "entries": t.entries.len(), "bad": bad })
        }
        Err(e) => json!({ "error": e.to_string() }),
    };
    let fops = match tracee_core::rootkit::proc_root_operations() {
        Ok([(_, names), (iterate, _)]) => json!({ "iterate_shared": names, "iterate": iterate }),
        Err(e) => json!({ "error": e.to_string() }),
    };
    json!({ "phase": "kernel-btf", "rootkit": { "table": table, "proc": fops } })
}

/// The workload, in a child (the tracer does not trace its own process):
/// every kind of event the kernel side has, then an exec of /bin/true.
/// Unwraps only the calls that must succeed; the module load must fail.
fn workload(path: &str) {
    use std::os::unix::process::CommandExt;
    std::fs::write(path, "hello").unwrap();
    // writable and executable memory (mem_prot_alert), unmapped at once
    let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            rwx,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(addr, libc::MAP_FAILED);
    unsafe { libc::munmap(addr, 4096) };
    let moved = format!("{path}.moved");
    std::fs::rename(path, &moved).unwrap();
    // the kernel reads the file to load it as a module: not an ELF, refused
    let file = std::fs::File::open(&moved).unwrap();
    let rc = unsafe {
        libc::syscall(
            libc::SYS_finit_module,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            c"".as_ptr(),
            0,
        )
    };
    assert!(rc < 0, "finit_module of a text file succeeded");
    drop(file);
    std::fs::remove_file(&moved).unwrap();
    let dir = format!("{path}.mnt");
    std::fs::create_dir(&dir).unwrap();
    let target = std::ffi::CString::new(dir.as_str()).unwrap();
    // CAP_SYS_ADMIN checked (cap_capable), then the mount
    let rc = unsafe {
        libc::mount(
            c"tracee-dev".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "mount: {}", std::io::Error::last_os_error());
    unsafe { libc::umount(target.as_ptr()) };
    std::fs::remove_dir(&dir).unwrap();
    // bind, connect and accept on loopback, all from this thread (a
    // connection completes in the listener's backlog before accept)
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::fs::write(format!("{path}.port"), port.to_string()).unwrap();
    let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _conn = listener.accept().unwrap();
    // the connected socket onto another fd (socket_dup), its local port
    // for the check
    let fd = std::os::fd::AsRawFd::as_raw_fd(&client);
    assert_eq!(unsafe { libc::dup2(fd, SOCKET_DUP_FD) }, SOCKET_DUP_FD);
    let local = client.local_addr().unwrap().port();
    std::fs::write(format!("{path}.dup"), format!("{fd} {local}")).unwrap();
    let err = std::process::Command::new("/bin/true").exec();
    panic!("exec /bin/true: {err}");
}

/// Where the workload dup2s its connected socket (socket_dup's newfd).
const SOCKET_DUP_FD: i32 = 100;

/// The guest binary's ELF interpreter, copied into the guest at the path
/// ldd gives on the build host (test/qemu/matrix.mjs).
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

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

/// The catalog's kernel-function events (events.tbl @function) and the
/// events derived at syscalls' exit (@after=), in its order.
fn hooked_events() -> impl Iterator<Item = &'static str> {
    catalog::EVENTS
        .iter()
        .filter(|e| catalog::FUNCTION_EVENTS.contains(&e.name) || !e.after.is_empty())
        .map(|e| e.name)
}

/// Traces the workload. Expected, from the child (whose parent is us):
/// its execve, its file, socket, module and mount events, the exec of
/// /bin/true; the kernel functions' events through fentry with the
/// kernel's BTF, through kprobes without it.
fn run(name: &str, mode: SyscallHookMode, kernel_btf: bool) -> Value {
    // the syscalls and process events the workload checks, and every
    // kernel-function and derived event of the catalog: each loaded, so
    // verified, on every kernel; a kernel function's record checked in
    // `expected` (only here do its programs run)
    let selected: Vec<&str> = ["openat", "execve", "sched_process_exec"]
        .into_iter()
        .chain(hooked_events())
        .collect();
    let rules = || {
        selected
            .iter()
            .map(|e| Rule {
                event: e.to_string(),
                filters: vec![],
            })
            .collect::<Vec<_>>()
    };
    let me = std::process::id();
    // every scope field, all true of the workload (our child, forked after
    // the start: in our tree by the fork hook), and a policy it must not match
    let scoped = mode == SyscallHookMode::Auto;
    let policies = if scoped {
        let scope = [
            format!("tree={me}"),
            "pid>1".into(),
            "uid<=0".into(),
            "tid!=1".into(),
            "comm!=no-such-comm".into(),
            "mntns!=1".into(),
            "pidns!=1".into(),
            "uts!=no-such-host".into(),
            "executable!=/no/such/exe".into(),
            "cgroup!=0".into(),
            "not-container".into(),
            "follow".into(),
        ];
        vec![
            Policy {
                name: "every-field".into(),
                scope: scope.to_vec(),
                rules: rules(),
            },
            Policy {
                name: "nobody".into(),
                scope: vec!["comm=no-such-comm".into()],
                rules: rules(),
            },
        ]
    } else {
        vec![Policy::from_events(&selected)]
    };
    let opts = TraceOptions {
        policies,
        syscall_hooks: mode,
        ..Default::default()
    };
    let started = Instant::now();
    let mut tracer = match Tracer::start(opts) {
        Ok(t) => t,
        Err(e) => {
            return json!({ "hooks": name, "attached": false, "error": { "code": e.code().as_str(), "message": e.to_string() } })
        }
    };
    let attach_ms = started.elapsed().as_millis();
    let info = tracer.info().clone();
    let path = format!("/tmp/tracee-guest-{}", std::process::id());
    let child = Command::new("/tracee-guest")
        .args(["--workload", &path])
        .spawn()
        .expect("spawn the workload");
    let pid = child.id();
    let status = child.wait_with_output().expect("wait").status;
    let port: u16 = std::fs::read_to_string(format!("{path}.port"))
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let _ = std::fs::remove_file(format!("{path}.port"));
    // the socket's fd and its local port, as the workload saw them
    let (dup_fd, dup_local): (u64, u16) = std::fs::read_to_string(format!("{path}.dup"))
        .ok()
        .and_then(|s| {
            let (fd, local) = s.split_once(' ')?;
            Some((fd.parse().ok()?, local.parse().ok()?))
        })
        .unwrap_or((u64::MAX, 0));
    let _ = std::fs::remove_file(format!("{path}.dup"));

    let mut events: Vec<Event> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    // the last of the workload's events: the exec of /bin/true, and then
    // (it is reported at the syscall's exit) its execve
    let done = |evs: &[Event]| {
        // execve's pathname and sched_process_exec's cmdpath: argument 0
        let last = |name: &str| {
            evs.iter()
                .any(|e| e.name() == name && e.string_arg(0) == Some("/bin/true"))
        };
        last("sched_process_exec") && last("execve")
    };
    while Instant::now() < deadline && !done(&events) {
        if let Ok(batch) = tracer.batches().recv_timeout(Duration::from_millis(100)) {
            for r in Records::new(&batch.data) {
                match r {
                    Ok(e) if e.header.host_process_id == pid => events.push(e),
                    Ok(_) => {}
                    Err(e) => {
                        return json!({ "hooks": name, "attached": true, "error": { "code": tracee_core::ErrorCode::Corrupt.as_str(), "message": e.to_string() } })
                    }
                }
            }
        }
    }
    let stats = tracer.stats();
    let _ = tracer.stop();

    // the fields read through CO-RE, against /proc in the guest
    let (mnt, pidns) = (ns_inode("mnt"), ns_inode("pid"));
    let mut failures = Vec::new();
    for e in &events {
        let h = &e.header;
        // bit 0: every-field (or the plain list's policy); never `nobody`
        if h.matched_policies != 1 {
            failures.push(format!(
                "{}: matched policies {:#b}, not 0b1",
                e.name(),
                h.matched_policies
            ));
        }
        if h.host_parent_process_id != me || h.parent_process_id != me {
            failures.push(format!(
                "{}: ppid {}/{} is not {me}",
                e.name(),
                h.host_parent_process_id,
                h.parent_process_id
            ));
        }
        if h.mount_namespace != mnt {
            failures.push(format!(
                "{}: mount namespace {} is not {mnt}",
                e.name(),
                h.mount_namespace
            ));
        }
        if h.pid_namespace != pidns {
            failures.push(format!(
                "{}: pid namespace {} is not {pidns}",
                e.name(),
                h.pid_namespace
            ));
        }
        if h.process_id != pid || h.thread_id != pid {
            failures.push(format!(
                "{}: pid/tid {}/{} is not {pid}",
                e.name(),
                h.process_id,
                h.thread_id
            ));
        }
    }
    // each expected event: a name, what it must show, and whether it is there
    let string = |e: &Event, i: u8, want: &str| e.string_arg(i) == Some(want);
    let file = |p: &str| p.rsplit('/').next().unwrap().to_string();
    let moved = format!("{path}.moved");
    let mnt_dir = format!("{path}.mnt");
    let sockaddr = |e: &Event| e.sockaddrs.first().and_then(|(_, b)| inet(b));
    // sched_process_exec's file: its identity as the guest sees it, in the
    // kernel's dev_t encoding (MKDEV: major << 20 | minor)
    let identity = |p: &str| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(p).expect("stat");
        (
            ((libc::major(m.dev()) << 20) | libc::minor(m.dev())) as u64,
            m.ino(),
        )
    };
    let (busybox, guest, loader) = (
        identity("/bin/busybox"),
        identity("/tracee-guest"),
        identity(LOADER),
    );
    // the ELF interpreter is found walking the mappings: a list before 6.1;
    // since, bpf_find_vma, which needs the kernel's own BTF
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut version = release
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let maple_tree = (version.next().unwrap_or(0), version.next().unwrap_or(0)) >= (6, 1);
    let interpreter_found = kernel_btf || !maple_tree;
    type Check<'a> = Box<dyn Fn(&Event) -> bool + 'a>;
    let expected: Vec<(&str, String, Check)> = vec![
        (
            "execve",
            "/tracee-guest".into(),
            Box::new(|e| string(e, 0, "/tracee-guest") && e.header.return_value == 0),
        ),
        (
            "openat",
            path.clone(),
            Box::new(|e| string(e, 1, &path) && e.header.return_value >= 0),
        ),
        (
            "execve",
            "/bin/true".into(),
            Box::new(|e| {
                string(e, 0, "/bin/true")
                    && e.string_array(1) == ["/bin/true"]
                    && e.header.return_value == 0
            }),
        ),
        // Tracee's arguments: the name given, the file that runs (a link to
        // busybox, static: no interpreter), its identity, argv from the new stack
        (
            "sched_process_exec",
            "/bin/true: /bin/busybox".into(),
            Box::new(|e| {
                string(e, 0, "/bin/true")
                    && string(e, 1, "/bin/busybox")
                    && (e.args[2], e.args[3]) == busybox
                    && e.args[4] > 0
                    && e.args[5] & 0o170000 == 0o100000
                    && e.string_array(10) == ["/bin/true"]
                    && string(e, 11, "/bin/true")
                    && e.int_arg(7).is_none()
            }),
        ),
        // the workload's own exec: dynamically linked, its loader the interpreter
        (
            "sched_process_exec",
            format!(
                "/tracee-guest: interpreter {}",
                if interpreter_found {
                    LOADER
                } else {
                    "unknown (6.1+ without kernel BTF)"
                }
            ),
            Box::new(|e| {
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
            }),
        ),
        // the path d_path (fentry) or the dentry walk (kprobe) gives
        (
            "security_file_open",
            path.clone(),
            Box::new(|e| string(e, 0, &path)),
        ),
        // the file executed: busybox, which /bin/true links to
        (
            "security_bprm_check",
            "/bin/busybox".into(),
            Box::new(|e| string(e, 0, "/bin/busybox") && e.args[2] > 0),
        ),
        // inode hooks: the path in the file's filesystem (the tmpfs on /tmp)
        (
            "security_inode_rename",
            format!("/{}", file(&path)),
            Box::new(|e| {
                string(e, 0, &format!("/{}", file(&path)))
                    && string(e, 1, &format!("/{}", file(&moved)))
            }),
        ),
        (
            "security_inode_unlink",
            format!("/{}", file(&moved)),
            Box::new(|e| string(e, 0, &format!("/{}", file(&moved))) && e.args[1] > 0),
        ),
        // READING_MODULE (2 in enum kernel_read_file_id since 5.10)
        (
            "security_kernel_read_file",
            moved.clone(),
            Box::new(|e| string(e, 0, &moved) && e.args[3] == 2),
        ),
        (
            "security_sb_mount",
            mnt_dir.clone(),
            Box::new(|e| {
                string(e, 1, &mnt_dir)
                    && string(e, 0, "tracee-dev")
                    && string(e, 2, "tmpfs")
                    && e.args[3] == libc::MS_NOSUID
            }),
        ),
        (
            "cap_capable",
            "CAP_SYS_ADMIN".into(),
            Box::new(
                |e| e.args[0] == 21, /* CAP_SYS_ADMIN, <linux/capability.h> */
            ),
        ),
        (
            "security_socket_bind",
            "127.0.0.1:0".into(),
            Box::new(|e| {
                sockaddr(e) == Some((0, [127, 0, 0, 1]))
                    && e.args[2] == libc::SOCK_STREAM as u64
                    && (e.args[0] as i64) >= 0
            }),
        ),
        (
            "security_socket_connect",
            format!("127.0.0.1:{port}"),
            Box::new(|e| sockaddr(e) == Some((port, [127, 0, 0, 1])) && (e.args[0] as i64) >= 0),
        ),
        (
            "security_socket_accept",
            format!("127.0.0.1:{port}"),
            Box::new(|e| sockaddr(e) == Some((port, [127, 0, 0, 1])) && (e.args[0] as i64) >= 0),
        ),
        // derived at syscalls' exit: the file's first bytes, the rwx mapping
        (
            "magic_write",
            path.clone(),
            Box::new(|e| {
                string(e, 0, &path)
                    && e.bytes.first().map(|(_, b)| b.as_slice()) == Some(b"hello".as_slice())
            }),
        ),
        (
            "mem_prot_alert",
            "rwx".into(),
            Box::new(|e| e.args[0] == 1 && e.args[2] == 4096 && e.args[3] == 7),
        ),
        // the connected socket dup2ed: its remote and local addresses, read
        // from the kernel's socket
        (
            "socket_dup",
            format!("{dup_fd} -> {SOCKET_DUP_FD}: 127.0.0.1:{port} from 127.0.0.1:{dup_local}"),
            Box::new(|e| {
                let addr = |arg: u8| {
                    e.sockaddrs
                        .iter()
                        .find(|(a, _)| *a == arg)
                        .and_then(|(_, b)| inet(b))
                };
                e.args[0] == dup_fd
                    && e.args[1] == SOCKET_DUP_FD as u64
                    && addr(2) == Some((port, [127, 0, 0, 1]))
                    && addr(3) == Some((dup_local, [127, 0, 0, 1]))
            }),
        ),
    ];
    // with the kernel's BTF, fentry; without, kprobes: every function event attached
    let method = if kernel_btf { "fentry" } else { "kprobe" };
    for hook in catalog::FUNCTION_EVENTS {
        if !info
            .programs
            .iter()
            .any(|p| *p == format!("{method}/{hook}"))
        {
            failures.push(format!(
                "{hook} not attached with {method}: {:?}",
                info.disabled
            ));
        }
    }
    for event in catalog::FUNCTION_EVENTS {
        if !expected.iter().any(|(e, _, _)| e == event) {
            failures.push(format!("{event}: no check of its record here"));
        }
    }
    let mut seen = 0;
    for (event, what, check) in &expected {
        match events.iter().find(|e| e.name() == *event && check(e)) {
            Some(_) => seen += 1,
            None => failures.push(format!("no {event} of {what}")),
        }
    }
    json!({
        "hooks": name,
        "scoped": scoped,
        "attached": true,
        "attachMs": attach_ms,
        "programs": info.programs,
        "syscallHooks": info.syscall_hooks,
        "btf": info.btf,
        "case": info.decision.case,
        "workloadOk": status.success(),
        "disabled": info.disabled.iter().map(|d| format!("{}: {}", d.events.join(","), d.reason)).collect::<Vec<_>>(),
        "functionEvents": catalog::FUNCTION_EVENTS,
        "seen": seen,
        "expected": expected.len(),
        "events": events.iter().map(|e| format!("{}({}{:?})", e.name(), e.strings.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join(","), &e.args[..2])).collect::<Vec<_>>(),
        "lost": stats.lost,
        "failures": failures,
    })
}
