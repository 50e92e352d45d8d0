/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process lifecycle, on the raw tracepoints sched_process_fork, _exec and
 * _exit: Tracee's events of those names, and the per-process scope state
 * they keep (proc_scopes: the tree, executable and follow bits a child
 * inherits, an exec changes, an exit drops).
 */
#ifndef __TRACEE_HOOKS_SCHED_H
#define __TRACEE_HOOKS_SCHED_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tracee.h"
#include "lib/abi.h"
#include "lib/config.h"
#include "lib/scope.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/items.h"
#include "lib/regs.h"
#include "lib/path.h"
#include "hooks/syscalls.h"

/* raw_tp args: (struct task_struct *parent, struct task_struct *child) */
static __always_inline int on_sched_process_fork(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	const volatile struct scope_config *c = scope_config(legacy);
	struct scratch *b;

	/* runs in the parent: the child inherits its tree and executable, and
	 * is followed where the parent matches (or is followed itself) */
	if (c && (c->fields[SCOPE_TREE] | c->fields[SCOPE_EXE] | c->fields[SCOPE_PID_NEW] | c->follow)) {
		__u32 parent_tgid = bpf_get_current_pid_tgid() >> 32;
		__u32 child_tgid = BPF_CORE_READ(child, tgid);
		if (child_tgid != parent_tgid) {
			struct proc_scope cs = {};
			struct proc_scope *ps = bpf_map_lookup_elem(&proc_scopes, &parent_tgid);
			if (ps) {
				cs.tree = ps->tree;
				cs.exe = ps->exe;
				cs.follow = ps->follow;
			}
			if (c->follow)
				cs.follow |= in_scope(c->follow, legacy);
			/* a process made now: after the trace started */
			cs.created = c->fields[SCOPE_PID_NEW] != 0;
			if (cs.tree | cs.exe | cs.follow | cs.created)
				bpf_map_update_elem(&proc_scopes, &child_tgid, &cs, BPF_ANY);
		}
	}
	b = event_begin(event_config(EVENT_SCHED_PROCESS_FORK), EVENT_SCHED_PROCESS_FORK, -1, legacy);
	if (!b)
		return 0;
	b->ev.args[0] = BPF_CORE_READ(child, pid);
	b->ev.args[1] = BPF_CORE_READ(child, tgid);
	b->ev.args[2] = task_ns_tid(child);
	b->ev.args[3] = task_ns_tid(BPF_CORE_READ(child, group_leader));
	b->ev.args[4] = BPF_CORE_READ(child, start_time);
	b->ev.args[5] = 0;
	submit(ctx, b, 0, legacy);
	return 0;
}

/* The exec'd program, at sched_process_exec (fs/exec.c exec_binprm): the
 * new image is in place (bprm->file is what runs: for a script, its
 * interpreter), the user registers hold its entry point, and its stack
 * holds argv and the environment as the kernel copied them. */

/* inode->i_ctime in ns since the epoch, across its layouts: a timespec64
 * i_ctime (before 6.6), __i_ctime (6.6-6.10), i_ctime_sec and
 * i_ctime_nsec (6.11+). */
struct inode___i_ctime {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));
struct inode___dunder_i_ctime {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

static __always_inline __u64 inode_ctime_ns(struct inode *inode)
{
	__s64 sec;
	long nsec;

	/* each field tested: BTFGen keeps (and the build reports) what exists */
	if (bpf_core_field_exists(struct inode, i_ctime_sec) && bpf_core_field_exists(struct inode, i_ctime_nsec)) {
		sec = BPF_CORE_READ(inode, i_ctime_sec);
		/* its top bit is a flag (I_CTIME_QUERIED, 6.13+), not time */
		nsec = BPF_CORE_READ(inode, i_ctime_nsec) & 0x7fffffff;
	} else if (bpf_core_field_exists(struct inode___dunder_i_ctime, __i_ctime)) {
		struct inode___dunder_i_ctime *i = (void *)inode;
		sec = BPF_CORE_READ(i, __i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, __i_ctime.tv_nsec);
	} else if (bpf_core_field_exists(struct inode___i_ctime, i_ctime)) {
		struct inode___i_ctime *i = (void *)inode;
		sec = BPF_CORE_READ(i, i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, i_ctime.tv_nsec);
	} else {
		return 0;
	}
	return sec * 1000000000ULL + nsec;
}

/* Before 6.1 a process's mappings are a list (mm->mmap, vm_next); since,
 * a maple tree, searched with bpf_find_vma (5.17+, kernel BTF). */
struct mm_struct___vma_list {
	struct vm_area_struct *mmap;
} __attribute__((preserve_access_index));
struct vm_area_struct___vma_list {
	struct vm_area_struct *vm_next;
} __attribute__((preserve_access_index));

/* Mappings of a new program walked to find its entry point's: the
 * program's segments, its interpreter's, the vDSO and the stack. */
#define EXEC_VMAS 24

static long vma_file(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(struct file **)data = BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* The file mapped at addr in the current task, NULL if none or unknown. */
static __always_inline struct file *file_mapped_at(struct mm_struct *mm, __u64 addr, const bool find_vma)
{
	struct file *file = NULL;

	if (find_vma) {
		bpf_find_vma(bpf_get_current_task_btf(), addr, vma_file, &file, 0);
		return file;
	}
	if (!bpf_core_field_exists(struct mm_struct___vma_list, mmap) || !bpf_core_field_exists(struct vm_area_struct___vma_list, vm_next))
		return NULL;
	struct vm_area_struct *vma = BPF_CORE_READ((struct mm_struct___vma_list *)mm, mmap);
#pragma unroll
	for (int i = 0; i < EXEC_VMAS; i++) {
		if (vma) {
			if (addr >= BPF_CORE_READ(vma, vm_start) && addr < BPF_CORE_READ(vma, vm_end)) {
				file = BPF_CORE_READ(vma, vm_file);
				vma = NULL;
			} else {
				vma = BPF_CORE_READ((struct vm_area_struct___vma_list *)vma, vm_next);
			}
		}
	}
	return file;
}

/* raw_tp args: (struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm).
 * Keeps the executable scope (executable=) and reports sched_process_exec
 * with Tracee's arguments (cmdpath, pathname, dev, inode, ctime,
 * inode_mode, interpreter_*, argv, interp, stdin_type, stdin_path,
 * invoked_from_kernel, env) and ours (old_pid). find_vma: the interpreter
 * is found with bpf_find_vma (a program of its own: older kernels could
 * not load it). */
static __always_inline int sched_process_exec(struct bpf_raw_tracepoint_args *ctx, const bool legacy, const bool find_vma)
{
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	const volatile struct scope_config *c = scope_config(legacy);
	struct file *file = BPF_CORE_READ(bprm, file);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u32 dev = BPF_CORE_READ(inode, i_sb, s_dev);
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	bool exe_scope = c && c->fields[SCOPE_EXE];
	struct event_config *cfg = event_config(EVENT_SCHED_PROCESS_EXEC);
	const char *path = NULL;
	bool cut = false;
	struct scratch *b;
	__u32 off;

	/* the file the process now runs, by its absolute path and by its
	 * identity: what execve was given (relative, a link, /dev/fd/N) does
	 * not change either */
	if (exe_scope || cfg)
		path = walk_path(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), &cut);
	if (exe_scope) {
		__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
		struct scope_keys *k = bpf_map_lookup_elem(&scope_keys, &zero);
		struct scope_num_key id = { .field = SCOPE_EXE, .dev = dev, .value = ino };
		__u64 exe = listed(&scope_nums, &id);
		/* a path cut short (deeper than the walk goes, or past stacked
		 * mounts) is not the file's: only its identity is compared */
		if (k && path && !cut) {
			__builtin_memset(k->exe, 0, sizeof(k->exe));
			bpf_probe_read_kernel_str(k->exe, sizeof(k->exe), path);
			exe |= listed(&scope_exes, k->exe);
		}
		struct proc_scope *ps = bpf_map_lookup_elem(&proc_scopes, &tgid);
		if (ps) {
			ps->exe = exe;
		} else if (exe) {
			struct proc_scope cs = { .exe = exe };
			bpf_map_update_elem(&proc_scopes, &tgid, &cs, BPF_ANY);
		}
	}
	b = event_begin(cfg, EVENT_SCHED_PROCESS_EXEC, -1, legacy);
	if (!b)
		return 0;
	const char *filename = BPF_CORE_READ(bprm, filename);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	b->ev.args[0] = (__u64)filename;
	b->ev.args[1] = 0;
	b->ev.args[2] = dev;
	b->ev.args[3] = ino;
	b->ev.args[4] = inode_ctime_ns(inode);
	b->ev.args[5] = BPF_CORE_READ(inode, i_mode);

	/* the integers past args first: they are small and always fit */
	struct file *in = fd_file(0);
	off = put_value(b, 0, 12, in ? BPF_CORE_READ(in, f_inode, i_mode) & S_IFMT : 0);
	off = put_value(b, off, 14, (BPF_CORE_READ(task, real_parent, flags) & PF_KTHREAD) != 0);
	off = put_value(b, off, 16, (__u32)ctx->args[1]);
	/* the interpreter (the ELF loader: ld.so) is the file mapped where
	 * the new program starts, if it is not the program itself */
	struct file *itp = file_mapped_at(mm, PT_REGS_IP_CORE(current_regs()), find_vma);
	struct inode *itp_inode = itp ? BPF_CORE_READ(itp, f_inode) : NULL;
	if (itp_inode && itp_inode != inode) {
		off = put_value(b, off, 7, BPF_CORE_READ(itp_inode, i_sb, s_dev));
		off = put_value(b, off, 8, BPF_CORE_READ(itp_inode, i_ino));
		off = put_value(b, off, 9, inode_ctime_ns(itp_inode));
	}
	/* then the paths, the file run first */
	if (cut)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	if (path)
		off = put_str(b, off, 1, ARG_KSTR, path);
	off = put_str(b, off, 0, ARG_KSTR, filename);
	if (itp_inode && itp_inode != inode)
		off = put_dentry_path(b, off, 6, BPF_CORE_READ(itp, f_path.dentry), BPF_CORE_READ(itp, f_path.mnt));
	off = put_str(b, off, 11, ARG_KSTR, BPF_CORE_READ(bprm, interp));
	if (in)
		off = put_file_name(b, off, 13, in);
	/* argv and the environment as the kernel wrote them on the new stack */
	off = put_str_seq(b, off, 10, (const char *)BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(bprm, argc));
	if (cfg->flags & EVENT_FLAG_EXEC_ENV)
		off = put_str_seq(b, off, 15, (const char *)BPF_CORE_READ(mm, env_start), BPF_CORE_READ(bprm, envc));
	submit(ctx, b, off, legacy);
	return 0;
}

static __always_inline int on_sched_process_exec(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	return sched_process_exec(ctx, legacy, false);
}

/* raw_tp args: (struct task_struct *p) */
static __always_inline int on_sched_process_exit(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, tgid = pid_tgid >> 32;
	/* the last thread of the group: the process is gone */
	bool group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	struct scratch *b;

	/* a thread that exits inside a syscall leaves no pending entry behind */
	bpf_map_delete_elem(&pending, &tid);
	b = event_begin(event_config(EVENT_SCHED_PROCESS_EXIT), EVENT_SCHED_PROCESS_EXIT, -1, legacy);
	/* after the scope test, which may need it */
	if (group_dead)
		bpf_map_delete_elem(&proc_scopes, &tgid);
	if (!b)
		return 0;
	int code = BPF_CORE_READ(task, exit_code);
	b->ev.args[0] = (code >> 8) & 0xff; /* exit status, as wait(2) reports it */
	b->ev.args[1] = group_dead;
	b->ev.args[2] = code & 0x7f; /* terminating signal, 0 if none */
	b->ev.args[3] = 0;
	b->ev.args[4] = 0;
	b->ev.args[5] = 0;
	submit(ctx, b, 0, legacy);
	return 0;
}

RAW_TP(sched_process_fork)
RAW_TP(sched_process_exec)
/* tracee_sched_process_exec where bpf_find_vma runs (5.17+, kernel BTF) */
SEC("raw_tracepoint/sched_process_exec")
int tracee_sched_process_exec_find_vma(struct bpf_raw_tracepoint_args *ctx)
{
	return sched_process_exec(ctx, false, true);
}
RAW_TP(sched_process_exit)

#endif /* __TRACEE_HOOKS_SCHED_H */
