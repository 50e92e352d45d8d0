//! Minimized BTFs for kernels that ship without BTF, and how they are found.
//!
//! A kernel is named by a [`KernelKey`] (os-release ID and VERSION_ID, arch,
//! `uname -r`), as in btfhub-archive's layout
//! `<id>/<version>/<arch>/<release>.btf.tar.xz`. The [`Archive`] maps keys
//! to BTF blobs; identical blobs are stored once and the whole archive is
//! zstd-compressed. The build side (feature `pack`) writes it; tracee-core
//! embeds it and reads it here.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

pub mod host;
pub mod libbpf_log;
#[cfg(feature = "pack")]
pub mod pack;

/// Which kernel a BTF describes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelKey {
    pub os_id: String,
    pub version_id: String,
    /// Normalized: `x86_64` or `arm64` (see [`normalize_arch`]).
    pub arch: String,
    pub release: String,
}

impl KernelKey {
    pub fn new(os_id: &str, version_id: &str, arch: &str, release: &str) -> Self {
        KernelKey {
            os_id: os_id.to_string(),
            version_id: version_id.to_string(),
            arch: normalize_arch(arch).to_string(),
            release: release.to_string(),
        }
    }

    /// Parses `id/version/arch/release`.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(4, '/');
        let (id, version, arch, release) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if [id, version, arch, release].iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(KernelKey::new(id, version, arch, release))
    }
}

impl fmt::Display for KernelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.os_id, self.version_id, self.arch, self.release
        )
    }
}

/// One name per architecture, whichever spelling the source used
/// (`uname -m` says aarch64, btfhub-archive and Debian say arm64/amd64).
pub fn normalize_arch(arch: &str) -> &str {
    match arch {
        "x86_64" | "amd64" | "x86-64" => "x86_64",
        "aarch64" | "arm64" => "arm64",
        other => other,
    }
}

const MAGIC: &[u8; 8] = b"TRBTFAR1";

/// Why an archive could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveError(pub String);

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corrupt BTF archive: {}", self.0)
    }
}

impl std::error::Error for ArchiveError {}

/// A decompressed archive: kernel keys and the blob each one uses.
#[derive(Debug, Default, Clone)]
pub struct Archive {
    entries: BTreeMap<KernelKey, usize>,
    blobs: Vec<Vec<u8>>,
}

impl Archive {
    /// Reads a compressed archive (as written by [`pack::Packer`]).
    pub fn parse(compressed: &[u8]) -> Result<Archive, ArchiveError> {
        if compressed.is_empty() {
            return Ok(Archive::default());
        }
        let mut raw = Vec::new();
        ruzstd::decoding::StreamingDecoder::new(compressed)
            .map_err(|e| ArchiveError(format!("zstd: {e}")))?
            .read_to_end(&mut raw)
            .map_err(|e| ArchiveError(format!("zstd: {e}")))?;
        Self::parse_raw(&raw)
    }

    fn parse_raw(raw: &[u8]) -> Result<Archive, ArchiveError> {
        let mut r = Reader { buf: raw, pos: 0 };
        if r.take(8)? != MAGIC {
            return Err(ArchiveError("bad magic".into()));
        }
        let n_entries = r.u32()? as usize;
        let n_blobs = r.u32()? as usize;
        let mut entries = BTreeMap::new();
        for _ in 0..n_entries {
            let len = r.u32()? as usize;
            let key = std::str::from_utf8(r.take(len)?)
                .map_err(|_| ArchiveError("key is not UTF-8".into()))?;
            let key =
                KernelKey::parse(key).ok_or_else(|| ArchiveError(format!("bad key {key:?}")))?;
            let blob = r.u32()? as usize;
            if blob >= n_blobs {
                return Err(ArchiveError(format!("{key}: blob {blob} of {n_blobs}")));
            }
            entries.insert(key, blob);
        }
        let mut blobs = Vec::with_capacity(n_blobs);
        for _ in 0..n_blobs {
            let len = r.u32()? as usize;
            blobs.push(r.take(len)?.to_vec());
        }
        if r.pos != raw.len() {
            return Err(ArchiveError("trailing bytes".into()));
        }
        Ok(Archive { entries, blobs })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Distinct BTF blobs (kernels that minimize to the same bytes share one).
    pub fn blob_count(&self) -> usize {
        self.blobs.len()
    }

    pub fn keys(&self) -> impl Iterator<Item = &KernelKey> {
        self.entries.keys()
    }

    pub fn get(&self, key: &KernelKey) -> Option<&[u8]> {
        self.entries.get(key).map(|&i| self.blobs[i].as_slice())
    }

    /// The embedded keys nearest to `key`: same arch first, then same
    /// distribution, same version, and the longest common release prefix.
    pub fn closest(&self, key: &KernelKey, n: usize) -> Vec<&KernelKey> {
        let common =
            |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let mut scored: Vec<_> = self
            .entries
            .keys()
            .map(|k| {
                let score = (
                    k.arch == key.arch,
                    k.os_id == key.os_id,
                    k.version_id == key.version_id,
                    common(&k.release, &key.release),
                );
                (std::cmp::Reverse(score), k)
            })
            .collect();
        scored.sort();
        scored.into_iter().take(n).map(|(_, k)| k).collect()
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ArchiveError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| ArchiveError(format!("cut short at byte {}", self.pos)))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, ArchiveError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
}

#[cfg_attr(not(any(feature = "pack", test)), allow(dead_code))]
/// Serializes entries and blobs (uncompressed); the writer side of
/// [`Archive::parse_raw`], kept beside it so the format lives in one file.
fn write_raw(entries: &BTreeMap<KernelKey, usize>, blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend((entries.len() as u32).to_le_bytes());
    out.extend((blobs.len() as u32).to_le_bytes());
    for (key, blob) in entries {
        let k = key.to_string();
        out.extend((k.len() as u32).to_le_bytes());
        out.extend(k.as_bytes());
        out.extend((*blob as u32).to_le_bytes());
    }
    for b in blobs {
        out.extend((b.len() as u32).to_le_bytes());
        out.extend(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names_normalize() {
        assert_eq!(normalize_arch("amd64"), "x86_64");
        assert_eq!(normalize_arch("x86_64"), "x86_64");
        assert_eq!(normalize_arch("aarch64"), "arm64");
        assert_eq!(normalize_arch("arm64"), "arm64");
        assert_eq!(
            KernelKey::new("centos", "8", "aarch64", "4.18.0").arch,
            "arm64"
        );
    }

    #[test]
    fn keys_round_trip() {
        let k = KernelKey::parse("centos/8/x86_64/4.18.0-147.el8.x86_64").unwrap();
        assert_eq!(k.release, "4.18.0-147.el8.x86_64");
        assert_eq!(KernelKey::parse(&k.to_string()), Some(k));
        assert_eq!(KernelKey::parse("centos/8/x86_64"), None);
        assert_eq!(KernelKey::parse("centos//x86_64/r"), None);
    }

    fn sample() -> Archive {
        let mut entries = BTreeMap::new();
        entries.insert(
            KernelKey::new("centos", "8", "x86_64", "4.18.0-147.el8.x86_64"),
            0,
        );
        entries.insert(
            KernelKey::new("centos", "8", "x86_64", "4.18.0-240.el8.x86_64"),
            0,
        );
        entries.insert(
            KernelKey::new("debian", "12", "x86_64", "6.1.0-18-amd64"),
            1,
        );
        entries.insert(
            KernelKey::new("kylin", "V10", "arm64", "4.19.90-24.4.v2101.ky10.aarch64"),
            1,
        );
        let raw = write_raw(&entries, &[b"blob-a".to_vec(), b"blob-b".to_vec()]);
        Archive::parse_raw(&raw).unwrap()
    }

    #[test]
    fn raw_archives_round_trip_and_share_blobs() {
        let a = sample();
        assert_eq!(a.len(), 4);
        assert_eq!(a.blob_count(), 2);
        assert_eq!(
            a.get(&KernelKey::new(
                "centos",
                "8",
                "amd64",
                "4.18.0-240.el8.x86_64"
            )),
            Some(&b"blob-a"[..])
        );
        assert_eq!(
            a.get(&KernelKey::new(
                "centos",
                "8",
                "x86_64",
                "4.18.0-1.el8.x86_64"
            )),
            None
        );
    }

    #[test]
    fn closest_keys_prefer_same_arch_distribution_and_release() {
        let a = sample();
        let want = KernelKey::new("centos", "8", "x86_64", "4.18.0-193.el8.x86_64");
        let near: Vec<String> = a.closest(&want, 2).iter().map(|k| k.to_string()).collect();
        assert_eq!(
            near,
            [
                "centos/8/x86_64/4.18.0-147.el8.x86_64",
                "centos/8/x86_64/4.18.0-240.el8.x86_64"
            ]
        );
    }

    #[test]
    fn corrupt_archives_are_errors_not_panics() {
        let mut entries = BTreeMap::new();
        entries.insert(KernelKey::new("a", "1", "x86_64", "r"), 0);
        let raw = write_raw(&entries, &[b"x".to_vec()]);
        for cut in 0..raw.len() {
            assert!(Archive::parse_raw(&raw[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = raw.clone();
        bad[0] = b'X';
        assert_eq!(Archive::parse_raw(&bad).unwrap_err().0, "bad magic");
        assert!(Archive::parse(b"not zstd at all").is_err());
        assert!(Archive::parse(&[]).unwrap().is_empty());
    }
}
