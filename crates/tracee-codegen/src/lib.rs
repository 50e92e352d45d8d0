//! tracee-core's code generation, apart from its build script so that it
//! can be tested: a parser per input and a generator per output, functions
//! from text to values and from values to text. The build script
//! (crates/tracee-core/build.rs) does all the I/O: it reads the files and
//! the environment, runs clang and bpftool, and writes what [`generate`]
//! returns to `OUT_DIR`.
//!
//! Inputs, each fact from one place:
//! - [`btf`]: the object's BTF (`bpftool -j btf dump`): the record layout and
//!   tracee.h's enums (event ids, limits, known syscalls, ...);
//! - [`unistd`]: syscall numbers and names, x86_64's `<asm/unistd_64.h>` and
//!   arm64's `<asm/unistd.h>` through the preprocessor;
//! - [`prototypes`]: argument types, and names where given, from the
//!   kernel's `include/linux/syscalls.h`;
//! - [`events_tbl`]: bpf/events.tbl, argument names in Tracee's words,
//!   capture attributes, decoders and sets;
//! - [`constants`]: the decoding constants of the installed headers.
//!
//! Outputs: [`hooks`] (from events.tbl alone, before the object is
//! compiled: the event ids, known syscalls, derived events' dispatch and
//! kernel functions' programs as C, and the loader's derive flags),
//! [`vmlinux`] (the guarded `vmlinux.h`), [`catalog_rs`] (the Rust event catalog) and [`schema`]
//! (`schema.json`, which the TypeScript decoder is generated from).

pub mod args;
pub mod btf;
pub mod catalog_rs;
pub mod constants;
mod error;
pub mod events;
pub mod events_tbl;
pub mod hooks;
pub mod prototypes;
pub mod schema;
pub mod unistd;
pub mod vmlinux;

use std::collections::BTreeMap;

pub use error::Error;

use btf::Btf;
use events::Limits;
use events_tbl::Catalog;
use prototypes::Prototypes;

/// Everything the outputs are made of, parsed.
pub struct Inputs<'a> {
    /// The BPF object's BTF ([`Btf::from_json`]).
    pub btf: &'a Btf,
    /// x86_64's syscalls ([`unistd::parse_unistd_64`]).
    pub syscalls: &'a [(u32, String)],
    /// arm64's syscalls ([`unistd::parse_unistd_defines`]): their arguments
    /// go to the schema, so both tables stay complete.
    pub arm64_syscalls: &'a [(u32, String)],
    /// The kernel's prototypes ([`prototypes::parse_prototypes`]).
    pub prototypes: &'a Prototypes,
    /// bpf/events.tbl ([`Catalog::parse`]).
    pub catalog: Catalog,
    /// The headers of [`constants::header_files`], by that name.
    pub headers: &'a BTreeMap<&'a str, String>,
}

/// The generated files' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// `catalog.rs` ([`catalog_rs::catalog_rs`]).
    pub catalog_rs: String,
    /// `schema.json` ([`schema::schema_json`]).
    pub schema_json: String,
}

/// Joins the inputs into the event catalog, checks it against what the
/// kernel side carries (tracee.h's limits and known syscalls), and writes
/// it as Rust and as JSON.
///
/// # Errors
/// The first input error, naming the file and line (events.tbl's) or the
/// enum at fault: see [`Catalog::parse`], [`args::event_args`],
/// [`events::join_events`], [`events::check_limits`],
/// [`events::known_syscalls`], and a struct or enum missing from the BTF.
pub fn generate(inputs: Inputs<'_>) -> Result<Generated, Error> {
    let Inputs {
        btf,
        syscalls,
        arm64_syscalls,
        prototypes,
        mut catalog,
        headers,
    } = inputs;
    let path = catalog.path.clone();
    // `name@arm64` lines: arm64's own prototype of a syscall
    let arm64_only = catalog.take_arch("arm64");
    let arm64 = events::arch_syscalls(arm64_syscalls, prototypes, &arm64_only, &catalog)?;
    let functions = catalog.functions();
    let events = events::join_events(
        syscalls,
        prototypes,
        &btf.enum_values("tracee_event_id")?,
        catalog,
    )?;
    events::check_limits(&path, &events, &Limits(btf.enum_values("tracee_limits")?))?;
    let known = events::known_syscalls(&path, &btf.enum_values("tracee_known_syscall")?, &events)?;
    let constants = schema::with_tracee_constants(btf, constants::constants(headers)?)?;
    Ok(Generated {
        catalog_rs: catalog_rs::catalog_rs(&events, &known, &functions, &constants),
        schema_json: schema::schema_json(btf, &constants, &arm64, &events)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Real events.tbl lines for the syscalls of the unistd excerpts whose
    /// prototypes the syscalls.h excerpt lacks or leaves unnamed, and two
    /// non-syscall events.
    const TBL: &str = "# The event catalog
write           (fd:fd, buf:bytes, count)                            [fs]
openat          (dirfd:dirfd, pathname, flags:open_flags, mode:mode)                    [default, fs]
execve          @entry (pathname, argv, envp:addr)                [default, proc]
clone           (unsigned long flags:clone_flags, void * stack, int * parent_tid, int * child_tid, unsigned long tls) [proc]
# arm64's clone takes tls before child_tid (CONFIG_CLONE_BACKWARDS)
clone@arm64     (unsigned long flags:clone_flags, void * stack, int * parent_tid, unsigned long tls, int * child_tid) [proc]
mmap            (void * addr, size_t length, int prot:prot, int flags:map_flags, int fd, long offset) [proc]
socket          (domain:socket_family, type:socket_type, protocol)                          [net]
connect         (sockfd, addr, addrlen)                           [default, net]
accept          (sockfd, addr, addrlen)                           [default, net]
sendto          (sockfd, buf, len, flags, dest_addr, addrlen)     [net]
recvfrom        (sockfd, buf, len, flags, src_addr, addrlen)      [net]
arch_prctl      (int option, unsigned long addr)
rt_sigreturn    @noreturn ()
magic_write @after=write,pwrite64 (const char * pathname, const void * bytes:bytes, u32 dev, u64 inode) [fs]
sched_process_exit @tracepoint (int exit_code, bool process_group_exit, int signal)      [default, proc]
";

    /// The unistd_64.h excerpt's syscalls that the syscalls.h excerpt or
    /// TBL can type.
    fn syscalls() -> Vec<(u32, String)> {
        let typed = [
            "read",
            "write",
            "close",
            "mmap",
            "rt_sigreturn",
            "pwrite64",
            "nanosleep",
            "getpid",
            "socket",
            "connect",
            "accept",
            "sendto",
            "recvfrom",
            "sendmsg",
            "recvmsg",
            "clone",
            "execve",
            "arch_prctl",
            "openat",
        ];
        let all = unistd::parse_unistd_64(include_str!("../testdata/unistd_64.h"));
        all.into_iter()
            .filter(|(_, n)| typed.contains(&n.as_str()))
            .collect()
    }

    /// The BTF excerpt, its event ids and known syscalls narrowed to TBL's.
    fn btf() -> Btf {
        let mut doc: Value =
            serde_json::from_slice(include_bytes!("../testdata/btf.json")).unwrap();
        for t in doc["types"].as_array_mut().unwrap() {
            match t["name"].as_str() {
                Some("tracee_event_id") => {
                    t["values"] = json!([{"name": "EVENT_MAGIC_WRITE", "val": 725}, {"name": "EVENT_SCHED_PROCESS_EXIT", "val": 1004}])
                }
                Some("tracee_known_syscall") => {
                    t["values"] = json!([{"name": "KNOWN_WRITE", "val": 0}, {"name": "KNOWN_PWRITE64", "val": 1}, {"name": "KNOWN_SYSCALLS", "val": 2}])
                }
                _ => {}
            }
        }
        Btf::from_json(doc.to_string().as_bytes()).unwrap()
    }

    fn headers() -> BTreeMap<&'static str, String> {
        let mut h: BTreeMap<&'static str, String> = constants::header_files()
            .into_iter()
            .map(|f| (f, String::new()))
            .collect();
        h.insert(
            "asm-generic/errno-base.h",
            "#define\tEPERM\t\t 1\t/* Operation not permitted */\n".into(),
        );
        h
    }

    fn run(tbl: &str) -> Result<Generated, Error> {
        let protos = prototypes::parse_prototypes(include_str!("../testdata/syscalls.h")).unwrap();
        let arm64 = unistd::parse_unistd_defines(include_str!("../testdata/arm64-unistd.dM"));
        generate(Inputs {
            btf: &btf(),
            syscalls: &syscalls(),
            arm64_syscalls: &arm64,
            prototypes: &protos,
            catalog: Catalog::parse("bpf/events.tbl", tbl).unwrap(),
            headers: &headers(),
        })
    }

    #[test]
    fn generates_the_catalog_and_the_schema() {
        let out = run(TBL).unwrap();
        let rs = &out.catalog_rs;
        assert!(rs.contains("pub static KNOWN_SYSCALLS: &[&str] = &[\"write\", \"pwrite64\"];\n"));
        assert!(rs.contains("pub static FUNCTION_EVENTS: &[&str] = &[];\n"));
        assert_eq!(rs.matches("    EventDef { ").count(), 19 + 2);
        assert!(rs.contains("    EventDef { id: 43, name: \"accept\", syscall: true, noreturn: false, strings_at_entry: false, addrlen_ptr: true, after: &[], before: &[], fallback: &[], sets: &[\"default\", \"net\", \"syscalls\"], args: &[ArgDef { name: \"sockfd\", ty: \"int\", kind: ArgKind::I32, decode: None }, ArgDef { name: \"addr\", ty: \"struct sockaddr *\", kind: ArgKind::Sockaddr, decode: None }, ArgDef { name: \"addrlen\", ty: \"int *\", kind: ArgKind::Ptr, decode: None }, ] },\n"));
        assert!(rs.contains("pub static TRACEPOINT_EVENTS: &[&str] = &[\"sched_process_exit\"];\n"));
        assert!(rs.contains("EventDef { id: 725, name: \"magic_write\", syscall: false, noreturn: false, strings_at_entry: false, addrlen_ptr: false, after: &[\"write\", \"pwrite64\"], "));

        let schema: Value = serde_json::from_str(&out.schema_json).unwrap();
        let events = schema["events"].as_array().unwrap();
        let ids: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
        assert_eq!(
            ids,
            [0, 1, 3, 9, 15, 18, 35, 39, 41, 42, 43, 44, 45, 46, 47, 56, 59, 158, 257, 725, 1004]
        );
        assert_eq!(events[20]["name"], "sched_process_exit");
        assert_eq!(events[20]["syscall"], false);
        assert_eq!(schema["constants"]["errno"], json!([["EPERM", 1]]));
        let arm64 = schema["arm64Syscalls"].as_array().unwrap();
        assert_eq!(arm64.len(), 12);
        let clone = arm64.iter().find(|s| s["name"] == "clone").unwrap();
        assert_eq!(clone["id"], 220);
        assert_eq!(clone["args"][3]["name"], "tls");
        // the same inputs, the same bytes
        assert_eq!(run(TBL).unwrap(), out);
    }

    #[test]
    fn input_errors_name_the_events_tbl_line() {
        // arch_prctl's line gone: x86_64's own syscall has no prototype
        let no_arch_prctl: String = TBL
            .lines()
            .filter(|l| !l.starts_with("arch_prctl"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            run(&no_arch_prctl).unwrap_err().to_string(),
            "bpf/events.tbl: arch_prctl: no prototype in the kernel's headers: give its full prototype, or () for none"
        );
        // types given where the prototype has them
        let moved = TBL.replace(
            "recvfrom        (sockfd, buf, len, flags, src_addr, addrlen)",
            "recvfrom        (int sockfd, void * buf, size_t len, struct sockaddr * src_addr, int * addrlen)",
        );
        assert_eq!(
            run(&moved).unwrap_err().to_string(),
            "bpf/events.tbl:13: recvfrom: the kernel's prototype gives the types: give names only"
        );
        let sockaddr_at_2 = TBL.replace(
            "arch_prctl      (int option, unsigned long addr)",
            "arch_prctl      (int option, unsigned long addr, struct sockaddr * peer, int peerlen)",
        );
        assert_eq!(
            run(&sockaddr_at_2).unwrap_err().to_string(),
            "bpf/events.tbl:14: arch_prctl: argument 2 (peer) is a Sockaddr, which bpf/tracee.h copies only at positions [1, 4]"
        );
        let magic_unknown = TBL.replace("@after=write,pwrite64", "@after=write,writev");
        assert_eq!(
            run(&magic_unknown).unwrap_err().to_string(),
            "bpf/events.tbl:16: magic_write: @after=/@before=/@fallback=writev: the kernel side knows no syscall writev (enum tracee_known_syscall)"
        );
        let no_exit: String = TBL
            .lines()
            .filter(|l| !l.starts_with("sched_process_exit"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            run(&no_exit).unwrap_err().to_string(),
            "bpf/events.tbl: sched_process_exit (enum tracee_event_id) is missing"
        );
    }
}
