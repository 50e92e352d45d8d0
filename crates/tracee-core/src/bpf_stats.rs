//! What the kernel counts for a running trace: each program's run time and
//! run count (its BPF stats), and how full the BPF ring buffer is. Read
//! from any thread, at any moment (a metrics scrape), not on the poll
//! thread's path.
//!
//! The poll thread owns everything the kernel holds for a trace
//! (tracer.rs); this keeps only the kernel's ids of the programs and of the
//! ring, taken there once attached. A read opens the program or map by its
//! id for the time of the read (bpf_prog_get_fd_by_id,
//! bpf_map_get_fd_by_id) and closes it again, so no program or map
//! outlives the trace by more than one read; once the trace has stopped,
//! its ids name nothing (ENOENT) and nothing is read.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use libbpf_rs::{AsRawLibbpf, MapCore, MapHandle, MapType, Object, Program};

/// One program's counters in the kernel (`struct bpf_prog_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramStats {
    /// Its name in the object (`tracee_sys_enter`; the kernel's own is cut
    /// to 15 bytes).
    pub name: String,
    /// The kernel's id of it (`bpftool prog show id N`).
    pub id: u32,
    /// Time spent running it since it was loaded, in ns. The kernel counts
    /// it, and `run_count`, only while its BPF stats are on (sysctl
    /// `kernel.bpf_stats_enabled=1`, or a BPF_ENABLE_STATS fd held open):
    /// otherwise both stay where they are.
    pub run_time_ns: u64,
    /// Times it ran (counted as `run_time_ns`).
    pub run_count: u64,
    /// Runs the kernel skipped because it was already running on that CPU.
    pub recursion_misses: u64,
}

/// How full the BPF ring buffer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingFill {
    /// Bytes reserved or written by the programs and not yet taken by the
    /// poll thread (records and their 8-byte headers).
    pub used_bytes: u64,
    /// The ring's size in bytes.
    pub size_bytes: u64,
}

/// The kernel's ids of a trace's programs and ring, taken once attached.
#[derive(Debug, Default)]
pub(crate) struct KernelIds {
    /// (name in the object, id) of each program loaded.
    programs: Vec<(String, u32)>,
    /// The ring's map id; None where records go through a perf buffer.
    ring: Option<u32>,
}

impl KernelIds {
    /// The ids of `obj`'s loaded programs (an unselected program is not
    /// loaded), and of its ring `events` where `ring_buffer` (the
    /// transport is the BPF ring buffer).
    pub(crate) fn of(obj: &Object, ring_buffer: bool) -> KernelIds {
        let programs = obj
            .progs()
            .filter_map(|p| {
                // SAFETY: the object's program, alive as `obj`; bpf_program__fd is a getter.
                let fd = unsafe {
                    libbpf_rs::libbpf_sys::bpf_program__fd(p.as_libbpf_object().as_ptr())
                };
                if fd < 0 {
                    return None;
                }
                // SAFETY: a loaded program's fd, open as long as `obj` (borrowed for this call only).
                let fd = unsafe { BorrowedFd::borrow_raw(fd) };
                let id = Program::id_from_fd(fd).ok()?;
                Some((p.name().to_string_lossy().into_owned(), id))
            })
            .collect();
        let ring = ring_buffer
            .then(|| crate::loader::map!(obj, events).ok())
            .flatten()
            .and_then(|m| m.info().ok())
            .map(|info| info.info.id);
        KernelIds { programs, ring }
    }

    /// Each loaded program's counters, now; those the kernel no longer
    /// has (the trace stopped) are left out.
    pub(crate) fn program_stats(&self) -> Vec<ProgramStats> {
        self.programs
            .iter()
            .filter_map(|(name, id)| {
                let fd = Program::fd_from_id(*id).ok()?;
                let info = prog_info(fd.as_fd()).ok()?;
                Some(ProgramStats {
                    name: name.clone(),
                    id: *id,
                    run_time_ns: info.run_time_ns,
                    run_count: info.run_cnt,
                    recursion_misses: info.recursion_misses,
                })
            })
            .collect()
    }

    /// The ring's fill, now; None where there is no ring (a perf buffer:
    /// its per-CPU buffers are not measured) or it is gone (the trace
    /// stopped).
    pub(crate) fn ring_fill(&self) -> Option<RingFill> {
        let map = MapHandle::from_map_id(self.ring?).ok()?;
        if map.map_type() != MapType::RingBuf {
            return None;
        }
        let used_bytes = crate::ringbuf::unread_bytes(map.as_fd()).ok()?;
        Some(RingFill {
            used_bytes,
            size_bytes: u64::from(map.max_entries()),
        })
    }
}

/// The program's `struct bpf_prog_info` (its fixed part: no arrays asked).
fn prog_info(fd: BorrowedFd<'_>) -> std::io::Result<libbpf_rs::libbpf_sys::bpf_prog_info> {
    let mut info = libbpf_rs::libbpf_sys::bpf_prog_info::default();
    let mut len = std::mem::size_of_val(&info) as u32;
    // SAFETY: `info` is a zeroed bpf_prog_info of `len` bytes (no array
    // pointers set, so the kernel writes into it only).
    let ret = unsafe {
        libbpf_rs::libbpf_sys::bpf_obj_get_info_by_fd(
            fd.as_raw_fd(),
            (&mut info as *mut libbpf_rs::libbpf_sys::bpf_prog_info).cast(),
            &mut len,
        )
    };
    if ret < 0 {
        return Err(std::io::Error::from_raw_os_error(-ret));
    }
    Ok(info)
}
