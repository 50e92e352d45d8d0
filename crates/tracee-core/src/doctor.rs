//! `tracee-rs doctor`: what this host allows, checked before trusting the
//! tool on it. Each check says ok, or what it costs and how to fix it.

use std::path::Path;

use crate::{btf, privileges};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, with a cost (some events or a faster path unavailable).
    Warn,
    /// Tracing cannot start.
    Fail,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// How to get the missing part, when something is missing.
    pub fix: Option<String>,
}

fn check(
    name: &'static str,
    status: Status,
    detail: impl Into<String>,
    fix: Option<&str>,
) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
        fix: fix.map(str::to_string),
    }
}

/// Whether a trace can start, given the checks.
pub fn can_trace(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}

const SECURITYFS: &str = "/sys/kernel/security";

/// Runs every check; reads only, changes nothing on the host.
pub fn run() -> Vec<Check> {
    let mut out = Vec::new();
    let privileged = privileges_check(&mut out);
    lockdown(&mut out);
    let (btf_check, kernel_btf) = kernel_btf();
    out.push(btf_check);
    load_decision(&mut out, kernel_btf.is_ok());
    program_types(&mut out, privileged);
    bpf_lsm(&mut out);
    fentry(&mut out, kernel_btf.is_ok(), privileged);
    kprobes(&mut out);
    tracefs(&mut out, privileged);
    out
}

/// Whether this process may load eBPF programs; the answer.
fn privileges_check(out: &mut Vec<Check>) -> bool {
    let result = privileges::check();
    out.push(match &result {
        Ok(()) => check(
            "privileges",
            Status::Ok,
            "can load eBPF programs (CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON)",
            None,
        ),
        Err(e) => check(
            "privileges",
            Status::Fail,
            e.to_string(),
            Some(privileges::FIX),
        ),
    });
    result.is_ok()
}

/// A probe the kernel refused to answer (EPERM, EACCES): unknown, for want
/// of privileges where this process lacks them (not for the kernel's age or
/// build), else for what else may deny it.
fn refused(name: &'static str, refusal: String, privileged: bool) -> Check {
    if privileged {
        check(
            name,
            Status::Warn,
            format!("unknown: {refusal}, although this process has the privileges: a user namespace, seccomp or a security module may deny bpf()"),
            None,
        )
    } else {
        check(
            name,
            Status::Warn,
            format!("unknown: {refusal}: this process lacks the privileges to probe (see privileges), which says nothing of the kernel"),
            Some(privileges::FIX),
        )
    }
}

/// Whether kernel lockdown lets BPF read kernel memory.
fn lockdown(out: &mut Vec<Check>) {
    let securityfs = Path::new(SECURITYFS).join("lsm").exists();
    out.push(
        match std::fs::read_to_string(Path::new(SECURITYFS).join("lockdown")) {
            Ok(text) => {
                let mode = text
                    .split_whitespace()
                    .find(|w| w.starts_with('['))
                    .unwrap_or("[none]")
                    .trim_matches(|c| c == '[' || c == ']')
                    .to_string();
                if mode == "confidentiality" {
                    check(
                        "lockdown",
                        Status::Fail,
                        "lockdown=confidentiality: BPF may not read kernel memory",
                        Some("boot with lockdown=integrity or lockdown=none"),
                    )
                } else {
                    check(
                        "lockdown",
                        Status::Ok,
                        format!("lockdown={mode}: BPF may read kernel memory"),
                        None,
                    )
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => check(
                "lockdown",
                Status::Warn,
                format!("unknown: {SECURITYFS}/lockdown cannot be read ({e})"),
                Some(privileges::FIX),
            ),
            Err(_) if !securityfs => check(
                "lockdown",
                Status::Warn,
                format!("unknown: securityfs is not mounted at {SECURITYFS}"),
                Some("mount -t securityfs securityfs /sys/kernel/security"),
            ),
            Err(_) => check(
                "lockdown",
                Status::Ok,
                "no lockdown support in this kernel",
                None,
            ),
        },
    );
}

/// The kernel's own BTF, and whether it parses.
fn kernel_btf() -> (Check, Result<u32, String>) {
    let kernel_btf =
        btf::check_btf_header(Path::new(btf::KERNEL_BTF)).and_then(|_| parse_btf(btf::KERNEL_BTF));
    let check = match &kernel_btf {
        Ok(types) => check("kernel BTF", Status::Ok, format!("{} parses ({types} types)", btf::KERNEL_BTF), None),
        Err(why) => check(
            "kernel BTF",
            Status::Warn,
            format!("none ({why}): CO-RE uses an embedded minimized BTF; fentry programs cannot attach, so the kernel-function events (security_*, cap_capable) need kprobes"),
            Some("a kernel built with CONFIG_DEBUG_INFO_BTF=y"),
        ),
    };
    (check, kernel_btf)
}

/// The load decision (Tracee's five cases) and whether this kernel is embedded.
fn load_decision(out: &mut Vec<Check>, has_kernel_btf: bool) {
    let env = btf::Environment::read();
    out.push(match btf::embedded().and_then(|a| btf::decide(&env, a)) {
        Ok(d) => check(
            "load decision",
            Status::Ok,
            format!("case {}: {}", d.case, d.reason),
            None,
        ),
        Err(e) => check(
            "load decision",
            Status::Fail,
            e.to_string(),
            Some("set TRACEE_BTF_FILE to this kernel's BTF (btfhub-archive)"),
        ),
    });
    let key = env
        .kernel
        .as_ref()
        .map(|k| k.to_string())
        .unwrap_or_else(|e| format!("unknown ({e})"));
    let embedded = env
        .kernel
        .as_ref()
        .ok()
        .and_then(|k| btf::embedded().ok()?.get(k))
        .is_some();
    out.push(check(
        "embedded BTF",
        if embedded || has_kernel_btf {
            Status::Ok
        } else {
            Status::Warn
        },
        if embedded {
            format!("this kernel ({key}) is embedded")
        } else {
            format!("this kernel ({key}) is not embedded")
        },
        (!embedded && !has_kernel_btf)
            .then_some("build tracee-rs with this kernel's BTF in TRACEE_BTFHUB_ARCHIVE"),
    ));
}

/// The ring buffer and raw tracepoint programs.
fn program_types(out: &mut Vec<Check>, privileged: bool) {
    let refusal = |e: &std::io::Error| e.raw_os_error().is_some_and(privileges::is_refusal);
    // the same probe that picks the transport
    out.push(match crate::features::ring_buffer_supported() {
        Ok(true) => check("ring buffer", Status::Ok, "BPF ring buffer available", None),
        Ok(false) => check("ring buffer", Status::Warn, "no BPF ring buffer (Linux < 5.8): records go through a perf buffer, one wake-up per record", Some("Linux 5.8 or later")),
        Err(e) if refusal(&e) => refused("ring buffer", format!("creating a BPF ring buffer was refused ({e})"), privileged),
        Err(e) => check("ring buffer", Status::Warn, format!("could not probe ({e})"), None),
    });
    out.push(match crate::features::raw_tracepoint_supported() {
        Ok(true) => check(
            "raw tracepoints",
            Status::Ok,
            "raw tracepoint programs load (every tracee-rs event uses them)",
            None,
        ),
        Ok(false) => check(
            "raw tracepoints",
            Status::Fail,
            "raw tracepoint programs are not supported (Linux < 4.17)",
            Some("Linux 4.17 or later (RHEL 8's 4.18 works)"),
        ),
        Err(e) if refusal(&e) => refused(
            "raw tracepoints",
            format!("a two-instruction raw tracepoint program was refused ({e})"),
            privileged,
        ),
        Err(e) => check(
            "raw tracepoints",
            Status::Warn,
            format!("could not probe ({e})"),
            None,
        ),
    });
}

/// Whether BPF LSM is in the active LSM list.
fn bpf_lsm(out: &mut Vec<Check>) {
    out.push(match std::fs::read_to_string(Path::new(SECURITYFS).join("lsm")) {
        Ok(list) if list.trim().split(',').any(|l| l == "bpf") => check("BPF LSM", Status::Ok, format!("bpf is in the active LSM list ({})", list.trim()), None),
        Ok(list) => check(
            "BPF LSM",
            Status::Warn,
            format!("bpf is not in the active LSM list ({}): lsm programs unavailable (tracee-rs reaches the LSM hooks through fentry or kprobes, which do not need it)", list.trim()),
            Some("boot with lsm=<current list>,bpf"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => check(
            "BPF LSM",
            Status::Warn,
            format!("unknown: {SECURITYFS}/lsm cannot be read ({e})"),
            Some(privileges::FIX),
        ),
        Err(_) => check(
            "BPF LSM",
            Status::Warn,
            format!("unknown: securityfs is not mounted at {SECURITYFS}"),
            Some("mount -t securityfs securityfs /sys/kernel/security"),
        ),
    });
}

/// Whether fentry programs load (asked only with the kernel's own BTF).
fn fentry(out: &mut Vec<Check>, kernel_btf: bool, privileged: bool) {
    // the kernel-function events' first choice (they fall back to kprobes)
    if !kernel_btf {
        return;
    }
    out.push(match crate::features::fentry_supported() {
        Ok(()) => check("fentry", Status::Ok, "fentry programs load: the kernel-function events (security_*, cap_capable) use them", None),
        // EPERM is also what kernels without ftrace direct calls answer
        // root: only with the privileges does it say that
        Err(why) if !privileged => refused("fentry", why, false),
        Err(why) => check(
            "fentry",
            Status::Warn,
            format!("{why}: the kernel-function events (security_*, cap_capable) need kprobes here"),
            Some("a kernel with ftrace direct calls (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y), or with kprobes"),
        ),
    });
}

/// Whether kprobes can be attached.
fn kprobes(out: &mut Vec<Check>) {
    // the same test the loader makes (the kprobe PMU, world-readable)
    out.push(match crate::features::kprobes_available() {
        Ok(()) => check("kprobes", Status::Ok, "kprobes available", None),
        Err(why) => check(
            "kprobes",
            Status::Warn,
            format!("{why}: the kernel-function events (security_*, cap_capable) need fentry here, which needs the kernel's BTF"),
            Some("a kernel built with CONFIG_KPROBES=y and CONFIG_KPROBE_EVENTS=y"),
        ),
    });
}

/// Whether tracefs is mounted.
fn tracefs(out: &mut Vec<Check>, privileged: bool) {
    // tracefs is mode 0700: its files are invisible without root
    let seen: Vec<_> = crate::features::TRACEFS_MOUNTS
        .iter()
        .map(|m| (m, crate::features::path_exists(&Path::new(m).join("trace"))))
        .collect();
    let mounted = seen.iter().find(|(_, r)| matches!(r, Ok(true)));
    let unreadable = seen
        .iter()
        .find_map(|(m, r)| r.as_ref().err().map(|e| (m, e)));
    out.push(match (mounted, unreadable) {
        (Some((m, _)), _) => check("tracefs", Status::Ok, format!("mounted ({m})"), None),
        (None, Some((m, e))) => check(
            "tracefs",
            Status::Warn,
            format!("unknown: {m} cannot be read ({e})"),
            (!privileged).then_some(privileges::FIX),
        ),
        (None, None) => check(
            "tracefs",
            Status::Warn,
            "not mounted: tracepoint (tp/) programs unavailable; tracee-rs uses raw tracepoints, which need none",
            Some(&crate::features::mount_tracefs()),
        ),
    });
}

/// Parses a BTF file with libbpf; returns its number of types.
fn parse_btf(path: &str) -> Result<u32, String> {
    let c = std::ffi::CString::new(path).map_err(|e| e.to_string())?;
    // SAFETY: c is a valid C string; btf__parse returns NULL (errno set) or
    // a BTF object we free below.
    let btf = unsafe { libbpf_rs::libbpf_sys::btf__parse(c.as_ptr(), std::ptr::null_mut()) };
    if btf.is_null() {
        return Err(format!(
            "libbpf cannot parse it: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: btf is a valid object from btf__parse, freed once.
    let n = unsafe { libbpf_rs::libbpf_sys::btf__type_cnt(btf) };
    unsafe { libbpf_rs::libbpf_sys::btf__free(btf) };
    Ok(n)
}
