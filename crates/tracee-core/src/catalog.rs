//! The events tracee-rs knows: every syscall of the build's kernel headers
//! plus the non-syscall events of `enum tracee_event_id`, with the argument
//! names and types of `bpf/events.tbl`.

use std::sync::OnceLock;

use crate::Error;

/// One argument of an event, as declared in `bpf/events.tbl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgDef {
    pub name: &'static str,
    /// The C type, as written in the catalog.
    pub ty: &'static str,
    pub kind: ArgKind,
    /// How user space shows the value (e.g. `open_flags`), from events.tbl.
    pub decode: Option<&'static str>,
}

/// How an argument is captured and decoded (derived from its C type by
/// tracee-codegen's `arg_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A C string, copied into the record's data section.
    Str,
    /// An address, shown in hex.
    Ptr,
    /// A `struct sockaddr *`, its bytes copied as long as its length
    /// argument says (at most 128, `struct sockaddr_storage`), whatever
    /// the family; the address if it cannot be read.
    Sockaddr,
    /// A NULL-terminated array of C strings (argv), each element copied.
    StrArray,
    /// A buffer's first bytes (up to 16, as many as the next argument says):
    /// events.tbl's `:bytes`.
    Bytes,
    /// A `struct user_msghdr *` (sendmsg, recvmsg): its fields and, for a
    /// call that succeeded, the address msg_name points to.
    Msghdr,
    /// A `struct __kernel_timespec *`, copied at sys_exit (for ppoll and
    /// pselect6 the kernel has by then written the time left).
    Timespec,
    /// Tracee's `[]trace.HookedSymbolData` (`{SymbolName, ModuleOwner}`
    /// each), sent as a string array of name, owner pairs by
    /// tracee_rootkit_check (hooked_proc_fops).
    HookedSymbols,
    /// A C bool: `true`/`false` in JSON, as Tracee's bool arguments.
    Bool,
    I32,
    U32,
    I64,
    U64,
}

/// One event: a syscall (its number is its id) or a kernel event (id ≥ 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventDef {
    pub id: u32,
    pub name: &'static str,
    pub syscall: bool,
    /// Reported at entry: the syscall does not return on success.
    pub noreturn: bool,
    /// Strings copied at entry: user memory is replaced before exit.
    pub strings_at_entry: bool,
    /// Its sockaddr is as long as the int the next argument points to
    /// (accept, recvfrom, getsockname), not that argument's value.
    pub addrlen_ptr: bool,
    /// Derived in the kernel at these syscalls' exit (events.tbl `@after=`):
    /// their exit hooks are needed.
    pub after: &'static [&'static str],
    /// And with what these syscalls' entry saw (events.tbl `@before=`:
    /// mem_prot_alert's mapping before mprotect changes it), where their
    /// entry hooks can run.
    pub before: &'static [&'static str],
    /// Derived there instead where its own hooks cannot run (events.tbl
    /// `@fallback=`: security_file_open, security_inode_rename without fentry or kprobes).
    pub fallback: &'static [&'static str],
    pub sets: &'static [&'static str],
    pub args: &'static [ArgDef],
}

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

pub fn by_name(name: &str) -> Option<&'static EventDef> {
    EVENTS.iter().find(|e| e.name == name)
}

/// The event of id `id`: a lookup in a table by id (every record is
/// looked up, so no scan of the catalog).
pub fn by_id(id: u32) -> Option<&'static EventDef> {
    static BY_ID: OnceLock<Vec<Option<&'static EventDef>>> = OnceLock::new();
    let table = BY_ID.get_or_init(|| {
        let mut t = vec![None; EVENTS.iter().map(|e| e.id as usize + 1).max().unwrap_or(0)];
        for e in EVENTS {
            t[e.id as usize] = Some(e);
        }
        t
    });
    table.get(id as usize).copied().flatten()
}

/// The first name (in header order) of `value` in constants table `table`
/// ([`CONSTANTS`], e.g. `socket_family`: 1 is AF_UNIX, not AF_LOCAL).
pub fn constant_name(table: &str, value: i64) -> Option<&'static str> {
    let (_, pairs) = CONSTANTS.iter().find(|(t, _)| *t == table)?;
    pairs.iter().find(|(_, v)| *v == value).map(|(n, _)| *n)
}

/// Resolves event names and set names ([`sets`]) into events, without
/// duplicates, in catalog order.
pub fn resolve<S: AsRef<str>>(names: &[S]) -> Result<Vec<&'static EventDef>, Error> {
    let mut wanted = vec![false; EVENTS.len()];
    for name in names {
        let name = name.as_ref().trim();
        if name.is_empty() {
            continue;
        }
        let Ok(found) = resolve_one(name) else {
            return Err(Error::UnknownEvent {
                name: name.to_string(),
                suggestions: closest(name, 3),
            });
        };
        for e in found {
            wanted[EVENTS
                .iter()
                .position(|x| x.id == e.id)
                .expect("from EVENTS")] = true;
        }
    }
    let events: Vec<_> = EVENTS
        .iter()
        .zip(wanted)
        .filter(|(_, w)| *w)
        .map(|(e, _)| e)
        .collect();
    if events.is_empty() {
        return Err(Error::NoEvents);
    }
    Ok(events)
}

/// The events one name selects: an event, a set, or a pattern (`open*`,
/// `*at`, `*stat*`), as Tracee's --events reads it; or why none.
pub fn resolve_one(name: &str) -> Result<Vec<&'static EventDef>, String> {
    // `tag=fs,proc`: Tracee's way to name sets
    if let Some(tags) = name.strip_prefix("tag=") {
        let mut out: Vec<&'static EventDef> = Vec::new();
        for tag in tags.split(',').map(str::trim) {
            let set = set_name(tag);
            if !EVENTS.iter().any(|e| e.sets.contains(&set)) {
                return Err(format!(
                    "unknown set '{tag}' in '{name}'; the sets are: {}",
                    sets().join(", ")
                ));
            }
            for e in EVENTS.iter().filter(|e| e.sets.contains(&set)) {
                if !out.iter().any(|o| o.id == e.id) {
                    out.push(e);
                }
            }
        }
        return Ok(out);
    }
    let name = set_name(name);
    let found: Vec<&'static EventDef> = if name.contains('*') {
        let inner = name.trim_matches('*');
        let (pre, suf) = (!name.starts_with('*'), !name.ends_with('*'));
        if inner.contains('*') || inner.is_empty() {
            return Err(format!(
                "'{name}': * may only start or end an event pattern (open*, *at, *stat*)"
            ));
        }
        EVENTS
            .iter()
            .filter(|e| match (pre, suf) {
                (true, false) => e.name.starts_with(inner),
                (false, true) => e.name.ends_with(inner),
                _ => e.name.contains(inner),
            })
            .collect()
    } else {
        EVENTS
            .iter()
            .filter(|e| e.name == name || e.sets.contains(&name))
            .collect()
    };
    if found.is_empty() {
        // `execve.data.pathname`: an event's filter without its operator
        if let Some((event, field)) = name.split_once('.').filter(|(e, _)| by_name(e).is_some()) {
            return Err(format!(
                "'{name}': the filter {field} of {event} has no operator and value; give them, e.g. {name}=VALUE (=, !=, <, >, <=, >=)"
            ));
        }
        return Err(format!(
            "unknown event '{name}'; did you mean {}? (`tracee-rs list events` lists them all)",
            closest(name, 3).join(", ")
        ));
    }
    Ok(found)
}

/// A set's name, with Tracee's longer spelling `network` for `net`.
fn set_name(name: &str) -> &str {
    if name == "network" {
        "net"
    } else {
        name
    }
}

/// The names of the event sets (events.tbl's `[sets]`, and `syscalls`),
/// sorted: what `--events` and `list events --tag` take besides names.
pub fn sets() -> Vec<&'static str> {
    let mut sets: Vec<&str> = EVENTS.iter().flat_map(|e| e.sets.iter().copied()).collect();
    sets.sort_unstable();
    sets.dedup();
    sets
}

/// The known event and set names nearest to `name` by edit distance.
pub fn closest(name: &str, n: usize) -> Vec<String> {
    let names = EVENTS.iter().map(|e| e.name).chain(sets());
    nearest(name, names, n, usize::MAX)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// "Did you mean": up to `n` of `candidates` nearest to `name` by edit
/// distance, none more than `within` edits away; nearest first, ties in
/// alphabetical order, each once. Every suggestion tracee-rs makes (events,
/// scope and filter fields, policy fields, signatures) comes from here.
pub fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
    within: usize,
) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= within)
        .collect();
    scored.sort_unstable();
    scored.dedup();
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Levenshtein distance: single-character insertions, deletions and
/// substitutions that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscalls_and_kernel_events_are_known() {
        assert_eq!(by_name("openat").unwrap().id, 257);
        assert_eq!(by_name("execve").unwrap().id, 59);
        assert_eq!(by_name("sched_process_exec").unwrap().id, 1003);
        assert!(by_name("execve").unwrap().strings_at_entry);
        assert!(by_name("exit_group").unwrap().noreturn);
        let openat = by_name("openat").unwrap();
        assert_eq!(
            openat.args[1],
            ArgDef {
                name: "pathname",
                ty: "const char *",
                kind: ArgKind::Str,
                decode: None
            }
        );
        assert_eq!(openat.args[2].kind, ArgKind::I32);
        assert_eq!(
            by_name("execve").unwrap().args[1].kind,
            ArgKind::StrArray,
            "argv: each element copied"
        );
        assert_eq!(
            by_name("execve").unwrap().args[2].kind,
            ArgKind::Ptr,
            "envp: an address (events.tbl's :addr)"
        );
    }

    #[test]
    fn every_syscall_has_its_kernel_prototype() {
        let syscalls: Vec<&EventDef> = EVENTS.iter().filter(|e| e.syscall).collect();
        assert!(syscalls.len() > 350, "{} syscalls", syscalls.len());
        // types from <linux/syscalls.h>, names Tracee's where events.tbl gives them
        let connect = by_name("connect").unwrap();
        let names: Vec<_> = connect.args.iter().map(|a| (a.name, a.ty)).collect();
        assert_eq!(
            names,
            [
                ("sockfd", "int"),
                ("addr", "struct sockaddr *"),
                ("addrlen", "int")
            ]
        );
        // names the kernel's prototype gives, where events.tbl says nothing
        let statx = by_name("statx").unwrap();
        assert_eq!(
            statx.args.iter().map(|a| a.name).collect::<Vec<_>>(),
            ["dfd", "path", "flags", "mask", "buffer"]
        );
        assert_eq!(statx.args[1].kind, ArgKind::Str);
        // an output buffer is an address, not a string read from the task
        assert_eq!(by_name("read").unwrap().args[1].kind, ArgKind::Ptr);
        assert_eq!(by_name("readlink").unwrap().args[1].kind, ArgKind::Ptr);
        // x86_64's own, from events.tbl
        assert_eq!(by_name("mmap").unwrap().args.len(), 6);
        // every argument named, and each syscall that takes arguments has them
        for e in &syscalls {
            assert!(
                e.args
                    .iter()
                    .all(|a| !a.name.is_empty() && !a.ty.is_empty()),
                "{}",
                e.name
            );
        }
        let without: Vec<_> = syscalls
            .iter()
            .filter(|e| e.args.is_empty())
            .map(|e| e.name)
            .collect();
        for name in [
            "openat",
            "futex",
            "io_uring_enter",
            "bpf",
            "pidfd_open",
            "wait4",
        ] {
            assert!(!without.contains(&name), "{name} has no arguments");
        }
    }

    #[test]
    fn the_arm64_table_is_complete_too() {
        let schema: serde_json::Value = serde_json::from_str(crate::SCHEMA_JSON).unwrap();
        let arm64 = schema["arm64Syscalls"].as_array().unwrap();
        assert!(arm64.len() > 280, "{} arm64 syscalls", arm64.len());
        let find = |name: &str| {
            arm64
                .iter()
                .find(|e| e["name"] == name)
                .unwrap_or_else(|| panic!("no {name}"))
        };
        // asm-generic numbers, not x86_64's
        assert_eq!(find("openat")["id"], 56);
        assert_eq!(find("execve")["id"], 221);
        assert_eq!(find("execve")["args"][1]["kind"], "StrArray");
        // arm64's own argument order where it differs
        let clone: Vec<&str> = find("clone")["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(clone, ["flags", "stack", "parent_tid", "tls", "child_tid"]);
        // no x86_64-only syscall
        assert!(arm64
            .iter()
            .all(|e| e["name"] != "arch_prctl" && e["name"] != "open"));
    }

    #[test]
    fn sets_expand_and_unknown_names_suggest() {
        let fs = resolve(&["fs"]).unwrap();
        assert!(fs.iter().any(|e| e.name == "openat"));
        assert!(resolve(&["syscalls"]).unwrap().len() > 300);
        match resolve(&["opnat"]) {
            Err(Error::UnknownEvent { name, suggestions }) => {
                assert_eq!(name, "opnat");
                assert_eq!(suggestions[0], "openat");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(resolve::<&str>(&[]), Err(Error::NoEvents)));
        // Tracee's spellings: tag=, and network for net
        let tagged = resolve_one("tag=fs,network").unwrap();
        assert!(
            tagged.iter().any(|e| e.name == "openat") && tagged.iter().any(|e| e.name == "connect")
        );
        assert_eq!(resolve_one("network").unwrap(), resolve_one("net").unwrap());
        assert!(resolve_one("tag=fss").unwrap_err().starts_with(
            "unknown set 'fss' in 'tag=fss'; the sets are: default, fs, lsm, net, proc, syscalls"
        ));
        // patterns
        assert!(resolve_one("open*")
            .unwrap()
            .iter()
            .all(|e| e.name.starts_with("open")));
        assert!(resolve_one("*stat*")
            .unwrap()
            .iter()
            .any(|e| e.name == "newfstatat"));
        assert!(resolve_one("o*n")
            .unwrap_err()
            .contains("* may only start or end"));
    }

    #[test]
    fn nearest_names_sort_by_distance_then_name_within_a_bound() {
        let names = ["openat2", "creat", "openat", "open", "openat"];
        assert_eq!(
            nearest("opnat", names, 3, usize::MAX),
            ["openat", "openat2", "creat"]
        );
        assert_eq!(nearest("opnat", names, 3, 1), ["openat"]);
        assert!(nearest("xyz", names, 3, 2).is_empty());
        assert_eq!(nearest("opnat", names, 0, usize::MAX), Vec::<&str>::new());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
