//! Every error names its cause and the fix, in one line where it can.

/// What went wrong while starting or running a trace.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("tracee-rs needs privileges to load eBPF programs ({missing}); run it as root, or grant CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE (CAP_SYS_ADMIN on kernels before 5.8)")]
    Privileges { missing: String },

    #[error("unknown event '{name}'; did you mean {}? (event names are syscall names such as openat, kernel events such as sched_process_exec, or sets: default, fs, proc, net, syscalls)", suggestions.join(", "))]
    UnknownEvent { name: String, suggestions: Vec<String> },

    #[error("no events selected; pass event names, e.g. --events execve,openat")]
    NoEvents,

    #[error("this kernel has no BPF ring buffer (needs Linux 5.8 or later): {cause}")]
    NoRingBuffer { cause: String },

    #[error("the kernel's verifier rejected BPF program '{program}': {cause}; this is a bug in tracee-rs for this kernel, please report it with the log below\n{log}")]
    Verifier { program: String, cause: String, log: String },

    #[error("loading the BPF object failed: {cause}{}", if log.is_empty() { String::new() } else { format!("\n{log}") })]
    Load { cause: String, log: String },

    #[error("attaching {program} failed: {cause}")]
    Attach { program: String, cause: String },

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
            Error::NoRingBuffer { .. } => "ENORINGBUF",
            Error::Verifier { .. } => "EVERIFIER",
            Error::Load { .. } => "ELOAD",
            Error::Attach { .. } => "EATTACH",
            Error::Poll { .. } => "EPOLL",
            Error::Thread { .. } => "ETHREAD",
        }
    }
}
