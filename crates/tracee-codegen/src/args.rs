//! An event's arguments: the kernel prototype's types joined with
//! events.tbl's names, and how each is captured ([`arg_kind`]).

use crate::error::Error;
use crate::events_tbl::{CatalogEntry, TblArg};
use crate::prototypes::Param;

/// One argument of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDef {
    pub name: String,
    /// Its C type (`const char *`).
    pub ty: String,
    /// How it is captured: a variant of tracee-core's `ArgKind`.
    pub kind: &'static str,
    /// How user space shows the value (events.tbl's `name:decoder`).
    pub decode: Option<String>,
}

#[cfg(test)]
impl ArgDef {
    /// An argument as the tests write them.
    pub(crate) fn of(name: &str, ty: &str, kind: &'static str, decode: Option<&str>) -> ArgDef {
        ArgDef {
            name: name.into(),
            ty: ty.into(),
            kind,
            decode: decode.map(str::to_string),
        }
    }
}

/// What events.tbl may put after an argument's name besides `str`, `addr`
/// and `bytes`: how user space decodes the value, with the constants of
/// [`crate::constants`] (and `mem_prot_alert`, tracee.h's own).
pub const DECODERS: [&str; 14] = [
    "fd",
    "dirfd",
    "open_flags",
    "mode",
    "prot",
    "map_flags",
    "clone_flags",
    "signal",
    "socket_family",
    "socket_type",
    "capability",
    "ptrace_request",
    "mem_prot_alert",
    "file_type",
];

/// How an argument of C type `ty` is captured: the only place that rule
/// lives. `const char *` is a string read from the task's memory; other
/// pointers (output buffers included) are addresses; `as_string` is
/// events.tbl's `:str`, for input strings the prototype does not mark const;
/// `as_address` its `:addr`, to keep a string array (envp) or a timespec an
/// address. None for a type it does not know.
pub fn arg_kind(ty: &str, as_string: bool, as_address: bool) -> Option<&'static str> {
    let stars = ty.matches('*').count();
    if stars == 1 && ty.contains("char") && (ty.starts_with("const ") || as_string) {
        return Some("Str");
    }
    if ty == "struct sockaddr *" {
        return Some("Sockaddr");
    }
    if ty == "struct user_msghdr *" {
        return Some("Msghdr");
    }
    if ty == "const char * const *" && !as_address {
        return Some("StrArray");
    }
    if ty.trim_start_matches("const ") == "struct __kernel_timespec *" && !as_address {
        return Some("Timespec");
    }
    // Tracee's []trace.HookedSymbolData, found by user space (hooked_proc_fops)
    if ty == "struct hooked_symbol_data *" {
        return Some("HookedSymbols");
    }
    if stars > 0 {
        return Some("Ptr");
    }
    Some(match ty.trim_start_matches("const ") {
        "bool" | "_Bool" => "Bool",
        "int"
        | "pid_t"
        | "__s32"
        | "key_serial_t"
        | "key_t"
        | "clockid_t"
        | "timer_t"
        | "mqd_t"
        | "rwf_t"
        | "enum landlock_rule_type" => "I32",
        "unsigned int" | "unsigned" | "uid_t" | "gid_t" | "umode_t" | "u32" | "__u32"
        | "uint32_t" | "qid_t" => "U32",
        "long" | "off_t" | "loff_t" | "ssize_t" => "I64",
        "unsigned long" | "size_t" | "u64" | "__u64" | "aio_context_t" => "U64",
        // pointer typedefs
        "cap_user_header_t" | "cap_user_data_t" => "Ptr",
        _ => return None,
    })
}

/// An event's arguments: the prototype's types, named by events.tbl (`tbl`)
/// or by the prototype; events.tbl's full types only where there is no
/// prototype (`proto` None: not in the header; `Some(None)`: declared more
/// than once). `path` is events.tbl's, for the errors.
///
/// # Errors
/// `path:line: name: what` (`path: name: what` for a syscall events.tbl
/// does not list): no prototype and no full types; types given where the
/// prototype has them; a name count that differs from the prototype's; a
/// parameter neither names; a type [`arg_kind`] does not know; `:bytes` on
/// a non-pointer.
pub fn event_args(
    path: &str,
    name: &str,
    proto: Option<&Option<Vec<Param>>>,
    tbl: Option<&CatalogEntry>,
) -> Result<Vec<ArgDef>, Error> {
    let at = |what: String| match tbl {
        Some(t) => Error(format!("{path}:{}: {name}: {what}", t.line)),
        None => Error(format!("{path}: {name}: {what}")),
    };
    let given = tbl.and_then(|t| t.args.as_ref());
    let typed = given.is_some_and(|g| g.iter().any(|a| a.ty.is_some()));
    let kind = |ty: &str, as_string: bool, as_address: bool| {
        arg_kind(ty, as_string, as_address).ok_or_else(|| {
            at(format!(
                "argument type '{ty}' is unknown (add it to arg_kind in crates/tracee-codegen/src/args.rs)"
            ))
        })
    };
    // events.tbl's `:bytes`: a pointer's first bytes, whatever its type
    let tbl_kind = |ty: &str, g: &TblArg| {
        if g.as_bytes {
            if !ty.contains('*') {
                return Err(at(format!("{}:bytes: '{ty}' is not a pointer", g.name)));
            }
            Ok("Bytes")
        } else {
            kind(ty, g.as_string, g.as_address)
        }
    };
    match (proto, given) {
        (Some(Some(params)), Some(given)) if !typed => {
            if given.len() != params.len() {
                return Err(at(format!(
                    "{} names given, the kernel's prototype has {} parameters",
                    given.len(),
                    params.len()
                )));
            }
            params
                .iter()
                .zip(given)
                .map(|(p, g)| {
                    Ok(ArgDef {
                        name: g.name.clone(),
                        ty: p.ty.clone(),
                        kind: tbl_kind(&p.ty, g)?,
                        decode: g.decode.clone(),
                    })
                })
                .collect()
        }
        (Some(Some(_)), Some(_)) => {
            Err(at("the kernel's prototype gives the types: give names only".into()))
        }
        (Some(Some(params)), None) => params
            .iter()
            .map(|p| {
                let name = p.name.clone().ok_or_else(|| at(format!("the kernel's prototype leaves a parameter of type '{}' unnamed: name them in events.tbl", p.ty)))?;
                Ok(ArgDef {
                    name,
                    ty: p.ty.clone(),
                    kind: kind(&p.ty, false, false)?,
                    decode: None,
                })
            })
            .collect(),
        (_, Some(given)) if typed || given.is_empty() => given
            .iter()
            .map(|g| {
                let ty = g
                    .ty
                    .clone()
                    .expect("Catalog::parse: every argument's type, or none");
                Ok(ArgDef {
                    name: g.name.clone(),
                    kind: tbl_kind(&ty, g)?,
                    ty,
                    decode: g.decode.clone(),
                })
            })
            .collect(),
        (Some(None), _) => Err(at("declared more than once in the kernel's prototypes (#ifdef variants): give its full prototype".into())),
        (None, _) => Err(at("no prototype in the kernel's headers: give its full prototype, or () for none".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events_tbl::Catalog;
    use crate::prototypes::{parse_prototypes, Prototypes};

    #[test]
    fn arg_kind_from_c_types() {
        let cases = [
            ("const char *", "Str"),
            ("char *", "Ptr"),
            ("const void *", "Ptr"),
            ("struct sockaddr *", "Sockaddr"),
            ("struct user_msghdr *", "Msghdr"),
            ("const char * const *", "StrArray"),
            ("struct __kernel_timespec *", "Timespec"),
            ("const struct __kernel_timespec *", "Timespec"),
            ("struct hooked_symbol_data *", "HookedSymbols"),
            ("int *", "Ptr"),
            ("int", "I32"),
            ("pid_t", "I32"),
            ("const int", "I32"),
            ("enum landlock_rule_type", "I32"),
            ("unsigned", "U32"),
            ("umode_t", "U32"),
            ("loff_t", "I64"),
            ("size_t", "U64"),
            ("aio_context_t", "U64"),
            ("cap_user_header_t", "Ptr"),
        ];
        for (ty, kind) in cases {
            assert_eq!(arg_kind(ty, false, false), Some(kind), "{ty}");
        }
        assert_eq!(arg_kind("struct open_how", false, false), None);
        assert_eq!(arg_kind("__kernel_old_time_t", false, false), None);
    }

    #[test]
    fn arg_kind_follows_str_and_addr() {
        // mount's source:str
        assert_eq!(arg_kind("char *", true, false), Some("Str"));
        // a char ** is no string, :str or not
        assert_eq!(arg_kind("char **", true, false), Some("Ptr"));
        // execve's envp:addr, utimensat's times:addr
        assert_eq!(arg_kind("const char * const *", false, true), Some("Ptr"));
        assert_eq!(
            arg_kind("struct __kernel_timespec *", false, true),
            Some("Ptr")
        );
    }

    fn protos() -> Prototypes {
        parse_prototypes(include_str!("../testdata/syscalls.h")).unwrap()
    }

    /// `name`'s arguments from the syscalls.h excerpt and events.tbl `line`
    /// (on line 2: `line` None, no events.tbl line at all).
    fn args(name: &str, line: Option<&str>) -> Result<Vec<ArgDef>, Error> {
        let tbl =
            line.map(|l| Catalog::parse("bpf/events.tbl", &format!("# catalog\n{l}")).unwrap());
        let entry = tbl.as_ref().map(|c| c.entries.values().next().unwrap());
        event_args("bpf/events.tbl", name, protos().get(name), entry)
    }

    #[test]
    fn names_from_events_tbl_types_from_the_prototype() {
        assert_eq!(
            args(
                "openat",
                Some("openat (dirfd:dirfd, pathname, flags:open_flags, mode:mode) [default, fs]")
            )
            .unwrap(),
            [
                ArgDef::of("dirfd", "int", "I32", Some("dirfd")),
                ArgDef::of("pathname", "const char *", "Str", None),
                ArgDef::of("flags", "int", "I32", Some("open_flags")),
                ArgDef::of("mode", "umode_t", "U32", Some("mode")),
            ]
        );
        assert_eq!(
            args("write", Some("write (fd:fd, buf:bytes, count) [fs]")).unwrap(),
            [
                ArgDef::of("fd", "unsigned int", "U32", Some("fd")),
                ArgDef::of("buf", "const char *", "Bytes", None),
                ArgDef::of("count", "size_t", "U64", None),
            ]
        );
        assert_eq!(
            args(
                "accept",
                Some("accept (sockfd, addr, addrlen) [default, net]")
            )
            .unwrap(),
            [
                ArgDef::of("sockfd", "int", "I32", None),
                ArgDef::of("addr", "struct sockaddr *", "Sockaddr", None),
                ArgDef::of("addrlen", "int *", "Ptr", None),
            ]
        );
    }

    #[test]
    fn names_from_the_prototype_without_an_events_tbl_line() {
        assert_eq!(
            args("nanosleep", None).unwrap(),
            [
                ArgDef::of("rqtp", "struct __kernel_timespec *", "Timespec", None),
                ArgDef::of("rmtp", "struct __kernel_timespec *", "Timespec", None),
            ]
        );
        assert_eq!(args("getpid", None).unwrap(), []);
        // a line without parentheses: the prototype's names too
        assert_eq!(args("getppid", Some("getppid [proc]")).unwrap(), []);
    }

    #[test]
    fn full_types_where_there_is_no_single_prototype() {
        assert_eq!(
            args("clone", Some("clone (unsigned long flags:clone_flags, void * stack, int * parent_tid, int * child_tid, unsigned long tls) [proc]")).unwrap(),
            [
                ArgDef::of("flags", "unsigned long", "U64", Some("clone_flags")),
                ArgDef::of("stack", "void *", "Ptr", None),
                ArgDef::of("parent_tid", "int *", "Ptr", None),
                ArgDef::of("child_tid", "int *", "Ptr", None),
                ArgDef::of("tls", "unsigned long", "U64", None),
            ]
        );
        assert_eq!(
            args("rt_sigreturn", Some("rt_sigreturn @noreturn ()")).unwrap(),
            []
        );
        assert_eq!(
            args("magic_write", Some("magic_write @after=write (const char * pathname, const void * bytes:bytes) [fs]")).unwrap(),
            [ArgDef::of("pathname", "const char *", "Str", None), ArgDef::of("bytes", "const void *", "Bytes", None)]
        );
    }

    fn error(name: &str, line: Option<&str>) -> String {
        args(name, line).unwrap_err().to_string()
    }

    #[test]
    fn an_event_without_prototype_or_full_types_is_an_error() {
        assert_eq!(
            error("arch_prctl", Some("arch_prctl (option, addr)")),
            "bpf/events.tbl:2: arch_prctl: no prototype in the kernel's headers: give its full prototype, or () for none"
        );
        assert_eq!(
            error("arch_prctl", None),
            "bpf/events.tbl: arch_prctl: no prototype in the kernel's headers: give its full prototype, or () for none"
        );
        assert_eq!(
            error("clone", None),
            "bpf/events.tbl: clone: declared more than once in the kernel's prototypes (#ifdef variants): give its full prototype"
        );
    }

    #[test]
    fn events_tbl_must_agree_with_the_prototype() {
        assert_eq!(
            error("openat", Some("openat (dirfd, pathname, flags) [fs]")),
            "bpf/events.tbl:2: openat: 3 names given, the kernel's prototype has 4 parameters"
        );
        assert_eq!(
            error("close", Some("close (unsigned int fd) [fs]")),
            "bpf/events.tbl:2: close: the kernel's prototype gives the types: give names only"
        );
        assert_eq!(
            error("accept", None),
            "bpf/events.tbl: accept: the kernel's prototype leaves a parameter of type 'int' unnamed: name them in events.tbl"
        );
    }

    #[test]
    fn unknown_types_and_bytes_of_a_non_pointer_are_errors() {
        assert_eq!(
            error("time", Some("time (__kernel_old_time_t tloc)")),
            "bpf/events.tbl:2: time: argument type '__kernel_old_time_t' is unknown (add it to arg_kind in crates/tracee-codegen/src/args.rs)"
        );
        assert_eq!(
            error("write", Some("write (fd:fd, buf, count:bytes) [fs]")),
            "bpf/events.tbl:2: write: count:bytes: 'size_t' is not a pointer"
        );
    }
}
