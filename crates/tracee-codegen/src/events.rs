//! The events: every syscall of the unistd table, then the non-syscall
//! events of `enum tracee_event_id`, each joined with its events.tbl line;
//! and the checks that the kernel side (bpf/tracee.h) can carry them.

use std::collections::BTreeMap;

use crate::args::{event_args, ArgDef};
use crate::error::{bail, Error};
use crate::events_tbl::{Catalog, CatalogEntry};
use crate::prototypes::Prototypes;

/// How an event is hooked in the kernel: what events.tbl says of it
/// (schema.json `hook`, the TypeScript `EventDef.hook`, the docs' table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// A syscall of the unistd table: sys_enter/sys_exit, raw or per syscall.
    Syscall,
    /// `@function(params)`: a kernel function, fentry or kprobe (and, with
    /// `@fallback=`, derived at those syscalls' exit where neither runs).
    Function,
    /// `@after=`: derived in the kernel at these syscalls' exit.
    Derived,
    /// `@tracepoint`: the kernel tracepoint of its name.
    Tracepoint,
    /// `@check`: found by user space's periodic checks of kernel memory.
    Check,
    /// `@userspace`: made by user space from what it keeps (containers).
    UserSpace,
}

impl Hook {
    /// Its name in schema.json and TypeScript.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Syscall => "syscall",
            Hook::Function => "function",
            Hook::Derived => "derived",
            Hook::Tracepoint => "tracepoint",
            Hook::Check => "check",
            Hook::UserSpace => "userspace",
        }
    }

    /// A non-syscall events.tbl line's hook: exactly one of `@function`,
    /// `@after=`, `@tracepoint`, `@check`, `@userspace`.
    ///
    /// # Errors
    /// `path:line: name: ...` where it says none, or more than one.
    fn of(path: &str, name: &str, tbl: &CatalogEntry) -> Result<Hook, Error> {
        let said: Vec<Hook> = [
            (tbl.function, Hook::Function),
            (!tbl.after.is_empty(), Hook::Derived),
            (tbl.tracepoint, Hook::Tracepoint),
            (tbl.check, Hook::Check),
            (tbl.userspace, Hook::UserSpace),
        ]
        .into_iter()
        .filter_map(|(set, hook)| set.then_some(hook))
        .collect();
        match said[..] {
            [hook] => Ok(hook),
            [] => bail!(
                "{path}:{}: {name}: say how it is hooked: one of @function(params), @after=syscalls, @tracepoint, @check, @userspace",
                tbl.line
            ),
            _ => bail!(
                "{path}:{}: {name}: hooked more than one way ({}): give one of @function(params), @after=syscalls, @tracepoint, @check, @userspace",
                tbl.line,
                said.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// One event of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDef {
    /// A syscall's number, or the value of its `enum tracee_event_id` constant.
    pub id: u32,
    pub name: String,
    pub syscall: bool,
    /// How the kernel side hooks it.
    pub hook: Hook,
    pub args: Vec<ArgDef>,
    /// events.tbl's sets; a syscall's end with `syscalls`.
    pub sets: Vec<String>,
    pub noreturn: bool,
    pub str_at_entry: bool,
    pub after: Vec<String>,
    pub before: Vec<String>,
    pub fallback: Vec<String>,
    /// Its line in events.tbl, if it has one.
    pub line: Option<usize>,
}

impl EventDef {
    /// Where an error about it points: `path:line: name`, or `path: name`
    /// for a syscall events.tbl does not list.
    fn at(&self, path: &str) -> String {
        match self.line {
            Some(line) => format!("{path}:{line}: {}", self.name),
            None => format!("{path}: {}", self.name),
        }
    }

    /// Whether its sockaddr is as long as the int its next argument points
    /// to (accept, recvfrom: written by the kernel), not that argument.
    pub fn addrlen_ptr(&self) -> bool {
        self.args
            .iter()
            .position(|a| a.kind == "Sockaddr")
            .and_then(|i| self.args.get(i + 1))
            .is_some_and(|l| l.ty == "int *")
    }
}

/// A syscall of another architecture's table, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchSyscall {
    pub id: u32,
    pub name: String,
    pub args: Vec<ArgDef>,
}

/// Another architecture's syscalls (`syscalls`: its table), with the same
/// prototypes and events.tbl lines, but its own `name@arch` lines
/// (`arch_only`, [`Catalog::take_arch`]) where it has them.
///
/// # Errors
/// Those of [`event_args`].
pub fn arch_syscalls(
    syscalls: &[(u32, String)],
    prototypes: &Prototypes,
    arch_only: &BTreeMap<String, CatalogEntry>,
    catalog: &Catalog,
) -> Result<Vec<ArchSyscall>, Error> {
    syscalls
        .iter()
        .map(|(nr, name)| {
            let tbl = arch_only.get(name).or(catalog.entries.get(name));
            Ok(ArchSyscall {
                id: *nr,
                name: name.clone(),
                args: event_args(&catalog.path, name, prototypes.get(name), tbl)?,
            })
        })
        .collect()
}

/// The catalog's events: each syscall of `syscalls` (x86_64's table) with
/// its prototype and events.tbl line, in the `syscalls` set; then each
/// `EVENT_<NAME>` of `ids` (`enum tracee_event_id`) as event `<name>`, its
/// arguments all from events.tbl.
///
/// # Errors
/// Those of [`event_args`]; an `ids` constant without the `EVENT_` prefix
/// or without an events.tbl line; an events.tbl line that is neither.
pub fn join_events(
    syscalls: &[(u32, String)],
    prototypes: &Prototypes,
    ids: &[(String, u64)],
    catalog: Catalog,
) -> Result<Vec<EventDef>, Error> {
    let Catalog {
        path,
        entries: mut catalog,
    } = catalog;
    let mut events = Vec::new();
    for (nr, name) in syscalls {
        let tbl = catalog.remove(name);
        if let Some(t) = tbl
            .as_ref()
            .filter(|t| t.function || t.tracepoint || t.check || t.userspace || !t.after.is_empty())
        {
            bail!(
                "{path}:{}: {name} is a syscall: hooked as one (@function, @after=, @tracepoint, @check, @userspace are for other events)",
                t.line
            );
        }
        let args = event_args(&path, name, prototypes.get(name), tbl.as_ref())?;
        let line = tbl.as_ref().map(|t| t.line);
        let (mut sets, noreturn, str_at_entry) = tbl.map_or((Vec::new(), false, false), |t| {
            (t.sets, t.noreturn, t.str_at_entry)
        });
        sets.push("syscalls".into());
        events.push(EventDef {
            id: *nr,
            name: name.clone(),
            syscall: true,
            hook: Hook::Syscall,
            args,
            sets,
            noreturn,
            str_at_entry,
            after: Vec::new(),
            before: Vec::new(),
            fallback: Vec::new(),
            line,
        });
    }
    for (constant, id) in ids {
        let Some(name) = constant.strip_prefix("EVENT_") else {
            bail!("enum tracee_event_id: {constant} lacks the EVENT_ prefix");
        };
        let name = name.to_ascii_lowercase();
        let Some(tbl) = catalog.remove(&name) else {
            bail!("{path}: {name} (enum tracee_event_id) is missing");
        };
        let hook = Hook::of(&path, &name, &tbl)?;
        // no kernel prototype: events.tbl is its one definition
        let args = event_args(&path, &name, None, Some(&tbl))?;
        events.push(EventDef {
            id: *id as u32,
            name,
            syscall: false,
            hook,
            args,
            sets: tbl.sets,
            noreturn: tbl.noreturn,
            str_at_entry: tbl.str_at_entry,
            after: tbl.after,
            before: tbl.before,
            fallback: tbl.fallback,
            line: Some(tbl.line),
        });
    }
    if let Some((name, tbl)) = catalog.iter().min_by_key(|(_, t)| t.line) {
        bail!(
            "{path}:{}: '{name}' is neither a syscall in the unistd header nor in enum tracee_event_id",
            tbl.line
        );
    }
    Ok(events)
}

/// `enum tracee_limits` of bpf/tracee.h: how much the kernel side carries.
#[derive(Debug, Clone)]
pub struct Limits(pub Vec<(String, u64)>);

impl Limits {
    /// The limit `name`.
    ///
    /// # Errors
    /// The enum has no such constant.
    pub fn get(&self, name: &str) -> Result<u64, Error> {
        match self.0.iter().find(|(k, _)| k == name) {
            Some((_, v)) => Ok(*v),
            None => bail!("enum tracee_limits has no {name} (bpf/tracee.h)"),
        }
    }
}

/// Checks that the kernel side can carry each event's arguments: a
/// syscall's at most six (the kernel's ABI), another's at most
/// `MAX_EVENT_ARGS` (those past the record's args go as data items); a
/// syscall's strings arrays, sockaddrs, bytes and msghdrs only at the
/// positions put_data() copies them (`tracee_limits`' `*_ARG*`), a sockaddr
/// followed by its length (an int, or an int * the kernel writes); and ids
/// below `MAX_EVENT_ID`, the size of the map indexed by them. `path` is
/// events.tbl's, for the errors.
///
/// # Errors
/// The first event that breaks one, named with its events.tbl line.
pub fn check_limits(path: &str, events: &[EventDef], limits: &Limits) -> Result<(), Error> {
    for e in events {
        // others carry the ones past the record's args as data items
        // (tracee.h ARG_VALUE)
        let most = if e.syscall {
            6
        } else {
            limits.get("MAX_EVENT_ARGS")? as usize
        };
        if e.args.len() > most {
            bail!(
                "{}: declares {} arguments, at most {most} are carried",
                e.at(path),
                e.args.len()
            );
        }
        // put_data() copies these kinds at these positions, for syscalls;
        // other events build their records themselves
        if !e.syscall {
            continue;
        }
        for (i, a) in e.args.iter().enumerate() {
            if a.kind == "Sockaddr" {
                // its length: the next argument, an int or an int * (tracee.h EVENT_FLAG_ADDRLEN_PTR)
                let len = e.args.get(i + 1).map(|l| l.ty.as_str());
                if !matches!(len, Some("int" | "int *")) {
                    bail!(
                        "{}: sockaddr argument {i} ({}) is not followed by its length (int or int *): {len:?}",
                        e.at(path),
                        a.name
                    );
                }
            }
            let (a_pos, b_pos) = match a.kind {
                "StrArray" => ("STR_ARRAY_ARG_A", "STR_ARRAY_ARG_B"),
                "Sockaddr" => ("SOCKADDR_ARG_A", "SOCKADDR_ARG_B"),
                "Bytes" => ("BYTES_ARG", "BYTES_ARG"),
                "Msghdr" => ("MSGHDR_ARG", "MSGHDR_ARG"),
                _ => continue,
            };
            let allowed = [limits.get(a_pos)? as usize, limits.get(b_pos)? as usize];
            if !allowed.contains(&i) {
                bail!(
                    "{}: argument {i} ({}) is a {}, which bpf/tracee.h copies only at positions {allowed:?}",
                    e.at(path),
                    a.name,
                    a.kind
                );
            }
        }
    }
    let max_id = limits.get("MAX_EVENT_ID")?;
    for e in events {
        // the config map is indexed by id: a larger one could never be selected
        if u64::from(e.id) >= max_id {
            bail!(
                "{}: id {} >= MAX_EVENT_ID {max_id} (bpf/tracee.h)",
                e.at(path),
                e.id
            );
        }
    }
    Ok(())
}

/// The syscalls the kernel side recognizes by number: `KNOWN_<NAME>` of
/// `enum tracee_known_syscall` (`known`) by value, as `<name>`, but its
/// count `KNOWN_SYSCALLS`; checked to be syscalls, and to cover every
/// `@after=`, `@before=` and `@fallback=` of the events.
///
/// # Errors
/// A constant without the `KNOWN_` prefix, one that is not a syscall, an
/// event's attribute naming a syscall it lacks.
pub fn known_syscalls(
    path: &str,
    known: &[(String, u64)],
    events: &[EventDef],
) -> Result<Vec<String>, Error> {
    let mut by_value: Vec<&(String, u64)> = known
        .iter()
        .filter(|(n, _)| n != "KNOWN_SYSCALLS")
        .collect();
    by_value.sort_by_key(|(_, v)| *v);
    let mut names = Vec::new();
    for (constant, _) in by_value {
        let Some(name) = constant.strip_prefix("KNOWN_") else {
            bail!("enum tracee_known_syscall: {constant} lacks the KNOWN_ prefix");
        };
        let name = name.to_ascii_lowercase();
        if !events.iter().any(|e| e.syscall && e.name == name) {
            bail!("enum tracee_known_syscall: {name} is not a syscall");
        }
        names.push(name);
    }
    for e in events {
        for s in e.after.iter().chain(&e.before).chain(&e.fallback) {
            if !names.contains(s) {
                bail!(
                    "{}: @after=/@before=/@fallback={s}: the kernel side knows no syscall {s} (enum tracee_known_syscall)",
                    e.at(path)
                );
            }
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::Btf;
    use crate::prototypes::parse_prototypes;

    const PATH: &str = "bpf/events.tbl";

    fn catalog(text: &str) -> Catalog {
        Catalog::parse(PATH, text).unwrap()
    }

    fn protos() -> Prototypes {
        parse_prototypes(include_str!("../testdata/syscalls.h")).unwrap()
    }

    fn table(list: &[(u32, &str)]) -> Vec<(u32, String)> {
        list.iter().map(|(n, s)| (*n, s.to_string())).collect()
    }

    fn ids(list: &[(&str, u64)]) -> Vec<(String, u64)> {
        list.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    }

    /// bpf/tracee.h's real limits, from the object's BTF.
    fn limits() -> Limits {
        let btf = Btf::from_json(include_bytes!("../testdata/btf.json")).unwrap();
        Limits(btf.enum_values("tracee_limits").unwrap())
    }

    /// Real lines of events.tbl, and the syscalls of x86_64 they need.
    const TBL: &str = "# catalog
write           (fd:fd, buf:bytes, count)                            [fs]
accept          (sockfd, addr, addrlen)                           [default, net]
connect         (sockfd, addr, addrlen)                           [default, net]
execve          @entry (pathname, argv, envp:addr)                [default, proc]
clone           (unsigned long flags:clone_flags, void * stack, int * parent_tid, int * child_tid, unsigned long tls) [proc]
clone@arm64     (unsigned long flags:clone_flags, void * stack, int * parent_tid, unsigned long tls, int * child_tid) [proc]
magic_write @after=write (const char * pathname, const void * bytes:bytes, u32 dev, u64 inode) [fs]
socket_dup @after=dup (int oldfd:fd, int newfd:fd, struct sockaddr * remote_addr, struct sockaddr * local_addr) [net]
";
    const SYSCALLS: &[(u32, &str)] = &[
        (0, "read"),
        (1, "write"),
        (42, "connect"),
        (43, "accept"),
        (56, "clone"),
        (59, "execve"),
    ];
    const IDS: &[(&str, u64)] = &[("EVENT_MAGIC_WRITE", 725), ("EVENT_SOCKET_DUP", 747)];

    fn events() -> Vec<EventDef> {
        let mut c = catalog(TBL);
        c.take_arch("arm64");
        join_events(&table(SYSCALLS), &protos(), &ids(IDS), c).unwrap()
    }

    #[test]
    fn join_puts_syscalls_first_then_the_enums_events() {
        let events = events();
        let names: Vec<(u32, &str, bool)> = events
            .iter()
            .map(|e| (e.id, e.name.as_str(), e.syscall))
            .collect();
        assert_eq!(
            names,
            [
                (0, "read", true),
                (1, "write", true),
                (42, "connect", true),
                (43, "accept", true),
                (56, "clone", true),
                (59, "execve", true),
                (725, "magic_write", false),
                (747, "socket_dup", false),
            ]
        );
        // read has no line: its prototype's names, the syscalls set only
        let read = &events[0];
        assert_eq!(read.line, None);
        assert_eq!(read.sets, ["syscalls"]);
        assert_eq!(
            read.args
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>(),
            ["fd", "buf", "count"]
        );
        let execve = &events[5];
        assert_eq!(execve.line, Some(5));
        assert_eq!(execve.sets, ["default", "proc", "syscalls"]);
        assert!(execve.str_at_entry);
        assert_eq!(execve.args[1].kind, "StrArray");
        assert_eq!(execve.args[2].kind, "Ptr");
        let magic = &events[6];
        assert_eq!(magic.after, ["write"]);
        assert_eq!(magic.sets, ["fs"]);
        assert_eq!(magic.line, Some(8));
    }

    #[test]
    fn addrlen_ptr_when_the_kernel_writes_the_length() {
        let events = events();
        let by = |n: &str| events.iter().find(|e| e.name == n).unwrap().addrlen_ptr();
        assert!(by("accept"));
        assert!(!by("connect"));
        assert!(!by("write"));
    }

    #[test]
    fn join_errors_name_what_is_missing() {
        let err = |tbl: &str, ids_: &[(&str, u64)]| {
            join_events(&table(&[(0, "read")]), &protos(), &ids(ids_), catalog(tbl))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("# catalog\n", &[("EVENT_SCHED_PROCESS_EXIT", 1004)]),
            "bpf/events.tbl: sched_process_exit (enum tracee_event_id) is missing"
        );
        assert_eq!(
            err("# catalog\nread (fd, buf, count)\nreed (fd, buf, count)\n", &[]),
            "bpf/events.tbl:3: 'reed' is neither a syscall in the unistd header nor in enum tracee_event_id"
        );
        assert_eq!(
            err("# catalog\n", &[("SCHED_PROCESS_EXIT", 1004)]),
            "enum tracee_event_id: SCHED_PROCESS_EXIT lacks the EVENT_ prefix"
        );
    }

    #[test]
    fn limits_pass_the_real_catalog_lines() {
        check_limits(PATH, &events(), &limits()).unwrap();
    }

    #[test]
    fn every_event_says_how_it_is_hooked_once() {
        let events = |line: &str| {
            join_events(
                &table(&[(257, "openat")]),
                &protos(),
                &ids(&[("EVENT_SOCKET_DUP", 747)]),
                catalog(&format!("# catalog\n{line}")),
            )
        };
        let hook = |line: &str| {
            events(line)
                .unwrap()
                .iter()
                .map(|e| e.hook)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            hook("socket_dup @after=dup (int a)"),
            [Hook::Syscall, Hook::Derived]
        );
        assert_eq!(
            hook("socket_dup @tracepoint (int a)"),
            [Hook::Syscall, Hook::Tracepoint]
        );
        assert_eq!(
            hook("socket_dup @check (int a)"),
            [Hook::Syscall, Hook::Check]
        );
        assert_eq!(
            hook("socket_dup @function(struct file *file) @fallback=dup (int a)"),
            [Hook::Syscall, Hook::Function]
        );
        assert_eq!(
            events("socket_dup (int a)").unwrap_err().to_string(),
            "bpf/events.tbl:2: socket_dup: say how it is hooked: one of @function(params), @after=syscalls, @tracepoint, @check, @userspace"
        );
        assert_eq!(
            events("socket_dup @tracepoint @after=dup (int a)").unwrap_err().to_string(),
            "bpf/events.tbl:2: socket_dup: hooked more than one way (derived, tracepoint): give one of @function(params), @after=syscalls, @tracepoint, @check, @userspace"
        );
        assert_eq!(
            events("openat @tracepoint ()").unwrap_err().to_string(),
            "bpf/events.tbl:2: openat is a syscall: hooked as one (@function, @after=, @tracepoint, @check, @userspace are for other events)"
        );
    }

    /// check_limits over `line`'s event: syscall sendfile (no prototype in
    /// the excerpt: `line` gives its types) or socket_dup.
    fn limit_error(line: &str, syscall: bool) -> String {
        let tbl = format!("# catalog\n{line}");
        let (list, id) = if syscall {
            (table(&[(40, "sendfile")]), vec![])
        } else {
            (vec![], ids(&[("EVENT_SOCKET_DUP", 747)]))
        };
        let events = join_events(&list, &protos(), &id, catalog(&tbl)).unwrap();
        check_limits(PATH, &events, &limits())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_syscalls_argument_at_a_position_the_kernel_does_not_copy_is_an_error() {
        assert_eq!(
            limit_error("sendfile (int out_fd, int in_fd, struct sockaddr * addr, int addrlen)", true),
            "bpf/events.tbl:2: sendfile: argument 2 (addr) is a Sockaddr, which bpf/tracee.h copies only at positions [1, 4]"
        );
        assert_eq!(
            limit_error("sendfile (const char * const * argv)", true),
            "bpf/events.tbl:2: sendfile: argument 0 (argv) is a StrArray, which bpf/tracee.h copies only at positions [1, 2]"
        );
        assert_eq!(
            limit_error("sendfile (int out_fd, size_t count, const void * buf:bytes)", true),
            "bpf/events.tbl:2: sendfile: argument 2 (buf) is a Bytes, which bpf/tracee.h copies only at positions [1, 1]"
        );
        assert_eq!(
            limit_error("sendfile (int fd, struct sockaddr * addr)", true),
            "bpf/events.tbl:2: sendfile: sockaddr argument 1 (addr) is not followed by its length (int or int *): None"
        );
        assert_eq!(
            limit_error("sendfile (int fd, struct sockaddr * addr, size_t len)", true),
            "bpf/events.tbl:2: sendfile: sockaddr argument 1 (addr) is not followed by its length (int or int *): Some(\"size_t\")"
        );
    }

    #[test]
    fn other_events_build_their_records_themselves() {
        // socket_dup's sockaddrs at 2 and 3: no position rule
        let events = join_events(&[], &protos(), &ids(&[("EVENT_SOCKET_DUP", 747)]), catalog("socket_dup @after=dup (int oldfd:fd, int newfd:fd, struct sockaddr * remote_addr, struct sockaddr * local_addr) [net]")).unwrap();
        check_limits(PATH, &events, &limits()).unwrap();
    }

    #[test]
    fn argument_counts_are_bounded() {
        let seven = (0..7)
            .map(|i| format!("int a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(
            limit_error(&format!("sendfile ({seven})"), true),
            "bpf/events.tbl:2: sendfile: declares 7 arguments, at most 6 are carried"
        );
        let many = (0..21)
            .map(|i| format!("int a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(
            limit_error(&format!("socket_dup @after=dup ({many})"), false),
            "bpf/events.tbl:2: socket_dup: declares 21 arguments, at most 20 are carried"
        );
    }

    #[test]
    fn ids_stay_below_max_event_id() {
        let events = join_events(
            &[],
            &protos(),
            &ids(&[("EVENT_BIG", 2048)]),
            catalog("# catalog\nbig @tracepoint ()"),
        )
        .unwrap();
        assert_eq!(
            check_limits(PATH, &events, &limits())
                .unwrap_err()
                .to_string(),
            "bpf/events.tbl:2: big: id 2048 >= MAX_EVENT_ID 2048 (bpf/tracee.h)"
        );
        let no_max = Limits(vec![("MAX_EVENT_ARGS".into(), 20)]);
        assert_eq!(
            check_limits(PATH, &events, &no_max)
                .unwrap_err()
                .to_string(),
            "enum tracee_limits has no MAX_EVENT_ID (bpf/tracee.h)"
        );
    }

    #[test]
    fn known_syscalls_by_value_without_their_count() {
        let known = ids(&[
            ("KNOWN_CONNECT", 0),
            ("KNOWN_WRITE", 2),
            ("KNOWN_ACCEPT", 1),
            ("KNOWN_SYSCALLS", 3),
        ]);
        // magic_write's @after=write is known; socket_dup's @after=dup is not
        let events: Vec<EventDef> = events()
            .into_iter()
            .filter(|e| e.name != "socket_dup")
            .collect();
        assert_eq!(
            known_syscalls(PATH, &known, &events).unwrap(),
            ["connect", "accept", "write"]
        );
        assert_eq!(
            known_syscalls(PATH, &known, &self::events()).unwrap_err().to_string(),
            "bpf/events.tbl:9: socket_dup: @after=/@before=/@fallback=dup: the kernel side knows no syscall dup (enum tracee_known_syscall)"
        );
        assert_eq!(
            known_syscalls(PATH, &ids(&[("KNOWN_DUP", 0)]), &events)
                .unwrap_err()
                .to_string(),
            "enum tracee_known_syscall: dup is not a syscall"
        );
        assert_eq!(
            known_syscalls(PATH, &ids(&[("DUP", 0)]), &events)
                .unwrap_err()
                .to_string(),
            "enum tracee_known_syscall: DUP lacks the KNOWN_ prefix"
        );
    }

    #[test]
    fn arch_syscalls_take_the_archs_own_lines() {
        let mut c = catalog(TBL);
        let arm64_only = c.take_arch("arm64");
        let arm64 = arch_syscalls(
            &table(&[(56, "openat"), (220, "clone"), (221, "execve")]),
            &protos(),
            &arm64_only,
            &c,
        )
        .unwrap();
        assert_eq!(
            arm64[0]
                .args
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>(),
            ["dfd", "filename", "flags", "mode"]
        );
        assert_eq!((arm64[1].id, arm64[1].name.as_str()), (220, "clone"));
        // CONFIG_CLONE_BACKWARDS: tls before child_tid
        assert_eq!(
            arm64[1]
                .args
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>(),
            ["flags", "stack", "parent_tid", "tls", "child_tid"]
        );
        assert_eq!(arm64[2].args[0].kind, "Str");
        assert_eq!(
            arch_syscalls(&table(&[(244, "arch_specific")]), &protos(), &arm64_only, &c).unwrap_err().to_string(),
            "bpf/events.tbl: arch_specific: no prototype in the kernel's headers: give its full prototype, or () for none"
        );
    }
}
