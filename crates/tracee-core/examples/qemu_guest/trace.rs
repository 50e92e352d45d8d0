//! One trace of the workload: what it selects and through which policies,
//! the events it collects, and the report of what they showed.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tracee_core::{catalog, Event, Policy, Records, Rule, SyscallHookMode, TraceOptions, Tracer};

use crate::checks::{expected_seen, function_event_failures, header_failures};
use crate::expected::expected;
use crate::workload::Workload;

/// The catalog's kernel-function events (events.tbl @function) and the
/// events derived at syscalls' exit (@after=), in its order.
fn hooked_events() -> impl Iterator<Item = &'static str> {
    catalog::EVENTS
        .iter()
        .filter(|e| catalog::FUNCTION_EVENTS.contains(&e.name) || !e.after.is_empty())
        .map(|e| e.name)
}

/// The syscalls and process events the workload checks, and every
/// kernel-function and derived event of the catalog: each loaded, so
/// verified, on every kernel; a kernel function's record checked in
/// `expected` (only here do its programs run).
fn selected_events() -> Vec<&'static str> {
    ["openat", "execve", "sched_process_exec"]
        .into_iter()
        .chain(hooked_events())
        .collect()
}

/// With `scoped`, two policies selecting `selected`: one whose scope uses
/// every field, all true of the workload (our child, forked after the
/// start: in our tree by the fork hook), and one it must not match.
/// Without, the plain list's one policy.
fn policies(selected: &[&str], scoped: bool) -> Vec<Policy> {
    if !scoped {
        return vec![Policy::from_events(selected)];
    }
    let rules = || {
        selected
            .iter()
            .map(|e| Rule {
                event: e.to_string(),
                filters: vec![],
            })
            .collect::<Vec<_>>()
    };
    let scope = [
        format!("tree={}", std::process::id()),
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
}

/// The events of the process `pid`, until its last ones (the exec of
/// /bin/true, and then, as it is reported at the syscall's exit, its
/// execve) or for 20 s at most. Err: a record that does not decode.
fn collect(tracer: &mut Tracer, pid: u32) -> Result<Vec<Event>, String> {
    let mut events: Vec<Event> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
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
                    Err(e) => return Err(e.to_string()),
                }
            }
        }
    }
    Ok(events)
}

/// Traces the workload, with the syscall hooks `mode` (`name` in the
/// report). Expected, from the child (whose parent is us): its execve, its
/// file, socket, module and mount events, the exec of /bin/true; the
/// kernel functions' events through fentry with the kernel's BTF, through
/// kprobes without it.
pub fn run(name: &str, mode: SyscallHookMode, kernel_btf: bool) -> Value {
    let selected = selected_events();
    let scoped = mode == SyscallHookMode::Auto;
    // with the kernel's BTF, the scoped trace is reloadable: its programs
    // keep every scope test (the scopes in a map, not .rodata), which this
    // kernel's verifier must take, and a reload must apply
    let reloadable = kernel_btf && scoped;
    let opts = TraceOptions {
        policies: policies(&selected, scoped),
        syscall_hooks: mode,
        reloadable,
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
    let workload = Workload::spawn();
    let events = match collect(&mut tracer, workload.pid) {
        Ok(events) => events,
        Err(message) => {
            return json!({ "hooks": name, "attached": true, "error": { "code": tracee_core::ErrorCode::Corrupt.as_str(), "message": message } })
        }
    };
    let reload = reloadable.then(|| tracer.reload(policies(&selected, scoped)));
    let stats = tracer.stats();
    let _ = tracer.stop();

    let mut failures = header_failures(&events, workload.pid);
    if let Some(Err(e)) = &reload {
        failures.push(format!("reload: {e}"));
    }
    let expected = expected(&workload, kernel_btf);
    failures.extend(function_event_failures(&info, kernel_btf, &expected));
    let (seen, missing) = expected_seen(&events, &expected);
    failures.extend(missing);
    json!({
        "hooks": name,
        "scoped": scoped,
        "reloadable": reloadable,
        "reloaded": matches!(reload, Some(Ok(()))),
        "attached": true,
        "attachMs": attach_ms,
        "programs": info.programs,
        "syscallHooks": info.syscall_hooks,
        "btf": info.btf,
        "case": info.decision.case,
        "workloadOk": workload.succeeded,
        "disabled": info.disabled.iter().map(|d| format!("{}: {}", d.events.join(","), d.reason)).collect::<Vec<_>>(),
        "functionEvents": catalog::FUNCTION_EVENTS,
        "seen": seen,
        "expected": expected.len(),
        "events": events.iter().map(|e| format!("{}({}{:?})", e.name(), e.strings.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join(","), &e.args[..2])).collect::<Vec<_>>(),
        "lost": stats.lost,
        "failures": failures,
    })
}
