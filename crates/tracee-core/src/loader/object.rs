//! The object: opened from the decision's source (the embedded one, or
//! TRACEE_BPF_FILE's) with the decision's BTF for CO-RE, set up, and
//! loaded with only the programs asked for.
//!
//! It is opened as a plain libbpf-rs `Object`, not through the skeleton
//! libbpf-cargo generates (bpf.rs's `TraceeSkelBuilder`): the skeleton
//! opens only the object embedded in it, and TRACEE_BPF_FILE names another
//! one, which must be set up, loaded and fall back exactly as the embedded
//! one does. The skeleton's types (`types::rodata`, `types::event_config`...)
//! still describe everything written into either, and `map_name!` checks
//! map names against its maps.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use libbpf_rs::{AsRawLibbpf, Object, ObjectBuilder};

use crate::btf::{self, BtfSource, Decision, ObjectSource};
use crate::policy::KernelScope;
use crate::{libbpf_log, timing, Error};

use super::fallback::load_error;
use super::{settings, Plan};

/// The CO-RE object built from bpf/ (crates/tracee-core/build.rs).
static BPF_OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tracee.bpf.o"));

/// The BTF libbpf resolves CO-RE relocations against, where it is not the
/// kernel's: its path, and the memfd that holds an embedded one (keep it
/// open until the object is loaded).
pub(super) fn custom_btf(decision: &Decision) -> Result<(Option<PathBuf>, Option<OwnedFd>), Error> {
    match &decision.btf {
        BtfSource::Kernel(_) => Ok((None, None)),
        BtfSource::File(path) => Ok((Some(path.clone()), None)),
        BtfSource::Embedded(key) => {
            let bytes = btf::embedded()?.get(key).ok_or_else(|| Error::Archive {
                cause: format!("{key} vanished"),
            })?;
            let fd = memfd_with(bytes)?;
            let path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
            Ok((Some(path), Some(fd)))
        }
    }
}

/// The BTF bytes in a memfd, for libbpf's `btf_custom_path`: no file on
/// disk to clean up, gone when the fd is closed.
fn memfd_with(bytes: &[u8]) -> Result<OwnedFd, Error> {
    let fail = |what: &str| Error::Load {
        cause: format!("{what}: {}", std::io::Error::last_os_error()),
        log: String::new(),
    };
    // The raw syscall: glibc has a wrapper only since 2.27, and the binary
    // targets older ones. SAFETY: the name is a NUL-terminated literal.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            c"tracee-btf".as_ptr(),
            libc::MFD_CLOEXEC,
        )
    } as i32;
    if fd < 0 {
        return Err(fail("memfd_create"));
    }
    // SAFETY: fd was just created and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut file = std::fs::File::from(fd.try_clone().map_err(|_| fail("dup"))?);
    std::io::Write::write_all(&mut file, bytes).map_err(|_| fail("write memfd"))?;
    Ok(fd)
}

/// Opens the object, sets what user space decides before load
/// (settings.rs), and loads the programs `enabled` says (by their names
/// in the object).
pub(super) fn open_and_load(
    plan: &Plan,
    scope: &KernelScope,
    custom_btf: Option<&Path>,
    derive: &[&str],
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Object, Error> {
    libbpf_log::take();
    let mut builder = ObjectBuilder::default();
    if let Some(path) = custom_btf {
        builder.btf_custom_path(path).map_err(load_error)?;
    }
    let mut open = match &plan.decision.object {
        ObjectSource::Embedded => builder.open_memory(BPF_OBJECT).map_err(load_error)?,
        ObjectSource::File(path) => builder.open_file(path).map_err(|e| Error::BpfFile {
            path: path.clone(),
            cause: format!("libbpf cannot open it: {e}"),
        })?,
    };
    settings::before_load(&mut open, plan, scope, derive)?;
    for mut prog in open.progs_mut() {
        let name = prog.name().to_string_lossy().into_owned();
        prog.set_autoload(enabled(&name));
    }
    timing::mark("object opened");
    // What load() does in one call, in its two steps, so that a timing
    // tells the kernel BTF, CO-RE and maps apart from the verifier.
    // SAFETY: the pointer is the open object's own, valid while `open` lives.
    let ret =
        unsafe { libbpf_rs::libbpf_sys::bpf_object__prepare(open.as_libbpf_object().as_ptr()) };
    if ret < 0 {
        return Err(load_error(libbpf_rs::Error::from_raw_os_error(-ret)));
    }
    timing::mark("object prepared (BTF, CO-RE, maps)");
    let obj = open.load().map_err(load_error)?;
    timing::mark("programs loaded (verifier)");
    Ok(obj)
}
