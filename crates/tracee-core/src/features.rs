//! What the running kernel can do, probed before loading: each answer picks
//! a path (ring or perf buffer, usual or legacy programs, clock helper).

use libbpf_rs::libbpf_sys as sys;

/// How records cross to user space.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Transport {
    RingBuffer,
    /// With the reason it is used.
    PerfBuffer(&'static str),
}

/// Whether the kernel has global data (read-only array maps, 5.2+), which
/// `.rodata` needs; None if the probe could not tell (e.g. no privileges).
pub(crate) fn global_data_supported() -> Option<bool> {
    let opts = sys::bpf_map_create_opts {
        sz: std::mem::size_of::<sys::bpf_map_create_opts>() as _,
        map_flags: sys::BPF_F_RDONLY_PROG,
        ..Default::default()
    };
    // SAFETY: creates a 1-entry array map, closed right away.
    let fd =
        unsafe { sys::bpf_map_create(sys::BPF_MAP_TYPE_ARRAY, std::ptr::null(), 4, 4, 1, &opts) };
    if fd >= 0 {
        // SAFETY: fd was just returned to us.
        unsafe { libc::close(fd) };
        return Some(true);
    }
    match -fd {
        libc::EINVAL => Some(false),
        _ => None,
    }
}

/// Where tracefs is found mounted: its own mount point, then the one under
/// debugfs (kernels before 4.1, and hosts that mount only debugfs).
pub(crate) const TRACEFS_MOUNTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// The command that mounts tracefs at its own mount point: the fix that
/// errors and `doctor` give.
pub(crate) fn mount_tracefs() -> String {
    format!("mount -t tracefs nodev {}", TRACEFS_MOUNTS[0])
}

/// A feature probe's answer: Ok(whether the kernel has it), or Err with
/// the kernel's refusal to say (EPERM without privileges, see
/// [`crate::privileges::is_refusal`]). libbpf's own probes
/// (`libbpf_probe_bpf_map_type`, `libbpf_probe_bpf_prog_type`) answer "no"
/// for any failure, so a process without privileges read as a kernel too
/// old; these keep the errno: only EINVAL (a type the kernel does not
/// know) is a "no".
fn probed(fd: i32) -> Result<bool, std::io::Error> {
    if fd >= 0 {
        // SAFETY: fd was just returned to us.
        unsafe { libc::close(fd) };
        return Ok(true);
    }
    match -fd {
        libc::EINVAL => Ok(false),
        errno => Err(std::io::Error::from_raw_os_error(errno)),
    }
}

/// Bytes of a memory page: the unit of BPF ring and perf buffer sizes.
pub(crate) fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(4096)
}

/// Whether the kernel has BPF ring buffers (5.8+): a ring of one page is
/// created and closed.
pub(crate) fn ring_buffer_supported() -> Result<bool, std::io::Error> {
    let page = u32::try_from(page_size()).unwrap_or(4096);
    // SAFETY: creates a map (NULL name and options are allowed), closed by probed().
    probed(unsafe {
        sys::bpf_map_create(
            sys::BPF_MAP_TYPE_RINGBUF,
            std::ptr::null(),
            0,
            0,
            page,
            std::ptr::null(),
        )
    })
}

/// Whether the kernel loads raw tracepoint programs (4.17+), which every
/// tracee-rs event uses: a two-instruction one is loaded and closed.
pub(crate) fn raw_tracepoint_supported() -> Result<bool, std::io::Error> {
    // r0 = 0; exit (struct bpf_insn, 8 bytes each, little-endian fields)
    let insns: [u64; 2] = [0xb7, 0x95];
    // SAFETY: insns outlives the call and holds 2 instructions; NULL
    // options are allowed; the fd is closed by probed().
    probed(unsafe {
        sys::bpf_prog_load(
            sys::BPF_PROG_TYPE_RAW_TRACEPOINT,
            c"raw_tp_probe".as_ptr(),
            c"GPL".as_ptr(),
            insns.as_ptr().cast(),
            2,
            std::ptr::null_mut(),
        )
    })
}

/// Whether raw tracepoint programs may call `helper` on this kernel. A
/// failed probe (e.g. no privileges) counts as yes: loading will say why.
pub(crate) fn helper_supported(helper: sys::bpf_func_id) -> bool {
    // SAFETY: a plain feature probe; NULL options are allowed.
    let r = unsafe {
        sys::libbpf_probe_bpf_helper(sys::BPF_PROG_TYPE_RAW_TRACEPOINT, helper, std::ptr::null())
    };
    r != 0
}

/// Whether fentry programs load here: a two-instruction fentry program on
/// security_file_open, against the kernel's own BTF. Some kernels refuse
/// every fentry program (EPERM: no ftrace direct calls); Err says what
/// failed. Parses the kernel's BTF: called only when an event needs fentry.
pub(crate) fn fentry_supported() -> Result<(), String> {
    // SAFETY: libbpf reads /sys/kernel/btf/vmlinux; the object is freed below.
    let btf = unsafe { sys::btf__load_vmlinux_btf() };
    if btf.is_null() {
        return Err(format!(
            "the kernel's BTF cannot be read: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: btf is valid; the name is a NUL-terminated literal.
    let id = unsafe {
        sys::btf__find_by_name_kind(btf, c"security_file_open".as_ptr(), sys::BTF_KIND_FUNC)
    };
    // SAFETY: freed once, not used after.
    unsafe { sys::btf__free(btf) };
    if id < 0 {
        return Err("security_file_open is not in the kernel's BTF".into());
    }
    // r0 = 0; exit (struct bpf_insn, 8 bytes each, little-endian fields)
    let insns: [u64; 2] = [0xb7, 0x95];
    let mut opts = sys::bpf_prog_load_opts {
        sz: std::mem::size_of::<sys::bpf_prog_load_opts>() as _,
        expected_attach_type: sys::BPF_TRACE_FENTRY,
        attach_btf_id: id as u32,
        ..Default::default()
    };
    // SAFETY: insns outlives the call and holds 2 instructions; opts is valid.
    let fd = unsafe {
        sys::bpf_prog_load(
            sys::BPF_PROG_TYPE_TRACING,
            c"fentry_probe".as_ptr(),
            c"GPL".as_ptr(),
            insns.as_ptr().cast(),
            2,
            &mut opts,
        )
    };
    if fd < 0 {
        return Err(format!(
            "a two-instruction fentry program is refused: {}",
            std::io::Error::from_raw_os_error(-fd)
        ));
    }
    // SAFETY: fd was just returned to us.
    unsafe { libc::close(fd) };
    Ok(())
}

/// Whether `path` exists; Err where this process may not look (tracefs
/// is mode 0700: without root, "absent" and "not allowed to see" differ).
pub(crate) fn path_exists(path: &std::path::Path) -> Result<bool, std::io::Error> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether kprobes can be attached: libbpf uses the kprobe PMU, or the
/// tracefs kprobe_events file on kernels before 4.17.
pub(crate) fn kprobes_available() -> Result<(), String> {
    let pmu = std::path::Path::new("/sys/bus/event_source/devices/kprobe/type").exists();
    let tracefs = TRACEFS_MOUNTS
        .iter()
        .any(|m| std::path::Path::new(m).join("kprobe_events").exists());
    if pmu || tracefs {
        Ok(())
    } else {
        Err("this kernel has no kprobes (no kprobe PMU in /sys/bus/event_source/devices, no kprobe_events in tracefs)".into())
    }
}
