//! bpf/events.tbl, the event catalog's own facts: one line per event,
//! `name [@attr ...] [(arg, ...)] [set, ...]` (the file's header explains
//! them).

use std::collections::BTreeMap;

use crate::args::DECODERS;
use crate::error::Error;

/// An argument as events.tbl gives it: a name (the type is the kernel
/// prototype's), or a full `type name` where the header has no unique
/// prototype, and what may follow `name:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TblArg {
    pub ty: Option<String>,
    pub name: String,
    /// `:str`: capture a non-const `char *` as a string.
    pub as_string: bool,
    /// `:addr`: keep a string array (envp) an address.
    pub as_address: bool,
    /// `:bytes`: a buffer's first bytes, not a string (tracee.h ARG_BYTES).
    pub as_bytes: bool,
    /// `:decoder`: how user space shows the value, one of [`DECODERS`].
    pub decode: Option<String>,
}

/// One line of events.tbl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// None: the prototype's own names, all of them.
    pub args: Option<Vec<TblArg>>,
    pub sets: Vec<String>,
    /// `@noreturn`: reported at entry.
    pub noreturn: bool,
    /// `@entry`: arguments saved at entry.
    pub str_at_entry: bool,
    /// `@after=a,b`: derived in the kernel at these syscalls' exit
    pub after: Vec<String>,
    /// `@before=a,b`: with what these syscalls' entry saw
    pub before: Vec<String>,
    /// `@fallback=a,b`: derived there where its own hooks cannot run
    pub fallback: Vec<String>,
    /// `@function(params)`: a kernel function's event (fentry or kprobe),
    /// with the function's leading parameters as C (`struct file *file`)
    pub function: bool,
    pub params: Option<String>,
    /// `@id=N`: a non-syscall event's id (Tracee's)
    pub id: Option<u32>,
    /// `@known=a,b`: other syscalls its handler recognizes by number
    pub known: Vec<String>,
    /// `@tracepoint`: the kernel tracepoint of its name (bpf/hooks/sched.h)
    pub tracepoint: bool,
    /// `@check`: found by user space's checks of kernel memory
    /// (bpf/hooks/rootkit.h, crates/tracee-core/src/rootkit.rs)
    pub check: bool,
    /// `@userspace`: made by user space from what it keeps (the
    /// containers: crates/tracee-core/src/containers), no program of its own
    pub userspace: bool,
    /// Its line in the file, from 1.
    pub line: usize,
}

/// events.tbl, parsed: its entries by name (`clone@arm64` for an arch's own
/// line) and the path its errors name.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub path: String,
    pub entries: BTreeMap<String, CatalogEntry>,
}

impl Catalog {
    /// Parses events.tbl's `text`; `path` is what its errors name.
    ///
    /// # Errors
    /// `path:line: what: the line` for unbalanced parentheses, a missing
    /// name, an unknown attribute or decoder, more than 32 arguments, types
    /// given for some arguments only, anything but `[sets]` after the
    /// arguments, and an event listed twice.
    pub fn parse(path: &str, text: &str) -> Result<Catalog, Error> {
        let mut entries = BTreeMap::new();
        for (lineno, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |what: &str| Error(format!("{path}:{}: {what}: {raw}", lineno + 1));
            // `@function(params)` first: its parentheses are not the arguments'
            let mut params = None;
            let cut;
            let line = match line.find("@function(") {
                Some(at) => {
                    let open = at + "@function".len();
                    let close = open
                        + line[open..]
                            .find(')')
                            .ok_or_else(|| err("unbalanced parentheses"))?;
                    params = Some(line[open + 1..close].trim().to_string());
                    cut = format!("{}@function{}", &line[..at], &line[close + 1..]);
                    cut.as_str()
                }
                None => line,
            };
            let (head, args, rest) = match (line.find('('), line.rfind(')')) {
                (Some(open), Some(close)) => (
                    &line[..open],
                    Some(&line[open + 1..close]),
                    &line[close + 1..],
                ),
                (None, None) => {
                    let sets = line.find('[').unwrap_or(line.len());
                    (&line[..sets], None, &line[sets..])
                }
                _ => return Err(err("unbalanced parentheses")),
            };
            let mut head = head.split_whitespace();
            let name = head.next().ok_or_else(|| err("missing name"))?.to_string();
            let mut entry = CatalogEntry {
                args: None,
                sets: Vec::new(),
                noreturn: false,
                str_at_entry: false,
                after: Vec::new(),
                before: Vec::new(),
                fallback: Vec::new(),
                function: false,
                params,
                id: None,
                known: Vec::new(),
                tracepoint: false,
                check: false,
                userspace: false,
                line: lineno + 1,
            };
            let list = |names: &str| names.split(',').map(str::to_string).collect();
            for attr in head {
                match attr {
                    "@noreturn" => entry.noreturn = true,
                    "@entry" => entry.str_at_entry = true,
                    "@function" => entry.function = true,
                    "@tracepoint" => entry.tracepoint = true,
                    "@check" => entry.check = true,
                    "@userspace" => entry.userspace = true,
                    a if a.starts_with("@id=") => {
                        entry.id = Some(
                            a["@id=".len()..]
                                .parse()
                                .map_err(|_| err("@id= takes a number"))?,
                        )
                    }
                    a if a.starts_with("@known=") => entry.known = list(&a["@known=".len()..]),
                    a if a.starts_with("@after=") => entry.after = list(&a["@after=".len()..]),
                    a if a.starts_with("@before=") => entry.before = list(&a["@before=".len()..]),
                    a if a.starts_with("@fallback=") => {
                        entry.fallback = list(&a["@fallback=".len()..])
                    }
                    _ => return Err(err("unknown attribute")),
                }
            }
            if let Some(args) = args {
                let mut list = Vec::new();
                for arg in args.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                    let (arg, annotation) = match arg.split_once(':') {
                        Some((a, n)) => (a.trim(), Some(n.trim())),
                        None => (arg, None),
                    };
                    let decode = match annotation {
                        None | Some("str") | Some("addr") | Some("bytes") => None,
                        Some(d) if DECODERS.contains(&d) => Some(d.to_string()),
                        Some(d) => {
                            return Err(err(&format!(
                                "unknown decoder '{d}' (one of str, addr, {})",
                                DECODERS.join(", ")
                            )))
                        }
                    };
                    let (ty, name) = match arg.rfind([' ', '*']) {
                        Some(split) => (
                            Some(arg[..split + 1].trim().to_string()),
                            arg[split + 1..].trim().to_string(),
                        ),
                        None => (None, arg.to_string()),
                    };
                    list.push(TblArg {
                        ty,
                        name,
                        as_string: annotation == Some("str"),
                        as_address: annotation == Some("addr"),
                        as_bytes: annotation == Some("bytes"),
                        decode,
                    });
                }
                if list.len() > 32 {
                    return Err(err("more than 32 arguments"));
                }
                if list.iter().any(|a| a.ty.is_some()) && list.iter().any(|a| a.ty.is_none()) {
                    return Err(err("give every argument's type, or none"));
                }
                entry.args = Some(list);
            }
            let rest = rest.trim();
            if let Some(sets) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                entry.sets = sets.split(',').map(|s| s.trim().to_string()).collect();
            } else if !rest.is_empty() {
                return Err(err("expected [sets] after the arguments"));
            }
            if entries.insert(name, entry).is_some() {
                return Err(err("event listed twice"));
            }
        }
        Ok(Catalog {
            path: path.to_string(),
            entries,
        })
    }

    /// Takes out the `name@arch` lines (that syscall's arguments on `arch`),
    /// by syscall name.
    pub fn take_arch(&mut self, arch: &str) -> BTreeMap<String, CatalogEntry> {
        let suffix = format!("@{arch}");
        let keys: Vec<String> = self
            .entries
            .keys()
            .filter(|k| k.ends_with(&suffix))
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|k| {
                let entry = self.entries.remove(&k)?;
                Some((k.trim_end_matches(&suffix).to_string(), entry))
            })
            .collect()
    }

    /// The entries in the file's order.
    pub fn in_order(&self) -> Vec<(&String, &CatalogEntry)> {
        let mut all: Vec<(&String, &CatalogEntry)> = self.entries.iter().collect();
        all.sort_by_key(|(_, c)| c.line);
        all
    }

    /// The kernel functions' events (`@function`), in the file's order.
    pub fn functions(&self) -> Vec<String> {
        let mut functions: Vec<(usize, &String)> = self
            .entries
            .iter()
            .filter(|(_, c)| c.function)
            .map(|(n, c)| (c.line, n))
            .collect();
        functions.sort();
        functions.into_iter().map(|(_, n)| n.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real lines of bpf/events.tbl.
    const TBL: &str = "# The event catalog: what the kernel's headers do not say.
read            (fd:fd, buf, count)                                  [fs]
write           (fd:fd, buf:bytes, count)                            [fs]
mount           (source:str, target:str, filesystemtype:str, flags, data) [default, fs]

# Processes
execve          @entry (pathname, argv, envp:addr)                [default, proc]
exit            @noreturn (status)                                [proc]
clone           (unsigned long flags:clone_flags, void * stack, int * parent_tid, int * child_tid, unsigned long tls) [proc]
# arm64's clone takes tls before child_tid (CONFIG_CLONE_BACKWARDS)
clone@arm64     (unsigned long flags:clone_flags, void * stack, int * parent_tid, unsigned long tls, int * child_tid) [proc]
fork                                                              [proc]
uname           (buf)
rt_sigreturn    @noreturn ()
security_file_open @function @fallback=open,openat,openat2,creat (const char * pathname, int flags:open_flags, u32 dev, u64 inode) [fs, lsm]
cap_capable @function         (int cap:capability)                                            [proc, lsm]
mem_prot_alert @after=mmap,mprotect,pkey_mprotect @before=mprotect,pkey_mprotect (u32 alert:mem_prot_alert, void * addr, size_t len, int prot:prot, const char * pathname) [proc]
";

    fn parsed() -> Catalog {
        Catalog::parse("bpf/events.tbl", TBL).unwrap()
    }

    fn arg(ty: Option<&str>, name: &str) -> TblArg {
        TblArg {
            ty: ty.map(str::to_string),
            name: name.to_string(),
            as_string: false,
            as_address: false,
            as_bytes: false,
            decode: None,
        }
    }

    #[test]
    fn names_with_decoders_and_annotations() {
        let c = parsed();
        let write = &c.entries["write"];
        assert_eq!(write.line, 3);
        assert_eq!(write.sets, ["fs"]);
        assert_eq!(
            write.args.as_deref().unwrap(),
            [
                TblArg {
                    decode: Some("fd".into()),
                    ..arg(None, "fd")
                },
                TblArg {
                    as_bytes: true,
                    ..arg(None, "buf")
                },
                arg(None, "count"),
            ]
        );
        let mount = c.entries["mount"].args.as_deref().unwrap();
        assert!(mount[..3].iter().all(|a| a.as_string && a.decode.is_none()));
        assert!(!mount[3].as_string);
        let execve = &c.entries["execve"];
        assert!(execve.str_at_entry && !execve.noreturn);
        assert!(execve.args.as_deref().unwrap()[2].as_address);
        assert_eq!(execve.sets, ["default", "proc"]);
    }

    #[test]
    fn full_types_split_at_the_last_space_or_star() {
        let clone = parsed().entries["clone"].args.clone().unwrap();
        assert_eq!(
            clone[0],
            TblArg {
                decode: Some("clone_flags".into()),
                ..arg(Some("unsigned long"), "flags")
            }
        );
        assert_eq!(clone[1], arg(Some("void *"), "stack"));
        assert_eq!(clone[2], arg(Some("int *"), "parent_tid"));
        assert_eq!(clone.len(), 5);
    }

    #[test]
    fn no_parentheses_means_the_prototypes_names_and_empty_ones_none() {
        let c = parsed();
        assert_eq!(c.entries["fork"].args, None);
        assert_eq!(c.entries["fork"].sets, ["proc"]);
        assert_eq!(c.entries["rt_sigreturn"].args, Some(vec![]));
        assert!(c.entries["rt_sigreturn"].noreturn);
        // no sets
        assert!(c.entries["uname"].sets.is_empty());
    }

    #[test]
    fn attributes_name_syscalls() {
        let c = parsed();
        let open = &c.entries["security_file_open"];
        assert!(open.function);
        assert_eq!(open.fallback, ["open", "openat", "openat2", "creat"]);
        let alert = &c.entries["mem_prot_alert"];
        assert!(!alert.function);
        assert_eq!(alert.after, ["mmap", "mprotect", "pkey_mprotect"]);
        assert_eq!(alert.before, ["mprotect", "pkey_mprotect"]);
        assert_eq!(
            alert.args.as_ref().unwrap()[0].decode.as_deref(),
            Some("mem_prot_alert")
        );
    }

    #[test]
    fn identity_attributes() {
        let c = Catalog::parse(
            "bpf/events.tbl",
            "security_socket_bind @id=736 @function(struct socket *sock, struct sockaddr *address, int addrlen) @known=connect,bind (int sockfd) [net, lsm]\n",
        )
        .unwrap();
        let bind = &c.entries["security_socket_bind"];
        assert!(bind.function);
        assert_eq!(
            bind.params.as_deref(),
            Some("struct socket *sock, struct sockaddr *address, int addrlen")
        );
        assert_eq!(bind.id, Some(736));
        assert_eq!(bind.known, ["connect", "bind"]);
        assert_eq!(bind.args.as_ref().unwrap()[0], arg(Some("int"), "sockfd"));
        assert_eq!(bind.sets, ["net", "lsm"]);
        assert_eq!(
            error("magic_write @id=x (int a)"),
            "bpf/events.tbl:1: @id= takes a number: magic_write @id=x (int a)"
        );
    }

    #[test]
    fn functions_in_file_order() {
        assert_eq!(parsed().functions(), ["security_file_open", "cap_capable"]);
    }

    #[test]
    fn take_arch_takes_the_arch_lines_by_syscall_name() {
        let mut c = parsed();
        let arm64 = c.take_arch("arm64");
        assert_eq!(arm64.keys().collect::<Vec<_>>(), ["clone"]);
        assert_eq!(arm64["clone"].line, 11);
        assert_eq!(arm64["clone"].args.as_ref().unwrap()[3].name, "tls");
        assert!(!c.entries.contains_key("clone@arm64"));
        assert_eq!(c.entries["clone"].line, 9);
    }

    fn error(text: &str) -> String {
        Catalog::parse("bpf/events.tbl", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_line() {
        let two = "read (fd:fd, buf, count) [fs]\n";
        assert_eq!(
            error(&format!("{two}openat (dirfd:dirfd, pathname, flags:open_flag, mode:mode) [fs]")),
            "bpf/events.tbl:2: unknown decoder 'open_flag' (one of str, addr, fd, dirfd, open_flags, mode, prot, map_flags, clone_flags, signal, socket_family, socket_type, capability, ptrace_request, mem_prot_alert, file_type): openat (dirfd:dirfd, pathname, flags:open_flag, mode:mode) [fs]"
        );
        assert_eq!(
            error("# a comment\nexit @noretrun (status) [proc]"),
            "bpf/events.tbl:2: unknown attribute: exit @noretrun (status) [proc]"
        );
        assert_eq!(
            error("read (fd:fd, buf [fs]"),
            "bpf/events.tbl:1: unbalanced parentheses: read (fd:fd, buf [fs]"
        );
        assert_eq!(
            error("  (fd) [fs]"),
            "bpf/events.tbl:1: missing name:   (fd) [fs]"
        );
        assert_eq!(
            error("umount2 (const char * target, flags) [fs]"),
            "bpf/events.tbl:1: give every argument's type, or none: umount2 (const char * target, flags) [fs]"
        );
        assert_eq!(
            error("read (fd) fs"),
            "bpf/events.tbl:1: expected [sets] after the arguments: read (fd) fs"
        );
        assert_eq!(
            error(&format!("{two}{two}")),
            "bpf/events.tbl:2: event listed twice: read (fd:fd, buf, count) [fs]"
        );
        let many = (0..33)
            .map(|i| format!("a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(
            error(&format!("big ({many})")),
            format!("bpf/events.tbl:1: more than 32 arguments: big ({many})")
        );
    }
}
