//! Checked before anything is loaded, so a missing privilege is reported as
//! such instead of as whatever EPERM libbpf meets first.

use crate::Error;

/// How to get the privileges tracing needs: said by [`Error::Privileges`]
/// and by every `doctor` check that meets their absence. CAP_BPF and
/// CAP_PERFMON exist since Linux 5.8; memory is charged to the memory
/// cgroup since 5.11, before which libbpf raises RLIMIT_MEMLOCK.
pub const FIX: &str = "run it as root, or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8; also CAP_SYS_RESOURCE before 5.11, for the locked-memory limit)";

/// Whether a kernel refusal (a positive errno) is one of missing
/// privileges: EPERM, or EACCES outside the verifier (whose rejections
/// carry a log).
pub(crate) fn is_refusal(errno: i32) -> bool {
    errno == libc::EPERM || errno == libc::EACCES
}

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Effective capabilities of this process, from /proc/self/status.
fn effective_caps() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

pub fn check() -> Result<(), Error> {
    let Some(caps) = effective_caps() else {
        // No /proc: let the kernel decide and map its EPERM later.
        return Ok(());
    };
    let has = |cap: u32| caps & (1u64 << cap) != 0;
    if has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)) {
        return Ok(());
    }
    let mut missing = Vec::new();
    if !has(CAP_BPF) {
        missing.push("CAP_BPF");
    }
    if !has(CAP_PERFMON) {
        missing.push("CAP_PERFMON");
    }
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    Err(Error::Privileges {
        missing: format!("uid {euid} lacks {}", missing.join(" and ")),
    })
}
