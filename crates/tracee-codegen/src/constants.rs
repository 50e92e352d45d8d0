//! The kernel's (and glibc's) names for the values user space decodes:
//! errno, signals, open/mmap/clone flags, socket families and types,
//! capabilities, ptrace requests, file types. Read from Debian's headers
//! (linux-libc-dev, libc6-dev, pinned in inputs.lock) rather than restated;
//! the build script reads the files [`header_files`] names and hands their
//! text to [`constants`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{bail, Error};

/// A header of Debian's multiarch include directory (x86_64's).
macro_rules! multiarch {
    ($file:literal) => {
        concat!("x86_64-linux-gnu/", $file)
    };
}

/// One table of constants: the names starting with `prefix` that the
/// `files` define (in that order, each seeing the ones before), but the
/// `skip`ped ones, the `PREFIX_`-internal ones and those `keep` refuses.
struct Table {
    /// The table's key in the schema's `constants`.
    key: &'static str,
    /// Paths relative to the include directory (as in `/usr/include`).
    files: &'static [&'static str],
    prefix: &'static str,
    skip: &'static [&'static str],
    keep: fn(&str) -> bool,
}

const TABLES: &[Table] = &[
    Table {
        key: "errno",
        files: &["asm-generic/errno-base.h", "asm-generic/errno.h"],
        prefix: "E",
        skip: &["EDEADLOCK", "EWOULDBLOCK"],
        keep: |_| true,
    },
    Table {
        key: "signal",
        files: &[multiarch!("asm/signal.h")],
        prefix: "SIG",
        skip: &["SIGRTMIN", "SIGRTMAX", "SIGSTKSZ"],
        // signals only: not SIG_BLOCK, SIG_DFL and the like
        keep: |n| {
            n[3..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        },
    },
    Table {
        key: "open_flags",
        files: &["asm-generic/fcntl.h"],
        prefix: "O_",
        skip: &["O_ACCMODE", "O_NDELAY", "O_RDONLY", "O_WRONLY", "O_RDWR"],
        keep: |_| true,
    },
    Table {
        key: "open_access",
        files: &["asm-generic/fcntl.h"],
        prefix: "O_",
        skip: &[],
        keep: |n| matches!(n, "O_RDONLY" | "O_WRONLY" | "O_RDWR"),
    },
    Table {
        key: "at_fdcwd",
        files: &["linux/fcntl.h"],
        prefix: "AT_FDCWD",
        skip: &[],
        keep: |_| true,
    },
    // the masks that split a value into a kind and flags (left out of the
    // tables above), for the decoders
    Table {
        key: "o_accmode",
        files: &["asm-generic/fcntl.h"],
        prefix: "O_ACCMODE",
        skip: &[],
        keep: |_| true,
    },
    Table {
        key: "map_type_mask",
        files: &["asm-generic/mman-common.h"],
        prefix: "MAP_TYPE",
        skip: &[],
        keep: |_| true,
    },
    Table {
        key: "csignal",
        files: &["linux/sched.h"],
        prefix: "CSIGNAL",
        skip: &[],
        keep: |_| true,
    },
    Table {
        key: "prot",
        files: &["asm-generic/mman-common.h"],
        prefix: "PROT_",
        skip: &["PROT_NONE"],
        keep: |_| true,
    },
    Table {
        key: "map_type",
        files: &["linux/mman.h"],
        prefix: "MAP_",
        skip: &["MAP_HUGE_SHIFT", "MAP_HUGE_MASK"],
        keep: |n| n.starts_with("MAP_SHARED") || n == "MAP_PRIVATE",
    },
    Table {
        key: "map_flags",
        files: &[
            "asm-generic/mman-common.h",
            "asm-generic/mman.h",
            multiarch!("asm/mman.h"),
        ],
        prefix: "MAP_",
        skip: &["MAP_TYPE", "MAP_FILE", "MAP_UNINITIALIZED"],
        keep: |_| true,
    },
    Table {
        key: "clone_flags",
        files: &["linux/sched.h"],
        prefix: "CLONE_",
        skip: &[
            "CLONE_ARGS_SIZE_VER0",
            "CLONE_ARGS_SIZE_VER1",
            "CLONE_ARGS_SIZE_VER2",
        ],
        keep: |_| true,
    },
    Table {
        key: "socket_family",
        files: &[multiarch!("bits/socket.h")],
        prefix: "AF_",
        skip: &["AF_MAX", "AF_FILE", "AF_LOCAL", "AF_ROUTE"],
        keep: |_| true,
    },
    Table {
        key: "socket_type",
        files: &[multiarch!("bits/socket_type.h")],
        prefix: "SOCK_",
        skip: &[],
        keep: |_| true,
    },
    Table {
        key: "capability",
        files: &["linux/capability.h"],
        prefix: "CAP_",
        skip: &["CAP_LAST_CAP"],
        keep: |_| true,
    },
    // the file types of an inode's mode (S_IFMT's values)
    Table {
        key: "file_type",
        files: &["linux/stat.h"],
        prefix: "S_IF",
        skip: &["S_IFMT"],
        keep: |_| true,
    },
    // requests only: not the options (PTRACE_O_*), events or info kinds
    Table {
        key: "ptrace_request",
        files: &["linux/ptrace.h", multiarch!("asm/ptrace-abi.h")],
        prefix: "PTRACE_",
        skip: &[
            "PTRACE_EVENTMSG_SYSCALL_ENTRY",
            "PTRACE_EVENTMSG_SYSCALL_EXIT",
            "PTRACE_PEEKSIGINFO_SHARED",
        ],
        keep: |n| {
            ![
                "PTRACE_O_",
                "PTRACE_EVENT_",
                "PTRACE_SYSCALL_INFO_",
                "PTRACE_SYSEMU_",
            ]
            .iter()
            .any(|p| n.starts_with(p))
                || n == "PTRACE_SYSEMU_SINGLESTEP"
        },
    },
];

/// The headers [`constants`] reads, relative to the include directory
/// (as in `/usr/include`), each once, in the tables' order.
pub fn header_files() -> Vec<&'static str> {
    let mut files: Vec<&'static str> = Vec::new();
    for f in TABLES.iter().flat_map(|t| t.files) {
        if !files.contains(f) {
            files.push(f);
        }
    }
    files
}

/// The decoding constants: an object of tables (`errno`, `signal`,
/// `open_flags`, ...), each a list of `[name, value]` in header order.
///
/// `headers` maps each of [`header_files`] to its text.
///
/// # Errors
/// A header of [`header_files`] missing from `headers`.
pub fn constants(headers: &BTreeMap<&str, String>) -> Result<Value, Error> {
    let mut out = Map::new();
    for table in TABLES {
        let mut texts = Vec::new();
        for f in table.files {
            match headers.get(f) {
                Some(text) => texts.push(text.as_str()),
                None => bail!("constants: {f} was not read (header_files() lists it)"),
            }
        }
        let (order, defined) = defines(&texts);
        let rows: Vec<(String, i64)> = order
            .into_iter()
            .filter(|n| {
                n.starts_with(table.prefix)
                    && !table.skip.contains(&n.as_str())
                    && !n[table.prefix.len()..].starts_with('_')
                    && (table.keep)(n)
            })
            .map(|n| {
                let v = defined[&n];
                (n, v)
            })
            .collect();
        out.insert(table.key.to_string(), serde_json::json!(rows));
    }
    Ok(Value::Object(out))
}

/// The constants the texts define, read in order: `#define NAME VALUE` and
/// an enum's `NAME = VALUE,`, where [`eval_constant`] can compute the value
/// (macros with parameters and other expressions are left out). Returns the
/// names in the order first defined, and each one's last value.
pub fn defines(texts: &[&str]) -> (Vec<String>, BTreeMap<String, i64>) {
    let mut defined: BTreeMap<String, i64> = BTreeMap::new();
    let mut order = Vec::new();
    for text in texts {
        for line in text.lines() {
            let line = line.split("/*").next().unwrap_or("").trim();
            let define = line
                .strip_prefix("#define")
                .filter(|r| r.starts_with(char::is_whitespace));
            let (name, value) = if let Some(rest) = define.map(str::trim_start) {
                match rest.split_once(char::is_whitespace) {
                    Some((n, v)) => (n.trim(), v.trim()),
                    None => continue,
                }
            } else if let Some((n, v)) = line.trim_end_matches(',').split_once(" = ") {
                (n.trim(), v.trim())
            } else {
                continue;
            };
            if name.contains('(') {
                continue; // a macro with parameters
            }
            if let Some(v) = eval_constant(value, &defined) {
                if !defined.contains_key(name) {
                    order.push(name.to_string());
                }
                defined.insert(name.to_string(), v);
            }
        }
    }
    (order, defined)
}

/// A #define's value: a number (decimal, octal, hex, with or without an
/// integer suffix), a name defined before, or an OR / parenthesized /
/// negated form of those. None for anything else.
pub fn eval_constant(text: &str, defined: &BTreeMap<String, i64>) -> Option<i64> {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        return eval_constant(inner, defined);
    }
    if t.contains('|') {
        return t
            .split('|')
            .map(|p| eval_constant(p, defined))
            .try_fold(0, |acc, v| Some(acc | v?));
    }
    if let Some(neg) = t.strip_prefix('-') {
        return eval_constant(neg, defined).map(|v| -v);
    }
    // integer suffixes (1UL), on numbers only: PF_LOCAL is a name
    let t = if t.starts_with(|c: char| c.is_ascii_digit()) {
        t.trim_end_matches(['U', 'L', 'u', 'l'])
    } else {
        t
    };
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    if t.len() > 1 && t.starts_with('0') && t.chars().all(|c| c.is_ascii_digit()) {
        return i64::from_str_radix(&t[1..], 8).ok();
    }
    if t.chars().all(|c| c.is_ascii_digit()) && !t.is_empty() {
        return t.parse().ok();
    }
    defined.get(t).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real lines of Debian 12's asm-generic/fcntl.h (cut).
    const FCNTL_H: &str = "/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _ASM_GENERIC_FCNTL_H
#define _ASM_GENERIC_FCNTL_H

#include <linux/types.h>

/*
 * When introducing new O_* bits, please check its uniqueness in fcntl_init().
 */

#define O_ACCMODE	00000003
#define O_RDONLY	00000000
#define O_WRONLY	00000001
#define O_RDWR		00000002
#ifndef O_CREAT
#define O_CREAT		00000100	/* not fcntl */
#endif
#ifndef O_EXCL
#define O_EXCL		00000200	/* not fcntl */
#endif
#ifndef O_NDELAY
#define O_NDELAY	O_NONBLOCK
#endif
#ifndef O_NONBLOCK
#define O_NONBLOCK	00004000
#endif
";

    /// Real lines of glibc's bits/socket_type.h: an enum whose constants
    /// are also #defined to themselves.
    const SOCKET_TYPE_H: &str = "enum __socket_type
{
  SOCK_STREAM = 1,		/* Sequenced, reliable, connection-based
				   byte streams.  */
#define SOCK_STREAM SOCK_STREAM
  SOCK_DGRAM = 2,		/* Connectionless, unreliable datagrams
				   of fixed maximum length.  */
#define SOCK_DGRAM SOCK_DGRAM
  SOCK_CLOEXEC = 02000000,	/* Atomically set close-on-exec flag for the
				   new descriptor(s).  */
#define SOCK_CLOEXEC SOCK_CLOEXEC
};
";

    fn empty() -> BTreeMap<String, i64> {
        BTreeMap::new()
    }

    #[test]
    fn eval_constant_reads_c_integers() {
        let defined = BTreeMap::from([("EAGAIN".to_string(), 11)]);
        assert_eq!(eval_constant("35", &defined), Some(35));
        assert_eq!(eval_constant("0", &defined), Some(0));
        // octal, as O_* are written
        assert_eq!(eval_constant("00000100", &defined), Some(0o100));
        assert_eq!(eval_constant("0x4204", &defined), Some(0x4204));
        assert_eq!(eval_constant("0X1f", &defined), Some(0x1f));
        // integer suffixes
        assert_eq!(eval_constant("1UL", &defined), Some(1));
        assert_eq!(eval_constant("0x00000001U", &defined), Some(1));
        // AT_FDCWD
        assert_eq!(eval_constant("-100", &defined), Some(-100));
        assert_eq!(eval_constant("(-100)", &defined), Some(-100));
        assert_eq!(eval_constant("EAGAIN", &defined), Some(11));
        assert_eq!(
            eval_constant("(0x100 | EAGAIN)", &defined),
            Some(0x100 | 11)
        );
    }

    #[test]
    fn eval_constant_refuses_what_it_cannot_compute() {
        assert_eq!(eval_constant("(1 << 0)", &empty()), None);
        assert_eq!(eval_constant("HUGETLB_FLAG_ENCODE_SHIFT", &empty()), None);
        assert_eq!(eval_constant("", &empty()), None);
        assert_eq!(eval_constant("0x", &empty()), None);
        // not octal
        assert_eq!(eval_constant("08", &empty()), None);
        assert_eq!(eval_constant("1 | FOO", &empty()), None);
    }

    #[test]
    fn eval_constant_keeps_a_name_ending_like_a_suffix() {
        // bits/socket.h: `#define PF_UNIX PF_LOCAL`; PF_LOCAL is no 'PF_LOCA' + L
        let defined = BTreeMap::from([("PF_LOCAL".to_string(), 1)]);
        assert_eq!(eval_constant("PF_LOCAL", &defined), Some(1));
        assert_eq!(eval_constant("PF_LOCA", &defined), None);
    }

    #[test]
    fn defines_reads_defines_in_order_past_guards_and_comments() {
        let (order, defined) = defines(&[FCNTL_H]);
        // the include guard has no value; O_NDELAY is defined before O_NONBLOCK
        assert_eq!(
            order,
            [
                "O_ACCMODE",
                "O_RDONLY",
                "O_WRONLY",
                "O_RDWR",
                "O_CREAT",
                "O_EXCL",
                "O_NONBLOCK"
            ]
        );
        assert_eq!(defined["O_CREAT"], 0o100);
        assert_eq!(defined["O_NONBLOCK"], 0o4000);
        assert!(!defined.contains_key("O_NDELAY"));
    }

    #[test]
    fn defines_reads_enum_constants_and_later_files_see_earlier_ones() {
        let (order, defined) = defines(&[SOCKET_TYPE_H, "#define SOCK_NONBLOCK\tSOCK_CLOEXEC"]);
        assert_eq!(
            order,
            ["SOCK_STREAM", "SOCK_DGRAM", "SOCK_CLOEXEC", "SOCK_NONBLOCK"]
        );
        assert_eq!(defined["SOCK_DGRAM"], 2);
        assert_eq!(defined["SOCK_CLOEXEC"], 0o2000000);
        assert_eq!(defined["SOCK_NONBLOCK"], 0o2000000);
    }

    #[test]
    fn defines_leaves_out_macros_with_parameters() {
        // linux/stat.h
        let (order, _) =
            defines(&["#define S_IFMT  00170000\n#define S_ISLNK(m)\t(((m) & S_IFMT) == S_IFLNK)"]);
        assert_eq!(order, ["S_IFMT"]);
    }

    #[test]
    fn header_files_lists_each_header_once() {
        let files = header_files();
        assert_eq!(files.len(), 16);
        assert_eq!(files[0], "asm-generic/errno-base.h");
        assert_eq!(
            files
                .iter()
                .filter(|f| **f == "asm-generic/fcntl.h")
                .count(),
            1
        );
        assert!(files.contains(&"x86_64-linux-gnu/asm/signal.h"));
    }

    /// Every header empty but those given.
    fn headers(given: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        let mut all: BTreeMap<&'static str, String> = header_files()
            .into_iter()
            .map(|f| (f, String::new()))
            .collect();
        for (f, text) in given {
            assert!(all.contains_key(f), "{f} is not a header of the tables");
            all.insert(f, text.to_string());
        }
        all
    }

    #[test]
    fn constants_keep_names_and_values_in_header_order() {
        let c = constants(&headers(&[
            (
                "asm-generic/errno-base.h",
                "#define\tEPERM\t\t 1\t/* Operation not permitted */\n#define\tEAGAIN\t\t11\t/* Try again */",
            ),
            (
                "asm-generic/errno.h",
                "#define\tEDEADLK\t\t35\n#define\tEWOULDBLOCK\tEAGAIN\t/* Operation would block */\n#define\tEDEADLOCK\tEDEADLK",
            ),
            ("asm-generic/fcntl.h", FCNTL_H),
            ("linux/fcntl.h", "#define AT_FDCWD\t\t-100    /* Special value used to indicate"),
            (
                "x86_64-linux-gnu/bits/socket.h",
                "#define PF_UNSPEC\t0\n#define PF_LOCAL\t1\n#define PF_UNIX\t\tPF_LOCAL\n#define PF_FILE\t\tPF_LOCAL\n#define AF_UNSPEC\tPF_UNSPEC\n#define AF_LOCAL\tPF_LOCAL\n#define AF_UNIX\t\tPF_UNIX\n#define AF_FILE\t\tPF_FILE",
            ),
        ]))
        .unwrap();
        // the aliases are skipped: one name per value
        assert_eq!(
            c["errno"],
            serde_json::json!([["EPERM", 1], ["EAGAIN", 11], ["EDEADLK", 35]])
        );
        assert_eq!(
            c["open_flags"],
            serde_json::json!([
                ["O_CREAT", 0o100],
                ["O_EXCL", 0o200],
                ["O_NONBLOCK", 0o4000]
            ])
        );
        assert_eq!(
            c["open_access"],
            serde_json::json!([["O_RDONLY", 0], ["O_WRONLY", 1], ["O_RDWR", 2]])
        );
        assert_eq!(c["at_fdcwd"], serde_json::json!([["AT_FDCWD", -100]]));
        // a mask the open_flags table leaves out, for the decoders
        assert_eq!(c["o_accmode"], serde_json::json!([["O_ACCMODE", 3]]));
        assert_eq!(
            c["socket_family"],
            serde_json::json!([["AF_UNSPEC", 0], ["AF_UNIX", 1]])
        );
        // a table whose headers define nothing is empty, not absent
        assert_eq!(c["capability"], serde_json::json!([]));
        assert_eq!(c.as_object().unwrap().len(), TABLES.len());
    }

    #[test]
    fn constants_choose_signals_map_types_and_ptrace_requests() {
        let c = constants(&headers(&[
            (
                "x86_64-linux-gnu/asm/signal.h",
                "#define NSIG\t\t32\n#define SIGHUP\t\t 1\n#define SIGIO\t\t29\n#define SIGPOLL\t\tSIGIO\n#define SIGRTMIN\t32\n#define MINSIGSTKSZ\t2048\n#define SIGSTKSZ\t8192\n#define SIG_BLOCK          0",
            ),
            (
                "linux/mman.h",
                "#define MREMAP_MAYMOVE\t\t1\n#define MAP_SHARED\t0x01\t\t/* Share changes */\n#define MAP_PRIVATE\t0x02\t\t/* Changes are private */\n#define MAP_SHARED_VALIDATE 0x03\t/* share + validate extension flags */\n#define MAP_HUGE_16KB\t0x38000000",
            ),
            (
                "linux/ptrace.h",
                "#define PTRACE_TRACEME\t\t   0\n#define PTRACE_GETREGSET\t0x4204\n#define PTRACE_SYSCALL_INFO_NONE\t0\n#define PTRACE_EVENTMSG_SYSCALL_ENTRY\t1\n#define PTRACE_EVENT_FORK\t1\n#define PTRACE_O_TRACESYSGOOD\t1",
            ),
            (
                "x86_64-linux-gnu/asm/ptrace-abi.h",
                "#define PTRACE_GETREGS            12\n#define PTRACE_SYSEMU\t\t  31\n#define PTRACE_SYSEMU_SINGLESTEP  32",
            ),
        ]))
        .unwrap();
        assert_eq!(
            c["signal"],
            serde_json::json!([["SIGHUP", 1], ["SIGIO", 29], ["SIGPOLL", 29]])
        );
        assert_eq!(
            c["map_type"],
            serde_json::json!([
                ["MAP_SHARED", 1],
                ["MAP_PRIVATE", 2],
                ["MAP_SHARED_VALIDATE", 3]
            ])
        );
        assert_eq!(
            c["ptrace_request"],
            serde_json::json!([
                ["PTRACE_TRACEME", 0],
                ["PTRACE_GETREGSET", 0x4204],
                ["PTRACE_GETREGS", 12],
                ["PTRACE_SYSEMU", 31],
                ["PTRACE_SYSEMU_SINGLESTEP", 32]
            ])
        );
    }

    #[test]
    fn constants_name_a_header_not_given() {
        let mut h = headers(&[]);
        h.remove("linux/capability.h");
        assert_eq!(
            constants(&h).unwrap_err().to_string(),
            "constants: linux/capability.h was not read (header_files() lists it)"
        );
    }
}
