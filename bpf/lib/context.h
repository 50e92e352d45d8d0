/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The context every record carries (struct event_header: who, when,
 * where), and the start every handler shares: the event's policies, the
 * tracer's own threads skipped, the scope tested, the record begun with
 * its header (event_begin).
 */
#ifndef __TRACEE_LIB_CONTEXT_H
#define __TRACEE_LIB_CONTEXT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "config.h"
#include "cgroup.h"
#include "scope.h"
#include "record.h"

/* pid of a task (thread id) in the task's own pid namespace */
static __always_inline __u32 task_ns_tid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	return BPF_CORE_READ(pid, numbers[level].nr);
}

/* ns since boot; before 5.8 (no bpf_ktime_get_boot_ns) the monotonic clock,
 * which differs only by time spent suspended. has_ktime_boot is probed by
 * user space and constant once loaded, so the verifier drops the other call. */
static __always_inline __u64 now_ns(const bool legacy)
{
	if (!legacy && has_ktime_boot)
		return bpf_ktime_get_boot_ns();
	return bpf_ktime_get_ns();
}

/* The current task's context for event_id into h; the return value and
 * the flags zero, which the caller sets. */
static __always_inline void fill_header(struct event_header *h, __u32 event_id, __s32 syscall,
					__u64 policies, const bool legacy)
{
	struct task_struct *task, *parent;
	struct pid *pid;
	unsigned int level;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	/* direct_task_reads is constant once loaded: the verifier drops the
	 * other branch. Both read the same fields (CO-RE relocated alike). */
	if (!legacy && direct_task_reads) {
		task = bpf_get_current_task_btf();
		/* threads share their leader's parent */
		parent = task->real_parent;
		pid = task->thread_pid;
		level = pid->level;
		h->thread_start_time = task->start_time;
		h->host_parent_process_id = parent->tgid;
		h->mount_namespace = task->nsproxy->mnt_ns->ns.inum;
	} else {
		task = (struct task_struct *)bpf_get_current_task();
		parent = BPF_CORE_READ(task, real_parent);
		pid = BPF_CORE_READ(task, thread_pid);
		level = BPF_CORE_READ(pid, level);
		h->thread_start_time = BPF_CORE_READ(task, start_time);
		h->host_parent_process_id = BPF_CORE_READ(parent, tgid);
		h->mount_namespace = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	}
	h->timestamp = now_ns(legacy);
	h->cgroup_id = current_cgroup_id(legacy);
	h->matched_policies = policies;
	h->return_value = 0;
	h->event_id = event_id;
	h->syscall = syscall;
	h->host_process_id = pid_tgid >> 32;
	h->host_thread_id = (__u32)pid_tgid;
	if (level == 0) {
		/* the initial pid namespace: the pids are the host's (and the
		 * parent, in the same or an ancestor namespace, is there too) */
		h->process_id = h->host_process_id;
		h->thread_id = h->host_thread_id;
		h->parent_process_id = h->host_parent_process_id;
	} else {
		h->process_id = task_ns_tid(BPF_CORE_READ(task, group_leader));
		h->thread_id = BPF_CORE_READ(pid, numbers[level].nr);
		h->parent_process_id = task_ns_tid(BPF_CORE_READ(parent, group_leader));
	}
	h->user_id = (__u32)uid_gid;
	h->group_id = uid_gid >> 32;
	/* the initial pid namespace's id is fixed (PROC_PID_INIT_INO) */
	h->pid_namespace = level == 0 ? PROC_PID_INIT_INO : BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
	h->processor_id = bpf_get_smp_processor_id();
	h->flags = 0;
	bpf_get_current_comm(&h->process_name, sizeof(h->process_name));
}

/* The record of event id in the record slot, its header filled with the
 * policies given; NULL if there are none (or no slot). */
static __always_inline struct scratch *record_begin(__u32 id, __s32 syscall, __u64 policies, const bool legacy)
{
	struct scratch *b = scratch_buf(SCRATCH_RECORD);

	if (!b || !policies)
		return NULL;
	fill_header(&b->ev.header, id, syscall, policies, legacy);
	return b;
}

/* A handler's start: the record of event id, its header filled, if some
 * policy selects the event (cfg, NULL where none does: event_config) and
 * the current task, not the tracer's own, is in its scope; NULL otherwise.
 * syscall: the syscall the event comes from, -1 for none. (record_begin()'s
 * steps written out: called from here, it makes clang lay out the
 * handlers' code differently, and longer.) */
static __always_inline struct scratch *event_begin(struct event_config *cfg, __u32 id, __s32 syscall,
						   const bool legacy)
{
	struct scratch *b;
	__u64 policies;

	if (!cfg || is_self(legacy))
		return NULL;
	policies = in_scope(cfg->policies, legacy);
	b = scratch_buf(SCRATCH_RECORD);
	if (!b || !policies)
		return NULL;
	fill_header(&b->ev.header, id, syscall, policies, legacy);
	return b;
}

/* The record of a kernel event (a kernel function's, or one derived at a
 * syscall's exit), its header filled and its arguments zero, if some
 * policy wants it for the current task; NULL otherwise. */
static __always_inline struct scratch *kernel_event(__u32 id, __s32 syscall)
{
	struct scratch *b = event_begin(event_config(id), id, syscall, false);

	if (b)
		__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
	return b;
}

#endif /* __TRACEE_LIB_CONTEXT_H */
