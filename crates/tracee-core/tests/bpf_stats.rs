//! Real-kernel tests of what the kernel counts for a running trace
//! (bpf_stats.rs): its programs' counters and its ring's fill, read by id
//! from the test's thread while the poll thread runs. As root.

use std::process::Command;
use std::time::{Duration, Instant};

use tracee_core::{TraceOptions, Tracer};

fn start(opts: TraceOptions) -> Tracer {
    Tracer::start(opts)
        .unwrap_or_else(|e| panic!("tracer failed to start (these tests need root): {e}"))
}

/// `bpftool prog show id <id>`'s name: the kernel's (the object's, cut to 15 bytes).
fn kernel_prog_name(id: u32) -> Option<String> {
    let out = Command::new("bpftool")
        .args(["-j", "prog", "show", "id", &id.to_string()])
        .output()
        .expect("bpftool runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("\"name\":\"")? + 8;
    Some(text[at..].split('"').next()?.to_string())
}

/// Runs `until` every 20 ms for up to 10 s, running `work` before each try.
fn eventually(what: &str, mut work: impl FnMut(), mut until: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !until() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        work();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn program_stats_name_the_kernels_programs_and_end_with_the_trace() {
    let mut t = start(TraceOptions {
        events: vec!["openat".into(), "sched_process_exec".into()],
        ..Default::default()
    });
    let progs = t.program_stats();
    assert!(!progs.is_empty());
    for p in &progs {
        // the object's name, and the kernel's program of that id is it
        assert!(p.name.starts_with("tracee_"), "{p:?}");
        let kernel = kernel_prog_name(p.id).unwrap_or_else(|| panic!("no program {}", p.id));
        assert!(
            p.name.starts_with(&kernel) && kernel.len() >= p.name.len().min(15),
            "{p:?}: the kernel's is {kernel}"
        );
    }
    let mut ids: Vec<u32> = progs.iter().map(|p| p.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), progs.len());
    // the poll thread has polled (and goes on)
    let polls = t.stats().polls;
    eventually("polls", || {}, || t.stats().polls > polls);
    t.stop().unwrap();
    assert!(t.program_stats().is_empty());
    assert!(t.ring_fill().is_none());
}

#[test]
fn ring_fill_counts_what_a_stalled_consumer_leaves_in_the_ring() {
    let ring = 1 << 20;
    // one record a batch and one batch queued: untaken batches stall the
    // poll thread at once, and what follows stays in the ring
    let mut t = start(TraceOptions {
        events: vec!["sched_process_exec".into()],
        ring_buffer_bytes: ring,
        batch_events: 1,
        queue_batches: 1,
        ..Default::default()
    });
    let fill = t.ring_fill().expect("a ring buffer here");
    assert_eq!(fill.size_bytes, u64::from(ring));
    // execs of ours pile up in the ring (a few hundred bytes each) while
    // nothing is taken
    let spawn = || {
        Command::new("/bin/true").status().unwrap();
    };
    eventually("32 KiB of records left in the ring", spawn, || {
        t.ring_fill().unwrap().used_bytes >= 32 << 10
    });
    let stalled = t.ring_fill().unwrap();
    assert!(stalled.used_bytes <= stalled.size_bytes, "{stalled:?}");
    // taken, the poll thread drains the ring: what is left is the host's
    // few execs since its last poll
    eventually(
        "the ring to be drained",
        || while t.batches().try_recv().is_ok() {},
        || t.ring_fill().unwrap().used_bytes < 8 << 10,
    );
    t.stop().unwrap();
}

#[test]
fn a_perf_buffer_has_no_ring_fill_and_its_programs_are_counted() {
    let mut t = start(TraceOptions {
        events: vec!["sched_process_exec".into()],
        perf_buffer: true,
        ..Default::default()
    });
    assert!(t.ring_fill().is_none());
    assert!(!t.program_stats().is_empty());
    t.stop().unwrap();
}
