//! Prints the syscall table as the rootkit checks' reader sees it, entry by
//! entry, with the names /proc/kallsyms gives each address (as root).
fn main() {
    match tracee_core::rootkit::syscall_table() {
        Ok(t) => {
            println!("sys_call_table at {:#x} ({})", t.address, t.how);
            for (nr, entry) in t.entries.iter().enumerate() {
                println!(
                    "{nr:4} {entry:#018x} {:16} {}",
                    t.syscalls[nr].0,
                    t.symbols[nr].join(" ")
                );
            }
        }
        Err(e) => {
            eprintln!("syscall_table: {e}");
            std::process::exit(1);
        }
    }
}
