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
//!
//! - `trace.rs`: one trace, from the selection to its report;
//! - `workload.rs`: what the traced child does, and what it tells us;
//! - `expected.rs`: the events it must cause, each with what it must show;
//! - `checks.rs`: what every event's header must say, and which hooks
//!   must be attached;
//! - `rootkit.rs`: the rootkit checks' reader on this kernel.

mod checks;
mod expected;
mod rootkit;
mod trace;
mod workload;

use serde_json::{json, Value};
use tracee_core::btf::{self, Environment};
use tracee_core::SyscallHookMode;

fn say(v: Value) {
    println!("tracee-guest: {v}");
}

fn main() {
    if let Some(path) = std::env::args().skip_while(|a| a != "--workload").nth(1) {
        return workload::perform(&path);
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
        say(rootkit::report());
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
        let mut report = trace::run(name, *mode, with_kernel_btf);
        report["phase"] = json!(phase);
        say(report);
    }
}
