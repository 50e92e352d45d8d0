//! Builds the eBPF object and derives everything user space needs from it.
//!
//! 1. `vmlinux.h` from the build host's kernel BTF (`bpftool btf dump`).
//! 2. `tracee.bpf.o` and its Rust skeleton (libbpf-cargo), CO-RE (`-DCORE`).
//! 3. The record layout and the enums, read back from the object's BTF, so
//!    the C header stays the one definition of what crosses to user space.
//! 4. The event catalog: syscall numbers and names from `<asm/unistd_64.h>`,
//!    argument types (and names, where it gives them) from the kernel's
//!    syscall prototypes (`include/linux/syscalls.h`, from Debian's kernel
//!    headers: `btfhub/fetch-debian.sh --headers`), non-syscall ids from
//!    `enum tracee_event_id`, and from `bpf/events.tbl` argument names in
//!    Tracee's words, capture attributes and sets. Written as Rust
//!    (`catalog.rs`) and as JSON (`schema.json`, which the TypeScript decoder
//!    is generated from).
//!
//! Nothing generated here is committed.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use libbpf_cargo::SkeletonBuilder;
use serde_json::{json, Value};

const BPF_DIR: &str = "../../bpf";
const BPF_SRC: &str = "../../bpf/tracee.bpf.c";
const BPF_HEADER: &str = "../../bpf/tracee.h";
const CATALOG: &str = "../../bpf/events.tbl";
const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";
const UNISTD_H: &str = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
const SYSCALLS_H: &str = "/var/cache/tracee-rs/kernel-headers/syscalls.h";

fn main() {
    for f in [BPF_SRC, BPF_HEADER, CATALOG] {
        println!("cargo:rerun-if-changed={f}");
    }
    for v in [
        "TRACEE_VMLINUX_BTF",
        "TRACEE_UNISTD_H",
        "TRACEE_SYSCALLS_H",
        "BPFTOOL",
        "CLANG",
        "TRACEE_BTFHUB_ARCHIVE",
        "TRACEE_EMBED_HOST_BTF",
    ] {
        println!("cargo:rerun-if-env-changed={v}");
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    let vmlinux_btf = env::var("TRACEE_VMLINUX_BTF").unwrap_or_else(|_| KERNEL_BTF.into());
    let vmlinux_h = bpftool(&["btf", "dump", "file", &vmlinux_btf, "format", "c"]);
    fs::write(out.join("vmlinux.h"), vmlinux_h).expect("write vmlinux.h");

    let obj = out.join("tracee.bpf.o");
    if let Err(e) = bpf_compiler(&obj, out.as_os_str(), &["-Wall"])
        .build_and_generate(out.join("tracee.skel.rs"))
    {
        panic!("compiling {BPF_SRC} failed: {e:#}\n(needs clang >= 14: apt-get install clang, or run scripts/setup.sh)");
    }

    pack_btf_archives(&obj, &out, &vmlinux_btf);

    let btf: Value = serde_json::from_slice(&bpftool(&[
        "-j",
        "btf",
        "dump",
        "file",
        obj.to_str().unwrap(),
    ]))
    .expect("bpftool -j btf dump: bad JSON");
    let btf = Btf::new(&btf);

    let unistd = env::var("TRACEE_UNISTD_H").unwrap_or_else(|_| UNISTD_H.into());
    println!("cargo:rerun-if-changed={unistd}");
    let syscalls = parse_unistd(&unistd);
    let syscalls_h = env::var("TRACEE_SYSCALLS_H").unwrap_or_else(|_| SYSCALLS_H.into());
    println!("cargo:rerun-if-changed={syscalls_h}");
    let prototypes = parse_prototypes(&syscalls_h);
    let mut catalog = parse_catalog(&fs::read_to_string(CATALOG).expect("read events.tbl"));
    // `name@arm64` lines: arm64's own prototype of a syscall
    let arm64_only: BTreeMap<String, CatalogEntry> = {
        let keys: Vec<String> = catalog
            .keys()
            .filter(|k| k.ends_with("@arm64"))
            .cloned()
            .collect();
        keys.into_iter()
            .map(|k| {
                (
                    k.trim_end_matches("@arm64").to_string(),
                    catalog.remove(&k).unwrap(),
                )
            })
            .collect()
    };
    // arm64's table, from the same prototypes and names: the catalog of the
    // arm64 build to come, checked here so both stay complete
    let arm64 = arm64_syscalls();
    let arm64_events: Vec<Value> = arm64
        .iter()
        .map(|(nr, name)| {
            let args = event_args(name, prototypes.get(name), arm64_only.get(name).or(catalog.get(name)));
            json!({"id": nr, "name": name, "args": args.iter().map(|a| json!({"name": a.name, "type": a.ty, "kind": a.kind})).collect::<Vec<_>>()})
        })
        .collect();
    // the kernel functions' events (@function), in events.tbl's order
    let mut functions: Vec<(usize, String)> = catalog
        .iter()
        .filter(|(_, c)| c.function)
        .map(|(n, c)| (c.line, n.clone()))
        .collect();
    functions.sort();
    let functions: Vec<String> = functions.into_iter().map(|(_, n)| n).collect();
    let events = join_events(
        &syscalls,
        &prototypes,
        &btf.enum_values("tracee_event_id"),
        catalog,
    );
    // the kernel side copies these kinds only at these positions (tracee.h)
    let limits = btf.enum_values("tracee_limits");
    let limit = |n: &str| {
        limits
            .iter()
            .find(|(k, _)| k == n)
            .unwrap_or_else(|| panic!("tracee_limits has no {n}"))
            .1 as usize
    };
    for e in &events {
        // a syscall has at most six (the kernel's ABI); others carry the
        // ones past the record's args as data items (tracee.h ARG_VALUE)
        let most = if e.syscall {
            6
        } else {
            limit("MAX_EVENT_ARGS")
        };
        assert!(
            e.args.len() <= most,
            "{CATALOG}: {} declares {} arguments, at most {most} are carried",
            e.name,
            e.args.len()
        );
        // put_data() copies these kinds at these positions, for syscalls;
        // other events build their records themselves
        if !e.syscall {
            continue;
        }
        for (i, a) in e.args.iter().enumerate() {
            if a.kind == "Sockaddr" {
                // its length: the next argument, an int or an int * (tracee.h EVENT_FLAG_ADDRLEN_PTR)
                let len = e.args.get(i + 1).map(|l| l.ty.as_str());
                assert!(matches!(len, Some("int" | "int *")), "{}: sockaddr argument {i} ({}) is not followed by its length (int or int *): {len:?}", e.name, a.name);
            }
            let allowed = match a.kind {
                "StrArray" => [limit("STR_ARRAY_ARG_A"), limit("STR_ARRAY_ARG_B")],
                "Sockaddr" => [limit("SOCKADDR_ARG_A"), limit("SOCKADDR_ARG_B")],
                "Bytes" => [limit("BYTES_ARG"), limit("BYTES_ARG")],
                "Msghdr" => [limit("MSGHDR_ARG"), limit("MSGHDR_ARG")],
                _ => continue,
            };
            assert!(allowed.contains(&i), "{}: argument {i} ({}) is a {}, which bpf/tracee.h copies only at positions {allowed:?}", e.name, a.name, a.kind);
        }
    }
    let max_id = btf
        .enum_values("tracee_limits")
        .iter()
        .find(|(n, _)| n == "MAX_EVENT_ID")
        .expect("MAX_EVENT_ID")
        .1;
    for e in &events {
        // the config map is indexed by id: a larger one could never be selected
        assert!(
            u64::from(e.id) < max_id,
            "event {} has id {} >= MAX_EVENT_ID {max_id} (bpf/tracee.h)",
            e.name,
            e.id
        );
    }

    // enum tracee_known_syscall: KNOWN_<name> by value, up to KNOWN_SYSCALLS
    let mut known: Vec<(String, u64)> = btf
        .enum_values("tracee_known_syscall")
        .into_iter()
        .filter(|(n, _)| n != "KNOWN_SYSCALLS")
        .collect();
    known.sort_by_key(|(_, v)| *v);
    let known: Vec<String> = known
        .iter()
        .map(|(n, _)| {
            n.strip_prefix("KNOWN_")
                .expect("KNOWN_ prefix")
                .to_ascii_lowercase()
        })
        .collect();
    for name in &known {
        assert!(
            events.iter().any(|e| e.syscall && &e.name == name),
            "enum tracee_known_syscall: {name} is not a syscall"
        );
    }
    for e in &events {
        for s in e.after.iter().chain(&e.before).chain(&e.fallback) {
            assert!(known.contains(s), "{CATALOG}: {}: @after=/@before=/@fallback={s}: the kernel side knows no syscall {s} (enum tracee_known_syscall)", e.name);
        }
    }
    fs::write(
        out.join("catalog.rs"),
        catalog_rs(&events, &known, &functions),
    )
    .expect("write catalog.rs");
    let mut constants = constants();
    // tracee.h's own values, in the headers' [name, value] form
    constants["mem_prot_alert"] = json!(btf.enum_values("tracee_mem_prot_alert"));
    let schema = json!({
        "record": {
            "header": btf.struct_fields("event_header"),
            "headerSize": btf.struct_size("event_header"),
            "argsOffset": btf.member_offset("event", "args"),
            "argCount": btf.array_len("event", "args"),
            "dataOffset": btf.member_offset("event", "data"),
            "item": btf.struct_fields("data_item"),
            "itemSize": btf.struct_size("data_item"),
            "msghdr": btf.struct_fields("msghdr_item"),
            "msghdrSize": btf.struct_size("msghdr_item"),
        },
        "recordFlags": strip_prefix_map(&btf.enum_values("tracee_record_flags"), "RECORD_FLAG_"),
        "argKinds": strip_prefix_map(&btf.enum_values("tracee_arg_kind"), "ARG_"),
        "limits": strip_prefix_map(&btf.enum_values("tracee_limits"), ""),
        // a 32-bit enum: BTF may carry its values sign-extended
        "kernelValues": btf.enum_values("tracee_kernel_values").into_iter().map(|(n, v)| (n, v & 0xffff_ffff)).collect::<BTreeMap<_, _>>(),
        "constants": constants,
        "arm64Syscalls": arm64_events,
        "decoders": DECODERS,
        "events": events.iter().map(|e| json!({
            "id": e.id,
            "name": e.name,
            "syscall": e.syscall,
            "args": e.args.iter().map(|a| json!({"name": a.name, "type": a.ty, "kind": a.kind, "decode": a.decode})).collect::<Vec<_>>(),
            "sets": e.sets,
        })).collect::<Vec<_>>(),
    });
    fs::write(
        out.join("schema.json"),
        serde_json::to_string_pretty(&schema).unwrap(),
    )
    .expect("write schema.json");
}

/// The architectures BTFGen can minimize for: each needs the object built
/// for it (pt_regs differs), from the same source.
const ARCHES: [(&str, &str); 2] = [("x86_64", "x86"), ("arm64", "arm64")];

/// Minimizes every input BTF against the object of its architecture, packs
/// one archive per architecture and embeds the target's.
fn pack_btf_archives(target_obj: &Path, out: &Path, host_btf: &str) {
    use btfhub::pack::{self, Input, Packer};

    let target_arch =
        env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| std::env::consts::ARCH.into());
    let target_arch = btfhub::normalize_arch(&target_arch).to_string();
    let mut inputs: Vec<Input> = Vec::new();
    if let Ok(dirs) = env::var("TRACEE_BTFHUB_ARCHIVE") {
        for dir in dirs.split(':').filter(|d| !d.is_empty()) {
            println!("cargo:rerun-if-changed={dir}");
            if !Path::new(dir).is_dir() {
                panic!("TRACEE_BTFHUB_ARCHIVE: {dir} is not a directory");
            }
            inputs.extend(pack::discover(
                Path::new(dir),
                &format!("btfhub-archive {dir}"),
            ));
        }
    }
    if env::var("TRACEE_EMBED_HOST_BTF").as_deref() != Ok("0") && Path::new(host_btf).exists() {
        match btfhub::host::this_kernel() {
            Ok(key) => inputs.push(Input {
                key,
                path: host_btf.into(),
                origin: "build host".into(),
            }),
            Err(e) => println!("cargo:warning=btfhub: the build host's BTF is not embedded: {e}"),
        }
    }

    let work = out.join("btfhub");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).expect("create btfhub work dir");
    let tool = env::var("BPFTOOL").unwrap_or_else(|_| "bpftool".into());
    let mut report = String::new();
    let _ = writeln!(
        report,
        "{:<64} {:>10} {:>9}  origin",
        "kernel", "full BTF", "minimized"
    );
    let mut summaries = Vec::new();
    for (arch, clang_arch) in ARCHES {
        let arch_inputs: Vec<&Input> = inputs.iter().filter(|i| i.key.arch == arch).collect();
        if arch != target_arch && arch_inputs.is_empty() {
            continue;
        }
        // Raw BTFs first: another arch's object is built against one of them.
        let raws: Vec<PathBuf> = arch_inputs
            .iter()
            .map(|i| pack::raw_btf(i, &work).unwrap_or_else(|e| panic!("btfhub: {}: {e}", i.key)))
            .collect();
        let obj = if arch == target_arch {
            target_obj.to_path_buf()
        } else {
            build_object_for(arch, clang_arch, out)
        };
        let mut packer = Packer::default();
        let (mut full_total, mut min_total) = (0u64, 0u64);
        for (input, raw) in arch_inputs.iter().zip(&raws) {
            let full = fs::metadata(raw).map(|m| m.len()).unwrap_or(0);
            let min_path = work.join(format!(
                "{}.min.btf",
                input.key.to_string().replace('/', "_")
            ));
            let min = pack::minimize(&tool, raw, &obj, &min_path)
                .unwrap_or_else(|e| panic!("btfhub: {}: {e}", input.key));
            let _ = writeln!(
                report,
                "{:<64} {:>10} {:>9}  {}",
                input.key.to_string(),
                full,
                min.bytes.len(),
                input.origin
            );
            for missing in &min.unresolved {
                // Reported, not dropped: CO-RE existence checks may cover it;
                // if not, the load on that kernel names the same relocation.
                let _ = writeln!(report, "    lacks {missing}");
                println!("cargo:warning=btfhub: {} lacks {missing}", input.key);
            }
            for absent in &min.fallbacks {
                // an existence check said no: the object's fallback is used
                let _ = writeln!(report, "    fallback: no {absent}");
            }
            full_total += full;
            min_total += min.bytes.len() as u64;
            packer.add(input.key.clone(), min.bytes);
        }
        let archive = packer.finish(19);
        let raw = packer.raw();
        let kernels = packer.kernels().max(1) as u64;
        let embedded = if arch == target_arch {
            "embedded"
        } else {
            "built, not embedded in this target"
        };
        summaries.push(format!(
            "{arch}: {} kernels from {} inputs: full BTF {full_total} B, minimized {min_total} B in {} distinct blobs\n\
             {arch}: archive ({embedded}): {} B zstd-19, {} B per kernel; uncompressed {} B; xz -9 would be {}\n\
             {arch}: stored as Tracee does (one raw minimized .btf per kernel): {min_total} B",
            packer.kernels(),
            arch_inputs.len(),
            packer.blobs(),
            archive.len(),
            archive.len() as u64 / kernels,
            raw.len(),
            xz_size(&raw).map_or("unmeasured (no xz)".into(), |n| format!("{n} B")),
        ));
        fs::write(out.join(format!("btf-archive-{arch}.zst")), &archive).expect("write archive");
        if arch == target_arch {
            fs::write(out.join("btf-archive.zst"), &archive).expect("write btf-archive.zst");
        }
    }
    for s in summaries {
        let _ = writeln!(report, "{s}");
    }
    for line in report.lines() {
        println!("cargo:warning=btfhub: {line}");
    }
    fs::write(out.join("btf-report.txt"), report).expect("write btf-report.txt");
    let _ = fs::remove_dir_all(&work);
}

/// The same BPF source built for another architecture, only for BTFGen:
/// against the host's vmlinux.h (CO-RE relocates by name; old kernels'
/// headers lack ring buffers), with that arch's registers declared by the
/// source under TRACEE_FOREIGN_VMLINUX.
fn build_object_for(arch: &str, clang_arch: &str, out: &Path) -> PathBuf {
    let dir = out.join(format!("bpf-{arch}"));
    fs::create_dir_all(&dir).expect("create arch dir");
    let obj = dir.join("tracee.bpf.o");
    let define = format!("-D__TARGET_ARCH_{clang_arch}");
    if let Err(e) = bpf_compiler(
        &obj,
        out.as_os_str(),
        &["-DTRACEE_FOREIGN_VMLINUX", &define],
    )
    .build()
    {
        panic!("compiling {BPF_SRC} for {arch} failed: {e:#}");
    }
    obj
}

/// clang on bpf/tracee.bpf.c, CO-RE, with vmlinux.h from `vmlinux_dir`.
fn bpf_compiler(obj: &Path, vmlinux_dir: &std::ffi::OsStr, extra: &[&str]) -> SkeletonBuilder {
    let mut args: Vec<std::ffi::OsString> = vec![
        "-I".into(),
        vmlinux_dir.into(),
        "-I".into(),
        BPF_DIR.into(),
        "-DCORE".into(),
    ];
    args.extend(extra.iter().map(Into::into));
    let mut builder = SkeletonBuilder::new();
    builder.source(BPF_SRC).obj(obj).clang_args(args);
    if let Ok(clang) = env::var("CLANG") {
        builder.clang(clang);
    }
    builder
}

fn xz_size(raw: &[u8]) -> Option<usize> {
    use std::io::Write;
    let mut child = Command::new("xz")
        .args(["-9", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(raw).ok()?;
    Some(child.wait_with_output().ok()?.stdout.len())
}

fn bpftool(args: &[&str]) -> Vec<u8> {
    let tool = env::var("BPFTOOL").unwrap_or_else(|_| "bpftool".into());
    let output = Command::new(&tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool}: {e} (apt-get install bpftool, or run scripts/setup.sh)")
    });
    if !output.status.success() {
        panic!(
            "{tool} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output.stdout
}

/// The parts of bpftool's BTF JSON this build needs.
struct Btf<'a> {
    types: BTreeMap<u64, &'a Value>,
    by_name: BTreeMap<&'a str, &'a Value>,
}

impl<'a> Btf<'a> {
    fn new(doc: &'a Value) -> Self {
        let mut types = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        for t in doc["types"].as_array().expect("types") {
            types.insert(t["id"].as_u64().unwrap(), t);
            if let Some(n) = t["name"].as_str() {
                if matches!(t["kind"].as_str(), Some("STRUCT" | "ENUM")) {
                    by_name.insert(n, t);
                }
            }
        }
        Btf { types, by_name }
    }

    fn named(&self, name: &str) -> &'a Value {
        self.by_name
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in the object's BTF"))
    }

    /// Follows typedefs and qualifiers to the type that has a layout.
    fn resolve(&self, mut id: u64) -> &'a Value {
        loop {
            let t = self.types[&id];
            match t["kind"].as_str() {
                Some("TYPEDEF" | "CONST" | "VOLATILE" | "RESTRICT" | "TYPE_TAG") => {
                    id = t["type_id"].as_u64().unwrap()
                }
                _ => return t,
            }
        }
    }

    fn member(&self, st: &str, name: &str) -> &'a Value {
        self.named(st)["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{st}.{name} is not in the object's BTF"))
    }

    fn member_offset(&self, st: &str, name: &str) -> u64 {
        self.member(st, name)["bits_offset"].as_u64().unwrap() / 8
    }

    fn array_len(&self, st: &str, name: &str) -> u64 {
        let t = self.resolve(self.member(st, name)["type_id"].as_u64().unwrap());
        t["nr_elems"].as_u64().unwrap()
    }

    fn struct_size(&self, st: &str) -> u64 {
        self.named(st)["size"].as_u64().unwrap()
    }

    /// Fields of a struct of integers and char arrays: name, offset, size,
    /// and whether the integer is signed or the field a string.
    fn struct_fields(&self, st: &str) -> Vec<Value> {
        let mut fields = Vec::new();
        for m in self.named(st)["members"].as_array().unwrap() {
            let t = self.resolve(m["type_id"].as_u64().unwrap());
            let offset = m["bits_offset"].as_u64().unwrap() / 8;
            let name = m["name"].as_str().unwrap();
            let field = match t["kind"].as_str() {
                Some("INT") | Some("ENUM") => json!({
                    "name": name, "offset": offset, "size": t["size"],
                    "type": if t["encoding"] == "SIGNED" { "signed" } else { "unsigned" },
                }),
                Some("ARRAY") => {
                    let elem = self.resolve(t["type_id"].as_u64().unwrap());
                    assert_eq!(
                        elem["size"], 1,
                        "{st}.{name}: only char arrays are supported"
                    );
                    json!({"name": name, "offset": offset, "size": t["nr_elems"], "type": "string"})
                }
                k => panic!("{st}.{name}: unsupported field kind {k:?}"),
            };
            fields.push(field);
        }
        fields
    }

    fn enum_values(&self, name: &str) -> Vec<(String, u64)> {
        self.named(name)["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    v["val"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

fn strip_prefix_map(values: &[(String, u64)], prefix: &str) -> BTreeMap<String, u64> {
    values
        .iter()
        .map(|(n, v)| (n.trim_start_matches(prefix).to_string(), *v))
        .collect()
}

/// arm64's syscall numbers: its <asm/unistd.h> (Debian's
/// linux-libc-dev-arm64-cross), run through the preprocessor, which applies
/// the arch's `__ARCH_WANT_*` choices to asm-generic's table.
fn arm64_syscalls() -> Vec<(u32, String)> {
    const ARM64_UNISTD: &str = "/usr/aarch64-linux-gnu/include/asm/unistd.h";
    println!("cargo:rerun-if-changed={ARM64_UNISTD}");
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let out = Command::new(&clang)
        .args([
            "-E",
            "-dM",
            "-x",
            "c",
            "-nostdinc",
            "-I/usr/aarch64-linux-gnu/include",
            ARM64_UNISTD,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{clang}: {e}"));
    assert!(
        out.status.success(),
        "reading {ARM64_UNISTD} failed ({}); apt-get install linux-libc-dev-arm64-cross, or run scripts/setup.sh",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let mut defined = BTreeMap::new();
    let mut names = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
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
    assert!(
        names.len() > 280,
        "{ARM64_UNISTD}: only {} syscalls",
        names.len()
    );
    names
}

/// `#define __NR_openat 257` lines.
fn parse_unistd(path: &str) -> Vec<(u32, String)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read {path}: {e} (apt-get install linux-libc-dev, or set TRACEE_UNISTD_H)")
    });
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
    assert!(out.len() > 300, "{path}: only {} syscalls found", out.len());
    out.sort();
    out
}

struct ArgDef {
    name: String,
    ty: String,
    kind: &'static str,
    /// How user space shows the value (events.tbl's `name:decoder`).
    decode: Option<String>,
}

/// What events.tbl may put after an argument's name: `str` (capture a
/// non-const `char *` as a string) or how user space decodes the value,
/// with the constants of `constants()`.
const DECODERS: [&str; 14] = [
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

/// How an argument of C type `ty` is decoded: the only place that rule
/// lives. `const char *` is a string read from the task's memory; other
/// pointers (output buffers included) are addresses; `as_string` is
/// events.tbl's `:str`, for input strings the prototype does not mark const;
/// `as_address` its `:addr`, to keep a string array (envp) an address.
fn arg_kind(ty: &str, as_string: bool, as_address: bool) -> Option<&'static str> {
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
        "int"
        | "pid_t"
        | "bool"
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

/// One parameter of a prototype: its C type and, if the header names it, its name.
#[derive(Clone)]
struct Param {
    ty: String,
    name: Option<String>,
}

/// `asmlinkage long sys_NAME(params);` in include/linux/syscalls.h. A name
/// declared more than once (#ifdef variants for other architectures) maps
/// to None: events.tbl must then give its full prototype.
fn parse_prototypes(path: &str) -> BTreeMap<String, Option<Vec<Param>>> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read {path}: {e} (the kernel's syscall prototypes: run scripts/setup.sh, or btfhub/fetch-debian.sh --headers DIR and set TRACEE_SYSCALLS_H=DIR/syscalls.h)")
    });
    // comments out
    let mut code = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    code.push_str(rest);
    let mut out: BTreeMap<String, Option<Vec<Param>>> = BTreeMap::new();
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
            params.split(',').map(parse_param).collect()
        };
        match out.get_mut(&name) {
            Some(seen) => *seen = None,
            None => {
                out.insert(name, Some(params));
            }
        }
    }
    assert!(
        out.len() > 300,
        "{path}: only {} syscall prototypes found",
        out.len()
    );
    out
}

/// `const char __user *filename` → type `const char *`, name `filename`;
/// `struct sockaddr __user *` → no name.
fn parse_param(p: &str) -> Param {
    const TYPE_WORDS: [&str; 10] = [
        "int", "long", "char", "short", "unsigned", "signed", "void", "const", "struct", "union",
    ];
    let spaced = p.replace("__user", " ").replace('*', " * ");
    let mut tokens: Vec<&str> = spaced.split_whitespace().collect();
    let words = tokens
        .iter()
        .filter(|t| **t != "*" && **t != "const")
        .count();
    let last = *tokens.last().expect("empty parameter");
    let after_tag =
        tokens.len() >= 2 && matches!(tokens[tokens.len() - 2], "struct" | "union" | "enum");
    let name = (last != "*" && words > 1 && !TYPE_WORDS.contains(&last) && !after_tag).then(|| {
        tokens.pop();
        last.to_string()
    });
    Param {
        ty: tokens.join(" ").replace("* *", "**"),
        name,
    }
}

/// An argument as events.tbl gives it: a name (the type is the kernel
/// prototype's), or a full `type name` where the header has no unique
/// prototype; `:str` captures a non-const `char *` as a string.
struct TblArg {
    ty: Option<String>,
    name: String,
    as_string: bool,
    as_address: bool,
    as_bytes: bool,
    decode: Option<String>,
}

struct CatalogEntry {
    /// None: the prototype's own names, all of them.
    args: Option<Vec<TblArg>>,
    sets: Vec<String>,
    noreturn: bool,
    str_at_entry: bool,
    /// `@after=a,b`: derived in the kernel at these syscalls' exit
    after: Vec<String>,
    /// `@before=a,b`: with what these syscalls' entry saw
    before: Vec<String>,
    /// `@fallback=a,b`: derived there where its own hooks cannot run
    fallback: Vec<String>,
    /// `@function`: a kernel function's event (fentry or kprobe)
    function: bool,
    line: usize,
}

struct EventDef {
    id: u32,
    name: String,
    syscall: bool,
    args: Vec<ArgDef>,
    sets: Vec<String>,
    noreturn: bool,
    str_at_entry: bool,
    after: Vec<String>,
    before: Vec<String>,
    fallback: Vec<String>,
}

/// `name [@attr ...] [(arg, ...)] [set, ...]`
fn parse_catalog(text: &str) -> BTreeMap<String, CatalogEntry> {
    let mut out = BTreeMap::new();
    for (lineno, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |what: &str| -> ! { panic!("{CATALOG}:{}: {what}: {raw}", lineno + 1) };
        let (head, args, rest) = match (line.find('('), line.rfind(')')) {
            (Some(open), Some(close)) => (
                &line[..open],
                Some(&line[open + 1..close]),
                &line[close + 1..],
            ),
            (None, None) => {
                let sets = line.find('[').unwrap_or(line.len());
                (&line[..sets], None, &line[sets..])
            }
            _ => err("unbalanced parentheses"),
        };
        let mut head = head.split_whitespace();
        let name = head
            .next()
            .unwrap_or_else(|| err("missing name"))
            .to_string();
        let mut entry = CatalogEntry {
            args: None,
            sets: Vec::new(),
            noreturn: false,
            str_at_entry: false,
            after: Vec::new(),
            before: Vec::new(),
            fallback: Vec::new(),
            function: false,
            line: lineno + 1,
        };
        for attr in head {
            match attr {
                "@noreturn" => entry.noreturn = true,
                "@entry" => entry.str_at_entry = true,
                "@function" => entry.function = true,
                a if a.starts_with("@after=") => {
                    entry.after = a["@after=".len()..]
                        .split(',')
                        .map(str::to_string)
                        .collect()
                }
                a if a.starts_with("@before=") => {
                    entry.before = a["@before=".len()..]
                        .split(',')
                        .map(str::to_string)
                        .collect()
                }
                a if a.starts_with("@fallback=") => {
                    entry.fallback = a["@fallback=".len()..]
                        .split(',')
                        .map(str::to_string)
                        .collect()
                }
                _ => err("unknown attribute"),
            }
        }
        if let Some(args) = args {
            let mut list = Vec::new();
            for arg in args.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                let (arg, annotation) = match arg.split_once(':') {
                    Some((a, n)) => (a.trim(), Some(n.trim())),
                    None => (arg, None),
                };
                let as_string = annotation == Some("str");
                // `bytes`: a buffer's first bytes, not a string (tracee.h ARG_BYTES)
                let as_address = annotation == Some("addr");
                let as_bytes = annotation == Some("bytes");
                let decode = match annotation {
                    None | Some("str") | Some("addr") | Some("bytes") => None,
                    Some(d) if DECODERS.contains(&d) => Some(d.to_string()),
                    Some(d) => err(&format!(
                        "unknown decoder '{d}' (one of str, addr, {})",
                        DECODERS.join(", ")
                    )),
                };
                match arg.rfind([' ', '*']) {
                    Some(split) => list.push(TblArg {
                        ty: Some(arg[..split + 1].trim().to_string()),
                        name: arg[split + 1..].trim().to_string(),
                        as_string,
                        as_address,
                        as_bytes,
                        decode,
                    }),
                    None => list.push(TblArg {
                        ty: None,
                        name: arg.to_string(),
                        as_string,
                        as_address,
                        as_bytes,
                        decode,
                    }),
                }
            }
            if list.len() > 32 {
                err("more than 32 arguments");
            }
            if list.iter().any(|a| a.ty.is_some()) && list.iter().any(|a| a.ty.is_none()) {
                err("give every argument's type, or none");
            }
            entry.args = Some(list);
        }
        let rest = rest.trim();
        if let Some(sets) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            entry.sets = sets.split(',').map(|s| s.trim().to_string()).collect();
        } else if !rest.is_empty() {
            err("expected [sets] after the arguments");
        }
        if out.insert(name, entry).is_some() {
            err("event listed twice");
        }
    }
    out
}

/// An event's arguments: the prototype's types, named by events.tbl or by
/// the prototype; events.tbl's full types only where there is no prototype.
fn event_args(
    name: &str,
    proto: Option<&Option<Vec<Param>>>,
    tbl: Option<&CatalogEntry>,
) -> Vec<ArgDef> {
    let at = |what: String| -> ! {
        match tbl {
            Some(t) => panic!("{CATALOG}:{}: {name}: {what}", t.line),
            None => panic!("{CATALOG}: {name}: {what}"),
        }
    };
    let given = tbl.and_then(|t| t.args.as_ref());
    let typed = given.is_some_and(|g| g.iter().any(|a| a.ty.is_some()));
    let kind = |ty: &str, as_string: bool, as_address: bool| {
        arg_kind(ty, as_string, as_address).unwrap_or_else(|| {
            at(format!(
                "argument type '{ty}' is unknown (add it to arg_kind in build.rs)"
            ))
        })
    };
    // events.tbl's `:bytes`: a pointer's first bytes, whatever its type
    let tbl_kind = |ty: &str, g: &TblArg| -> &'static str {
        if g.as_bytes {
            if !ty.contains('*') {
                at(format!("{}:bytes: '{ty}' is not a pointer", g.name));
            }
            "Bytes"
        } else {
            kind(ty, g.as_string, g.as_address)
        }
    };
    match (proto, given) {
        (Some(Some(params)), Some(given)) if !typed => {
            if given.len() != params.len() {
                at(format!("{} names given, the kernel's prototype has {} parameters", given.len(), params.len()));
            }
            params.iter().zip(given).map(|(p, g)| ArgDef { name: g.name.clone(), ty: p.ty.clone(), kind: tbl_kind(&p.ty, g), decode: g.decode.clone() }).collect()
        }
        (Some(Some(_)), Some(_)) => at("the kernel's prototype gives the types: give names only".into()),
        (Some(Some(params)), None) => params
            .iter()
            .map(|p| {
                let name = p.name.clone().unwrap_or_else(|| at(format!("the kernel's prototype leaves a parameter of type '{}' unnamed: name them in events.tbl", p.ty)));
                ArgDef { name, ty: p.ty.clone(), kind: kind(&p.ty, false, false), decode: None }
            })
            .collect(),
        (_, Some(given)) if typed || given.is_empty() => given
            .iter()
            .map(|g| {
                let ty = g.ty.clone().expect("typed");
                ArgDef { name: g.name.clone(), kind: tbl_kind(&ty, g), ty, decode: g.decode.clone() }
            })
            .collect(),
        (Some(None), _) => at("declared more than once in the kernel's prototypes (#ifdef variants): give its full prototype".into()),
        (None, _) => at("no prototype in the kernel's headers: give its full prototype, or () for none".into()),
    }
}

fn join_events(
    syscalls: &[(u32, String)],
    prototypes: &BTreeMap<String, Option<Vec<Param>>>,
    ids: &[(String, u64)],
    mut catalog: BTreeMap<String, CatalogEntry>,
) -> Vec<EventDef> {
    let mut events = Vec::new();
    for (nr, name) in syscalls {
        let tbl = catalog.remove(name);
        let args = event_args(name, prototypes.get(name), tbl.as_ref());
        let (mut sets, noreturn, str_at_entry) = tbl.map_or((Vec::new(), false, false), |t| {
            (t.sets, t.noreturn, t.str_at_entry)
        });
        sets.push("syscalls".into());
        events.push(EventDef {
            id: *nr,
            name: name.clone(),
            syscall: true,
            args,
            sets,
            noreturn,
            str_at_entry,
            after: Vec::new(),
            before: Vec::new(),
            fallback: Vec::new(),
        });
    }
    for (constant, id) in ids {
        let name = constant
            .strip_prefix("EVENT_")
            .expect("enum tracee_event_id: EVENT_ prefix")
            .to_ascii_lowercase();
        let tbl = catalog
            .remove(&name)
            .unwrap_or_else(|| panic!("{CATALOG}: {name} (enum tracee_event_id) is missing"));
        // no kernel prototype: events.tbl is its one definition
        let args = event_args(&name, None, Some(&tbl));
        events.push(EventDef {
            id: *id as u32,
            name,
            syscall: false,
            args,
            sets: tbl.sets,
            noreturn: tbl.noreturn,
            str_at_entry: tbl.str_at_entry,
            after: tbl.after,
            before: tbl.before,
            fallback: tbl.fallback,
        });
    }
    if let Some(name) = catalog.keys().next() {
        panic!("{CATALOG}: '{name}' is neither a syscall in the unistd header nor in enum tracee_event_id");
    }
    events
}

/// Whether the event's sockaddr is as long as the int its next argument
/// points to (accept, recvfrom: written by the kernel), not that argument.
fn addrlen_ptr(e: &EventDef) -> bool {
    e.args
        .iter()
        .position(|a| a.kind == "Sockaddr")
        .and_then(|i| e.args.get(i + 1))
        .is_some_and(|l| l.ty == "int *")
}

fn catalog_rs(events: &[EventDef], known_syscalls: &[String], functions: &[String]) -> String {
    let mut s = String::from("// Generated by build.rs from bpf/events.tbl, <asm/unistd_64.h>, <linux/syscalls.h> and tracee.h.\n");
    let _ = writeln!(s, "/// enum tracee_known_syscall, by value: the syscalls the kernel side recognizes by number.\npub static KNOWN_SYSCALLS: &[&str] = &{known_syscalls:?};");
    let _ = writeln!(s, "/// events.tbl's @function events, in its order: programs tracee_<name> (fentry) and tracee_<name>_kprobe.\npub static FUNCTION_EVENTS: &[&str] = &{functions:?};");
    s.push_str("pub static EVENTS: &[EventDef] = &[\n");
    for e in events {
        let _ = write!(
            s,
            "    EventDef {{ id: {}, name: {:?}, syscall: {}, noreturn: {}, strings_at_entry: {}, addrlen_ptr: {}, after: &{:?}, before: &{:?}, fallback: &{:?}, sets: &{:?}, args: &[",
            e.id, e.name, e.syscall, e.noreturn, e.str_at_entry, addrlen_ptr(e), e.after, e.before, e.fallback, e.sets
        );
        for a in &e.args {
            let _ = write!(
                s,
                "ArgDef {{ name: {:?}, ty: {:?}, kind: ArgKind::{}, decode: {:?} }}, ",
                a.name, a.ty, a.kind, a.decode
            );
        }
        s.push_str("] },\n");
    }
    s.push_str("];\n");
    s
}

/// The kernel's (and glibc's) names for the values user space decodes:
/// errno, signals, open/mmap/clone flags, socket families and types,
/// capabilities, read from the installed headers (linux-libc-dev, libc6-dev)
/// rather than restated. Each table lists `[name, value]` in header order.
fn constants() -> Value {
    const INC: &str = "/usr/include";
    let table = |files: &[&str], prefix: &str, skip: &[&str]| -> Vec<(String, i64)> {
        let mut defined: BTreeMap<String, i64> = BTreeMap::new();
        let mut order = Vec::new();
        for f in files {
            let path = format!("{INC}/{f}");
            println!("cargo:rerun-if-changed={path}");
            let text = fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("cannot read {path}: {e} (apt-get install linux-libc-dev libc6-dev)")
            });
            for line in text.lines() {
                let line = line.split("/*").next().unwrap_or("").trim();
                // `#define NAME VALUE` or an enum's `NAME = VALUE,`
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
        order
            .into_iter()
            .filter(|n| {
                n.starts_with(prefix)
                    && !skip.contains(&n.as_str())
                    && !n[prefix.len()..].starts_with('_')
            })
            .map(|n| {
                let v = defined[&n];
                (n, v)
            })
            .collect()
    };
    let arch = "x86_64-linux-gnu";
    let signals: Vec<_> = table(
        &[&format!("{arch}/asm/signal.h")],
        "SIG",
        &["SIGRTMIN", "SIGRTMAX", "SIGSTKSZ"],
    )
    .into_iter()
    .filter(|(n, _)| {
        n[3..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
    .collect();
    json!({
        "errno": table(&["asm-generic/errno-base.h", "asm-generic/errno.h"], "E", &["EDEADLOCK", "EWOULDBLOCK"]),
        "signal": signals,
        "open_flags": table(&["asm-generic/fcntl.h"], "O_", &["O_ACCMODE", "O_NDELAY", "O_RDONLY", "O_WRONLY", "O_RDWR"]),
        "open_access": table(&["asm-generic/fcntl.h"], "O_", &[]).into_iter().filter(|(n, _)| matches!(n.as_str(), "O_RDONLY" | "O_WRONLY" | "O_RDWR")).collect::<Vec<_>>(),
        "at_fdcwd": table(&["linux/fcntl.h"], "AT_FDCWD", &[]),
        // the masks that split a value into a kind and flags (left out of the tables above)
        "o_accmode": table(&["asm-generic/fcntl.h"], "O_ACCMODE", &[]),
        "map_type_mask": table(&["asm-generic/mman-common.h"], "MAP_TYPE", &[]),
        "csignal": table(&["linux/sched.h"], "CSIGNAL", &[]),
        "prot": table(&["asm-generic/mman-common.h"], "PROT_", &["PROT_NONE"]),
        "map_type": table(&["linux/mman.h"], "MAP_", &["MAP_HUGE_SHIFT", "MAP_HUGE_MASK"]).into_iter().filter(|(n, _)| n.starts_with("MAP_SHARED") || n == "MAP_PRIVATE").collect::<Vec<_>>(),
        "map_flags": table(&["asm-generic/mman-common.h", "asm-generic/mman.h", &format!("{arch}/asm/mman.h")], "MAP_", &["MAP_TYPE", "MAP_FILE", "MAP_UNINITIALIZED"]),
        "clone_flags": table(&["linux/sched.h"], "CLONE_", &["CLONE_ARGS_SIZE_VER0", "CLONE_ARGS_SIZE_VER1", "CLONE_ARGS_SIZE_VER2"]),
        "socket_family": table(&[&format!("{arch}/bits/socket.h")], "AF_", &["AF_MAX", "AF_FILE", "AF_LOCAL", "AF_ROUTE"]),
        "socket_type": table(&[&format!("{arch}/bits/socket_type.h")], "SOCK_", &[]),
        "capability": table(&["linux/capability.h"], "CAP_", &["CAP_LAST_CAP"]),
        // the file types of an inode's mode (S_IFMT's values)
        "file_type": table(&["linux/stat.h"], "S_IF", &["S_IFMT"]),
        // requests only: not the options (PTRACE_O_*), events or info kinds
        "ptrace_request": table(&["linux/ptrace.h", &format!("{arch}/asm/ptrace-abi.h")], "PTRACE_", &["PTRACE_EVENTMSG_SYSCALL_ENTRY", "PTRACE_EVENTMSG_SYSCALL_EXIT", "PTRACE_PEEKSIGINFO_SHARED"])
            .into_iter()
            .filter(|(n, _)| !["PTRACE_O_", "PTRACE_EVENT_", "PTRACE_SYSCALL_INFO_", "PTRACE_SYSEMU_"].iter().any(|p| n.starts_with(p)) || n == "PTRACE_SYSEMU_SINGLESTEP")
            .collect::<Vec<_>>(),
    })
}

/// A #define's value: a number (decimal, octal, hex), a name defined
/// before, or an OR / parenthesized / negated form of those.
fn eval_constant(text: &str, defined: &BTreeMap<String, i64>) -> Option<i64> {
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
