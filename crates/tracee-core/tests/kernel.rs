//! Real-kernel tests: they load and attach for real, so they run as root
//! (CI runs them as root; they fail, not skip, without privileges).

use std::process::Command;
use std::time::{Duration, Instant};

use tracee_core::{Event, Records, TraceOptions, Tracer};

fn start(events: &[&str]) -> Tracer {
    Tracer::start(TraceOptions { events: events.iter().map(|s| s.to_string()).collect(), ..Default::default() })
        .unwrap_or_else(|e| panic!("tracer failed to start (these tests need root): {e}"))
}

/// Collects decoded events until `done` says so or 10 s pass.
fn collect(t: &Tracer, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut out = Vec::new();
    while Instant::now() < deadline && !done(&out) {
        if let Ok(batch) = t.batches().recv_timeout(Duration::from_millis(100)) {
            out.extend(Records::new(&batch.data).map(|r| r.expect("kernel records decode")));
        }
    }
    out
}

#[test]
fn a_child_process_is_traced_with_paths_counts_and_return_values() {
    let mut t = start(&["openat", "write", "execve", "sched_process_exec"]);
    let path = format!("/tmp/tracee-core-test-{}", std::process::id());
    let child = Command::new("/bin/sh")
        .args(["-c", "printf hello > \"$1\"; exec /bin/true", "sh", &path])
        .spawn()
        .unwrap();
    let pid = child.id();
    child.wait_with_output().unwrap();

    let events = collect(&t, |evs| {
        evs.iter().any(|e| e.header.host_process_id == pid && e.name() == "sched_process_exec")
            && evs.iter().any(|e| e.header.host_process_id == pid && e.string("pathname") == Some("/bin/true"))
    });
    let mine: Vec<&Event> = events.iter().filter(|e| e.header.host_process_id == pid).collect();
    let _ = std::fs::remove_file(&path);

    let open = mine
        .iter()
        .find(|e| e.name() == "openat" && e.string("pathname") == Some(path.as_str()))
        .unwrap_or_else(|| panic!("no openat of {path} among {:?}", mine.iter().map(|e| e.name()).collect::<Vec<_>>()));
    assert!(open.header.return_value >= 0, "openat returned {}", open.header.return_value);
    assert_eq!(open.process_name(), "sh");
    assert_eq!(open.header.host_parent_process_id, std::process::id());
    assert_eq!(open.header.host_thread_id, pid);

    let write = mine.iter().find(|e| e.name() == "write" && e.args[2] == 5).expect("write of 5 bytes");
    assert_eq!(write.header.return_value, 5);

    // the child is spawned by execve("/bin/sh"), then execs /bin/true
    let execs: Vec<_> = mine.iter().filter(|e| e.name() == "execve").map(|e| e.string("pathname").unwrap()).collect();
    assert_eq!(execs, ["/bin/sh", "/bin/true"]);
    let execve = mine.iter().rfind(|e| e.name() == "execve").unwrap();
    assert_eq!(execve.header.return_value, 0);
    assert_eq!(execve.process_name(), "true", "reported at exit, after the exec");
    let exec = mine.iter().rfind(|e| e.name() == "sched_process_exec").unwrap();
    assert_eq!(exec.string("pathname"), Some("/bin/true"));
    assert_eq!(exec.process_name(), "true");

    // our own process is never traced
    assert!(events.iter().all(|e| e.header.host_process_id != std::process::id()));
    let stats = t.stats();
    assert!(stats.received >= events.len() as u64);
    assert_eq!(stats.lost, 0);
    t.stop().unwrap();
}

#[test]
fn namespaces_match_proc() {
    let mut t = start(&["sched_process_exec"]);
    let child = Command::new("/bin/true").spawn().unwrap();
    let pid = child.id();
    child.wait_with_output().unwrap();
    let events = collect(&t, |evs| evs.iter().any(|e| e.header.host_process_id == pid));
    let exec = events.iter().find(|e| e.header.host_process_id == pid).expect("exec event");
    let ns = |kind: &str| -> u32 {
        let link = std::fs::read_link(format!("/proc/self/ns/{kind}")).unwrap();
        let s = link.to_string_lossy();
        s[s.find('[').unwrap() + 1..s.len() - 1].parse().unwrap()
    };
    assert_eq!(exec.header.mount_namespace, ns("mnt"));
    assert_eq!(exec.header.pid_namespace, ns("pid"));
    assert_eq!(exec.header.host_parent_process_id, std::process::id());
    t.stop().unwrap();
}

#[test]
fn unknown_events_fail_before_anything_is_loaded() {
    let err = Tracer::start(TraceOptions { events: vec!["opnat".into()], ..Default::default() }).err().unwrap();
    assert_eq!(err.code(), "EUNKNOWNEVENT");
    assert!(err.to_string().contains("did you mean openat"), "{err}");
}
