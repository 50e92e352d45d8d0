//! Loading, with fallbacks: a program the kernel rejects (a field renamed
//! or missing in this kernel, fentry refused, bpf_find_vma refused) turns
//! off only what needs it, or gives way to its other variant; the object
//! is reopened without it and loaded again, until what is left loads or
//! nothing selected is left. Failures are told apart by what libbpf
//! logged, read by btfhub::libbpf_log.

use btfhub::libbpf_log::{Line, Log};
use libbpf_rs::Object;

use crate::btf::{BtfSource, Decision};
use crate::{libbpf_log, Error};

use super::object::open_and_load;
use super::plan::{self, Selection};
use super::programs::{
    all_programs, function_hook, program_group, serves, FunctionHook, DERIVED_ENTRY_FIND_VMA,
    FUNCTION_HOOKS, SCHED_PROCESS_EXEC_FIND_VMA,
};
use super::{unavailable, Disabled, Plan};

/// Loads what `sel` enables, falling back as programs are refused;
/// `sel` ends up saying what is off and why. Err: nothing selected can
/// load (the first failure, or why each event is off), or a failure no
/// fallback covers.
pub(super) fn load(
    plan: &Plan,
    sel: &mut Selection,
    custom_btf: Option<&std::path::Path>,
) -> Result<Object, Error> {
    let mut first_error = None;
    loop {
        if !plan::anything_enabled(sel) {
            // nothing selected can load here: the first failure explains it
            return Err(match first_error {
                Some(err) if !plan::only_functions_off(sel) => btf_file_error(err, &plan.decision),
                _ => unavailable(&sel.disabled),
            });
        }
        // the object's names: the base name, or with _legacy
        let load = |actual: &str| match actual.strip_suffix("_legacy") {
            Some(base) => plan.legacy && sel.enabled(base),
            None => !plan.legacy && sel.enabled(actual),
        };
        let err = match open_and_load(plan, &sel.scope, custom_btf, &sel.derive, &load) {
            Ok(obj) => return Ok(obj),
            Err(err) => err,
        };
        let failed = failed_program(&err, sel);
        if !fall_back(plan, sel, failed.as_deref(), &err) {
            return Err(btf_file_error(err, &plan.decision));
        }
        first_error.get_or_insert(err);
    }
}

/// The program (base name) a load failure is about: the one the verifier
/// rejected, or a kernel-function program libbpf names (refused with
/// EPERM, or its kernel function missing: no verifier log).
fn failed_program(err: &Error, sel: &Selection) -> Option<String> {
    match err {
        Error::Verifier { program, .. } => Some(
            program
                .strip_suffix("_legacy")
                .unwrap_or(program)
                .to_string(),
        ),
        Error::Load { log, .. } => {
            let log = Log::new(log);
            all_programs()
                .find(|p| function_hook(p).is_some() && sel.enabled(p) && log.about(p).is_some())
                .map(str::to_string)
        }
        _ => None,
    }
}

/// Revises `sel` after `failed` was refused with `err`; false where no
/// fallback covers it.
fn fall_back(plan: &Plan, sel: &mut Selection, failed: Option<&str>, err: &Error) -> bool {
    if failed == Some(SCHED_PROCESS_EXEC_FIND_VMA) {
        // bpf_find_vma refused: the plain program, without the interpreter on 6.1+
        sel.unused.retain(|p| *p != "tracee_sched_process_exec");
        sel.unused.push(SCHED_PROCESS_EXEC_FIND_VMA);
        return true;
    }
    if failed.is_some_and(|p| DERIVED_ENTRY_FIND_VMA.contains(&p)) {
        // refused: mem_prot_alert from what the exits saw only
        sel.unused.extend(DERIVED_ENTRY_FIND_VMA);
        return true;
    }
    if let Some(hook) = failed.and_then(function_hook) {
        function_refused(sel, hook, failed == Some(hook.fentry), err, &plan.decision);
        return true;
    }
    let Some(group) = failed.and_then(program_group).filter(|g| sel.enabled(g[0])) else {
        return false;
    };
    let events_of_group = sel
        .events
        .iter()
        .filter(|e| group.iter().any(|p| serves(p, e, &sel.hooks)))
        .map(|e| e.name)
        .collect();
    sel.disabled.push(Disabled {
        programs: group,
        events: events_of_group,
        reason: disabled_reason(err, &plan.decision),
    });
    true
}

/// A kernel-function program refused: an fentry one gives way to its
/// kprobe where kprobes run, else the event is off.
fn function_refused(
    sel: &mut Selection,
    hook: &'static FunctionHook,
    is_fentry: bool,
    err: &Error,
    decision: &Decision,
) {
    let why = disabled_reason(err, decision);
    // EPERM without a verifier log: this kernel runs no fentry program
    // at all, so every fentry program is off, not only this one
    let hooks: Vec<&FunctionHook> = if is_fentry && permission_refused(err) {
        FUNCTION_HOOKS
            .iter()
            .filter(|h| sel.enabled(h.fentry))
            .collect()
    } else {
        vec![hook]
    };
    if is_fentry && sel.kprobes.is_ok() {
        // the kprobe programs instead
        for h in hooks {
            sel.unused.retain(|p| *p != h.kprobe);
            sel.unused.push(h.fentry);
            sel.fentry_refused.push((h.event, why.clone()));
        }
        return;
    }
    let fentry_why = sel
        .fentry_refused
        .iter()
        .find(|(e, _)| *e == hook.event)
        .map(|(_, w)| w.clone());
    let reason = match (&sel.kprobes, fentry_why) {
        (Err(k), _) => format!("{why}; {k}"),
        (Ok(()), Some(f)) => format!("{f}; {why}"),
        (Ok(()), None) => why,
    };
    sel.disabled.push(Disabled {
        programs: hooks.iter().flat_map(|h| [h.fentry, h.kprobe]).collect(),
        events: hooks.iter().map(|h| h.event).collect(),
        reason,
    });
}

/// The first line libbpf wrote about a kernel-function program.
fn function_hook_line(log: &str) -> Option<Line<'_>> {
    Log::new(log)
        .lines()
        .find(|l| l.program().is_some_and(|p| function_hook(p).is_some()))
}

/// Whether the kernel refused a kernel-function program for want of
/// permission (EPERM, no verifier log: no ftrace direct calls).
fn permission_refused(err: &Error) -> bool {
    match err {
        Error::Load { log, .. } => function_hook_line(log).is_some_and(|l| l.permission_refused()),
        _ => false,
    }
}

/// Why a refused program's events are off, in one line.
fn disabled_reason(err: &Error, decision: &Decision) -> String {
    match err {
        Error::Verifier { program, cause, log } => match Log::new(log).unresolved() {
            Some(field) => format!(
                "{program}: {} is not in this kernel's BTF ({})",
                field.target, decision.btf
            ),
            None => format!("{program}: rejected by the verifier: {cause}"),
        },
        // "libbpf: prog 'tracee_security_file_open': failed to find kernel BTF type ID of 'security_file_open': -ESRCH"
        Error::Load { log, .. } => match function_hook_line(log) {
            Some(line) if line.permission_refused() => format!(
                "this kernel runs no fentry programs ({}, without a verifier log: no ftrace direct calls)",
                line.text
            ),
            Some(line) => format!("this kernel refuses it ({})", line.text),
            None => err.to_string(),
        },
        other => other.to_string(),
    }
}

/// A BTF given in TRACEE_BTF_FILE that fails CO-RE is that file's fault.
pub(super) fn btf_file_error(err: Error, decision: &Decision) -> Error {
    match (&decision.btf, err) {
        (BtfSource::File(path), Error::Verifier { log, .. } | Error::Load { log, .. })
            if Log::new(&log).relocation_failed() =>
        {
            let field = Log::new(&log)
                .unresolved()
                .map_or("a type or field the programs read", |r| r.target)
                .to_string();
            Error::BtfFile {
                path: path.clone(),
                cause: format!("it does not describe this kernel: {field} is not in it (libbpf could not resolve that CO-RE relocation)"),
            }
        }
        (BtfSource::File(path), Error::Load { cause, .. }) => Error::BtfFile {
            path: path.clone(),
            cause: format!("libbpf cannot use it: {cause}"),
        },
        (_, err) => err,
    }
}

/// Turns a libbpf failure into the error that explains it, using what
/// libbpf printed (the verifier log above all).
pub(super) fn load_error(e: libbpf_rs::Error) -> Error {
    let text = libbpf_log::take();
    let log = Log::new(&text);
    // an fentry program some kernels refuse outright (EPERM, no verifier
    // log: no ftrace direct calls): that program's failure, not privileges
    if log
        .load_failed()
        .any(|p| FUNCTION_HOOKS.iter().any(|h| h.fentry == p))
    {
        return Error::Load {
            cause: e.to_string(),
            log: text,
        };
    }
    // the verifier's rejections are EACCES too: its log tells them apart
    let Some(rejection) = log.rejection() else {
        if e.kind() == libbpf_rs::ErrorKind::PermissionDenied {
            return Error::Privileges {
                missing: format!("the kernel refused: {e}"),
            };
        }
        return Error::Load {
            cause: e.to_string(),
            log: text,
        };
    };
    // "libbpf: prog 'tracee_sys_enter': BPF program load failed: ..."
    Error::Verifier {
        program: rejection.program.unwrap_or("?").to_string(),
        cause: rejection.cause.unwrap_or("rejected").to_string(),
        log: rejection.log.to_string(),
    }
}
