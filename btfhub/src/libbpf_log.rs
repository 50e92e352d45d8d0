//! libbpf's log, read as facts.
//!
//! libbpf says why something failed (a CO-RE relocation without a match,
//! the verifier's rejection, a program the kernel refuses, a kernel
//! function it cannot find) only in the lines it prints, not in the error
//! it returns. This module is the one reader of those lines: tracee-core's
//! loader classifies its failures with it, and BTFGen's report ([`crate::pack`])
//! finds what a kernel lacks in `bpftool -d gen min_core_btf`'s log.
//!
//! The formats are libbpf's (`libbpf.c`, `relo_core.c`; the same from
//! v1.1, Debian 12's bpftool, to v1.7, the one libbpf-sys vendors). Every
//! line libbpf prints starts with `libbpf: `; the verifier's own log, which
//! libbpf prints between `-- BEGIN PROG LOAD LOG --` and `-- END PROG LOAD
//! LOG --`, does not. Programs are named by their function, but in BTFGen's
//! relocation lines by their section, which several may share.

use std::collections::HashMap;

/// libbpf's prefix on each line it prints.
const PREFIX: &str = "libbpf: ";
const BEGIN: &str = "-- BEGIN PROG LOAD LOG --";
const END: &str = "-- END PROG LOAD LOG --";
const UNRESOLVED: &str = "failed to resolve CO-RE relocation";

/// A CO-RE relocation as libbpf describes it (`bpf_core_format_spec`):
/// `<byte_off> [65] struct pt_regs.di (0:14 @ offset 112)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relocation<'a> {
    /// What is relocated: `byte_off`, `type_size`, `field_exists`,
    /// `enumval_exists`... (libbpf's `enum bpf_core_relo_kind` names).
    pub kind: &'a str,
    /// The type and the field path it reads, `struct pt_regs.di`, or the
    /// enum value, `enum bpf_func_id::BPF_FUNC_ktime_get_boot_ns = 125`.
    pub target: &'a str,
}

impl<'a> Relocation<'a> {
    /// `<kind> [type id] target (access @ offset N)`; the parts past the
    /// target are optional (a type or an enum value has none).
    fn parse(s: &'a str) -> Self {
        let s = s.trim();
        let kind = s
            .strip_prefix('<')
            .and_then(|r| r.split_once('>'))
            .map_or("", |(k, _)| k);
        let target = s.split_once("] ").map_or(s, |(_, t)| t);
        let target = target.split(" (").next().unwrap_or(target).trim();
        Relocation { kind, target }
    }

    /// An existence check (`bpf_core_field_exists` and the like): a
    /// question whose "no" the program handles, not a read that fails.
    pub fn is_existence_check(&self) -> bool {
        self.kind.ends_with("_exists")
    }
}

/// What one line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact<'a> {
    /// `prog 'P': relo #N: <kind> [id] target (...)` (debug level): what
    /// relocation N of P reads.
    Relocation {
        program: &'a str,
        index: u32,
        relocation: Relocation<'a>,
    },
    /// `prog 'P': relo #N: no matching targets found` (debug level): the
    /// BTF has nothing relocation N of P can use.
    NoMatchingTarget { program: &'a str, index: u32 },
    /// `failed to resolve CO-RE relocation <kind> [id] target (...)`: in a
    /// verifier log, the instruction libbpf poisoned for a relocation
    /// without a match, which the program reached.
    UnresolvedRelocation(Relocation<'a>),
    /// Another line about CO-RE relocation failing: `N: <invalid CO-RE
    /// relocation>` (before the one above), `failed to perform CO-RE
    /// relocations: E`, `prog 'P': relo #N: unrecognized CO-RE relocation`.
    RelocationFailed,
    /// `prog 'P': BPF program load failed: E`: the kernel refused P. With
    /// a verifier log, the verifier rejected it (`-EACCES`, `-EINVAL`).
    LoadFailed { program: &'a str, error: &'a str },
    /// `prog 'P': failed to load: E`: libbpf gave up on P.
    NotLoaded { program: &'a str, error: &'a str },
    /// `prog 'P': failed to find kernel BTF type ID of 'F': E`: the kernel
    /// has no function F for P (fentry, LSM) to attach to.
    MissingAttachTarget {
        program: &'a str,
        target: &'a str,
        error: &'a str,
    },
    /// `prog 'P': -- BEGIN PROG LOAD LOG --`: the verifier's log of P follows.
    VerifierLogBegin { program: &'a str },
    /// `-- END PROG LOAD LOG --`, the verifier's log ends (a log cut short
    /// ends its last line with it).
    VerifierLogEnd,
    /// Anything else libbpf says about program P: `prog 'P': ...`.
    Program { program: &'a str },
    /// Any other line, the verifier's own among them.
    Other,
}

/// One line of the log: its text (without libbpf's prefix) and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The line as libbpf printed it, without `libbpf: ` and surrounding blanks.
    pub text: &'a str,
    pub fact: Fact<'a>,
}

impl<'a> Line<'a> {
    pub fn parse(line: &'a str) -> Self {
        let text = line.trim_start_matches(PREFIX).trim();
        Line {
            text,
            fact: Fact::parse(text),
        }
    }

    /// The program the line is about, if it names one.
    pub fn program(&self) -> Option<&'a str> {
        match self.fact {
            Fact::Relocation { program, .. }
            | Fact::NoMatchingTarget { program, .. }
            | Fact::LoadFailed { program, .. }
            | Fact::NotLoaded { program, .. }
            | Fact::MissingAttachTarget { program, .. }
            | Fact::VerifierLogBegin { program }
            | Fact::Program { program } => Some(program),
            _ => None,
        }
    }

    /// The error the line ends with (`-EPERM`; older libbpf printed
    /// strerror's `Operation not permitted`), where it reports one.
    pub fn error(&self) -> Option<&'a str> {
        match self.fact {
            Fact::LoadFailed { error, .. }
            | Fact::NotLoaded { error, .. }
            | Fact::MissingAttachTarget { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The kernel refused for want of permission (EPERM), rather than
    /// rejecting the program for what it does.
    pub fn permission_refused(&self) -> bool {
        self.error()
            .is_some_and(|e| e.contains("EPERM") || e.contains("not permitted"))
    }
}

impl<'a> Fact<'a> {
    fn parse(text: &'a str) -> Self {
        if let Some(rest) = text.strip_prefix("prog '") {
            if let Some((program, what)) = rest.split_once("': ") {
                return Self::about_program(program, what);
            }
        }
        if let Some(rest) = text.strip_prefix(UNRESOLVED) {
            return Fact::UnresolvedRelocation(Relocation::parse(rest));
        }
        if text.starts_with("failed to perform CO-RE relocations")
            || text.ends_with("<invalid CO-RE relocation>")
        {
            return Fact::RelocationFailed;
        }
        if text.ends_with(END) {
            return Fact::VerifierLogEnd;
        }
        Fact::Other
    }

    fn about_program(program: &'a str, what: &'a str) -> Self {
        if let Some(relo) = what.strip_prefix("relo #") {
            let Some((index, what)) = relo.split_once(": ") else {
                return Fact::Program { program };
            };
            let Ok(index) = index.parse() else {
                return Fact::Program { program };
            };
            return if what.starts_with('<') {
                Fact::Relocation {
                    program,
                    index,
                    relocation: Relocation::parse(what),
                }
            } else if what.starts_with("no matching targets found") {
                Fact::NoMatchingTarget { program, index }
            } else if what.starts_with("unrecognized CO-RE relocation") {
                Fact::RelocationFailed
            } else {
                Fact::Program { program }
            };
        }
        if let Some(error) = what.strip_prefix("BPF program load failed: ") {
            return Fact::LoadFailed { program, error };
        }
        if let Some(error) = what.strip_prefix("failed to load: ") {
            return Fact::NotLoaded { program, error };
        }
        if let Some(rest) = what.strip_prefix("failed to find kernel BTF type ID of '") {
            if let Some((target, error)) = rest.split_once("': ") {
                return Fact::MissingAttachTarget {
                    program,
                    target,
                    error,
                };
            }
        }
        if what.starts_with(BEGIN) {
            return Fact::VerifierLogBegin { program };
        }
        Fact::Program { program }
    }
}

/// The verifier's rejection of a program, as the log tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection<'a> {
    /// The program: the first one a line says failed to load; None where
    /// the log lost that line (it is kept from its end).
    pub program: Option<&'a str>,
    /// The verifier's log from its `-- BEGIN PROG LOAD LOG --` to the end
    /// of the log (from the log's start where that was lost).
    pub log: &'a str,
    /// Its last word: the last line that is neither a marker, the
    /// `processed N insns` summary nor libbpf's own.
    pub cause: Option<&'a str>,
}

/// A relocation that found nothing in the BTF (`no matching targets
/// found`), with what it reads: the relocation of that program and number
/// described last before it (programs of one section number theirs alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unmatched<'a> {
    pub program: &'a str,
    pub index: u32,
    /// None where the log did not describe it.
    pub relocation: Option<Relocation<'a>>,
}

/// A log as libbpf printed it: lines, `\n`-separated.
#[derive(Debug, Clone, Copy)]
pub struct Log<'a> {
    text: &'a str,
}

impl<'a> Log<'a> {
    pub fn new(text: &'a str) -> Self {
        Log { text }
    }

    pub fn lines(&self) -> impl Iterator<Item = Line<'a>> + 'a {
        self.text.lines().map(Line::parse)
    }

    /// The first line about `program`.
    pub fn about(&self, program: &str) -> Option<Line<'a>> {
        self.lines().find(|l| l.program() == Some(program))
    }

    /// The programs the kernel refused to load (`BPF program load failed`).
    pub fn load_failed(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.lines().filter_map(|l| match l.fact {
            Fact::LoadFailed { program, .. } => Some(program),
            _ => None,
        })
    }

    /// The verifier's rejection, where the log carries a verifier log (its
    /// end marker: a long log has lost its start).
    pub fn rejection(&self) -> Option<Rejection<'a>> {
        if !self.lines().any(|l| matches!(l.fact, Fact::VerifierLogEnd)) {
            return None;
        }
        let program = self.lines().find_map(|l| match l.fact {
            Fact::LoadFailed { program, .. } | Fact::NotLoaded { program, .. } => Some(program),
            _ => None,
        });
        let log = &self.text[self.text.find(BEGIN).unwrap_or(0)..];
        let cause = log.lines().rev().find(|l| {
            !l.is_empty()
                && !l.starts_with("--")
                && !l.starts_with("processed")
                && !l.starts_with("libbpf")
        });
        Some(Rejection {
            program,
            log,
            cause,
        })
    }

    /// The first relocation a verifier log says could not be resolved.
    pub fn unresolved(&self) -> Option<Relocation<'a>> {
        self.lines().find_map(|l| match l.fact {
            Fact::UnresolvedRelocation(r) => Some(r),
            _ => None,
        })
    }

    /// Whether CO-RE relocation failed, as any line says.
    pub fn relocation_failed(&self) -> bool {
        self.lines().any(|l| {
            matches!(
                l.fact,
                Fact::UnresolvedRelocation(_) | Fact::RelocationFailed
            )
        })
    }

    /// The relocations that found nothing in the BTF, in the log's order
    /// (debug level: BTFGen's `bpftool -d`).
    pub fn unmatched(&self) -> Vec<Unmatched<'a>> {
        let mut described: HashMap<(&str, u32), Relocation> = HashMap::new();
        let mut out = Vec::new();
        for line in self.lines() {
            match line.fact {
                Fact::Relocation {
                    program,
                    index,
                    relocation,
                } => {
                    described.insert((program, index), relocation);
                }
                Fact::NoMatchingTarget { program, index } => out.push(Unmatched {
                    program,
                    index,
                    relocation: described.get(&(program, index)).copied(),
                }),
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // Real logs, as tracee-core captures them (what libbpf's print callback
    // receives, Info level and up): libbpf v1.7 (libbpf-sys 1.7.0) on Linux
    // 6.18 loading a test object (raw_tp, fentry, kprobe programs) built
    // with this repository's vmlinux.h; BTFGen's from bpftool v7.1 (libbpf
    // v1.1), `bpftool -d gen min_core_btf`, for that object and for
    // tracee.bpf.o.

    /// A read of a field the kernel lacks (task_struct___x.tracee_no_such_field).
    const CORE_MISSING: &str = "\
libbpf: prog 'probe_core_missing': BPF program load failed: -EINVAL
libbpf: prog 'probe_core_missing': -- BEGIN PROG LOAD LOG --
arg#0 reference type('UNKNOWN ') size cannot be determined: -22
0: R1=ctx() R10=fp0
; struct task_struct___x *t = (void *)bpf_get_current_task(); @ probe.bpf.c:19
0: (85) call bpf_get_current_task#35          ; R0=scalar()
1: <invalid CO-RE relocation>
failed to resolve CO-RE relocation <byte_off> [11] struct task_struct___x.tracee_no_such_field (0:0 @ offset 0)
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
-- END PROG LOAD LOG --
libbpf: prog 'probe_core_missing': failed to load: -EINVAL
libbpf: failed to load object 'probe.bpf.o'
";

    /// A dereference of a scalar.
    const VERIFIER: &str = "\
libbpf: prog 'probe_verifier': BPF program load failed: -EACCES
libbpf: prog 'probe_verifier': -- BEGIN PROG LOAD LOG --
0: R1=ctx() R10=fp0
; return *(int *)(long)ctx->args[0]; @ probe.bpf.c:26
0: (79) r1 = *(u64 *)(r1 +0)          ; R1=scalar()
1: (61) r0 = *(u32 *)(r1 +0)
R1 invalid mem access 'scalar'
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
-- END PROG LOAD LOG --
libbpf: prog 'probe_verifier': failed to load: -EACCES
libbpf: failed to load object 'probe.bpf.o'
";

    /// fentry/security_file_open on a kernel that runs no fentry program.
    const FENTRY_REFUSED: &str = "\
libbpf: prog 'probe_fentry_refused': BPF program load failed: -EPERM
libbpf: permission error while running as root; try raising 'ulimit -l'? current value: 8.0 MiB
libbpf: prog 'probe_fentry_refused': failed to load: -EPERM
libbpf: failed to load object 'probe.bpf.o'
";

    /// fentry/tracee_no_such_function.
    const FUNCTION_MISSING: &str = "\
libbpf: prog 'probe_fentry_missing': failed to find kernel BTF type ID of 'tracee_no_such_function': -ESRCH
libbpf: prog 'probe_fentry_missing': failed to prepare load attributes: -ESRCH
libbpf: prog 'probe_fentry_missing': failed to load: -ESRCH
libbpf: failed to load object 'probe.bpf.o'
";

    /// A custom BTF (btf_custom_path) that is not BTF.
    const BTF_UNREADABLE: &str = "\
libbpf: failed to get EHDR from garbage.btf
libbpf: failed to parse target BTF: -4001
libbpf: failed to perform CO-RE relocations: -4001
";

    /// Attaching a kprobe where the kernel has no kprobes.
    const KPROBE_ATTACH: &str = "\
libbpf: failed to add legacy kprobe event for 'security_file_open+0x0': -ENOENT
libbpf: prog 'probe_kprobe': failed to create kprobe 'security_file_open+0x0' perf event: -ENOENT
";

    /// BTFGen on the test object: three programs share the section
    /// raw_tp/sys_enter, so their relocations are numbered together.
    const BTFGEN: &str = "\
libbpf: CO-RE relocating [11] struct task_struct___x: found target candidate [114] struct task_struct in [vmlinux]
libbpf: prog 'raw_tp/sys_enter': relo #0: <byte_off> [11] struct task_struct___x.tracee_no_such_field (0:0 @ offset 0)
libbpf: prog 'raw_tp/sys_enter': relo #0: non-matching candidate #0 <byte_off> [114] struct task_struct (0 @ offset 0)
libbpf: prog 'raw_tp/sys_enter': relo #0: no matching targets found
libbpf: CO-RE relocating [13] struct bpf_raw_tracepoint_args: found target candidate [13068] struct bpf_raw_tracepoint_args in [vmlinux]
libbpf: prog 'raw_tp/sys_enter': relo #1: <byte_off> [13] struct bpf_raw_tracepoint_args.args[0] (0:0:0 @ offset 0)
libbpf: prog 'raw_tp/sys_enter': relo #1: matching candidate #0 <byte_off> [13068] struct bpf_raw_tracepoint_args.args[0] (0:0:0 @ offset 0)
libbpf: CO-RE relocating [27] enum bpf_func_id___x: found target candidate [1935] enum bpf_func_id in [vmlinux]
libbpf: prog 'raw_tp/sys_enter': relo #2: <enumval_exists> [27] enum bpf_func_id___x::BPF_FUNC_tracee_none___x = 4242
libbpf: prog 'raw_tp/sys_enter': relo #2: non-matching candidate #0 <enumval_exists> [1935] enum bpf_func_id::BPF_FUNC_unspec = 0
libbpf: prog 'raw_tp/sys_enter': relo #2: no matching targets found
libbpf: prog 'raw_tp/sys_enter': relo #3: <field_exists> [11] struct task_struct___x.tracee_no_such_field (0:0 @ offset 0)
libbpf: prog 'raw_tp/sys_enter': relo #3: non-matching candidate #0 <field_exists> [114] struct task_struct (0 @ offset 0)
libbpf: prog 'raw_tp/sys_enter': relo #3: no matching targets found
libbpf: prog 'raw_tp/sys_enter': relo #4: <byte_off> [11] struct task_struct___x.tracee_no_such_field (0:0 @ offset 0)
libbpf: prog 'raw_tp/sys_enter': relo #4: non-matching candidate #0 <byte_off> [114] struct task_struct (0 @ offset 0)
libbpf: prog 'raw_tp/sys_enter': relo #4: no matching targets found
";

    /// BTFGen on tracee.bpf.o for a 4.19 kernel (bclinux 21.10U3), which has
    /// neither inode's i_ctime_sec/_nsec (6.11+) nor __i_ctime (6.6+): the
    /// object checks which it has, and falls back to i_ctime.
    pub(crate) const BTFGEN_TRACEE: &str = "\
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #272: <byte_off> [162] struct task_struct.mm (0:61 @ offset 1136)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #272: matching candidate #0 <byte_off> [286] struct task_struct.mm (0:33 @ offset 2096)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #272: matching candidate #1 <byte_off> [11672] struct task_struct.mm (0:33 @ offset 2096)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #273: <field_exists> [529] struct inode.i_ctime_sec (0:17 @ offset 104)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #273: non-matching candidate #0 <field_exists> [954] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #273: non-matching candidate #1 <field_exists> [11700] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #273: no matching targets found
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #274: <field_exists> [529] struct inode.i_ctime_nsec (0:20 @ offset 120)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #274: non-matching candidate #0 <field_exists> [954] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #274: non-matching candidate #1 <field_exists> [11700] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #274: no matching targets found
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #275: <byte_off> [529] struct inode.i_ctime_sec (0:17 @ offset 104)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #275: non-matching candidate #0 <byte_off> [954] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #275: non-matching candidate #1 <byte_off> [11700] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #275: no matching targets found
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #276: <byte_off> [529] struct inode.i_ctime_nsec (0:20 @ offset 120)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #276: non-matching candidate #0 <byte_off> [954] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #276: non-matching candidate #1 <byte_off> [11700] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #276: no matching targets found
libbpf: CO-RE relocating [787] struct inode___dunder_i_ctime: found target candidate [954] struct inode in [vmlinux]
libbpf: CO-RE relocating [787] struct inode___dunder_i_ctime: found target candidate [11700] struct inode in [vmlinux]
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #277: <field_exists> [787] struct inode___dunder_i_ctime.__i_ctime (0:0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #277: non-matching candidate #0 <field_exists> [954] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #277: non-matching candidate #1 <field_exists> [11700] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #277: no matching targets found
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #278: <byte_off> [787] struct inode___dunder_i_ctime.__i_ctime.tv_sec (0:0:0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #278: non-matching candidate #0 <byte_off> [954] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #278: non-matching candidate #1 <byte_off> [11700] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #278: no matching targets found
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #279: <byte_off> [787] struct inode___dunder_i_ctime.__i_ctime.tv_nsec (0:0:1 @ offset 8)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #279: non-matching candidate #0 <byte_off> [954] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #279: non-matching candidate #1 <byte_off> [11700] struct inode (0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #279: no matching targets found
libbpf: CO-RE relocating [789] struct inode___i_ctime: found target candidate [954] struct inode in [vmlinux]
libbpf: CO-RE relocating [789] struct inode___i_ctime: found target candidate [11700] struct inode in [vmlinux]
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #280: <field_exists> [789] struct inode___i_ctime.i_ctime (0:0 @ offset 0)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #280: matching candidate #0 <field_exists> [954] struct inode.i_ctime (0:17 @ offset 120)
libbpf: prog 'raw_tracepoint/sched_process_exec': relo #280: matching candidate #1 <field_exists> [11700] struct inode.i_ctime (0:17 @ offset 120)
";

    fn facts(log: &str) -> Vec<Fact<'_>> {
        Log::new(log).lines().map(|l| l.fact).collect()
    }

    #[test]
    fn a_field_the_kernel_lacks_is_an_unresolved_relocation_in_a_rejection() {
        let log = Log::new(CORE_MISSING);
        let field = Relocation {
            kind: "byte_off",
            target: "struct task_struct___x.tracee_no_such_field",
        };
        assert_eq!(log.unresolved(), Some(field));
        assert!(!field.is_existence_check());
        assert!(log.relocation_failed());
        assert_eq!(
            log.load_failed().collect::<Vec<_>>(),
            ["probe_core_missing"]
        );
        let rejection = log.rejection().unwrap();
        assert_eq!(rejection.program, Some("probe_core_missing"));
        assert_eq!(
            rejection.cause,
            Some("failed to resolve CO-RE relocation <byte_off> [11] struct task_struct___x.tracee_no_such_field (0:0 @ offset 0)")
        );
        // the verifier's log, from its marker (not its line) to the end
        assert!(rejection
            .log
            .starts_with("-- BEGIN PROG LOAD LOG --\narg#0"));
        assert!(rejection
            .log
            .ends_with("libbpf: failed to load object 'probe.bpf.o'\n"));
        assert_eq!(
            facts(CORE_MISSING),
            [
                Fact::LoadFailed {
                    program: "probe_core_missing",
                    error: "-EINVAL"
                },
                Fact::VerifierLogBegin {
                    program: "probe_core_missing"
                },
                Fact::Other,
                Fact::Other,
                Fact::Other,
                Fact::Other,
                Fact::RelocationFailed,
                Fact::UnresolvedRelocation(field),
                Fact::Other,
                Fact::VerifierLogEnd,
                Fact::NotLoaded {
                    program: "probe_core_missing",
                    error: "-EINVAL"
                },
                Fact::Other,
            ]
        );
    }

    #[test]
    fn a_verifier_rejection_is_told_by_its_last_word() {
        let log = Log::new(VERIFIER);
        assert_eq!(
            log.rejection(),
            Some(Rejection {
                program: Some("probe_verifier"),
                log: &VERIFIER[VERIFIER.find("-- BEGIN").unwrap()..],
                cause: Some("R1 invalid mem access 'scalar'"),
            })
        );
        assert_eq!(log.unresolved(), None);
        assert!(!log.relocation_failed());
        let first = log.about("probe_verifier").unwrap();
        assert_eq!(first.error(), Some("-EACCES"));
        assert!(!first.permission_refused());
    }

    #[test]
    fn a_log_cut_at_its_start_still_names_the_rejected_program() {
        // the log is kept from its end: here the lines before the
        // verifier's last ones are gone
        let cut = &VERIFIER[VERIFIER.find("1: (61)").unwrap()..];
        let rejection = Log::new(cut).rejection().unwrap();
        assert_eq!(rejection.program, Some("probe_verifier"));
        assert_eq!(rejection.log, cut);
        assert_eq!(rejection.cause, Some("R1 invalid mem access 'scalar'"));
        // and without its end marker it is no verifier rejection
        let head = &VERIFIER[..VERIFIER.find("-- END").unwrap()];
        assert_eq!(Log::new(head).rejection(), None);
    }

    #[test]
    fn a_refused_fentry_program_is_a_permission_refusal_without_a_verifier_log() {
        let log = Log::new(FENTRY_REFUSED);
        assert_eq!(log.rejection(), None);
        assert_eq!(
            log.load_failed().collect::<Vec<_>>(),
            ["probe_fentry_refused"]
        );
        let line = log.about("probe_fentry_refused").unwrap();
        assert_eq!(
            line.text,
            "prog 'probe_fentry_refused': BPF program load failed: -EPERM"
        );
        assert!(line.permission_refused());
        // libbpf's hint names no program
        assert_eq!(
            Line::parse(FENTRY_REFUSED.lines().nth(1).unwrap()).program(),
            None
        );
        // older libbpf (v1.1) wrote strerror's words
        let old = Line::parse(
            "libbpf: prog 'tracee_cap_capable': BPF program load failed: Operation not permitted",
        );
        assert!(old.permission_refused());
    }

    #[test]
    fn a_missing_kernel_function_names_the_attach_target() {
        let log = Log::new(FUNCTION_MISSING);
        let line = log.about("probe_fentry_missing").unwrap();
        assert_eq!(
            line.fact,
            Fact::MissingAttachTarget {
                program: "probe_fentry_missing",
                target: "tracee_no_such_function",
                error: "-ESRCH",
            }
        );
        assert!(!line.permission_refused());
        assert_eq!(log.load_failed().count(), 0);
        assert_eq!(log.rejection(), None);
        assert!(!log.relocation_failed());
        assert_eq!(
            facts(FUNCTION_MISSING)[1..],
            [
                Fact::Program {
                    program: "probe_fentry_missing"
                },
                Fact::NotLoaded {
                    program: "probe_fentry_missing",
                    error: "-ESRCH"
                },
                Fact::Other,
            ]
        );
    }

    #[test]
    fn an_unreadable_btf_fails_relocation_without_naming_a_field() {
        let log = Log::new(BTF_UNREADABLE);
        assert!(log.relocation_failed());
        assert_eq!(log.unresolved(), None);
        assert_eq!(log.rejection(), None);
        assert!(log.lines().all(|l| l.program().is_none()));
    }

    #[test]
    fn an_attach_failure_is_about_its_program() {
        let log = Log::new(KPROBE_ATTACH);
        assert_eq!(
            log.about("probe_kprobe").map(|l| l.text),
            Some("prog 'probe_kprobe': failed to create kprobe 'security_file_open+0x0' perf event: -ENOENT")
        );
        assert_eq!(log.about("probe_kprobe").unwrap().error(), None);
    }

    #[test]
    fn btfgen_pairs_each_unmatched_relocation_with_the_one_described_last() {
        let unmatched = Log::new(BTFGEN).unmatched();
        let field = |kind| Relocation {
            kind,
            target: "struct task_struct___x.tracee_no_such_field",
        };
        let at = |index, relocation| Unmatched {
            program: "raw_tp/sys_enter",
            index,
            relocation: Some(relocation),
        };
        assert_eq!(
            unmatched,
            [
                at(0, field("byte_off")),
                at(
                    2,
                    Relocation {
                        kind: "enumval_exists",
                        target: "enum bpf_func_id___x::BPF_FUNC_tracee_none___x = 4242",
                    }
                ),
                at(3, field("field_exists")),
                at(4, field("byte_off")),
            ]
        );
        assert!(unmatched[1].relocation.unwrap().is_existence_check());
        // "CO-RE relocating [id] ...: found target candidate" is not a failure
        assert_eq!(
            Line::parse(BTFGEN.lines().next().unwrap()).fact,
            Fact::Other
        );

        let tracee = Log::new(BTFGEN_TRACEE).unmatched();
        let targets: Vec<(u32, &str, &str)> = tracee
            .iter()
            .map(|u| {
                let r = u.relocation.unwrap();
                (u.index, r.kind, r.target)
            })
            .collect();
        let ctime = "struct inode___dunder_i_ctime.__i_ctime";
        assert_eq!(
            targets,
            [
                (273, "field_exists", "struct inode.i_ctime_sec"),
                (274, "field_exists", "struct inode.i_ctime_nsec"),
                (275, "byte_off", "struct inode.i_ctime_sec"),
                (276, "byte_off", "struct inode.i_ctime_nsec"),
                (277, "field_exists", ctime),
                (278, "byte_off", &format!("{ctime}.tv_sec")),
                (279, "byte_off", &format!("{ctime}.tv_nsec")),
            ]
        );
        assert!(tracee
            .iter()
            .all(|u| u.program == "raw_tracepoint/sched_process_exec"));
    }

    #[test]
    fn an_unmatched_relocation_never_described_has_no_target() {
        let log = "libbpf: prog 'raw_tp/sys_enter': relo #7: no matching targets found\n";
        assert_eq!(
            Log::new(log).unmatched(),
            [Unmatched {
                program: "raw_tp/sys_enter",
                index: 7,
                relocation: None
            }]
        );
    }
}
