//! Which BPF object and which BTF to load, decided in Tracee's order and
//! always explained.
//!
//! 1. `TRACEE_BPF_FILE` given and BTF available (kernel or `TRACEE_BTF_FILE`):
//!    that object, CO-RE against that BTF;
//! 2. `TRACEE_BPF_FILE` given, no BTF: stop, a non-CO-RE object is needed;
//! 3. embedded object, BTF available: `TRACEE_BTF_FILE` or the kernel's;
//! 4. embedded object, no BTF: the embedded minimized BTF of this exact kernel;
//! 5. none of these: stop, naming the kernel key and the closest embedded ones.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use btfhub::{Archive, KernelKey};

use crate::Error;

pub(crate) const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";
static ARCHIVE_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/btf-archive.zst"));

/// What the build printed about the embedded archive (inputs, sizes).
pub const BUILD_REPORT: &str = include_str!(concat!(env!("OUT_DIR"), "/btf-report.txt"));

/// The minimized BTFs embedded in this build.
pub fn embedded() -> Result<&'static Archive, Error> {
    static ARCHIVE: OnceLock<Result<Archive, String>> = OnceLock::new();
    ARCHIVE
        .get_or_init(|| Archive::parse(ARCHIVE_BYTES).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Archive { cause: e.clone() })
}

/// One embedded minimized BTF, by key (`id/version/arch/release`, as
/// [`KernelKey`] prints it); [`Error::BadKey`] for a string that is not a
/// key, [`Error::NoKey`] (with the 3 closest keys) for one not embedded.
pub fn extract(key: &str) -> Result<&'static [u8], Error> {
    let archive = embedded()?;
    let parsed = KernelKey::parse(key).ok_or_else(|| Error::BadKey {
        key: key.to_string(),
    })?;
    archive.get(&parsed).ok_or_else(|| Error::NoKey {
        key: key.to_string(),
        closest: archive
            .closest(&parsed, 3)
            .iter()
            .map(|k| k.to_string())
            .collect(),
    })
}

/// Size of the compressed archive embedded in the binary.
pub fn embedded_size() -> usize {
    ARCHIVE_BYTES.len()
}

/// What was read from the host to decide.
#[derive(Debug, Clone)]
pub struct Environment {
    pub bpf_file: Option<PathBuf>,
    pub btf_file: Option<PathBuf>,
    /// Ok: the kernel exposes usable BTF; Err: why it does not.
    pub kernel_btf: Result<PathBuf, String>,
    /// Ok: this kernel's key; Err: why it could not be read.
    pub kernel: Result<KernelKey, String>,
}

impl Environment {
    /// Reads the environment variables, the kernel BTF and the kernel's identity.
    pub fn read() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Environment {
            bpf_file: var("TRACEE_BPF_FILE"),
            btf_file: var("TRACEE_BTF_FILE"),
            kernel_btf: check_btf_header(Path::new(KERNEL_BTF)).map(|_| PathBuf::from(KERNEL_BTF)),
            kernel: btfhub::host::this_kernel(),
        }
    }
}

/// A BTF file starts with magic 0xeB9F and version 1. Cheap enough for every
/// start; a bind-mounted /dev/null or an empty file fails it.
pub fn check_btf_header(path: &Path) -> Result<(), String> {
    let mut header = [0u8; 8];
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut n = 0;
    while n < header.len() {
        match f.read(&mut header[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    if n < header.len() {
        return Err(format!(
            "{}: {} bytes, too short to be BTF",
            path.display(),
            n
        ));
    }
    if u16::from_le_bytes([header[0], header[1]]) != 0xeb9f || header[2] != 1 {
        return Err(format!("{}: not BTF (bad magic)", path.display()));
    }
    Ok(())
}

/// Where the object comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectSource {
    Embedded,
    File(PathBuf),
}

/// Where CO-RE relocations are resolved from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BtfSource {
    Kernel(PathBuf),
    File(PathBuf),
    Embedded(KernelKey),
}

impl BtfSource {
    /// Programs of type tp_btf, fentry and lsm attach only with kernel BTF.
    pub fn has_kernel_btf(&self) -> bool {
        matches!(self, BtfSource::Kernel(_))
    }
}

impl fmt::Display for BtfSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BtfSource::Kernel(p) => write!(f, "kernel ({})", p.display()),
            BtfSource::File(p) => write!(f, "TRACEE_BTF_FILE ({})", p.display()),
            BtfSource::Embedded(k) => write!(f, "embedded minimized ({k})"),
        }
    }
}

/// The outcome: which object, which BTF, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// 1–4, in Tracee's order (see the module docs).
    pub case: u8,
    pub object: ObjectSource,
    pub btf: BtfSource,
    pub reason: String,
}

/// Decides, or says why tracing cannot start (cases 2 and 5).
pub fn decide(env: &Environment, archive: &Archive) -> Result<Decision, Error> {
    let given_btf = env.btf_file.clone().map(BtfSource::File);
    let kernel_btf = env.kernel_btf.as_ref().ok().cloned().map(BtfSource::Kernel);
    let available = given_btf.or(kernel_btf);
    if let Some(bpf) = &env.bpf_file {
        return match available {
            Some(btf) => Ok(Decision {
                case: 1,
                object: ObjectSource::File(bpf.clone()),
                reason: format!(
                    "TRACEE_BPF_FILE is set and BTF is available: {} as CO-RE against {btf}",
                    bpf.display()
                ),
                btf,
            }),
            None => Err(Error::BpfFileNeedsBtf {
                path: bpf.clone(),
                kernel_btf: env.kernel_btf.clone().err().unwrap_or_default(),
            }),
        };
    }
    if let Some(btf) = available {
        let reason = match &btf {
            BtfSource::File(_) => {
                "TRACEE_BTF_FILE is set: the embedded object, CO-RE against that file".to_string()
            }
            _ => "the kernel exposes BTF: the embedded object, CO-RE against it".to_string(),
        };
        return Ok(Decision {
            case: 3,
            object: ObjectSource::Embedded,
            btf,
            reason,
        });
    }
    let why_no_btf = env.kernel_btf.clone().err().unwrap_or_default();
    let key = env.kernel.clone().map_err(|cause| Error::NoBtf {
        key: format!("(unknown: {cause})"),
        closest: Vec::new(),
        kernel_btf: why_no_btf.clone(),
    })?;
    if archive.get(&key).is_some() {
        return Ok(Decision {
            case: 4,
            object: ObjectSource::Embedded,
            reason: format!("no kernel BTF ({why_no_btf}): the embedded minimized BTF for {key}"),
            btf: BtfSource::Embedded(key),
        });
    }
    Err(Error::NoBtf {
        closest: archive
            .closest(&key, 3)
            .into_iter()
            .map(|k| k.to_string())
            .collect(),
        key: key.to_string(),
        kernel_btf: why_no_btf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(bpf: bool, btf_file: bool, kernel_btf: bool, kernel: &KernelKey) -> Environment {
        Environment {
            bpf_file: bpf.then(|| PathBuf::from("/opt/tracee.bpf.o")),
            btf_file: btf_file.then(|| PathBuf::from("/opt/kernel.btf")),
            kernel_btf: if kernel_btf {
                Ok(PathBuf::from(KERNEL_BTF))
            } else {
                Err("/sys/kernel/btf/vmlinux: not found".into())
            },
            kernel: Ok(kernel.clone()),
        }
    }

    #[test]
    fn the_five_cases_in_tracees_order() {
        let archive = embedded().unwrap();
        let known = archive
            .keys()
            .next()
            .expect("the build embeds at least one kernel (setup embeds Debian's)")
            .clone();
        let unknown = KernelKey::new(
            &known.os_id,
            &known.version_id,
            &known.arch,
            "0.0.0-not-a-kernel",
        );

        // 1: object file + BTF (file wins over kernel)
        let d = decide(&env(true, true, true, &unknown), archive).unwrap();
        assert_eq!(
            (d.case, &d.object, &d.btf),
            (
                1,
                &ObjectSource::File("/opt/tracee.bpf.o".into()),
                &BtfSource::File("/opt/kernel.btf".into())
            )
        );
        let d = decide(&env(true, false, true, &unknown), archive).unwrap();
        assert_eq!((d.case, d.btf), (1, BtfSource::Kernel(KERNEL_BTF.into())));

        // 2: object file, no BTF anywhere
        let e = decide(&env(true, false, false, &known), archive).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::BpfFileNeedsBtf);
        assert!(e.to_string().contains("non-CO-RE"), "{e}");

        // 3: embedded object with the given or the kernel's BTF
        assert_eq!(
            decide(&env(false, true, false, &unknown), archive)
                .unwrap()
                .btf,
            BtfSource::File("/opt/kernel.btf".into())
        );
        let d = decide(&env(false, false, true, &unknown), archive).unwrap();
        assert_eq!(
            (d.case, d.object, d.btf),
            (
                3,
                ObjectSource::Embedded,
                BtfSource::Kernel(KERNEL_BTF.into())
            )
        );

        // 4: no BTF, this exact kernel is embedded
        let d = decide(&env(false, false, false, &known), archive).unwrap();
        assert_eq!((d.case, d.btf), (4, BtfSource::Embedded(known.clone())));
        assert!(
            d.reason.contains("not found"),
            "the reason says why there is no kernel BTF: {}",
            d.reason
        );

        // 5: no BTF, not embedded: the key, the closest keys and the remedy
        let e = decide(&env(false, false, false, &unknown), archive).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::NoBtf);
        let msg = e.to_string();
        assert!(msg.contains(&unknown.to_string()), "{msg}");
        assert!(
            msg.contains(&known.to_string()),
            "closest keys listed: {msg}"
        );
        assert!(
            msg.contains("TRACEE_BTF_FILE") && msg.contains("pahole"),
            "{msg}"
        );
    }

    #[test]
    fn btf_headers_are_checked() {
        assert!(check_btf_header(Path::new(KERNEL_BTF)).is_ok());
        let dir = std::env::temp_dir();
        let empty = dir.join(format!("tracee-empty-{}", std::process::id()));
        std::fs::write(&empty, b"").unwrap();
        assert!(check_btf_header(&empty).unwrap_err().contains("too short"));
        std::fs::write(&empty, b"definitely not BTF").unwrap();
        assert!(check_btf_header(&empty).unwrap_err().contains("bad magic"));
        std::fs::remove_file(&empty).unwrap();
        assert!(check_btf_header(Path::new("/dev/null")).is_err());
        assert!(check_btf_header(Path::new("/nonexistent/vmlinux")).is_err());
    }
}
