//! How integer arguments are shown to people (Tracee's `parse-arguments`):
//! errno names, open/mmap/clone flags, signals, socket families and types,
//! capabilities, like strace prints them. The names come from the kernel
//! and libc headers through the generated [`CONSTANTS`]; which argument
//! uses which decoder is `bpf/events.tbl`'s (`name:decoder`).
//!
//! The one implementation: the JSON writer calls it, and TypeScript's
//! `decodeValue` calls it through the binding. The flags of a 32-bit
//! argument (open's, mmap's, socket's type) are read as its 32 bits, so an
//! unknown high bit shows as `0x80000000`, as strace shows it; an fd as a
//! signed int (`fd` of 4294967295 is -1).

use crate::catalog::{constant_name, CONSTANTS};

/// The socket type's bits of socket()'s type argument, the rest being flags
/// (SOCK_NONBLOCK, SOCK_CLOEXEC): the kernel's SOCK_TYPE_MASK
/// (include/linux/net.h), which no header user space installs has.
const SOCK_TYPE_MASK: i64 = 0xf;

/// The `[name, value]` pairs of a constants table, empty if it has none.
fn table(name: &str) -> &'static [(&'static str, i64)] {
    CONSTANTS
        .iter()
        .find(|(t, _)| *t == name)
        .map_or(&[], |(_, pairs)| pairs)
}

/// The single value of a one-entry table (`O_ACCMODE`, `AT_FDCWD`...).
fn one(name: &str) -> i64 {
    table(name).first().map_or(0, |(_, v)| *v)
}

/// JavaScript's ToInt32: the low 32 bits, signed.
fn int32(v: i128) -> i32 {
    v as u32 as i32
}

/// Names the bits of `value` (as 64 bits) from `pairs`, widest first
/// (O_SYNC before O_DSYNC; ties in header order), what is left in hex:
/// `O_CREAT|O_CLOEXEC`.
fn bits<'a>(value: i128, pairs: impl Iterator<Item = &'a (&'static str, i64)>) -> Vec<String> {
    let big = value as u64;
    let mut rest = big;
    let mut sorted: Vec<&(&str, i64)> = pairs.filter(|(_, v)| *v > 0).collect();
    // stable: equal widths keep the header's order
    sorted.sort_by_key(|(_, v)| std::cmp::Reverse(v.count_ones()));
    let mut names = Vec::new();
    for (name, v) in sorted {
        let mask = *v as u64;
        if rest & mask == mask && big & mask == mask {
            names.push((*name).to_string());
            rest &= !mask;
        }
    }
    if rest != 0 {
        names.push(format!("{rest:#x}"));
    }
    names
}

fn join(parts: Vec<String>, empty: &str) -> String {
    if parts.is_empty() {
        empty.to_string()
    } else {
        parts.join("|")
    }
}

/// The name of `value` in table `name`, else the number.
fn named(name: &str, value: i128) -> String {
    i64::try_from(value)
        .ok()
        .and_then(|v| constant_name(name, v))
        .map_or_else(|| value.to_string(), str::to_string)
}

/// `value` shown by `decoder` (one of events.tbl's decoders, e.g.
/// `open_flags`: `O_RDONLY|O_CLOEXEC`); None for a decoder not known here.
pub fn decode_value(decoder: &str, value: i128) -> Option<String> {
    Some(match decoder {
        // the kernel declares most fds unsigned int; -1 is what callers pass
        "fd" => int32(value).to_string(),
        "dirfd" if value == i128::from(one("at_fdcwd")) => "AT_FDCWD".to_string(),
        "dirfd" => int32(value).to_string(),
        "open_flags" => {
            let accmode = one("o_accmode") as i32;
            let access = int32(value) & accmode;
            let name = named("open_access", i128::from(access));
            let mut parts = vec![name];
            parts.extend(bits(
                i128::from((int32(value) & !accmode) as u32),
                table("open_flags").iter(),
            ));
            parts.join("|")
        }
        "mode" => format!("0{:03o}", value as u32),
        "prot" => join(bits(value, table("prot").iter()), "PROT_NONE"),
        "map_flags" => {
            let mask = one("map_type_mask") as i32;
            let kind = int32(value) & mask;
            let kind = i64::from(kind);
            let name = constant_name("map_type", kind)
                .map_or_else(|| format!("{kind:#x}"), str::to_string);
            let mut parts = vec![name];
            parts.extend(bits(
                i128::from((int32(value) & !mask) as u32),
                table("map_flags").iter(),
            ));
            parts.join("|")
        }
        "clone_flags" => {
            // the low byte is the signal sent to the parent at exit
            let csignal = one("csignal");
            let sig = int32(value) & csignal as i32;
            let flags = (value as u64) & !(csignal as u64);
            let mut parts = bits(i128::from(flags), table("clone_flags").iter());
            if sig != 0 {
                parts.push(named("signal", i128::from(sig)));
            }
            join(parts, "0")
        }
        "signal" => named("signal", value),
        "socket_family" => named("socket_family", value),
        "socket_type" => {
            let kind = int32(value) & SOCK_TYPE_MASK as i32;
            let types = table("socket_type");
            let flags = bits(
                i128::from((int32(value) & !(SOCK_TYPE_MASK as i32)) as u32),
                types.iter().filter(|(_, v)| v & !SOCK_TYPE_MASK != 0),
            );
            let mut parts = Vec::new();
            if kind != 0 {
                let name = types
                    .iter()
                    .find(|(_, v)| *v == i64::from(kind) && v & !SOCK_TYPE_MASK == 0);
                parts.push(name.map_or_else(|| kind.to_string(), |(n, _)| (*n).to_string()));
            }
            parts.extend(flags);
            join(parts, "0")
        }
        "capability" => named("capability", value),
        "ptrace_request" => named("ptrace_request", value),
        "mem_prot_alert" => named("mem_prot_alert", value),
        // an inode's type bits (S_IFMT), as Tracee parses stdin_type: S_IFCHR
        "file_type" => named("file_type", value),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ArgKind, EVENTS};

    #[test]
    fn values_as_strace_shows_them() {
        let d = |decoder, v: i128| decode_value(decoder, v).unwrap();
        assert_eq!(d("open_flags", 0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(d("open_flags", 0o101 | 0o1000), "O_WRONLY|O_CREAT|O_TRUNC");
        // O_SYNC (two bits) before O_DSYNC (one of them)
        assert_eq!(d("open_flags", 0o4010000), "O_RDONLY|O_SYNC");
        assert_eq!(d("dirfd", -100), "AT_FDCWD");
        assert_eq!(d("fd", 4294967295), "-1");
        assert_eq!(d("mode", 0o644), "0644");
        assert_eq!(d("prot", 0), "PROT_NONE");
        assert_eq!(d("prot", 5), "PROT_READ|PROT_EXEC");
        assert_eq!(d("map_flags", 0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(
            d("clone_flags", 0x1200011),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"
        );
        assert_eq!(d("signal", 9), "SIGKILL");
        assert_eq!(d("socket_family", 10), "AF_INET6");
        assert_eq!(d("socket_type", 0x80001), "SOCK_STREAM|SOCK_CLOEXEC");
        assert_eq!(d("capability", 21), "CAP_SYS_ADMIN");
        assert_eq!(d("prot", 0x40), "0x40");
        // the rest of a 32-bit argument's flags in 32 bits, not sign-extended
        assert_eq!(d("open_flags", 1 << 31), "O_RDONLY|0x80000000");
        assert_eq!(decode_value("no_such_decoder", 1), None);
    }

    /// The JSON writer shows only integers by decoder: an events.tbl
    /// decoder on an argument of another kind would need its own case.
    #[test]
    fn every_decoded_argument_is_an_integer() {
        for e in EVENTS {
            for a in e.args.iter().filter(|a| a.decode.is_some()) {
                assert!(
                    matches!(
                        a.kind,
                        ArgKind::I32 | ArgKind::U32 | ArgKind::I64 | ArgKind::U64
                    ),
                    "{}.{}: decoder {:?} on a {:?}",
                    e.name,
                    a.name,
                    a.decode,
                    a.kind
                );
                assert!(
                    decode_value(a.decode.unwrap(), 0).is_some(),
                    "{}.{}: decoder {:?} unknown here",
                    e.name,
                    a.name,
                    a.decode
                );
            }
        }
    }
}
