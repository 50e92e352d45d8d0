/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * mem_prot_alert: memory made writable and executable, or a writable and
 * executable mapping made executable only.
 */
#ifndef __TRACEE_HOOKS_DERIVED_MEM_PROT_ALERT_H
#define __TRACEE_HOOKS_DERIVED_MEM_PROT_ALERT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "lib/abi.h"
#include "lib/config.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/items.h"
#include "lib/regs.h"
#include "lib/path.h"
#include "lib/sock.h"
#include "hooks/derived.h"

/* The regions mmap or mprotect made writable and executable, by address
 * space (the mm) and start address: an mprotect of one of them to
 * executable without writable is alert 4 (W+X to X, a JIT's pattern: code
 * written, then made read-only), which the syscall alone cannot tell. A
 * region is forgotten when mapped or protected again otherwise; the least
 * recently used go first. Only where the mprotect's entry could not read
 * the mapping's flags (mprotect_entries): this misses a sub-range, a
 * region moved by mremap or made W+X before the trace started. */
struct wx_region {
	__u64 mm;
	__u64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct wx_region);
	__type(value, __u64); /* length */
} wx_regions SEC(".maps");

/* vm_flags is a plain field before 6.3, a member of an anonymous union
 * (vm_flags, __vm_flags) since: CO-RE finds it by name in either. */
struct vm_area_struct___flags {
	unsigned long vm_flags;
} __attribute__((preserve_access_index));

/* What the entry of an mprotect or pkey_mprotect to executable without
 * writable saw, by host tid, for its exit: the address given, and whether
 * the mapping there was writable and executable (Tracee's test, on the
 * VMA's previous flags, whatever made them so). The least recently used go
 * first: a thread killed in between never reaches the exit. */
struct mprotect_entry {
	__u64 addr;
	__u64 wx;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct mprotect_entry);
} mprotect_entries SEC(".maps");

static long vma_flags(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(__u64 *)data = BPF_CORE_READ((struct vm_area_struct___flags *)vma, vm_flags);
	return 0;
}

/* mprotect or pkey_mprotect (addr, len, prot[, pkey]) entered: the flags of
 * the mapping at addr, while they are still the old ones. Only for a prot
 * that can make alert 4, and only with bpf_find_vma (the programs that call
 * this are loaded on 5.17+ with kernel BTF only). */
static __always_inline void mem_prot_at_entry(__u64 addr, __u64 prot)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mprotect_entry e = { .addr = addr };
	__u64 flags = 0;

	if ((prot & (PROT_WRITE | PROT_EXEC)) != PROT_EXEC || !event_config(EVENT_MEM_PROT_ALERT) ||
	    !bpf_core_field_exists(struct vm_area_struct___flags, vm_flags))
		return;
	/* nothing mapped there (the call fails), or the mm's lock taken
	 * (-EBUSY): the exit falls back to wx_regions */
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, vma_flags, &flags, 0))
		return;
	e.wx = (flags & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC);
	bpf_map_update_elem(&mprotect_entries, &tid, &e, BPF_ANY);
}

/* mmap (addr, len, prot, flags, fd, off) returned the address, or mprotect
 * (addr, len, prot), pkey_mprotect (addr, len, prot, pkey) 0: memory made
 * writable and executable, or a writable and executable mapping made
 * executable only. */
static __always_inline void mem_prot_alert(void *ctx, __s32 nr, long ret, __u64 *args)
{
	bool mmap = is_known(nr, KNOWN_MMAP);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct wx_region region = { .mm = (__u64)BPF_CORE_READ(task, mm), .start = mmap ? (__u64)ret : args[0] };
	bool seen_at_entry = false, wx_before = false;
	__u32 alert;
	struct scratch *b;
	__u32 off = 0;

	if (!mmap) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct mprotect_entry *e = bpf_map_lookup_elem(&mprotect_entries, &tid);
		if (e) {
			seen_at_entry = e->addr == args[0];
			wx_before = seen_at_entry && e->wx;
			bpf_map_delete_elem(&mprotect_entries, &tid);
		}
	}
	if (ret < 0)
		return;
	if ((args[2] & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) {
		bpf_map_update_elem(&wx_regions, &region, &args[1], BPF_ANY);
		alert = mmap ? MEM_PROT_ALERT_MMAP_W_X : MEM_PROT_ALERT_MPROTECT_W_X;
	} else if (!mmap && (args[2] & PROT_EXEC) &&
		   (seen_at_entry ? wx_before : bpf_map_lookup_elem(&wx_regions, &region) != NULL)) {
		bpf_map_delete_elem(&wx_regions, &region);
		alert = MEM_PROT_ALERT_MPROTECT_W_X_TO_X;
	} else {
		bpf_map_delete_elem(&wx_regions, &region);
		return;
	}
	b = kernel_event(EVENT_MEM_PROT_ALERT, nr);
	if (!b)
		return;
	b->ev.args[0] = alert;
	b->ev.args[1] = mmap ? (__u64)ret : args[0];
	b->ev.args[2] = args[1];
	b->ev.args[3] = args[2];
	if (mmap && !(args[3] & MAP_ANONYMOUS)) {
		struct file *file = fd_file(args[4]);
		if (file)
			off = put_dentry_path(b, 0, 4, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	}
	submit(ctx, b, off, false);
}

/* events.tbl: mem_prot_alert @after=mmap,mprotect,pkey_mprotect */
static __always_inline void derive_mem_prot_alert_at_exit(void *ctx, __s32 nr, long ret, struct syscall_args *a)
{
	__u64 *args;

	if (event_config(EVENT_MEM_PROT_ALERT) && (args = syscall_args(a)))
		mem_prot_alert(ctx, nr, ret, args);
}

/* events.tbl: mem_prot_alert @before=mprotect,pkey_mprotect (only the
 * programs with bpf_find_vma call this: tracee_derived_enter_find_vma*) */
static __always_inline void derive_mem_prot_alert_at_entry(void *ctx, __s32 nr, struct syscall_args *a)
{
	__u64 *args = syscall_args(a);

	if (args)
		mem_prot_at_entry(args[0], args[2]);
}

#endif
