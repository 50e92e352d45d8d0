//! Real-kernel tests: they load and attach for real, so they run as root
//! (CI runs them as root; they fail, not skip, without privileges).

use std::process::Command;
use std::time::{Duration, Instant};

use tracee_core::{Event, Records, TraceOptions, Tracer};

fn start(events: &[&str]) -> Tracer {
    Tracer::start(TraceOptions {
        events: events.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    })
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
        evs.iter()
            .any(|e| e.header.host_process_id == pid && e.name() == "sched_process_exec")
            && evs.iter().any(|e| {
                e.header.host_process_id == pid && e.string("pathname") == Some("/bin/true")
            })
    });
    let mine: Vec<&Event> = events
        .iter()
        .filter(|e| e.header.host_process_id == pid)
        .collect();
    let _ = std::fs::remove_file(&path);

    let open = mine
        .iter()
        .find(|e| e.name() == "openat" && e.string("pathname") == Some(path.as_str()))
        .unwrap_or_else(|| {
            panic!(
                "no openat of {path} among {:?}",
                mine.iter().map(|e| e.name()).collect::<Vec<_>>()
            )
        });
    assert!(
        open.header.return_value >= 0,
        "openat returned {}",
        open.header.return_value
    );
    assert_eq!(open.process_name(), "sh");
    assert_eq!(open.header.host_parent_process_id, std::process::id());
    assert_eq!(open.header.host_thread_id, pid);

    let write = mine
        .iter()
        .find(|e| e.name() == "write" && e.args[2] == 5)
        .expect("write of 5 bytes");
    assert_eq!(write.header.return_value, 5);

    // the child is spawned by execve("/bin/sh"), then execs /bin/true
    let execs: Vec<_> = mine
        .iter()
        .filter(|e| e.name() == "execve")
        .map(|e| e.string("pathname").unwrap())
        .collect();
    assert_eq!(execs, ["/bin/sh", "/bin/true"]);
    let execve = mine.iter().rfind(|e| e.name() == "execve").unwrap();
    assert_eq!(execve.header.return_value, 0);
    assert_eq!(
        execve.process_name(),
        "true",
        "reported once the new program is in place"
    );
    // the name given, and the file that runs (Debian's /bin is a link to usr/bin)
    let exec = mine
        .iter()
        .rfind(|e| e.name() == "sched_process_exec")
        .unwrap();
    assert_eq!(exec.string("cmdpath"), Some("/bin/true"));
    assert_eq!(
        exec.string("pathname"),
        std::fs::canonicalize("/bin/true").unwrap().to_str()
    );
    assert_eq!(exec.process_name(), "true");

    // our own process is never traced
    assert!(events
        .iter()
        .all(|e| e.header.host_process_id != std::process::id()));
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
    let events = collect(&t, |evs| {
        evs.iter().any(|e| e.header.host_process_id == pid)
    });
    let exec = events
        .iter()
        .find(|e| e.header.host_process_id == pid)
        .expect("exec event");
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
    let err = Tracer::start(TraceOptions {
        events: vec!["opnat".into()],
        ..Default::default()
    })
    .err()
    .unwrap();
    assert_eq!(err.code(), tracee_core::ErrorCode::UnknownEvent);
    assert!(err.to_string().contains("did you mean openat"), "{err}");
}

fn policy(name: &str, scope: &[&str], rules: &[(&str, &[&str])]) -> tracee_core::Policy {
    tracee_core::Policy {
        name: name.into(),
        scope: scope.iter().map(|s| s.to_string()).collect(),
        rules: rules
            .iter()
            .map(|(e, f)| tracee_core::Rule {
                event: e.to_string(),
                filters: f.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
    }
}

/// Every scope field at once, in both program sets (the verifier sees all
/// the scope code only when the policies use it), and two policies whose
/// bits each record carries exactly.
#[test]
fn scopes_load_in_both_program_sets_and_records_carry_their_policies() {
    for legacy in [false, true] {
        let every_field = policy(
            "every-field",
            &[
                "comm=tracee-sc-a",
                "uid>=0",
                "uid<=4294967294",
                "pid>1",
                "mntns!=1",
                "pidns!=1",
                "uts!=nohost",
                "tree!=2",
                "executable!=/nonexistent",
                "not-container",
                "follow",
            ],
            &[("openat", &["data.pathname=/tmp/tracee-sc-*"])],
        );
        let by_comm_b = policy(
            "comm-b",
            &["comm=tracee-sc-b"],
            &[("openat", &["retval<0"])],
        );
        let mut t = Tracer::start(TraceOptions {
            policies: vec![every_field, by_comm_b],
            legacy_programs: legacy,
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("legacy={legacy}: {e}"));
        assert_eq!(t.info().policies, ["every-field", "comm-b"]);
        let tag = format!("/tmp/tracee-sc-{}-{legacy}", std::process::id());
        // the last one marks the end: records arrive in order per task
        for (comm, file) in [
            ("tracee-sc-a", "a"),
            ("tracee-sc-b", "b"),
            ("tracee-sc-c", "c"),
            ("tracee-sc-a", "end"),
        ] {
            // a copy of sh with that name: its comm
            let sh = format!("/tmp/{comm}");
            std::fs::copy("/bin/sh", &sh).unwrap();
            Command::new(&sh)
                .args(["-c", &format!("cat {tag}-{file} 2>/dev/null; true")])
                .status()
                .unwrap();
            let _ = std::fs::remove_file(&sh);
        }
        let end = format!("{tag}-end");
        let events = collect(&t, |evs| {
            evs.iter()
                .any(|e| e.string("pathname") == Some(end.as_str()))
        });
        let seen: Vec<(String, u64)> = events
            .iter()
            .filter_map(|e| {
                Some((
                    e.string("pathname")?.strip_prefix(&tag)?.to_string(),
                    e.header.matched_policies,
                ))
            })
            .collect();
        // a: the every-field policy (cat follows from its shell); b: not
        // comm-b's, whose scope has no follow (cat is not tracee-sc-b);
        // c: nobody's
        assert_eq!(
            seen,
            [("-a".to_string(), 0b01), ("-end".to_string(), 0b01)],
            "legacy={legacy}"
        );
        t.stop().unwrap();
    }
}
