use serde_json::{json, Value};

/// The rootkit checks' reader on this kernel (its own BTF): the syscall
/// table, where kallsyms names it (Debian's kernels have
/// CONFIG_KALLSYMS_ALL), entry by entry against kallsyms, and /proc's
/// directory operations (proc_root_readdir).
pub fn report() -> Value {
    let table = match tracee_core::rootkit::syscall_table() {
        Ok(t) => {
            let ni = format!("{}ni_syscall", t.prefix);
            let bad: Vec<String> = (0..t.entries.len())
                .filter(|&nr| {
                    let (name, names) = &t.syscalls[nr];
                    let s = &t.symbols[nr];
                    let fine = s.iter().any(|n| n.starts_with(t.prefix))
                        && (name.is_empty()
                            || s.contains(&ni)
                            || names
                                .iter()
                                .any(|k| s.contains(&format!("{}{k}", t.prefix))));
                    !fine
                })
                .map(|nr| format!("{nr} {:#x} {:?}", t.entries[nr], t.symbols[nr]))
                .collect();
            json!({ "how": t.how, "entries": t.entries.len(), "bad": bad })
        }
        Err(e) => json!({ "error": e.to_string() }),
    };
    let fops = match tracee_core::rootkit::proc_root_operations() {
        Ok([(_, names), (iterate, _)]) => json!({ "iterate_shared": names, "iterate": iterate }),
        Err(e) => json!({ "error": e.to_string() }),
    };
    json!({ "phase": "kernel-btf", "rootkit": { "table": table, "proc": fops } })
}
