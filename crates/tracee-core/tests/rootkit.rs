//! The rootkit checks on the real kernel (as root; they fail, not skip,
//! without privileges).

use std::time::{Duration, Instant};

use tracee_core::{rootkit, Records, TraceOptions, Tracer};

#[test]
fn the_reader_sees_the_real_syscall_table() {
    let t = rootkit::syscall_table()
        .unwrap_or_else(|e| panic!("reading the syscall table (as root): {e}"));
    let ni = format!("{}ni_syscall", t.prefix);
    let mut left_out = Vec::new();
    for (nr, entry) in t.entries.iter().enumerate() {
        let symbols = &t.symbols[nr];
        // every entry is the start of one of the kernel's syscall functions
        assert!(
            symbols.iter().any(|s| s.starts_with(t.prefix)),
            "entry {nr} ({entry:#x}) is not a {}* symbol of /proc/kallsyms: {symbols:?}",
            t.prefix
        );
        assert!(
            *entry >= t.text.0 && *entry < t.text.1,
            "entry {nr} outside the kernel's text"
        );
        let (name, kernel_names) = &t.syscalls[nr];
        if name.is_empty() {
            continue;
        }
        // the catalog's syscall `nr` is the function kallsyms names after it,
        // or the hole's (a syscall this arch's table leaves out)
        let own = kernel_names
            .iter()
            .any(|n| symbols.contains(&format!("{}{n}", t.prefix)));
        assert!(
            own || symbols.contains(&ni),
            "entry {nr} ({name}) is {symbols:?}"
        );
        if !own {
            left_out.push(name.clone());
        }
    }
    assert!(t.entries.len() > 300, "{} entries", t.entries.len());
    eprintln!(
        "sys_call_table at {:#x} ({}); {} entries; syscalls of the catalog this table leaves out (ni_syscall): {left_out:?}",
        t.address,
        t.how,
        t.entries.len()
    );
}

#[test]
fn the_reader_sees_procs_directory_operations() {
    let [(iterate_shared, names), (iterate, _)] = rootkit::proc_root_operations()
        .unwrap_or_else(|e| panic!("reading /proc's operations (as root): {e}"));
    // fs/proc/root.c: proc_root_operations.iterate_shared
    assert!(
        names.iter().any(|n| n == "proc_root_readdir"),
        "{iterate_shared:#x} is {names:?}"
    );
    // it sets no `iterate` (a field kernels since 6.5 do not have at all)
    assert_eq!(iterate, 0);
}

#[test]
fn a_clean_kernel_gives_no_hooked_event_and_the_checks_ran() {
    let t = Tracer::start(TraceOptions {
        events: vec!["hooked_syscall".into(), "hooked_proc_fops".into()],
        rootkit_check_interval: Duration::from_millis(100),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("tracer failed to start (as root): {e}"));
    assert!(t.info().disabled.is_empty(), "{:?}", t.info().disabled);
    assert!(
        t.info().rootkit_checks.contains("sys_call_table at 0x"),
        "{}",
        t.info().rootkit_checks
    );
    assert!(
        t.info().rootkit_checks.contains("/proc"),
        "{}",
        t.info().rootkit_checks
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut records = 0;
    while Instant::now() < deadline && t.stats().rootkit_checks < 3 {
        if let Ok(b) = t.batches().recv_timeout(Duration::from_millis(50)) {
            records += Records::new(&b.data).count();
        }
    }
    assert!(
        t.stats().rootkit_checks >= 3,
        "checks run: {}",
        t.stats().rootkit_checks
    );
    while let Ok(b) = t.batches().recv_timeout(Duration::from_millis(200)) {
        records += Records::new(&b.data).count();
    }
    assert_eq!(records, 0, "hooked events on a clean kernel");
    assert_eq!(t.stats().received, 0);
}
