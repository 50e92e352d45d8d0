//! Tracee's rootkit checks, host-wide: `hooked_syscall` (a syscall table
//! entry pointing outside the kernel's text) and `hooked_proc_fops` (/proc's
//! root directory operations pointing outside it).
//!
//! No hook runs them: this side runs the program `tracee_rootkit_check`
//! with BPF_PROG_TEST_RUN (raw tracepoint programs can be run so since
//! Linux 5.10; no kprobes, no uprobe on ourselves as Tracee uses), at start
//! and every [`DEFAULT_INTERVAL`] (`TraceOptions::rootkit_check_interval`).
//! The program reads kernel memory; what it read is judged here against
//! /proc/kallsyms (the kernel's text is `_stext`..`_etext`), the addresses
//! are resolved to a function and its owner (a module, `system` for the
//! kernel's own, `hidden` where no symbol has the address), and each
//! finding is sent back through the program into the ring buffer, so it
//! reaches the policies like any event. As in Tracee, an entry is reported
//! once, and again only if its address changes.

use std::collections::HashMap;
use std::os::fd::AsRawFd;

use libbpf_rs::{MapCore, MapFlags, Object};

use crate::bpf::types;
use crate::catalog;

/// How often the checks run by default: a hooked table is a standing
/// state, not an event in time, so a minute bounds how late one is seen
/// without costing anything measurable (one check is a few test runs).
pub const DEFAULT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// The program and its maps (bpf/hooks/rootkit.h).
pub(crate) const PROGRAM: &str = "tracee_rootkit_check";
/// The events the checks find: events.tbl's `@check` events.
pub(crate) use crate::catalog::CHECK_EVENTS as EVENTS;

/// A located table must match kallsyms in at least this share of the
/// entries kallsyms names (a few hooked entries still find it).
const TABLE_MATCH: f64 = 0.9;
/// Where kallsyms has no end of .rodata, how much of it is searched.
const RODATA_MAX: u64 = 64 << 20;
/// A symbol "has" an address this far past its start, where the next symbol
/// is another owner's (kallsyms gives no sizes).
const SYMBOL_SPAN: u64 = 0x10000;

const KALLSYMS: &str = "/proc/kallsyms";
/// Tests only: the kernel's text to judge against instead of kallsyms'
/// (`Checker::prepare`), START-END in hex; only narrower than kallsyms'
/// (so that it can never hide a hooked entry).
pub const TEST_TEXT_ENV: &str = "TRACEE_RS_TEST_KERNEL_TEXT";
/// The symbols looked up by name, besides the syscalls' functions.
const NAMED: [&str; 6] = [
    "_stext",
    "_etext",
    "sys_call_table",
    "__start_rodata",
    "__end_rodata",
    "__start_ro_after_init",
];

/// /proc/kallsyms: text and section symbols with their owners.
pub struct Kallsyms {
    /// (address, name, owner), sorted by address
    syms: Vec<(u64, String, String)>,
    by_name: HashMap<String, u64>,
}

impl Kallsyms {
    /// Reads /proc/kallsyms, or says in one line why its addresses cannot
    /// be used. `keep_text`: every text symbol too, to resolve addresses
    /// (else only the names looked up: the parse then costs little next
    /// to the kernel's ~70 ms to list them).
    pub fn read(keep_text: bool) -> Result<Kallsyms, String> {
        let text = std::fs::read_to_string(KALLSYMS).map_err(|e| {
            format!("{KALLSYMS} cannot be read ({e}); run as root on a kernel with CONFIG_KALLSYMS")
        })?;
        Kallsyms::parse(&text, keep_text)
    }

    pub fn parse(text: &str, keep_text: bool) -> Result<Kallsyms, String> {
        let mut syms = Vec::new();
        let mut by_name = HashMap::new();
        let mut nonzero = false;
        for line in text.lines() {
            let mut it = line.split_whitespace();
            let (Some(addr), Some(kind), Some(name)) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            let Ok(addr) = u64::from_str_radix(addr, 16) else {
                continue;
            };
            nonzero |= addr != 0;
            let module = it.next();
            // looked up by name: the kernel's own section markers and
            // syscall functions only (a map of all ~120k would cost more
            // than reading them)
            if module.is_none() && (name.starts_with(syscall_prefix()) || NAMED.contains(&name)) {
                by_name.entry(name.to_string()).or_insert(addr);
            }
            if keep_text && matches!(kind, "t" | "T" | "w" | "W") {
                let owner = module.map_or_else(
                    || "system".to_string(),
                    |m| m.trim_start_matches('[').trim_end_matches(']').to_string(),
                );
                syms.push((addr, name.to_string(), owner));
            }
        }
        if !nonzero {
            return Err(format!(
                "{KALLSYMS} shows every address as 0 (kernel.kptr_restrict, or not root): run as root with kernel.kptr_restrict <= 1 (sysctl kernel.kptr_restrict=1)"
            ));
        }
        syms.sort_by_key(|s| s.0);
        Ok(Kallsyms { syms, by_name })
    }

    /// Every text symbol starting exactly at `addr`.
    pub fn names_at(&self, addr: u64) -> Vec<String> {
        let from = self.syms.partition_point(|s| s.0 < addr);
        self.syms[from..]
            .iter()
            .take_while(|s| s.0 == addr)
            .map(|s| s.1.clone())
            .collect()
    }

    /// The address of a symbol of the kernel's own (not a module's).
    pub fn addr(&self, name: &str) -> Option<u64> {
        self.by_name.get(name).copied()
    }

    /// The function `addr` points into and its owner; ("", "hidden") where
    /// no symbol has it (code of a module hidden from kallsyms).
    pub fn resolve(&self, addr: u64) -> (String, String) {
        let i = self.syms.partition_point(|s| s.0 <= addr);
        if i > 0 {
            let (start, name, owner) = &self.syms[i - 1];
            let bracketed = self.syms.get(i).is_some_and(|n| &n.2 == owner);
            if bracketed || addr - start <= SYMBOL_SPAN {
                return (name.clone(), owner.clone());
            }
        }
        (String::new(), "hidden".into())
    }
}

/// The kernel's expected entry for syscall `nr` of the catalog: the address
/// of its `__x64_sys_<name>` (by the kernel's SYSCALL_DEFINE name), or of
/// `__x64_sys_ni_syscall` where the kernel has none (a hole).
pub fn expected_entry(syms: &Kallsyms, nr: u32) -> Option<u64> {
    expected_symbol(syms, nr).map(|(a, _)| a)
}

fn expected_symbol(syms: &Kallsyms, nr: u32) -> Option<(u64, String)> {
    let find = |n: &str| {
        let name = format!("{}{n}", syscall_prefix());
        syms.addr(&name).map(|a| (a, name))
    };
    let ni = || find("ni_syscall");
    let Some(def) = catalog::by_id(nr).filter(|d| d.syscall) else {
        return ni();
    };
    // the kernel's own name first: where both exist (stat and newstat),
    // the table has the `new` ABI
    crate::syscall_hooks::kernel_names(def.name)
        .iter()
        .rev()
        .find_map(|n| find(n))
        .or_else(ni)
}

/// The prefix of the syscalls' entry points in kallsyms (the pt_regs
/// wrappers of arch/*/include/asm/syscall_wrapper.h).
fn syscall_prefix() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "__arm64_sys_"
    } else {
        "__x64_sys_"
    }
}

/// Entries of the table checked: every syscall number of the catalog.
pub fn table_len() -> u32 {
    catalog::EVENTS
        .iter()
        .filter(|e| e.syscall)
        .map(|e| e.id + 1)
        .max()
        .unwrap_or(0)
}

/// The running checks of one trace.
pub(crate) struct Checker {
    stext: u64,
    etext: u64,
    /// the syscall table: (address, how it was found), if hooked_syscall is selected
    table: Option<Table>,
    /// /proc opened, if hooked_proc_fops is selected
    proc_dir: Option<std::fs::File>,
    reported_syscalls: HashMap<u32, u64>,
    reported_fops: Vec<(String, u64)>,
    pub checks: u64,
}

impl Checker {
    /// Before loading: kallsyms readable, with the kernel's text bounds.
    pub fn prepare() -> Result<(Kallsyms, u64, u64), String> {
        let syms = Kallsyms::read(false)?;
        let (Some(stext), Some(etext)) = (syms.addr("_stext"), syms.addr("_etext")) else {
            return Err(format!(
                "{KALLSYMS} has no _stext/_etext (the kernel's text bounds)"
            ));
        };
        // for tests of the path of a finding on a clean kernel: the text
        // judged against, "START-END" in hex ("0-0": every entry is hooked)
        if let Ok(text) = std::env::var(TEST_TEXT_ENV) {
            let bounds = text.split_once('-').and_then(|(a, b)| {
                Some((
                    u64::from_str_radix(a, 16).ok()?,
                    u64::from_str_radix(b, 16).ok()?,
                ))
            });
            // only ever narrower than the kernel's (empty included): it can
            // make entries read as hooked, never hide one that is
            return match bounds {
                Some((a, b)) if a >= b || (a >= stext && b <= etext) => Ok((syms, a, b)),
                Some(_) => Err(format!(
                    "{TEST_TEXT_ENV}={text}: wider than the kernel's text ({stext:x}-{etext:x}); it may only narrow it"
                )),
                None => Err(format!("{TEST_TEXT_ENV}={text}: not START-END in hex")),
            };
        }
        Ok((syms, stext, etext))
    }

    /// Once loaded: finds what the selected checks read. Err: one line.
    pub fn new(
        obj: &Object,
        (syms, stext, etext): (Kallsyms, u64, u64),
        syscalls: bool,
        proc_fops: bool,
    ) -> Result<Checker, String> {
        let table = if syscalls {
            Some(locate_table(obj, &syms)?)
        } else {
            None
        };
        let proc_dir = if proc_fops {
            Some(std::fs::File::open("/proc").map_err(|e| format!("/proc cannot be opened: {e}"))?)
        } else {
            None
        };
        Ok(Checker {
            stext,
            etext,
            table,
            proc_dir,
            reported_syscalls: HashMap::new(),
            reported_fops: Vec::new(),
            checks: 0,
        })
    }

    /// One line for TracerInfo: what is checked, and how the table was found.
    pub fn describe(&self, interval: std::time::Duration) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.table {
            parts.push(format!("sys_call_table at {:#x} ({})", t.address, t.how));
        }
        if self.proc_dir.is_some() {
            parts.push("/proc's directory operations".into());
        }
        format!(
            "{}, against the kernel's text {:#x}..{:#x} (_stext.._etext); checked at start and every {}s",
            parts.join(" and "),
            self.stext,
            self.etext,
            interval.as_secs_f64()
        )
    }

    fn in_text(&self, addr: u64) -> bool {
        addr >= self.stext && addr < self.etext
    }

    /// Runs the selected checks; sends a record per new finding. Returns
    /// the number of records sent.
    pub fn check(&mut self, obj: &Object) -> Result<u32, String> {
        let mut sent = 0;
        // kallsyms is read again for a finding only (the symbols of now: a
        // module loaded since start is named)
        let mut text: Option<Kallsyms> = None;
        let mut resolve = |addr: u64| -> Result<(String, String), String> {
            if text.is_none() {
                text = Some(Kallsyms::read(true)?);
            }
            Ok(text.as_ref().map(|t| t.resolve(addr)).unwrap_or_default())
        };
        if let Some(Table { address, len, .. }) = self.table {
            let entries = read_words(obj, address, len)?;
            for (nr, &addr) in entries.iter().enumerate() {
                let nr = nr as u32;
                if addr == 0 || self.in_text(addr) {
                    continue;
                }
                if self.reported_syscalls.get(&nr) == Some(&addr) {
                    continue;
                }
                self.reported_syscalls.insert(nr, addr);
                let name = catalog::by_id(nr)
                    .filter(|d| d.syscall)
                    .map_or("", |d| d.name);
                let (function, owner) = resolve(addr)?;
                let strs = [name.to_string(), format!("{addr:x}"), function, owner];
                sent += emit(
                    obj,
                    types::tracee_event_id::EVENT_HOOKED_SYSCALL.0,
                    strs.iter().enumerate().map(|(i, s)| {
                        (
                            i as u8,
                            types::tracee_arg_kind::ARG_KSTR.0 as u8,
                            s.as_str(),
                        )
                    }),
                )?;
            }
        }
        if let Some(dir) = &self.proc_dir {
            let ops = read_fops(obj, dir.as_raw_fd())?;
            let mut hooked = Vec::new();
            for (name, addr) in [("iterate_shared", ops[0]), ("iterate", ops[1])] {
                if addr == 0 || self.in_text(addr) {
                    continue;
                }
                let (_, owner) = resolve(addr)?;
                // Tracee's: a pointer into the kernel's own symbols is not a hook
                if owner != "system" {
                    hooked.push((name.to_string(), addr, owner));
                }
            }
            let key: Vec<(String, u64)> = hooked.iter().map(|(n, a, _)| (n.clone(), *a)).collect();
            if !hooked.is_empty() && key != self.reported_fops {
                self.reported_fops = key;
                let strs: Vec<&str> = hooked
                    .iter()
                    .flat_map(|(n, _, o)| [n.as_str(), o.as_str()])
                    .collect();
                sent += emit(
                    obj,
                    types::tracee_event_id::EVENT_HOOKED_PROC_FOPS.0,
                    strs.iter()
                        .map(|s| (0u8, types::tracee_arg_kind::ARG_STR_ARRAY.0 as u8, *s)),
                )?;
            }
        }
        self.checks += 1;
        Ok(sent)
    }
}

fn program<'o>(obj: &'o Object) -> Result<libbpf_rs::ProgramMut<'o>, String> {
    obj.progs_mut()
        .find(|p| p.name() == PROGRAM)
        .ok_or_else(|| format!("the object has no program {PROGRAM}"))
}

fn run(obj: &Object, args: &[u64]) -> Result<u32, String> {
    // the kernel refuses a context shorter than what the program reads
    // (ctx->args[0..3]): always three words
    let mut words = [0u64; 3];
    words[..args.len()].copy_from_slice(args);
    let mut ctx: Vec<u8> = words.iter().flat_map(|a| a.to_ne_bytes()).collect();
    let input = libbpf_rs::ProgramInput {
        context_in: Some(&mut ctx),
        ..Default::default()
    };
    program(obj)?
        .test_run(input)
        .map(|o| o.return_value)
        .map_err(|e| {
            format!(
                "BPF_PROG_TEST_RUN of a raw tracepoint program failed ({e}); it needs Linux 5.10+"
            )
        })
}

fn read_map(obj: &Object, name: &str) -> Result<Vec<u8>, String> {
    let map = obj
        .maps()
        .find(|m| m.name() == name)
        .ok_or_else(|| format!("the object has no map {name}"))?;
    map.lookup(&0u32.to_ne_bytes(), MapFlags::ANY)
        .map_err(|e| format!("{name}: {e}"))?
        .ok_or_else(|| format!("{name} is empty"))
}

/// Reads kernel memory at `addr`: its bytes, whole pages at a time (the
/// pages that could not be read are zeros), and how many pages were read.
pub fn read_kernel(obj: &Object, addr: u64, len: usize) -> Result<(Vec<u8>, usize), String> {
    let page = types::tracee_limits::ROOTKIT_PAGE.0 as usize;
    let max = types::tracee_limits::ROOTKIT_READ_MAX.0 as usize;
    let mut out = Vec::with_capacity(len.div_ceil(page) * page);
    let mut pages_read = 0;
    while out.len() < len {
        let chunk = (len - out.len()).div_ceil(page).min(max / page) * page;
        let at = addr + out.len() as u64;
        pages_read += run(
            obj,
            &[
                types::tracee_rootkit_op::ROOTKIT_READ.0 as u64,
                at,
                chunk as u64,
            ],
        )? as usize;
        out.extend_from_slice(&read_map(obj, "rootkit_read")?[..chunk]);
    }
    out.truncate(len);
    Ok((out, pages_read))
}

/// `n` words (addresses) of kernel memory at `addr`.
pub fn read_words(obj: &Object, addr: u64, n: usize) -> Result<Vec<u64>, String> {
    let (bytes, _) = read_kernel(obj, addr, n * 8)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|w| u64::from_ne_bytes(w.try_into().unwrap()))
        .collect())
}

/// The iterate_shared and iterate pointers of fd's file operations.
fn read_fops(obj: &Object, fd: i32) -> Result<[u64; 2], String> {
    if run(
        obj,
        &[
            types::tracee_rootkit_op::ROOTKIT_READ_FOPS.0 as u64,
            fd as u64,
        ],
    )? != 1
    {
        return Err(format!(
            "fd {fd} (/proc) was not found in this task's files"
        ));
    }
    let w = read_map(obj, "rootkit_read")?;
    Ok([0, 1].map(|i| u64::from_ne_bytes(w[i * 8..i * 8 + 8].try_into().unwrap())))
}

/// Sends one record of `event_id` with these (arg, kind, string) items.
fn emit<'a>(
    obj: &Object,
    event_id: u32,
    items: impl Iterator<Item = (u8, u8, &'a str)>,
) -> Result<u32, String> {
    let mut e = types::rootkit_emit {
        event_id,
        ..Default::default()
    };
    let len = types::tracee_limits::ROOTKIT_EMIT_STR_LEN.0 as usize;
    for (i, (arg, kind, s)) in items.enumerate().take(e.arg.len()) {
        e.arg[i] = arg;
        e.kind[i] = kind;
        let dst = &mut e.str[i * len..(i + 1) * len];
        let n = s.len().min(len - 1);
        for (d, b) in dst.iter_mut().zip(&s.as_bytes()[..n]) {
            *d = *b as _;
        }
        e.count = i as u32 + 1;
    }
    // SAFETY: rootkit_emit is repr(C), integers and arrays of them.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            (&e as *const types::rootkit_emit).cast::<u8>(),
            size_of_val(&e),
        )
    };
    let map = obj
        .maps()
        .find(|m| m.name() == "rootkit_emit")
        .ok_or("the object has no map rootkit_emit")?;
    map.update(&0u32.to_ne_bytes(), bytes, MapFlags::ANY)
        .map_err(|e| format!("rootkit_emit: {e}"))?;
    run(obj, &[types::tracee_rootkit_op::ROOTKIT_EMIT.0 as u64])
}

/// Where the syscall table is. kallsyms names `sys_call_table` where the
/// kernel has CONFIG_KALLSYMS_ALL (Debian's). Where it does not (only text
/// and section symbols), the table is found in kernel memory: it is a
/// constant array, so it lies in .rodata (from `__start_rodata` to
/// `__start_ro_after_init` or `__end_rodata`), which is read with the same
/// program, and the table is the 8-byte aligned array whose entry `nr`
/// is, for the syscalls of the catalog, the address kallsyms gives its
/// `__x64_sys_<name>` (holes: `__x64_sys_ni_syscall`). Every word of
/// .rodata equal to one of those addresses votes for the table starting
/// `nr` words before it; the most voted start is the table if at least
/// TABLE_MATCH of its entries match, so a few hooked entries still find it.
pub fn locate_table(obj: &Object, syms: &Kallsyms) -> Result<Table, String> {
    let len = table_len();
    let expected: Vec<Option<u64>> = (0..len).map(|nr| expected_entry(syms, nr)).collect();
    if expected.iter().all(|e| e.is_none()) {
        return Err(format!(
            "{KALLSYMS} names none of the syscalls' functions ({}*)",
            syscall_prefix()
        ));
    }
    // The table's length: up to its last entry kallsyms agrees with. An
    // older kernel's table is shorter than the catalog (5.10's has 441
    // entries), and what follows it is other data.
    let judge = |address: u64, words: &[u64], how: &str| -> Result<Table, String> {
        let agrees = |nr: usize| expected[nr].is_some_and(|e| e == words[nr]);
        let len = (0..words.len().min(expected.len()))
            .rev()
            .find(|&nr| agrees(nr))
            .map_or(0, |nr| nr + 1);
        let known = expected[..len].iter().filter(|e| e.is_some()).count();
        let score = (0..len).filter(|&nr| agrees(nr)).count();
        if len > 0 && score as f64 >= TABLE_MATCH * known as f64 {
            Ok(Table {
                address,
                len,
                how: format!("{how}: {len} entries, {score} of {known} as kallsyms names them"),
            })
        } else {
            Err(format!(
                "the syscall table's candidate at {address:#x} ({how}) matches kallsyms in {score} of {known} entries only"
            ))
        }
    };
    if let Some(addr) = syms.addr("sys_call_table") {
        return judge(addr, &read_words(obj, addr, len as usize)?, "kallsyms");
    }
    let Some(start) = syms.addr("__start_rodata") else {
        return Err(format!(
            "{KALLSYMS} has neither sys_call_table nor __start_rodata to find it from"
        ));
    };
    let end = ["__end_rodata", "__start_ro_after_init"]
        .iter()
        .filter_map(|n| syms.addr(n))
        .filter(|e| *e > start)
        .min()
        .unwrap_or(start + RODATA_MAX);
    let (bytes, _) = read_kernel(obj, start, (end - start) as usize)?;
    let words: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|w| u64::from_ne_bytes(w.try_into().unwrap()))
        .collect();
    // the entries that name one syscall only (not the holes' shared one)
    let ni = syms.addr(&format!("{}ni_syscall", syscall_prefix()));
    let mut at: HashMap<u64, u32> = HashMap::new();
    for (nr, e) in expected.iter().enumerate() {
        if let Some(e) = e.filter(|e| Some(*e) != ni) {
            at.insert(e, nr as u32);
        }
    }
    let mut votes: HashMap<usize, usize> = HashMap::new();
    for (i, w) in words.iter().enumerate() {
        if let Some(&nr) = at.get(w) {
            if let Some(base) = i.checked_sub(nr as usize) {
                *votes.entry(base).or_default() += 1;
            }
        }
    }
    let Some((&base, _)) = votes
        .iter()
        .max_by_key(|(b, v)| (**v, std::cmp::Reverse(**b)))
    else {
        return Err(format!(
            "no syscall table in .rodata ({start:#x}..{end:#x})"
        ));
    };
    let table = &words[base..(base + len as usize).min(words.len())];
    judge(start + base as u64 * 8, table, "found in .rodata")
}

/// Where the syscall table is, and how long.
#[derive(Debug, Clone)]
pub struct Table {
    pub address: u64,
    /// Entries: up to the last one kallsyms agrees with, at most the
    /// catalog's syscall numbers.
    pub len: usize,
    /// How it was found, in words.
    pub how: String,
}

/// The syscall table as the checks' reader sees it, with what kallsyms says
/// of each entry: for tests and diagnostics (a one-off load).
#[derive(Debug, Clone)]
pub struct TableSnapshot {
    pub address: u64,
    /// How the table was found (kallsyms, or searched in .rodata).
    pub how: String,
    /// Entry `nr`, as read from kernel memory.
    pub entries: Vec<u64>,
    /// The names kallsyms gives entry `nr`'s address exactly (none: an
    /// address no symbol starts at).
    pub symbols: Vec<Vec<String>>,
    /// Syscall `nr`'s name in the catalog ("" where it has none), and the
    /// names the kernel may define it under (SYSCALL_DEFINE).
    pub syscalls: Vec<(String, Vec<String>)>,
    /// The kernel's text, `_stext`..`_etext`.
    pub text: (u64, u64),
    /// The prefix of the syscalls' functions in kallsyms (`__x64_sys_`).
    pub prefix: &'static str,
}

/// Reads the syscall table now (loading the reader program alone).
pub fn syscall_table() -> Result<TableSnapshot, crate::Error> {
    let unavailable = |reasons: String| crate::Error::Unavailable { reasons };
    let (_, stext, etext) = Checker::prepare().map_err(unavailable)?;
    let syms = Kallsyms::read(true).map_err(unavailable)?;
    let obj = crate::loader::load_one(PROGRAM, "hooked_syscall")?;
    let Table { address, len, how } = locate_table(&obj, &syms).map_err(unavailable)?;
    let entries = read_words(&obj, address, len).map_err(unavailable)?;
    let symbols = entries.iter().map(|a| syms.names_at(*a)).collect();
    let syscalls = (0..len as u32)
        .map(|nr| match catalog::by_id(nr).filter(|d| d.syscall) {
            Some(d) => (
                d.name.to_string(),
                crate::syscall_hooks::kernel_names(d.name),
            ),
            None => (String::new(), Vec::new()),
        })
        .collect();
    Ok(TableSnapshot {
        address,
        how,
        entries,
        symbols,
        syscalls,
        text: (stext, etext),
        prefix: syscall_prefix(),
    })
}

/// /proc's root directory operations as the checks' reader sees them:
/// iterate_shared and iterate (0 where the kernel has no such field), each
/// with the names kallsyms gives its address.
pub fn proc_root_operations() -> Result<[(u64, Vec<String>); 2], crate::Error> {
    let unavailable = |reasons: String| crate::Error::Unavailable { reasons };
    let syms = Kallsyms::read(true).map_err(unavailable)?;
    let obj = crate::loader::load_one(PROGRAM, "hooked_proc_fops")?;
    let dir = std::fs::File::open("/proc").map_err(|e| unavailable(format!("/proc: {e}")))?;
    let ops = read_fops(&obj, dir.as_raw_fd()).map_err(unavailable)?;
    Ok(ops.map(|a| (a, syms.names_at(a))))
}

/// Tests that load the checks' program into the real kernel: root only, run
/// by the kernel tier (scripts/test.sh selects them by this module's name).
#[cfg(test)]
mod kernel_tests {
    /// The records waiting in the ring buffer `events`, each as its bytes.
    fn drain(events: &libbpf_rs::Map) -> Vec<Vec<u8>> {
        let records = std::cell::RefCell::new(Vec::new());
        let mut builder = libbpf_rs::RingBufferBuilder::new();
        builder
            .add(events, |d: &[u8]| {
                records.borrow_mut().push(d.to_vec());
                0
            })
            .unwrap();
        builder.build().unwrap().consume().unwrap();
        records.into_inner()
    }

    use super::*;

    /// The path of a finding, on the real kernel (as root): with an empty
    /// "kernel text" every entry of the real table is outside it, so each
    /// is judged hooked, resolved and sent through the program into the
    /// ring, with Tracee's arguments; a second check sends nothing (each
    /// entry and address is reported once).
    #[test]
    fn findings_reach_the_ring_with_tracees_arguments_once() {
        let obj = crate::loader::load_one(PROGRAM, "hooked_syscall")
            .expect("loading the checks' program (as root)");
        let cfg = types::event_config {
            policies: 1,
            ..Default::default()
        };
        // SAFETY: event_config is repr(C), integers only.
        let value = unsafe {
            std::slice::from_raw_parts(
                (&cfg as *const types::event_config).cast::<u8>(),
                size_of_val(&cfg),
            )
        };
        let id = types::tracee_event_id::EVENT_HOOKED_SYSCALL.0;
        let configs = obj.maps().find(|m| m.name() == "event_configs").unwrap();
        configs
            .update(&id.to_ne_bytes(), value, MapFlags::ANY)
            .unwrap();
        let (syms, stext, etext) = Checker::prepare().unwrap();
        let table = locate_table(&obj, &syms).unwrap();
        let entries = read_words(&obj, table.address, table.len).unwrap();
        let mut c = Checker::new(&obj, (syms, 0, 0), true, false).unwrap();
        let sent = c.check(&obj).unwrap();
        assert_eq!(sent as usize, entries.iter().filter(|e| **e != 0).count());
        assert_eq!(c.check(&obj).unwrap(), 0, "reported again");
        assert_eq!(c.checks, 2);

        let events_map = obj.maps().find(|m| m.name() == "events").unwrap();
        let records = drain(&events_map);
        assert_eq!(records.len(), sent as usize);
        let read = crate::Records::new(&records[0]).next().unwrap().unwrap();
        assert_eq!(read.name(), "hooked_syscall");
        assert_eq!(
            read.header.host_process_id, 0,
            "a host-wide fact carries no process"
        );
        assert_eq!(read.header.matched_policies, 1);
        let strs: Vec<&str> = read.strings.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            strs,
            [
                "read",
                &format!("{:x}", entries[0]),
                &format!("{}read", syscall_prefix()),
                "system"
            ]
        );
        assert!(entries[0] >= stext && entries[0] < etext);

        // hooked_proc_fops: its (SymbolName, ModuleOwner) pairs as one
        // string array (what the decoders make Tracee's objects of)
        let id = types::tracee_event_id::EVENT_HOOKED_PROC_FOPS.0;
        configs
            .update(&id.to_ne_bytes(), value, MapFlags::ANY)
            .unwrap();
        let kind = types::tracee_arg_kind::ARG_STR_ARRAY.0 as u8;
        let pairs = ["iterate_shared", "phide", "iterate", "hidden"];
        assert_eq!(
            emit(&obj, id, pairs.iter().map(|s| (0u8, kind, *s))).unwrap(),
            1
        );
        let records = drain(&events_map);
        assert_eq!(records.len(), 1);
        let read = crate::Records::new(&records[0]).next().unwrap().unwrap();
        assert_eq!(read.name(), "hooked_proc_fops");
        let strs: Vec<(u8, &str)> = read.strings.iter().map(|(a, s)| (*a, s.as_str())).collect();
        assert_eq!(strs, pairs.map(|s| (0u8, s)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kallsyms_all_zero_is_refused_with_the_fix() {
        let err = Kallsyms::parse(
            "0000000000000000 T _stext\n0000000000000000 T _etext\n",
            true,
        )
        .err()
        .unwrap();
        assert!(err.contains("kptr_restrict"), "{err}");
    }

    #[test]
    fn resolve_finds_the_function_and_its_owner() {
        let s = Kallsyms::parse(
            "ffffffff81000000 T _stext\nffffffff81000100 T a\nffffffffc0000000 t hooked_kill\t[rootkit]\nffffffffc0000100 t other\t[rootkit]\n",
            true,
        )
        .unwrap();
        assert_eq!(
            s.resolve(0xffffffffc0000010),
            ("hooked_kill".into(), "rootkit".into())
        );
        assert_eq!(s.resolve(0xffffffff81000180), ("a".into(), "system".into()));
        assert_eq!(
            s.resolve(0xffffffffd0000000),
            (String::new(), "hidden".into())
        );
        assert_eq!(s.addr("_stext"), Some(0xffffffff81000000));
    }
}
