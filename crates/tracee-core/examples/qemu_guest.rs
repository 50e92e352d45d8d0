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
use tracee_core::{Event, Policy, Records, Rule, SyscallHookMode, TraceOptions, Tracer};

fn say(v: Value) {
    println!("tracee-guest: {v}");
}

/// The inode number of /proc/self/ns/<kind>, as the kernel side reports it.
fn ns_inode(kind: &str) -> u32 {
    let link = std::fs::read_link(format!("/proc/self/ns/{kind}")).expect("/proc/self/ns");
    let text = link.to_string_lossy();
    text[text.find('[').unwrap() + 1..text.len() - 1].parse().unwrap()
}

fn main() {
    let env = Environment::read();
    let kernel = match &env.kernel {
        Ok(key) => key.to_string(),
        Err(e) => format!("unknown ({e})"),
    };
    let archive = match btf::embedded() {
        Ok(a) => a,
        Err(e) => return say(json!({ "kernel": kernel, "error": { "code": e.code(), "message": e.to_string() } })),
    };
    let with_kernel_btf = std::env::args().any(|a| a == "--kernel-btf");
    let phase = if with_kernel_btf { "kernel-btf" } else { "hidden-btf" };
    match btf::decide(&env, archive) {
        Ok(d) => say(json!({ "phase": phase, "kernel": kernel, "case": d.case, "btf": d.btf.to_string(), "reason": d.reason })),
        // case 5 (or 2): tracing cannot start here, and says why
        Err(e) => return say(json!({ "phase": phase, "kernel": kernel, "error": { "code": e.code(), "message": e.to_string() } })),
    }
    let modes: &[(&str, SyscallHookMode)] =
        if with_kernel_btf { &[("auto", SyscallHookMode::Auto)] } else { &[("auto", SyscallHookMode::Auto), ("raw", SyscallHookMode::RawTracepoints)] };
    for (name, mode) in modes {
        let mut report = run(name, *mode, with_kernel_btf);
        report["phase"] = json!(phase);
        say(report);
    }
}

/// The workload: a shell that opens a unique file and execs /bin/true.
/// Expected: execve /bin/sh, openat of the file, execve /bin/true,
/// sched_process_exec of /bin/true, each from the child, whose parent is us.
fn run(name: &str, mode: SyscallHookMode, kernel_btf: bool) -> Value {
    // security_file_open attaches with fentry: with the kernel's own BTF only
    let events = ["openat", "execve", "sched_process_exec", "security_file_open"];
    let rules = || events.iter().map(|e| Rule { event: e.to_string(), filters: vec![] }).collect::<Vec<_>>();
    let me = std::process::id();
    // every scope field, all true of the workload (our child, forked after
    // the start: in our tree by the fork hook), and a policy it must not match
    let scoped = mode == SyscallHookMode::Auto;
    let policies = if scoped {
        let scope = [
            format!("tree={me}"), "pid>1".into(), "uid<=0".into(), "tid!=1".into(), "comm!=no-such-comm".into(),
            "mntns!=1".into(), "pidns!=1".into(), "uts!=no-such-host".into(), "executable!=/no/such/exe".into(),
            "cgroup!=0".into(), "not-container".into(), "follow".into(),
        ];
        vec![
            Policy { name: "every-field".into(), scope: scope.to_vec(), rules: rules() },
            Policy { name: "nobody".into(), scope: vec!["comm=no-such-comm".into()], rules: rules() },
        ]
    } else {
        vec![Policy::from_events(&events)]
    };
    let opts = TraceOptions { policies, syscall_hooks: mode, ..Default::default() };
    let started = Instant::now();
    let mut tracer = match Tracer::start(opts) {
        Ok(t) => t,
        Err(e) => return json!({ "hooks": name, "attached": false, "error": { "code": e.code(), "message": e.to_string() } }),
    };
    let attach_ms = started.elapsed().as_millis();
    let info = tracer.info().clone();
    let path = format!("/tmp/tracee-guest-{}", std::process::id());
    let child = Command::new("/bin/sh")
        .args(["-c", "echo hello > \"$1\"; exec /bin/true", "sh", &path])
        .spawn()
        .expect("spawn /bin/sh");
    let pid = child.id();
    let status = child.wait_with_output().expect("wait").status;

    let mut events: Vec<Event> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    // the last of the workload's events: the exec of /bin/true, and then
    // (it is reported at the syscall's exit) its execve
    let done = |evs: &[Event]| {
        let last = |name: &str| evs.iter().any(|e| e.name() == name && e.strings.first().map(|(_, s)| s.as_str()) == Some("/bin/true"));
        last("sched_process_exec") && last("execve")
    };
    while Instant::now() < deadline && !done(&events) {
        if let Ok(batch) = tracer.batches().recv_timeout(Duration::from_millis(100)) {
            for r in Records::new(&batch.data) {
                match r {
                    Ok(e) if e.header.host_process_id == pid => events.push(e),
                    Ok(_) => {}
                    Err(e) => return json!({ "hooks": name, "attached": true, "error": { "code": "EDECODE", "message": e.to_string() } }),
                }
            }
        }
    }
    let stats = tracer.stats();
    let _ = tracer.stop();
    let _ = std::fs::remove_file(&path);

    // the fields read through CO-RE, against /proc in the guest
    let (mnt, pidns) = (ns_inode("mnt"), ns_inode("pid"));
    let mut failures = Vec::new();
    for e in &events {
        let h = &e.header;
        // bit 0: every-field (or the plain list's policy); never `nobody`
        if h.matched_policies != 1 {
            failures.push(format!("{}: matched policies {:#b}, not 0b1", e.name(), h.matched_policies));
        }
        if h.host_parent_process_id != me || h.parent_process_id != me {
            failures.push(format!("{}: ppid {}/{} is not {me}", e.name(), h.host_parent_process_id, h.parent_process_id));
        }
        if h.mount_namespace != mnt {
            failures.push(format!("{}: mount namespace {} is not {mnt}", e.name(), h.mount_namespace));
        }
        if h.pid_namespace != pidns {
            failures.push(format!("{}: pid namespace {} is not {pidns}", e.name(), h.pid_namespace));
        }
        if h.process_id != pid || h.thread_id != pid {
            failures.push(format!("{}: pid/tid {}/{} is not {pid}", e.name(), h.process_id, h.thread_id));
        }
    }
    let mut expected: Vec<(&str, &str, Option<i64>)> = vec![
        ("execve", "/bin/sh", Some(0)),
        ("openat", path.as_str(), None),
        ("execve", "/bin/true", Some(0)),
        ("sched_process_exec", "/bin/true", None),
    ];
    let lsm_disabled = info.disabled.iter().any(|d| d.events.contains(&"security_file_open"));
    if kernel_btf {
        // the same open, seen by the LSM hook, its path from d_path
        expected.push(("security_file_open", path.as_str(), None));
        if lsm_disabled {
            failures.push(format!("security_file_open disabled with the kernel's BTF: {:?}", info.disabled));
        }
    } else if !lsm_disabled {
        failures.push("security_file_open attached without the kernel's BTF".into());
    }
    let mut seen = 0;
    for &(event, string, ret) in &expected {
        let found = events.iter().find(|e| {
            e.name() == event
                && e.strings.first().map(|(_, s)| s.as_str()) == Some(string)
                && ret.is_none_or(|r| e.header.return_value == r)
                && (event != "openat" || e.header.return_value >= 0)
        });
        match found {
            Some(_) => seen += 1,
            None => failures.push(format!("no {event} of {string}")),
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
        "seen": seen,
        "expected": expected.len(),
        "events": events.iter().map(|e| format!("{}({})", e.name(), e.strings.first().map_or("", |(_, s)| s.as_str()))).collect::<Vec<_>>(),
        "lost": stats.lost,
        "failures": failures,
    })
}
