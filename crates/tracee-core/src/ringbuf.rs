//! The consumer of the BPF ring buffer: libbpf's (`ring_buffer__poll`,
//! libbpf/src/ringbuf.c), with the ring's data mapped once.
//!
//! libbpf maps the data pages twice, back to back, so that a record which
//! wraps around the end of the ring reads as one slice; but then RSS counts
//! every page of the ring twice (64 MB for a ring of 32 MiB, mapped whole at
//! once), though the kernel holds it once. Here the data is mapped once,
//! and the rare record that wraps (at most one a lap) is copied whole before
//! it is handed over.
//!
//! The ring's layout and protocol (kernel/bpf/ringbuf.c): page 0 holds the
//! consumer position (the only page user space may write), page 1 the
//! producer position, the data follows; each record is an 8-byte header
//! (its length, with the busy and discard bits, then the kernel's page
//! offset) and its bytes, padded to 8, at `position & mask`.

use std::ffi::c_void;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use libbpf_rs::{Map, MapCore};

/// A record the kernel has reserved but not yet submitted (uapi BPF_RINGBUF_BUSY_BIT).
const BUSY_BIT: u32 = 1 << 31;
/// A record the kernel has discarded: skipped (uapi BPF_RINGBUF_DISCARD_BIT).
const DISCARD_BIT: u32 = 1 << 30;
/// A record's header (uapi BPF_RINGBUF_HDR_SZ).
const HEADER: u64 = 8;

/// What is handed each record's bytes, in order; false: stop taking them.
type OnRecord<'a> = Box<dyn Fn(&[u8]) -> bool + 'a>;

/// One BPF ring buffer map, mapped and polled.
pub(crate) struct RingBuffer<'a> {
    /// Points into the mappings below, which outlive it.
    ring: Ring,
    /// The consumer position's page (read-write).
    _consumer: Mapping,
    /// The producer position's page, then the data, once (read-only).
    _producer: Mapping,
    epoll: OwnedFd,
    on_record: OnRecord<'a>,
}

impl<'a> RingBuffer<'a> {
    /// Maps `map` (a BPF_MAP_TYPE_RINGBUF) and waits on it with epoll;
    /// `on_record` is handed each record's bytes in order and returns false
    /// to stop taking them (they stay in the ring).
    pub(crate) fn new(map: &Map<'_>, on_record: impl Fn(&[u8]) -> bool + 'a) -> io::Result<Self> {
        let page = crate::features::page_size() as usize;
        let size = map.max_entries() as usize;
        let fd = map.as_fd();
        let consumer = Mapping::new(fd, page, libc::PROT_READ | libc::PROT_WRITE, 0)?;
        let producer = Mapping::new(fd, page + size, libc::PROT_READ, page)?;
        // SAFETY: epoll_create1 has no preconditions; its fd is owned here.
        let epoll = match unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) } {
            -1 => return Err(io::Error::last_os_error()),
            // SAFETY: a fresh fd, owned by nothing else.
            fd => unsafe { OwnedFd::from_raw_fd(fd) },
        };
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 0,
        };
        // SAFETY: both fds are open; `event` outlives the call.
        if unsafe {
            libc::epoll_ctl(
                epoll.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_raw_fd(),
                &mut event,
            )
        } < 0
        {
            return Err(io::Error::last_os_error());
        }
        let ring = Ring {
            // SAFETY: each position is a u64 at the start of its page (the
            // kernel's struct bpf_ringbuf), 8-aligned, and stays mapped
            // as long as the mappings, which `self` owns beside `ring`.
            consumer_pos: consumer.ptr.cast(),
            producer_pos: producer.ptr.cast(),
            // SAFETY: the data follows the producer's page in the mapping.
            data: unsafe { producer.ptr.add(page) },
            size,
        };
        Ok(RingBuffer {
            ring,
            _consumer: consumer,
            _producer: producer,
            epoll,
            on_record: Box::new(on_record),
        })
    }

    /// Waits up to `timeout` for the kernel's wake-up, then hands over
    /// every record submitted so far (libbpf's ring_buffer__poll, then
    /// ring_buffer__consume). Err: epoll_wait's (EINTR included).
    pub(crate) fn poll(&self, timeout: Duration) -> io::Result<()> {
        let mut event = libc::epoll_event { events: 0, u64: 0 };
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: the epoll fd is open; `event` has room for the one event asked for.
        if unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut event, 1, ms) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `ring` points into the mappings `self` owns, laid out by the kernel.
        unsafe { self.ring.consume(&*self.on_record) };
        Ok(())
    }
}

/// Bytes the programs have reserved or written in the ring `map` (a
/// BPF_MAP_TYPE_RINGBUF) that its consumer has not taken yet, now: the
/// producer position less the consumer's, read through a read-only mapping
/// of their two pages made for the read, so from any thread (the kernel
/// allows any read-only mapping of a ring, kernel/bpf/ringbuf.c
/// `ringbuf_map_mmap_kern`).
pub(crate) fn unread_bytes(map: std::os::fd::BorrowedFd<'_>) -> io::Result<u64> {
    let page = crate::features::page_size() as usize;
    let positions = Mapping::new(map, 2 * page, libc::PROT_READ, 0)?;
    // SAFETY: each position is a u64 at the start of its page (the
    // kernel's struct bpf_ringbuf), 8-aligned, mapped while `positions` lives.
    let (consumer, producer) = unsafe {
        (
            (*positions.ptr.cast::<AtomicU64>()).load(Ordering::Acquire),
            (*positions.ptr.add(page).cast::<AtomicU64>()).load(Ordering::Acquire),
        )
    };
    Ok(producer.saturating_sub(consumer))
}

/// Where a ring's positions and data are: in its mappings, or in a test's memory.
struct Ring {
    consumer_pos: *const AtomicU64,
    producer_pos: *const AtomicU64,
    data: *const u8,
    /// Bytes of data: a power of two.
    size: usize,
}

impl Ring {
    /// Hands every submitted record to `on_record` in order, advancing the
    /// consumer position past each (discarded ones skipped); stops at one
    /// not yet submitted, or when `on_record` returns false, past the record
    /// it refused (as libbpf's ringbuf_process_ring). Returns the records
    /// handed over.
    ///
    /// # Safety
    /// The pointers are valid for the ring's life, laid out as the kernel
    /// lays them (positions 8-aligned, records within `data[..size]`).
    unsafe fn consume(&self, on_record: &dyn Fn(&[u8]) -> bool) -> u64 {
        let mask = self.size as u64 - 1;
        // SAFETY: valid and aligned (the caller's contract).
        let (consumer_pos, producer_pos) = unsafe { (&*self.consumer_pos, &*self.producer_pos) };
        let mut records = 0;
        let mut pos = consumer_pos.load(Ordering::Acquire);
        loop {
            let producer = producer_pos.load(Ordering::Acquire);
            let mut got_new = false;
            while pos < producer {
                let at = (pos & mask) as usize;
                // SAFETY: headers are 8-aligned, and never cut by the end of
                // the ring (its size is a multiple of 8).
                let header = unsafe { &*(self.data.add(at) as *const AtomicU32) };
                let len = header.load(Ordering::Acquire);
                if len & BUSY_BIT != 0 {
                    return records;
                }
                got_new = true;
                let bytes = (len & !(BUSY_BIT | DISCARD_BIT)) as usize;
                pos += (bytes as u64 + HEADER).next_multiple_of(8);
                let mut go_on = true;
                if len & DISCARD_BIT == 0 {
                    let start = (at + HEADER as usize) & mask as usize;
                    let first = bytes.min(self.size - start);
                    // SAFETY: a submitted record's bytes are in the ring,
                    // from `start`, wrapping to the data's start after `first`.
                    let head = unsafe { std::slice::from_raw_parts(self.data.add(start), first) };
                    go_on = if first == bytes {
                        on_record(head)
                    } else {
                        let mut whole = Vec::with_capacity(bytes);
                        whole.extend_from_slice(head);
                        // SAFETY: as above: the rest, from the data's start.
                        whole.extend_from_slice(unsafe {
                            std::slice::from_raw_parts(self.data, bytes - first)
                        });
                        on_record(&whole)
                    };
                    records += 1;
                }
                // ours to write; the kernel reads it
                consumer_pos.store(pos, Ordering::Release);
                if !go_on {
                    return records;
                }
            }
            if !got_new {
                return records;
            }
        }
    }
}

/// One shared mapping of a map's fd, unmapped when dropped.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(
        fd: std::os::fd::BorrowedFd<'_>,
        len: usize,
        prot: i32,
        offset: usize,
    ) -> io::Result<Self> {
        // SAFETY: a new shared mapping of an open fd, at an address of the kernel's choosing.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: ptr.cast(),
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in new(), unmapped once.
        unsafe { libc::munmap(self.ptr.cast::<c_void>(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A ring of `size` bytes in ordinary memory, written as the kernel writes one.
    struct TestRing {
        positions: Box<[AtomicU64; 2]>,
        /// u64s: 8-aligned, as the kernel's pages are.
        data: Vec<u64>,
        size: usize,
    }

    impl TestRing {
        fn new(size: usize) -> Self {
            TestRing {
                positions: Box::new([AtomicU64::new(0), AtomicU64::new(0)]),
                data: vec![0; size / 8],
                size,
            }
        }

        fn bytes(&mut self) -> &mut [u8] {
            // SAFETY: the u64s' memory, as bytes.
            unsafe { std::slice::from_raw_parts_mut(self.data.as_mut_ptr().cast(), self.size) }
        }

        /// Writes a record of `payload` at the producer position with `flags`, and submits it.
        fn push(&mut self, payload: &[u8], flags: u32) {
            let pos = self.positions[1].load(Ordering::Relaxed) as usize;
            let size = self.size;
            let at = pos % size;
            let bytes = self.bytes();
            bytes[at..at + 4].copy_from_slice(&(payload.len() as u32 | flags).to_ne_bytes());
            for (i, b) in payload.iter().enumerate() {
                bytes[(at + 8 + i) % size] = *b;
            }
            let next = pos as u64 + (payload.len() as u64 + HEADER).next_multiple_of(8);
            self.positions[1].store(next, Ordering::Release);
        }

        fn ring(&mut self) -> Ring {
            Ring {
                consumer_pos: &self.positions[0],
                producer_pos: &self.positions[1],
                data: self.data.as_ptr().cast(),
                size: self.size,
            }
        }

        /// Consumes, collecting the records, refusing from the `refuse_at`-th.
        fn consume(&mut self, refuse_at: usize) -> (u64, Vec<Vec<u8>>) {
            let seen = RefCell::new(Vec::new());
            let ring = self.ring();
            // SAFETY: the ring's memory is self's, laid out as the kernel's.
            let n = unsafe {
                ring.consume(&|r: &[u8]| {
                    seen.borrow_mut().push(r.to_vec());
                    seen.borrow().len() < refuse_at
                })
            };
            (n, seen.into_inner())
        }
    }

    #[test]
    fn records_in_order_whole_across_the_end_of_the_ring() {
        let mut ring = TestRing::new(128);
        let mut expected = Vec::new();
        // 9 laps of records of 1 to 13 bytes: some wrap, their headers never do
        for i in 0..60u8 {
            let record: Vec<u8> = (0..1 + i % 13)
                .map(|j| i.wrapping_mul(7).wrapping_add(j))
                .collect();
            ring.push(&record, 0);
            expected.push(record);
            if i % 3 == 2 {
                let (n, seen) = ring.consume(usize::MAX);
                assert_eq!(n as usize, seen.len());
                assert_eq!(seen, std::mem::take(&mut expected));
                assert_eq!(
                    ring.positions[0].load(Ordering::Relaxed),
                    ring.positions[1].load(Ordering::Relaxed)
                );
            }
        }
    }

    #[test]
    fn discarded_records_are_skipped_and_busy_ones_wait() {
        let mut ring = TestRing::new(128);
        ring.push(b"one", 0);
        ring.push(b"dropped", DISCARD_BIT);
        ring.push(b"two", 0);
        ring.push(b"not yet", BUSY_BIT);
        let busy_at = 3 * 16;
        let (n, seen) = ring.consume(usize::MAX);
        assert_eq!((n, seen), (2, vec![b"one".to_vec(), b"two".to_vec()]));
        // stopped before the busy record: it is next
        assert_eq!(ring.positions[0].load(Ordering::Relaxed), busy_at);
        // committed: handed over
        let at = busy_at as usize;
        let len = 7u32.to_ne_bytes();
        ring.bytes()[at..at + 4].copy_from_slice(&len);
        let (n, seen) = ring.consume(usize::MAX);
        assert_eq!((n, seen), (1, vec![b"not yet".to_vec()]));
    }

    #[test]
    fn a_refused_record_is_consumed_and_the_rest_stay() {
        let mut ring = TestRing::new(128);
        for r in [b"a", b"b", b"c"] {
            ring.push(r, 0);
        }
        // the second is refused (stopping): taken, as libbpf takes it; the third stays
        let (n, seen) = ring.consume(2);
        assert_eq!((n, seen), (2, vec![b"a".to_vec(), b"b".to_vec()]));
        let (n, seen) = ring.consume(usize::MAX);
        assert_eq!((n, seen), (1, vec![b"c".to_vec()]));
    }
}
