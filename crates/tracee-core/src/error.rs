//! Every error names its cause and the fix, in one line where it can.

/// What went wrong while starting or running a trace.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("tracee-rs needs privileges to load eBPF programs ({missing}); run it as root, or grant CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE (CAP_SYS_ADMIN on kernels before 5.8)")]
    Privileges { missing: String },

    #[error("unknown event '{name}'; did you mean {}? (event names are syscall names such as openat, kernel events such as sched_process_exec, or sets: default, fs, proc, net, syscalls)", suggestions.join(", "))]
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

    #[error("reading the ring buffer failed: {cause}")]
    Poll { cause: String },

    #[error("the tracer's poll thread stopped unexpectedly: {cause}")]
    Thread { cause: String },
}

impl Error {
    /// A stable code for programs (and the Node binding's `err.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Privileges { .. } => "EPRIVILEGES",
            Error::UnknownEvent { .. } => "EUNKNOWNEVENT",
            Error::NoEvents => "ENOEVENTS",
            Error::Unavailable { .. } => "EUNAVAILABLE",
            Error::Policy { issue } => issue.code,
            Error::Verifier { .. } => "EVERIFIER",
            Error::Load { .. } => "ELOAD",
            Error::Attach { .. } => "EATTACH",
            Error::Poll { .. } => "EPOLL",
            Error::BpfFileNeedsBtf { .. } => "EBPFNEEDSBTF",
            Error::NoBtf { .. } => "ENOBTF",
            Error::BtfFile { .. } => "EBTFFILE",
            Error::BpfFile { .. } => "EBPFFILE",
            Error::Archive { .. } => "EARCHIVE",
            Error::Thread { .. } => "ETHREAD",
        }
    }
}
