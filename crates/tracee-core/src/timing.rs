//! Start-up phases on demand, for the bench's breakdown (test/bench/bench.mjs)
//! and for whoever asks why a start is slow: with `TRACEE_TIMING` set to an
//! origin in ms since the Unix epoch (the CLI sets it to its process's start,
//! the bench to when it spawned the CLI), the end of each phase is one line
//! on stderr, `tracee-rs: timing: <phase> <ms since the origin>`, on the
//! same clock (CLOCK_REALTIME) as the JavaScript side's lines.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The origin, read once: the first mark comes from Tracer::start on the
/// caller's thread, before the poll thread exists, so no thread reads the
/// environment while Node may write it.
fn origin() -> Option<f64> {
    static ORIGIN: OnceLock<Option<f64>> = OnceLock::new();
    *ORIGIN.get_or_init(|| {
        std::env::var("TRACEE_TIMING")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
    })
}

/// Ends `phase`: one line on stderr when `TRACEE_TIMING` holds an origin.
pub fn mark(phase: &str) {
    let Some(origin) = origin() else { return };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    // one write, so that the line is not cut by the JavaScript side's
    let line = format!("tracee-rs: timing: {phase} {:.1}\n", now - origin);
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
}
