/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a record is built and how it leaves: the per-CPU scratch slots,
 * the BPF ring buffer (or, before 5.8 and for the legacy programs, a perf
 * event array), and the exact count of the records that could not be
 * written (lost). The record's layout is tracee.h's struct event.
 */
#ifndef __TRACEE_LIB_RECORD_H
#define __TRACEE_LIB_RECORD_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tracee.h"
#include "config.h"

/* Data section of one record: room for two strings (e.g. renameat paths). */
#define DATA_CAP (2 * (sizeof(struct data_item) + MAX_STR_LEN))
/* Upper bound the verifier can see on a record's size. */
#define RECORD_CAP (sizeof(struct event) + DATA_CAP)

/* Where a record is built before it is copied into the ring. struct event
 * ends in a flexible array; data is that array's storage. */
#pragma clang diagnostic ignored "-Wgnu-variable-sized-type-not-at-end"
struct scratch {
	struct event ev;
	__u8 data[DATA_CAP];
};

/* The per-CPU scratch slots. A program runs to its end on one CPU, so
 * each slot is free at a program's start. */
enum scratch_slot {
	/* the record being built, sent by submit() */
	SCRATCH_RECORD,
	/* a string built before it goes into a record or a map: a path
	 * (walk_path, put_file_name) or, at an exec's entry, argv[0]'s item
	 * (syscall_enter); never the record's own */
	SCRATCH_STRING,
	SCRATCH_SLOTS,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline struct scratch *scratch_buf(enum scratch_slot slot)
{
	__u32 key = slot;

	return bpf_map_lookup_elem(&scratch, &key);
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

/* Records that could not be written: the exact loss. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		*n += 1;
}

/* Set by the first record sent, which wakes the consumer at once: a trace's
 * first event is delivered when it happens, not a flush interval later
 * (start-up: npm run bench). CPUs racing for it each wake it, once. */
__u32 first_sent = 0;

/* Wake the consumer with the record that takes the unread data past
 * wakeup_bytes, and with the first record; with no other. Waking on every record past it would make
 * a consumer that lags pay a wake-up (~2 us, on the traced task's CPU) per
 * record: a slow reader would slow the host instead of losing records, which
 * are counted. A consumer that is awake needs no wake-up (the ring's poll is
 * level-triggered), and one asleep also wakes on its timer.
 * in_ring: whether the unread data already counts this record (reserved). */
static __always_inline __u64 wakeup_flags(__u64 size, const bool in_ring)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 before = in_ring ? avail - size : avail;

	if (!first_sent) {
		first_sent = 1;
		return BPF_RB_FORCE_WAKEUP;
	}
	return before < wakeup_bytes && before + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* A record without a data section, built where it is sent from: in the
 * ring itself (no copy), or, for the perf buffer, in the scratch slot.
 * Hand it to commit_fixed() once filled. */
static __always_inline struct event *reserve_fixed(const bool legacy)
{
	struct event *ev;

	if (legacy || use_perf_buffer) {
		struct scratch *b = scratch_buf(SCRATCH_RECORD);
		return b ? &b->ev : NULL;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		count_lost();
	return ev;
}

static __always_inline void commit_fixed(void *ctx, struct event *ev, const bool legacy)
{
	ev->header.size = sizeof(*ev);
	if (legacy || use_perf_buffer) {
		if (bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, ev, sizeof(*ev)))
			count_lost();
	} else {
		bpf_ringbuf_submit(ev, wakeup_flags(sizeof(*ev), true));
	}
}

/* Send the record built in b, its data section data_len bytes long; a
 * record that cannot be written is counted (lost). wake: wake the consumer
 * now, whatever wakeup_flags() says (a record user space must act on at
 * once: lib/cgroup.h's containers map). */
static __always_inline void submit_waking(void *ctx, struct scratch *b, __u32 data_len, const bool legacy,
					  const bool wake)
{
	__u64 size = sizeof(struct event) + data_len;
	long err;

	if (size > RECORD_CAP)
		size = RECORD_CAP;
	b->ev.header.size = size;
	/* use_perf_buffer is constant once loaded: the verifier drops the other
	 * branch, so kernels without ring-buffer helpers load this too */
	if (legacy || use_perf_buffer) {
		err = bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, b, size);
	} else {
		err = bpf_ringbuf_output(&events, b, size, wake ? BPF_RB_FORCE_WAKEUP : wakeup_flags(size, false));
	}
	if (err)
		count_lost();
}

static __always_inline void submit(void *ctx, struct scratch *b, __u32 data_len, const bool legacy)
{
	submit_waking(ctx, b, data_len, legacy, false);
}

#endif /* __TRACEE_LIB_RECORD_H */
