//! Build side: find inputs, minimize them against the BPF object with
//! BTFGen (`bpftool gen min_core_btf`), deduplicate and compress.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::libbpf_log::Log;
use crate::{write_raw, KernelKey};

/// A full BTF to minimize, and where it came from.
#[derive(Debug, Clone)]
pub struct Input {
    pub key: KernelKey,
    /// A `.btf.tar.xz` (btfhub-archive) or a raw BTF file.
    pub path: PathBuf,
    pub origin: String,
}

/// Every `<id>/<version>/<arch>/<release>.btf.tar.xz` under `root`.
pub fn discover(root: &Path, origin: &str) -> Vec<Input> {
    let mut out = Vec::new();
    let dirs = |p: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        v.sort();
        v
    };
    for id in dirs(root) {
        for version in dirs(&id) {
            for arch in dirs(&version) {
                let mut files: Vec<PathBuf> = std::fs::read_dir(&arch)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .collect();
                files.sort();
                for f in files {
                    let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    let Some(release) = name.strip_suffix(".btf.tar.xz") else {
                        continue;
                    };
                    let part = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
                    out.push(Input {
                        key: KernelKey::new(&part(&id), &part(&version), &part(&arch), release),
                        path: f.clone(),
                        origin: origin.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// The raw BTF of an input: extracted into `workdir` if it is an archive.
pub fn raw_btf(input: &Input, workdir: &Path) -> Result<PathBuf, String> {
    if !input.path.to_string_lossy().ends_with(".tar.xz") {
        return Ok(input.path.clone());
    }
    let dir = workdir.join(input.key.to_string().replace('/', "_"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let status = Command::new("tar")
        .arg("-xJf")
        .arg(&input.path)
        .arg("-C")
        .arg(&dir)
        .status()
        .map_err(|e| format!("tar: {e} (apt-get install tar xz-utils)"))?;
    if !status.success() {
        return Err(format!("{}: not a readable .tar.xz", input.path.display()));
    }
    let btf = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "btf"))
        .ok_or_else(|| format!("{}: no .btf file inside", input.path.display()))?;
    Ok(btf)
}

/// A minimized BTF, and what the object needs that the kernel lacks.
#[derive(Debug, Clone)]
pub struct Minimized {
    pub bytes: Vec<u8>,
    /// `program: type.field` for each CO-RE relocation with no match: a
    /// program that reads it cannot load on that kernel.
    pub unresolved: Vec<String>,
    /// What existence checks (`bpf_core_*_exists`) found absent: the object
    /// takes its fallback there; listed once per thing, not per program.
    pub fallbacks: Vec<String>,
}

/// BTFGen: keeps only the types and fields the object's CO-RE relocations use.
pub fn minimize(bpftool: &str, btf: &Path, object: &Path, out: &Path) -> Result<Minimized, String> {
    let output = Command::new(bpftool)
        .args(["-d", "gen", "min_core_btf"])
        .arg(btf)
        .arg(out)
        .arg(object)
        .output()
        .map_err(|e| format!("{bpftool}: {e} (apt-get install bpftool)"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        return Err(format!(
            "bpftool gen min_core_btf failed: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ));
    }
    let bytes = std::fs::read(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let (unresolved, fallbacks) = unresolved_relocations(&log);
    Ok(Minimized {
        bytes,
        unresolved,
        fallbacks,
    })
}

/// What BTFGen's log (libbpf's, debug level) says the kernel lacks: each
/// relocation with no match ([`Log::unmatched`]) is a read that fails
/// (`program: type.field`), or, for an existence check
/// (`bpf_core_*_exists`), a thing absent, where the object takes its
/// fallback. A read is not missing where an existence check on it, or on
/// the field that holds it, said no (`struct T.f` absent covers `struct
/// T.f.g`). Programs are named by their section here, which several may
/// share.
fn unresolved_relocations(log: &str) -> (Vec<String>, Vec<String>) {
    let mut missing = BTreeSet::new();
    let mut absent = BTreeSet::new();
    for u in Log::new(log).unmatched() {
        match u.relocation {
            Some(r) if r.is_existence_check() => {
                absent.insert(r.target.to_string());
            }
            Some(r) => {
                missing.insert(format!("{}: {}", u.program, r.target));
            }
            None => {
                missing.insert(format!("{}: relocation #{}", u.program, u.index));
            }
        }
    }
    let guarded = |thing: &str| {
        absent.iter().any(|a| {
            thing == a
                || thing
                    .strip_prefix(a.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    };
    let missing = missing
        .into_iter()
        .filter(|m| !guarded(m.split_once(": ").map_or(m.as_str(), |(_, t)| t)))
        .collect();
    (missing, absent.into_iter().collect())
}

/// Collects minimized BTFs; identical ones are stored once.
#[derive(Default)]
pub struct Packer {
    entries: BTreeMap<KernelKey, usize>,
    blobs: Vec<Vec<u8>>,
    by_content: HashMap<Vec<u8>, usize>,
}

impl Packer {
    pub fn add(&mut self, key: KernelKey, btf: Vec<u8>) {
        let next = self.blobs.len();
        let index = *self.by_content.entry(btf.clone()).or_insert(next);
        if index == next {
            self.blobs.push(btf);
        }
        self.entries.insert(key, index);
    }

    pub fn kernels(&self) -> usize {
        self.entries.len()
    }

    pub fn blobs(&self) -> usize {
        self.blobs.len()
    }

    /// The uncompressed archive.
    pub fn raw(&self) -> Vec<u8> {
        write_raw(&self.entries, &self.blobs)
    }

    /// The archive, zstd-compressed at `level` (what tracee-core embeds).
    pub fn finish(&self, level: i32) -> Vec<u8> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        zstd::encode_all(&self.raw()[..], level).expect("zstd compression of an in-memory buffer")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Archive;

    #[test]
    fn relocation_log_names_what_is_missing() {
        let log = "libbpf: prog 'raw_tracepoint/sys_enter': relo #25: <byte_off> [65] struct pt_regs.di (0:14 @ offset 112)\n\
                   libbpf: prog 'raw_tracepoint/sys_enter': relo #25: no matching targets found\n\
                   libbpf: prog 'raw_tracepoint/sys_enter': relo #26: <byte_off> [65] struct pt_regs.si (0:13 @ offset 104)\n\
                   libbpf: prog 'raw_tracepoint/sys_enter': relo #26: matching candidate #0 <byte_off> [5] struct pt_regs.si\n";
        assert_eq!(
            unresolved_relocations(log).0,
            ["raw_tracepoint/sys_enter: struct pt_regs.di"]
        );
        let exists = "libbpf: prog 'a': relo #3: <enumval_exists> [9] enum bpf_func_id::BPF_FUNC_ktime_get_boot_ns = 125\n\
                      libbpf: prog 'a': relo #3: no matching targets found\n\
                      libbpf: prog 'b': relo #1: <enumval_exists> [9] enum bpf_func_id::BPF_FUNC_ktime_get_boot_ns = 125\n\
                      libbpf: prog 'b': relo #1: no matching targets found\n";
        let (missing, absent) = unresolved_relocations(exists);
        assert!(missing.is_empty());
        assert_eq!(
            absent,
            ["enum bpf_func_id::BPF_FUNC_ktime_get_boot_ns = 125"]
        );
        // reads behind an existence check that said no are the fallback, not missing;
        // two programs of one section number their relocations alike
        let guarded = "libbpf: prog 's': relo #1: <field_exists> [5] struct inode___x.__i_ctime (0:0 @ offset 0)\n\
                       libbpf: prog 's': relo #1: no matching targets found\n\
                       libbpf: prog 's': relo #2: <byte_off> [5] struct inode___x.__i_ctime.tv_sec (0:0:0 @ offset 0)\n\
                       libbpf: prog 's': relo #2: no matching targets found\n\
                       libbpf: prog 's': relo #2: <byte_off> [7] struct file.f_mode (0:3 @ offset 8)\n\
                       libbpf: prog 's': relo #2: no matching targets found\n\
                       libbpf: prog 's': relo #3: <byte_off> [5] struct inode___x.__i_ctimes (0:1 @ offset 8)\n\
                       libbpf: prog 's': relo #3: no matching targets found\n";
        let (missing, absent) = unresolved_relocations(guarded);
        assert_eq!(
            missing,
            ["s: struct file.f_mode", "s: struct inode___x.__i_ctimes"]
        );
        assert_eq!(absent, ["struct inode___x.__i_ctime"]);
    }

    #[test]
    fn a_real_btfgen_log_reports_the_fallbacks_taken() {
        // tracee.bpf.o on a 4.19 kernel: the ctime reads are each guarded
        // by an existence check, so nothing is missing
        let (missing, absent) = unresolved_relocations(crate::libbpf_log::tests::BTFGEN_TRACEE);
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(
            absent,
            [
                "struct inode.i_ctime_nsec",
                "struct inode.i_ctime_sec",
                "struct inode___dunder_i_ctime.__i_ctime",
            ]
        );
    }

    #[test]
    fn packer_deduplicates_and_round_trips() {
        let mut p = Packer::default();
        p.add(
            KernelKey::new("centos", "8", "x86_64", "a"),
            b"same".to_vec(),
        );
        p.add(
            KernelKey::new("centos", "8", "x86_64", "b"),
            b"same".to_vec(),
        );
        p.add(
            KernelKey::new("debian", "12", "amd64", "c"),
            b"other".to_vec(),
        );
        assert_eq!((p.kernels(), p.blobs()), (3, 2));
        let a = Archive::parse(&p.finish(19)).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a.blob_count(), 2);
        assert_eq!(
            a.get(&KernelKey::new("centos", "8", "x86_64", "b")),
            Some(&b"same"[..])
        );
        assert_eq!(
            a.get(&KernelKey::new("debian", "12", "x86_64", "c")),
            Some(&b"other"[..])
        );
    }
}
