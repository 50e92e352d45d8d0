/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Rootkit checks (hooked_syscall, hooked_proc_fops): one program, run by
 * user space with BPF_PROG_TEST_RUN, never attached (rootkit.rs).
 */
#ifndef __TRACEE_HOOKS_ROOTKIT_H
#define __TRACEE_HOOKS_ROOTKIT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "lib/config.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/path.h"

/* Host-wide integrity checks (hooked_syscall, hooked_proc_fops). No hook
 * runs this program: user space runs it with BPF_PROG_TEST_RUN (raw
 * tracepoint programs can be run so since Linux 5.10), in its own task,
 * and decides from what it reads with /proc/kallsyms (symbols.rs):
 * - ROOTKIT_READ copies kernel memory (the syscall table; where kallsyms
 *   does not name it, .rodata, in which user space finds it);
 * - ROOTKIT_READ_FOPS reads the directory operations of a file the caller
 *   opened (/proc): current->files is the caller's;
 * - ROOTKIT_EMIT sends what user space found as a record, through the ring
 *   and the policies like any event. The check has no process: the
 *   record's process fields are zero (as Tracee clears them), and it goes
 *   to every policy that selects the event, whatever its scope. */
struct rootkit_read {
	__u64 words[ROOTKIT_READ_MAX / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rootkit_read);
} rootkit_read SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rootkit_emit);
} rootkit_emit SEC(".maps");

/* kernels before 6.5 (or so) also have the older `iterate` */
struct file_operations___iterate {
	void *iterate;
};

static __always_inline int rootkit_read_mem(__u64 addr, __u64 len)
{
	__u32 zero = 0;
	struct rootkit_read *out = bpf_map_lookup_elem(&rootkit_read, &zero);
	int pages = 0;

	if (!out)
		return 0;
	for (int i = 0; i < ROOTKIT_READ_MAX / ROOTKIT_PAGE; i++) {
		if ((__u64)i * ROOTKIT_PAGE >= len)
			break;
		void *dst = (void *)out->words + i * ROOTKIT_PAGE;
		/* a page that cannot be read is left zeros (the helper clears
		 * its destination on failure) */
		if (bpf_probe_read_kernel(dst, ROOTKIT_PAGE, (void *)(addr + (__u64)i * ROOTKIT_PAGE)) == 0)
			pages++;
	}
	return pages;
}

static __always_inline int rootkit_read_fops(__u64 fd)
{
	__u32 zero = 0;
	struct rootkit_read *out = bpf_map_lookup_elem(&rootkit_read, &zero);
	struct file *file = fd_file(fd);

	if (!out || !file)
		return 0;
	const struct file_operations *fops = BPF_CORE_READ(file, f_op);
	out->words[0] = (__u64)BPF_CORE_READ(fops, iterate_shared);
	out->words[1] = 0;
	if (bpf_core_field_exists(struct file_operations___iterate, iterate))
		out->words[1] = (__u64)BPF_CORE_READ((struct file_operations___iterate *)fops, iterate);
	return 1;
}

static __always_inline int rootkit_emit_record(void *ctx)
{
	__u32 zero = 0;
	struct rootkit_emit *e = bpf_map_lookup_elem(&rootkit_emit, &zero);
	struct event_config *cfg;
	struct scratch *b;
	__u32 off = 0;

	if (!e)
		return 0;
	/* every policy that selects the event, whatever its scope: a
	 * host-wide fact, not the tracer's, so no process either (as Tracee's
	 * removeIrrelevantContext) */
	cfg = event_config(e->event_id);
	b = record_begin(e->event_id, -1, cfg ? cfg->policies : 0, false);
	if (!b)
		return 0;
	struct event_header *h = &b->ev.header;
	h->thread_start_time = 0;
	h->cgroup_id = 0;
	h->host_process_id = h->host_thread_id = h->host_parent_process_id = 0;
	h->process_id = h->thread_id = h->parent_process_id = 0;
	h->user_id = h->group_id = 0;
	h->mount_namespace = h->pid_namespace = 0;
	__builtin_memset(h->process_name, 0, sizeof(h->process_name));
	__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
	for (int i = 0; i < ROOTKIT_EMIT_STRS; i++) {
		if (i >= e->count || off >= MAX_STR_LEN)
			break;
		barrier_var(off);
		off &= MAX_STR_LEN - 1;
		struct data_item *item = (void *)&b->data[off];
		long n = bpf_probe_read_kernel_str(&b->data[off + sizeof(*item)], ROOTKIT_EMIT_STR_LEN,
						   &e->str[i * ROOTKIT_EMIT_STR_LEN]);
		if (n <= 0)
			n = 1;
		item->arg = e->arg[i];
		item->kind = e->kind[i];
		item->len = n - 1;
		off += sizeof(*item) + (n - 1);
	}
	submit(ctx, b, off, false);
	return 1;
}

SEC("raw_tp")
int tracee_rootkit_check(struct bpf_raw_tracepoint_args *ctx)
{
	switch (ctx->args[0]) {
	case ROOTKIT_READ:
		return rootkit_read_mem(ctx->args[1], ctx->args[2]);
	case ROOTKIT_READ_FOPS:
		return rootkit_read_fops(ctx->args[1]);
	case ROOTKIT_EMIT:
		return rootkit_emit_record(ctx);
	}
	return 0;
}

#endif /* __TRACEE_HOOKS_ROOTKIT_H */
