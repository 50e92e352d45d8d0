//! Builds the eBPF object and derives everything user space needs from it.
//!
//! 0. From `bpf/events.tbl` alone (tracee-codegen `hooks`): `events.gen.h`
//!    (event ids, known syscalls), `derived.gen.h` (the derived events'
//!    flags and dispatch), `functions.gen.h` (the kernel functions'
//!    programs), included by bpf/, and `derive_flags.rs` for the loader.
//! 1. `vmlinux.h` from the pinned kernel BTF (`scripts/fetch-inputs.sh`
//!    puts it in `.cache/inputs/`; `bpftool btf dump`), never from the build
//!    host's kernel: two machines build the same object from one commit.
//! 2. `tracee.bpf.o` and its Rust skeleton (libbpf-cargo), CO-RE (`-DCORE`);
//!    also `scope_test.bpf.o`'s, for tests/scope.rs.
//! 3. The embedded archive of minimized BTFs (the btfhub crate).
//! 4. The event catalog (`catalog.rs`) and the schema (`schema.json`, which
//!    the TypeScript decoder is generated from), made by the tracee-codegen
//!    crate from the object's BTF (the record layout and tracee.h's enums),
//!    `<asm/unistd_64.h>` and arm64's `<asm/unistd.h>` (syscall numbers),
//!    the kernel's syscall prototypes (`include/linux/syscalls.h`),
//!    `bpf/events.tbl` and the headers' decoding constants. The headers are
//!    Debian's packages pinned in `inputs.lock`, which
//!    `scripts/fetch-inputs.sh` extracts into `.cache/inputs/`, never this
//!    host's `/usr/include`. This file only reads those inputs and writes
//!    the outputs.
//!
//! Nothing generated here is committed.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use libbpf_cargo::SkeletonBuilder;
use tracee_codegen::{btf::Btf, constants, events_tbl::Catalog, hooks, prototypes, unistd, Inputs};

const BPF_DIR: &str = "../../bpf";
const BPF_SRC: &str = "../../bpf/tracee.bpf.c";
const BPF_HEADER: &str = "../../bpf/tracee.h";
/// in_scope() on its own, run by tests/scope.rs
const SCOPE_TEST_SRC: &str = "../../bpf/tests/scope_test.bpf.c";
const CATALOG: &str = "../../bpf/events.tbl";
/// The kernel types the object is compiled against: pinned, fetched by
/// scripts/fetch-inputs.sh (TRACEE_VMLINUX_BTF overrides it).
const PINNED_VMLINUX_BTF: &str = "../../.cache/inputs/vmlinux.btf";
/// This host's kernel BTF: embedded only on request (TRACEE_EMBED_HOST_BTF=1).
const HOST_BTF: &str = "/sys/kernel/btf/vmlinux";
/// The pinned Debian headers (inputs.lock), as scripts/fetch-inputs.sh
/// extracts them: each package in a directory of its name.
const UNISTD_H: &str =
    "../../.cache/inputs/linux-libc-dev/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
const SYSCALLS_H: &str = "../../.cache/inputs/syscalls.h";
const ARM64_INCLUDE: &str =
    "../../.cache/inputs/linux-libc-dev-arm64-cross/usr/aarch64-linux-gnu/include";
/// Where [`constants::header_files`] are, searched in order (the kernel's
/// UAPI headers, then glibc's), as `/usr/include` holds both.
const INCLUDE: [&str; 2] = [
    "../../.cache/inputs/linux-libc-dev/usr/include",
    "../../.cache/inputs/libc6-dev/usr/include",
];
/// How to get the pinned headers.
const FETCH: &str = "run scripts/fetch-inputs.sh (or scripts/setup.sh)";

fn main() {
    // the whole tree: its files include each other
    for f in [BPF_DIR, BPF_SRC, BPF_HEADER, CATALOG] {
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

    // each event's identity and hook, from events.tbl alone: the C the
    // object is compiled with, and the loader's derive flags
    let catalog = Catalog::parse(
        CATALOG,
        &read(CATALOG, "the event catalog, in the source tree"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let generated_c = [
        (
            "events.gen.h",
            hooks::events_h(&catalog).unwrap_or_else(|e| panic!("{e}")),
        ),
        ("derived.gen.h", hooks::derived_h(&catalog)),
        (
            "functions.gen.h",
            hooks::functions_h(&catalog).unwrap_or_else(|e| panic!("{e}")),
        ),
    ];
    for (name, text) in &generated_c {
        fs::write(out.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }
    fs::write(
        out.join("derive_flags.rs"),
        hooks::derive_flags_rs(&catalog),
    )
    .expect("write derive_flags.rs");
    let mut sources = bpf_sources();
    for (_, text) in &generated_c {
        sources.push('\n');
        sources.push_str(text);
    }

    let vmlinux_btf = env::var("TRACEE_VMLINUX_BTF").unwrap_or_else(|_| PINNED_VMLINUX_BTF.into());
    println!("cargo:rerun-if-changed={vmlinux_btf}");
    if !Path::new(&vmlinux_btf).is_file() {
        panic!("{vmlinux_btf}: the pinned kernel types are missing; run scripts/fetch-inputs.sh (or scripts/setup.sh)");
    }
    let kernel_h = String::from_utf8(bpftool(&[
        "btf",
        "dump",
        "file",
        &vmlinux_btf,
        "format",
        "c",
    ]))
    .expect("bpftool's C dump is text");
    fs::write(
        out.join("vmlinux.h"),
        tracee_codegen::vmlinux::wrapper(&kernel_h, &sources),
    )
    .expect("write vmlinux.h");
    fs::write(out.join("vmlinux-kernel.h"), kernel_h).expect("write vmlinux-kernel.h");

    let obj = out.join("tracee.bpf.o");
    if let Err(e) = bpf_compiler(&obj, out.as_os_str(), &["-Wall"])
        .build_and_generate(out.join("tracee.skel.rs"))
    {
        panic!("compiling {BPF_SRC} failed: {e:#}\n(needs clang >= 14: apt-get install clang, or run scripts/setup.sh)");
    }
    if let Err(e) = bpf_compiler(&out.join("scope_test.bpf.o"), out.as_os_str(), &["-Wall"])
        .source(SCOPE_TEST_SRC)
        .build_and_generate(out.join("scope_test.skel.rs"))
    {
        panic!("compiling {SCOPE_TEST_SRC} failed: {e:#}");
    }

    pack_btf_archives(&obj, &out);

    generate_catalog(&obj, &out, catalog);
}

/// `catalog.rs` and `schema.json`: the inputs read, tracee-codegen joins them.
fn generate_catalog(obj: &Path, out: &Path, catalog: Catalog) {
    let btf = Btf::from_json(&bpftool(&[
        "-j",
        "btf",
        "dump",
        "file",
        obj.to_str().unwrap(),
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    let unistd_h = env_or("TRACEE_UNISTD_H", UNISTD_H);
    let syscalls = unistd::parse_unistd_64(&read(&unistd_h, FETCH));
    // too few: not the file meant
    assert!(
        syscalls.len() > 300,
        "{unistd_h}: only {} syscalls found",
        syscalls.len()
    );
    let arm64_syscalls = unistd::parse_unistd_defines(&arm64_unistd_defines());
    assert!(
        arm64_syscalls.len() > 280,
        "{ARM64_INCLUDE}/asm/unistd.h: only {} syscalls",
        arm64_syscalls.len()
    );
    let syscalls_h = env_or("TRACEE_SYSCALLS_H", SYSCALLS_H);
    let prototypes = prototypes::parse_prototypes(&read(&syscalls_h, FETCH))
        .unwrap_or_else(|e| panic!("{syscalls_h}: {e}"));
    assert!(
        prototypes.len() > 300,
        "{syscalls_h}: only {} syscall prototypes found",
        prototypes.len()
    );
    let headers: BTreeMap<&str, String> = constants::header_files()
        .into_iter()
        .map(|f| {
            let path = INCLUDE
                .iter()
                .map(|dir| format!("{dir}/{f}"))
                .find(|p| Path::new(p).is_file())
                .unwrap_or_else(|| panic!("{f} is in none of {INCLUDE:?}; {FETCH}"));
            (f, read(&path, FETCH))
        })
        .collect();
    let generated = tracee_codegen::generate(Inputs {
        btf: &btf,
        syscalls: &syscalls,
        arm64_syscalls: &arm64_syscalls,
        prototypes: &prototypes,
        catalog,
        headers: &headers,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    fs::write(out.join("catalog.rs"), generated.catalog_rs).expect("write catalog.rs");
    fs::write(out.join("schema.json"), generated.schema_json).expect("write schema.json");
}

/// The text of every C source and header under bpf/ (the names they
/// define, for [`tracee_codegen::vmlinux::wrapper`]), in path order.
fn bpf_sources() -> String {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("bpf/ entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("c" | "h")) {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(BPF_DIR), &mut files);
    files.sort();
    files
        .iter()
        .map(|f| fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The path in environment variable `var` (an override), else `default`.
fn env_or(var: &str, default: &str) -> String {
    env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.into())
}

/// An input file's text, watched by cargo; `hint` says how to get it.
fn read(path: &str, hint: &str) -> String {
    println!("cargo:rerun-if-changed={path}");
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e} ({hint})"))
}

/// arm64's syscall numbers as its `<asm/unistd.h>` (Debian's
/// linux-libc-dev-arm64-cross, pinned) defines them: the preprocessor's
/// `#define`s, with the arch's `__ARCH_WANT_*` choices applied to
/// asm-generic's table.
fn arm64_unistd_defines() -> String {
    // the headers it includes are in the same directory, extracted together
    println!("cargo:rerun-if-changed={ARM64_INCLUDE}");
    let unistd = format!("{ARM64_INCLUDE}/asm/unistd.h");
    if !Path::new(&unistd).is_file() {
        panic!("{unistd} is missing; {FETCH}");
    }
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let out = Command::new(&clang)
        .args([
            "-E",
            "-dM",
            "-x",
            "c",
            "-nostdinc",
            &format!("-I{ARM64_INCLUDE}"),
            &unistd,
        ])
        .output()
        .unwrap_or_else(|e| panic!("{clang}: {e}"));
    assert!(
        out.status.success(),
        "reading {unistd} failed ({}); {FETCH}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The architectures BTFGen can minimize for: each needs the object built
/// for it (pt_regs differs), from the same source.
const ARCHES: [(&str, &str); 2] = [("x86_64", "x86"), ("arm64", "arm64")];

/// Minimizes every input BTF against the object of its architecture, packs
/// one archive per architecture and embeds the target's.
fn pack_btf_archives(target_obj: &Path, out: &Path) {
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
    // for local work only (a kernel without a btfhub entry, such as this
    // project's machines', tested with its BTF hidden): a prebuilt binary
    // must not depend on the machine that built it
    if env::var("TRACEE_EMBED_HOST_BTF").as_deref() == Ok("1") {
        if !Path::new(HOST_BTF).exists() {
            panic!("TRACEE_EMBED_HOST_BTF=1, but this host has no {HOST_BTF}");
        }
        match btfhub::host::this_kernel() {
            Ok(key) => inputs.push(Input {
                key,
                path: HOST_BTF.into(),
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
/// against the same vmlinux.h (CO-RE relocates by name; old kernels'
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

/// clang on bpf/tracee.bpf.c, CO-RE, with vmlinux.h from `vmlinux_dir`
/// (a system directory: the kernel's header is not ours to warn about).
/// The compilation directory is recorded as `.`, so the object's line
/// info names `../../bpf/...` wherever the tree is, and OUT_DIR as `OUT_DIR`.
fn bpf_compiler(obj: &Path, vmlinux_dir: &std::ffi::OsStr, extra: &[&str]) -> SkeletonBuilder {
    let mut args: Vec<std::ffi::OsString> = vec![
        "-isystem".into(),
        vmlinux_dir.into(),
        "-I".into(),
        BPF_DIR.into(),
        "-DCORE".into(),
        "-fdebug-compilation-dir=.".into(),
    ];
    // the generated headers there (events.gen.h, derived.gen.h, ...) hold
    // functions too: their line info names OUT_DIR, which differs per tree
    let mut map = std::ffi::OsString::from("-ffile-prefix-map=");
    map.push(vmlinux_dir);
    map.push("=OUT_DIR");
    args.push(map);
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
