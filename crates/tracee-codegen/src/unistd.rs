//! Syscall numbers: x86_64's `<asm/unistd_64.h>` as it is, and another
//! architecture's `<asm/unistd.h>` through the preprocessor (`clang -E -dM`),
//! which applies the arch's `__ARCH_WANT_*` choices to asm-generic's table.

use std::collections::BTreeMap;

use crate::constants::eval_constant;

/// The `#define __NR_openat 257` lines of `<asm/unistd_64.h>`:
/// `(number, name)`, by number.
pub fn parse_unistd_64(text: &str) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            if w.next()? != "#define" {
                return None;
            }
            let name = w.next()?.strip_prefix("__NR_")?;
            let nr = w.next()?.parse().ok()?;
            Some((nr, name.to_string()))
        })
        .collect();
    out.sort();
    out
}

/// The syscalls of `clang -E -dM` output over an arch's `<asm/unistd.h>`:
/// every `__NR_<name>` whose value is a number or a name defined before it
/// (`#define __NR_mmap __NR3264_mmap`), but the table's bounds
/// (`__NR_syscalls`, `__NR_arch_specific_syscall`). `(number, name)`, by
/// number.
pub fn parse_unistd_defines(text: &str) -> Vec<(u32, String)> {
    let mut defined = BTreeMap::new();
    let mut names = Vec::new();
    for line in text.lines() {
        let Some((name, value)) = line
            .strip_prefix("#define ")
            .and_then(|r| r.split_once(' '))
        else {
            continue;
        };
        if let Some(v) = eval_constant(value, &defined) {
            defined.insert(name.to_string(), v);
            if let Some(sys) = name
                .strip_prefix("__NR_")
                .filter(|s| *s != "syscalls" && *s != "arch_specific_syscall")
            {
                names.push((v as u32, sys.to_string()));
            }
        }
    }
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(table: &[(u32, String)]) -> Vec<(u32, &str)> {
        table.iter().map(|(n, s)| (*n, s.as_str())).collect()
    }

    #[test]
    fn unistd_64_gives_numbers_and_names_by_number() {
        let table = parse_unistd_64(include_str!("../testdata/unistd_64.h"));
        assert_eq!(table.len(), 23);
        assert_eq!(
            &names(&table)[..4],
            [(0, "read"), (1, "write"), (2, "open"), (3, "close")]
        );
        assert!(names(&table).contains(&(257, "openat")));
        assert_eq!(
            names(&table).last(),
            Some(&(450, "set_mempolicy_home_node"))
        );
        // the include guard is no syscall
        assert!(!table.iter().any(|(_, n)| n.contains("ASM")));
    }

    #[test]
    fn unistd_64_sorts_by_number() {
        let table = parse_unistd_64(
            "#define __NR_openat 257\n#define __NR_read 0\n#define __NR_bogus\n#define __NR_x y\n",
        );
        assert_eq!(names(&table), [(0, "read"), (257, "openat")]);
    }

    #[test]
    fn unistd_defines_resolve_aliases_and_leave_out_the_bounds() {
        let table = parse_unistd_defines(include_str!("../testdata/arm64-unistd.dM"));
        assert_eq!(
            names(&table),
            [
                (56, "openat"),
                (57, "close"),
                (63, "read"),
                (64, "write"),
                (79, "newfstatat"),
                (139, "rt_sigreturn"),
                (172, "getpid"),
                (202, "accept"),
                (203, "connect"),
                (220, "clone"),
                (221, "execve"),
                (222, "mmap"),
            ]
        );
    }
}
