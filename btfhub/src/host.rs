//! Which kernel is this? os-release ID and VERSION_ID, `uname -r` and the
//! machine, as a [`KernelKey`]. Used at build time (to file the build
//! host's own BTF) and at run time (to look the kernel up).

use std::path::Path;

use crate::KernelKey;

/// The os-release fields a kernel key needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    pub id: Option<String>,
    pub version_id: Option<String>,
    pub version_codename: Option<String>,
}

/// Parses os-release(5): `KEY=value`, values optionally quoted with `"` or
/// `'` and backslash-escaped; comments and blank lines ignored.
pub fn parse_os_release(text: &str) -> OsRelease {
    let mut out = OsRelease::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = if v.len() >= 2
            && (v.starts_with('"') && v.ends_with('"') || v.starts_with('\'') && v.ends_with('\''))
        {
            &v[1..v.len() - 1]
        } else {
            v
        };
        let mut value = String::new();
        let mut chars = v.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                value.extend(chars.next());
            } else {
                value.push(c);
            }
        }
        let slot = match k.trim() {
            "ID" => &mut out.id,
            "VERSION_ID" => &mut out.version_id,
            "VERSION_CODENAME" => &mut out.version_codename,
            _ => continue,
        };
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    out
}

/// `/etc/os-release`, then `/usr/lib/os-release`, under `root`.
pub fn read_os_release(root: &Path) -> Result<OsRelease, String> {
    for p in ["etc/os-release", "usr/lib/os-release"] {
        if let Ok(text) = std::fs::read_to_string(root.join(p)) {
            return Ok(parse_os_release(&text));
        }
    }
    Err(format!(
        "no os-release in {0}etc/os-release or {0}usr/lib/os-release",
        root.display()
    ))
}

/// The key of a kernel from its os-release and `uname` fields. A missing
/// VERSION_ID (rolling releases such as Debian sid) falls back to
/// VERSION_CODENAME, then to `rolling`.
pub fn kernel_key(os: &OsRelease, machine: &str, release: &str) -> Result<KernelKey, String> {
    let id = os.id.as_deref().ok_or("os-release has no ID")?;
    let version = os
        .version_id
        .as_deref()
        .or(os.version_codename.as_deref())
        .unwrap_or("rolling");
    Ok(KernelKey::new(id, version, machine, release))
}

/// `uname -r` and `uname -m` of the running kernel.
pub fn uname() -> Result<(String, String), String> {
    // SAFETY: utsname is plain bytes; uname fills it or fails.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(format!("uname: {}", std::io::Error::last_os_error()));
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok((field(&u.release), field(&u.machine)))
}

/// The environment variable naming an os-release file to read instead of
/// the system's: libbpfgo's, which Tracee reads, so that a container started
/// as Tracee's documentation shows (`-v /etc/os-release:/etc/os-release-host:ro
/// -e LIBBPFGO_OSRELEASE_FILE=/etc/os-release-host`) is keyed by the host's
/// distribution, not its image's.
pub const OS_RELEASE_FILE_VAR: &str = "LIBBPFGO_OSRELEASE_FILE";

/// The os-release of the system whose kernel runs: `file` (the value of
/// [`OS_RELEASE_FILE_VAR`]) when given and not empty, else [`read_os_release`]
/// under `/`. A named file that cannot be read is an error naming the
/// variable (no fallback: the image's own os-release would key the wrong
/// kernel).
pub fn host_os_release(file: Option<&std::ffi::OsStr>) -> Result<OsRelease, String> {
    match file.filter(|f| !f.is_empty()) {
        Some(f) => std::fs::read_to_string(f)
            .map(|text| parse_os_release(&text))
            .map_err(|e| format!("{OS_RELEASE_FILE_VAR}={}: {e}", Path::new(f).display())),
        None => read_os_release(Path::new("/")),
    }
}

/// The key of the kernel this process runs on.
pub fn this_kernel() -> Result<KernelKey, String> {
    let os = host_os_release(std::env::var_os(OS_RELEASE_FILE_VAR).as_deref())?;
    let (release, machine) = uname()?;
    kernel_key(&os, &machine, &release)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_variants() {
        let debian = parse_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        );
        assert_eq!(
            (debian.id.as_deref(), debian.version_id.as_deref()),
            (Some("debian"), Some("12"))
        );
        let quoted =
            parse_os_release("# comment\nID='centos'\nVERSION_ID=\"8\"\nID_LIKE=\"rhel fedora\"\n");
        assert_eq!(
            (quoted.id.as_deref(), quoted.version_id.as_deref()),
            (Some("centos"), Some("8"))
        );
        let escaped = parse_os_release("ID=\"my\\\"os\"\n");
        assert_eq!(escaped.id.as_deref(), Some("my\"os"));
        let sid = parse_os_release("ID=debian\nVERSION_CODENAME=trixie\n");
        assert_eq!(
            kernel_key(&sid, "x86_64", "6.12.0").unwrap().to_string(),
            "debian/trixie/x86_64/6.12.0"
        );
        let arch = parse_os_release("ID=arch\n");
        assert_eq!(
            kernel_key(&arch, "aarch64", "6.6.1").unwrap().to_string(),
            "arch/rolling/arm64/6.6.1"
        );
        assert_eq!(
            kernel_key(&parse_os_release(""), "x86_64", "r").unwrap_err(),
            "os-release has no ID"
        );
    }

    #[test]
    fn os_release_search_order_and_absence() {
        let root = std::env::temp_dir().join(format!("btfhub-osr-{}", std::process::id()));
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        assert!(read_os_release(&root)
            .unwrap_err()
            .contains("no os-release"));
        std::fs::write(root.join("usr/lib/os-release"), "ID=fallback\n").unwrap();
        assert_eq!(
            read_os_release(&root).unwrap().id.as_deref(),
            Some("fallback")
        );
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/os-release"), "ID=first\n").unwrap();
        assert_eq!(read_os_release(&root).unwrap().id.as_deref(), Some("first"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn os_release_file_override() {
        let dir = std::env::temp_dir().join(format!("btfhub-osr-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("os-release-host");
        std::fs::write(&file, "ID=ubuntu\nVERSION_ID=\"22.04\"\n").unwrap();
        let host = host_os_release(Some(file.as_os_str())).unwrap();
        assert_eq!(
            (host.id.as_deref(), host.version_id.as_deref()),
            (Some("ubuntu"), Some("22.04"))
        );
        // empty: as if unset, the system's own
        assert_eq!(
            host_os_release(Some(std::ffi::OsStr::new(""))),
            read_os_release(Path::new("/"))
        );
        let missing = dir.join("missing");
        assert!(host_os_release(Some(missing.as_os_str()))
            .unwrap_err()
            .starts_with(&format!("LIBBPFGO_OSRELEASE_FILE={}: ", missing.display())));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn this_kernel_reads_the_running_system() {
        let k = this_kernel().unwrap();
        let (release, _) = uname().unwrap();
        assert_eq!(k.release, release);
        assert_eq!(k.arch, crate::normalize_arch(std::env::consts::ARCH));
    }
}
