//! The kernel's syscall prototypes, `asmlinkage long sys_NAME(params);` in
//! include/linux/syscalls.h: each syscall's argument types, and their
//! names where the header gives them.

use std::collections::BTreeMap;

use crate::error::{bail, Error};

/// One parameter of a prototype: its C type without `__user`
/// (`const char *`) and, if the header names it, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub ty: String,
    pub name: Option<String>,
}

/// Each syscall's parameters by name (without `sys_`). A name declared more
/// than once (`#ifdef` variants for other architectures, such as clone's)
/// maps to None: events.tbl must then give its full prototype.
pub type Prototypes = BTreeMap<String, Option<Vec<Param>>>;

/// The prototypes of a syscalls.h. Comments are ignored, and so are
/// definitions (`sys_x(...) {`) and names that are not identifiers
/// (`sys_##sname(void)` in a macro).
///
/// # Errors
/// A prototype with an empty parameter (`sys_x(int a, )`).
pub fn parse_prototypes(text: &str) -> Result<Prototypes, Error> {
    // comments out
    let mut code = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    code.push_str(rest);
    let mut out: Prototypes = BTreeMap::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("asmlinkage long sys_") {
        rest = &rest[at + "asmlinkage long sys_".len()..];
        let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) else {
            break;
        };
        let name = rest[..open].trim().to_string();
        let params = rest[open + 1..close]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let declared = rest[close + 1..].trim_start().starts_with(';');
        rest = &rest[close..];
        if !declared || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let params: Vec<Param> = if params == "void" || params.is_empty() {
            Vec::new()
        } else {
            let mut list = Vec::new();
            for p in params.split(',') {
                match parse_param(p) {
                    Some(p) => list.push(p),
                    None => bail!("sys_{name}({params}): an empty parameter"),
                }
            }
            list
        };
        match out.get_mut(&name) {
            Some(seen) => *seen = None,
            None => {
                out.insert(name, Some(params));
            }
        }
    }
    Ok(out)
}

/// `const char __user *filename` → type `const char *`, name `filename`;
/// `struct sockaddr __user *` → no name; `unsigned long` → no name. None
/// for an empty parameter.
pub fn parse_param(p: &str) -> Option<Param> {
    const TYPE_WORDS: [&str; 10] = [
        "int", "long", "char", "short", "unsigned", "signed", "void", "const", "struct", "union",
    ];
    let spaced = p.replace("__user", " ").replace('*', " * ");
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    let words = tokens
        .iter()
        .filter(|t| **t != "*" && **t != "const")
        .count();
    let last = *tokens.last()?;
    let after_tag =
        tokens.len() >= 2 && matches!(tokens[tokens.len() - 2], "struct" | "union" | "enum");
    let name = (last != "*" && words > 1 && !TYPE_WORDS.contains(&last) && !after_tag).then(|| {
        tokens.pop();
        last.to_string()
    });
    Some(Param {
        ty: tokens.join(" ").replace("* *", "**"),
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ty: &str, name: Option<&str>) -> Param {
        Param {
            ty: ty.to_string(),
            name: name.map(str::to_string),
        }
    }

    fn parsed() -> Prototypes {
        parse_prototypes(include_str!("../testdata/syscalls.h")).unwrap()
    }

    #[test]
    fn prototypes_give_types_without_user_and_names_where_given() {
        let protos = parsed();
        assert_eq!(
            protos["openat"],
            Some(vec![
                p("int", Some("dfd")),
                p("const char *", Some("filename")),
                p("int", Some("flags")),
                p("umode_t", Some("mode")),
            ])
        );
        // over several lines
        assert_eq!(
            protos["execve"],
            Some(vec![
                p("const char *", Some("filename")),
                p("const char * const *", Some("argv")),
                p("const char * const *", Some("envp")),
            ])
        );
        assert_eq!(
            protos["nanosleep"],
            Some(vec![
                p("struct __kernel_timespec *", Some("rqtp")),
                p("struct __kernel_timespec *", Some("rmtp")),
            ])
        );
        assert_eq!(
            protos["recvmsg"],
            Some(vec![
                p("int", Some("fd")),
                p("struct user_msghdr *", Some("msg")),
                p("unsigned", Some("flags")),
            ])
        );
    }

    #[test]
    fn prototypes_leave_unnamed_parameters_unnamed() {
        let protos = parsed();
        assert_eq!(
            protos["accept"],
            Some(vec![
                p("int", None),
                p("struct sockaddr *", None),
                p("int *", None)
            ])
        );
        assert_eq!(
            protos["sendto"],
            Some(vec![
                p("int", None),
                p("void *", None),
                p("size_t", None),
                p("unsigned", None),
                p("struct sockaddr *", None),
                p("int", None),
            ])
        );
    }

    #[test]
    fn prototypes_of_void_are_empty() {
        let protos = parsed();
        assert_eq!(protos["getpid"], Some(vec![]));
        assert_eq!(protos["ni_syscall"], Some(vec![]));
    }

    #[test]
    fn prototypes_declared_more_than_once_are_none() {
        // clone's #ifdef CONFIG_CLONE_BACKWARDS* variants
        assert_eq!(parsed()["clone"], None);
    }

    #[test]
    fn prototypes_skip_macros_comments_and_other_declarations() {
        let protos = parsed();
        // not SYSCALL_DEFINE0's `sys_##sname(void)`, nor ksys_write
        assert_eq!(
            protos.keys().collect::<Vec<_>>(),
            [
                "accept",
                "bind",
                "clone",
                "clone3",
                "close",
                "connect",
                "execve",
                "getpeername",
                "getpid",
                "getppid",
                "getsockname",
                "getsockopt",
                "listen",
                "mount",
                "nanosleep",
                "newfstatat",
                "ni_syscall",
                "openat",
                "openat2",
                "pwrite64",
                "read",
                "recvfrom",
                "recvmsg",
                "sendmsg",
                "sendto",
                "setsockopt",
                "shutdown",
                "socket",
                "socketpair",
                "write",
            ]
        );
        let commented = parse_prototypes(
            "/* asmlinkage long sys_old(int a); */\nasmlinkage long sys_new(int a);\nasmlinkage long sys_defined(int a) { }",
        )
        .unwrap();
        assert_eq!(commented.keys().collect::<Vec<_>>(), ["new"]);
    }

    #[test]
    fn prototypes_refuse_an_empty_parameter() {
        assert_eq!(
            parse_prototypes("asmlinkage long sys_odd(int a, );")
                .unwrap_err()
                .to_string(),
            "sys_odd(int a,): an empty parameter"
        );
    }

    #[test]
    fn param_tells_a_name_from_a_type_word() {
        assert_eq!(parse_param("unsigned long"), Some(p("unsigned long", None)));
        assert_eq!(
            parse_param("unsigned long flags"),
            Some(p("unsigned long", Some("flags")))
        );
        assert_eq!(
            parse_param("struct clone_args __user *uargs"),
            Some(p("struct clone_args *", Some("uargs")))
        );
        // a struct tag is no name
        assert_eq!(
            parse_param("struct sockaddr"),
            Some(p("struct sockaddr", None))
        );
        assert_eq!(parse_param("aio_context_t"), Some(p("aio_context_t", None)));
        assert_eq!(
            parse_param("char __user * __user *argv"),
            Some(p("char **", Some("argv")))
        );
        assert_eq!(parse_param(" "), None);
    }
}
