//! What must hold of every event the workload caused, and of the programs
//! attached, besides each expected event's own record.

use tracee_core::{catalog, Event, TracerInfo};

use crate::expected::Expected;

/// The inode number of /proc/self/ns/<kind>, as the kernel side reports it.
fn ns_inode(kind: &str) -> u32 {
    let link = std::fs::read_link(format!("/proc/self/ns/{kind}")).expect("/proc/self/ns");
    let text = link.to_string_lossy();
    text[text.find('[').unwrap() + 1..text.len() - 1]
        .parse()
        .unwrap()
}

/// The fields read through CO-RE, against /proc in the guest, and the
/// policies matched: each event of the workload `pid`, our child, must
/// carry our pid as its parent, our namespaces, its own pid as pid and tid,
/// and exactly the first policy.
pub fn header_failures(events: &[Event], pid: u32) -> Vec<String> {
    let me = std::process::id();
    let (mnt, pidns) = (ns_inode("mnt"), ns_inode("pid"));
    let mut failures = Vec::new();
    for e in events {
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
    failures
}

/// Every kernel-function event of the catalog: attached, with the kernel's
/// BTF through fentry, without it through kprobes; and its record checked
/// among the `expected` events.
pub fn function_event_failures(
    info: &TracerInfo,
    kernel_btf: bool,
    expected: &[Expected],
) -> Vec<String> {
    let mut failures = Vec::new();
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
        if !expected.iter().any(|x| x.event == *event) {
            failures.push(format!("{event}: no check of its record here"));
        }
    }
    failures
}

/// Each expected event, found or not: how many were, and a failure for
/// each that was not.
pub fn expected_seen(events: &[Event], expected: &[Expected]) -> (usize, Vec<String>) {
    let mut seen = 0;
    let mut failures = Vec::new();
    for x in expected {
        match events.iter().find(|e| e.name() == x.event && (x.check)(e)) {
            Some(_) => seen += 1,
            None => failures.push(format!("no {} of {}", x.event, x.what)),
        }
    }
    (seen, failures)
}
