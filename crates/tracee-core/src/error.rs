//! Every error names its cause and the fix, in one line where it can.

/// What went wrong while starting or running a trace.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "tracee-rs needs privileges to load eBPF programs ({missing}); {}",
        crate::privileges::FIX
    )]
    Privileges { missing: String },

    /// An option out of the range the kernel takes, e.g.
    /// [`crate::TraceOptions::ring_buffer_bytes`].
    #[error("{option}: {cause}")]
    Invalid { option: &'static str, cause: String },

    #[error("unknown event '{name}'; did you mean {}? (event names are syscall names such as openat, kernel events such as sched_process_exec, or sets: {})", suggestions.join(", "), crate::catalog::sets().join(", "))]
    UnknownEvent {
        name: String,
        suggestions: Vec<String>,
    },

    #[error("no events selected; pass event names, e.g. --events execve,openat")]
    NoEvents,

    #[error("none of the selected events can be traced here: {reasons}")]
    Unavailable { reasons: String },

    /// The first problem found; [`crate::policy::compile`] lists them all.
    #[error("{issue}")]
    Policy { issue: crate::PolicyIssue },

    #[error("the kernel's verifier rejected BPF program '{program}': {cause}; this is a bug in tracee-rs for this kernel, please report it with the log below\n{log}")]
    Verifier {
        program: String,
        cause: String,
        log: String,
    },

    #[error("loading the BPF object failed: {cause}{}", if log.is_empty() { String::new() } else { format!("\n{log}") })]
    Load { cause: String, log: String },

    #[error("attaching {program} failed: {cause}")]
    Attach { program: String, cause: String },

    #[error("TRACEE_BPF_FILE={} is a CO-RE object, but this kernel has no BTF ({kernel_btf}) and TRACEE_BTF_FILE is not set; use a non-CO-RE object built for this kernel, or set TRACEE_BTF_FILE to a BTF for it, or unset TRACEE_BPF_FILE to use the embedded object", path.display())]
    BpfFileNeedsBtf {
        path: std::path::PathBuf,
        kernel_btf: String,
    },

    #[error("no BTF for this kernel: the kernel exposes none ({kernel_btf}) and {key} is not embedded{}; set TRACEE_BTF_FILE to this kernel's BTF (from btfhub-archive, or made with `pahole --btf_encode_detached` from a debug vmlinux)", if closest.is_empty() { String::new() } else { format!(" (closest embedded: {})", closest.join(", ")) })]
    NoBtf {
        key: String,
        closest: Vec<String>,
        kernel_btf: String,
    },

    #[error("TRACEE_BTF_FILE={}: {cause}; point it to a BTF file for this kernel (btfhub-archive's <release>.btf, or `pahole --btf_encode_detached`)", path.display())]
    BtfFile {
        path: std::path::PathBuf,
        cause: String,
    },

    #[error("TRACEE_BPF_FILE={}: {cause}; point it to a tracee.bpf.o built from this version's bpf/, or unset it", path.display())]
    BpfFile {
        path: std::path::PathBuf,
        cause: String,
    },

    #[error(
        "the embedded BTF archive is unreadable ({cause}); the build is broken, rebuild tracee-rs"
    )]
    Archive { cause: String },

    #[error("'{key}' is not a kernel key; use id/version/arch/release as `tracee-rs btf list` prints it")]
    BadKey { key: String },

    #[error("{key} is not embedded (closest: {}); `tracee-rs btf list` lists them", closest.join(", "))]
    NoKey { key: String, closest: Vec<String> },

    #[error("reading the ring buffer failed: {cause}")]
    Poll { cause: String },

    #[error("the tracer's poll thread stopped unexpectedly: {cause}")]
    Thread { cause: String },
}

impl Error {
    /// Its stable code: what programs test (the Node binding's `err.code`).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Privileges { .. } => ErrorCode::Privileges,
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::UnknownEvent { .. } => ErrorCode::UnknownEvent,
            Error::NoEvents => ErrorCode::NoEvents,
            Error::Unavailable { .. } => ErrorCode::Unavailable,
            Error::Policy { issue } => issue.code,
            Error::Verifier { .. } => ErrorCode::Verifier,
            Error::Load { .. } => ErrorCode::Load,
            Error::Attach { .. } => ErrorCode::Attach,
            Error::Poll { .. } => ErrorCode::Poll,
            Error::BpfFileNeedsBtf { .. } => ErrorCode::BpfFileNeedsBtf,
            Error::NoBtf { .. } => ErrorCode::NoBtf,
            Error::BtfFile { .. } => ErrorCode::BtfFile,
            Error::BpfFile { .. } => ErrorCode::BpfFile,
            Error::Archive { .. } => ErrorCode::Archive,
            Error::BadKey { .. } => ErrorCode::BadKey,
            Error::NoKey { .. } => ErrorCode::NoKey,
            Error::Thread { .. } => ErrorCode::Thread,
        }
    }
}

/// Declares [`ErrorCode`] from one table, so its variants, their strings
/// and [`ErrorCode::ALL`] cannot drift apart.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// The stable codes of tracee-rs's errors, one list for every side:
        /// the Node binding throws errors whose `code` is one of them, and
        /// the TypeScript union `TraceeErrorCode` is generated from
        /// [`ErrorCode::ALL`] (packages/core/scripts/codegen.mjs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as programs see it, e.g. `EUNKNOWNEVENT`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// [`Error::Privileges`].
    Privileges = "EPRIVILEGES",
    /// An unknown event or set name ([`Error::UnknownEvent`], or a
    /// policy's rule).
    UnknownEvent = "EUNKNOWNEVENT",
    /// [`Error::NoEvents`].
    NoEvents = "ENOEVENTS",
    /// [`Error::Unavailable`].
    Unavailable = "EUNAVAILABLE",
    /// Any other problem in a policy, its scope or its filters.
    Policy = "EPOLICY",
    /// [`Error::Verifier`].
    Verifier = "EVERIFIER",
    /// [`Error::Load`].
    Load = "ELOAD",
    /// [`Error::Attach`].
    Attach = "EATTACH",
    /// [`Error::Poll`].
    Poll = "EPOLL",
    /// [`Error::Thread`].
    Thread = "ETHREAD",
    /// A batch of records that does not decode (never expected from the
    /// kernel side; found by the TypeScript decoder or the JSON writer).
    Corrupt = "ECORRUPT",
    /// Writing events out failed (a write error other than the reader
    /// going away, e.g. ENOSPC).
    Output = "EOUTPUT",
    /// [`Error::BpfFileNeedsBtf`].
    BpfFileNeedsBtf = "EBPFNEEDSBTF",
    /// [`Error::NoBtf`].
    NoBtf = "ENOBTF",
    /// [`Error::BtfFile`].
    BtfFile = "EBTFFILE",
    /// [`Error::BpfFile`].
    BpfFile = "EBPFFILE",
    /// [`Error::Archive`].
    Archive = "EARCHIVE",
    /// [`Error::BadKey`].
    BadKey = "EBADKEY",
    /// [`Error::NoKey`].
    NoKey = "ENOKEY",
    /// An option out of its range or choices.
    Invalid = "EINVAL",
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_errno_style_names() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.len() > 1 && s.starts_with('E') && s.bytes().all(|b| b.is_ascii_uppercase()),
                "{s}"
            );
            assert_eq!(code.to_string(), s);
        }
    }

    #[test]
    fn an_error_names_its_code_and_the_sets() {
        let e = Error::UnknownEvent {
            name: "opnat".into(),
            suggestions: vec!["openat".into()],
        };
        assert_eq!(e.code(), ErrorCode::UnknownEvent);
        assert_eq!(e.code().as_str(), "EUNKNOWNEVENT");
        // the sets as the catalog has them, lsm among them
        assert!(
            e.to_string()
                .ends_with("or sets: default, fs, lsm, net, proc, syscalls)"),
            "{e}"
        );
    }
}
