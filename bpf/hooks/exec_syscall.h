/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * execve and execveat that succeed, reported at sched_process_exec (the
 * exec'ing thread's id is gone by the syscall's exit) with what they were
 * given read from the kernel's own copy (bprm, the new stack), and what
 * only their entry saw (hooks/syscalls.h: pending, entry_data).
 */
#ifndef __TRACEE_HOOKS_EXEC_SYSCALL_H
#define __TRACEE_HOOKS_EXEC_SYSCALL_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "lib/abi.h"
#include "lib/config.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/items.h"
#include "hooks/syscalls.h"

/* p advanced past n strings laid end to end (at most 8: the elements a
 * chain of script interpreters puts before a script's own arguments).
 * Each is read into the record's free space at off, not kept. */
static __always_inline const char *skip_strs(struct scratch *b, __u32 off, const char *p, int n)
{
	off &= MAX_STR_LEN - 1;
#pragma unroll
	for (int j = 0; j < 8; j++) {
		if (j >= n)
			break;
		long len = bpf_probe_read_user_str(&b->data[off], MAX_STR_LEN, p);
		if (len <= 0)
			return NULL;
		p += len;
	}
	return p;
}

/* Append the name execveat was given, from bprm->filename: with a dirfd
 * and a relative or empty name, the kernel made that "/dev/fd/<dirfd>/<name>"
 * or "/dev/fd/<dirfd>" (fs/exec.c alloc_bprm; marked by bprm->fdpath since
 * 5.9, told by the prefix before). */
static __always_inline __u32 put_given_name(struct scratch *b, __u32 off, __u8 arg, struct linux_binprm *bprm,
					    const char *filename, int dirfd)
{
	char head[24] = {};
	__u64 v = 0;
	int pos = 8;

	if (dirfd == AT_FDCWD || dirfd < 0 ||
	    (bpf_core_field_exists(bprm->fdpath) && !BPF_CORE_READ(bprm, fdpath)))
		return put_str(b, off, arg, ARG_KSTR, filename);
	bpf_probe_read_kernel_str(head, sizeof(head), filename);
	/* "/dev/fd/" (as a little-endian word: no string constant, which
	 * would be global data), then dirfd's digits */
	if (*(__u64 *)head != 0x2f64662f7665642fULL)
		return put_str(b, off, arg, ARG_KSTR, filename);
#pragma unroll
	for (int i = 8; i < 19; i++) {
		if (head[i] < '0' || head[i] > '9')
			break;
		v = v * 10 + (head[i] - '0');
		pos = i + 1;
	}
	if (pos == 8 || v != (__u64)dirfd)
		return put_str(b, off, arg, ARG_KSTR, filename);
	if (head[pos & 15] == '/')
		return put_str(b, off, arg, ARG_KSTR, filename + pos + 1);
	if (head[pos & 15] == 0) {
		head[0] = 0; /* AT_EMPTY_PATH: "" */
		return put_str(b, off, arg, ARG_KSTR, head);
	}
	return put_str(b, off, arg, ARG_KSTR, filename);
}

/* What a successful execve/execveat was given, from the kernel's copy
 * (see on_exec_syscall): the pathname, argv (and envp when its strings
 * are asked for) in the positions the event's config has them. */
static __always_inline __u32 put_exec_given(struct scratch *b, struct event_config *cfg, struct pending *p,
					    struct linux_binprm *bprm, __u32 old_tid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	const char *filename = BPF_CORE_READ(bprm, filename);
	__u8 path_arg = exec_path_arg(cfg);
	__u8 argv_arg = path_arg + 1;
	int argc = BPF_CORE_READ(bprm, argc);
	/* a script (or binfmt_misc) put its interpreter, maybe an argument
	 * and the script's name where the given argv[0] was: bprm->interp
	 * then differs from the name (fs/binfmt_script.c) */
	bool interpreted = (const char *)BPF_CORE_READ(bprm, interp) != filename;
	int n = p->argc;
	const char *arg = (const char *)BPF_CORE_READ(mm, arg_start);
	__u32 off = put_given_name(b, 0, path_arg, bprm, filename, path_arg ? (int)p->args[0] : AT_FDCWD);

	/* argc unknown (the given array was unreadable) or past what is
	 * captured: as the kernel counted them (a script's: one interpreter,
	 * no argument, the most common) */
	if (n < 0 || n > MAX_STR_ARRAY)
		n = interpreted ? argc - 1 : argc;
	if (interpreted && n > 0) {
		/* given argv[0] from entry; the others follow the argc - n + 1
		 * elements the interpreter's handler put first */
		struct scratch *ed = bpf_map_lookup_elem(&entry_data, &old_tid);
		struct data_item *item = ed ? (void *)ed->data : NULL;
		if (item && off < MAX_STR_LEN) {
			__u32 len = item->len;
			if (len > MAX_STR_LEN - 1)
				len = MAX_STR_LEN - 1;
			barrier_var(off);
			off &= MAX_STR_LEN - 1;
			bpf_probe_read_kernel(&b->data[off], sizeof(*item) + len, item);
			b->ev.header.flags |= ed->ev.header.flags;
			off += sizeof(*item) + len;
		}
		arg = skip_strs(b, off, arg, argc - n + 1);
		n--;
	}
	/* one call site: each is verified */
	off = put_str_seq(b, off, argv_arg, arg, arg ? n : 0);
	if (p->argc > MAX_STR_ARRAY)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	/* the environment, unchanged by interpreters */
	if (cfg->arg_kinds[(argv_arg + 1) & 7] == ARG_STR_ARRAY)
		off = put_str_seq(b, off, argv_arg + 1, (const char *)BPF_CORE_READ(mm, env_start), BPF_CORE_READ(bprm, envc));
	return off;
}

/* execve and execveat that succeed: reported here, where the new program
 * is in place, rather than at sys_exit, where the exec'ing thread may no
 * longer have its thread id (a thread other than the leader takes the
 * leader's, fs/exec.c de_thread) and a successful execveat exits as execve
 * on recent kernels. What they were given comes from the kernel's own
 * copy: the name it resolved and the strings it wrote on the new stack,
 * resident (at entry they may sit in pages the caller never touched, which
 * a BPF program cannot fault in) and past a racing thread's reach (what
 * the caller's memory holds at entry is not necessarily what the kernel
 * copies). The return value is 0: past sched_process_exec, exec succeeds. */
static __always_inline int on_exec_syscall(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	__u32 old_tid = (__u32)ctx->args[1];
	struct pending *pp = bpf_map_lookup_elem(&pending, &old_tid);
	struct event_config *cfg;
	struct scratch *b;
	struct pending p;

	if (!pp)
		return 0;
	__builtin_memcpy(&p, pp, sizeof(p));
	bpf_map_delete_elem(&pending, &old_tid);
	cfg = event_config(p.id);
	b = event_begin(cfg && (cfg->flags & EVENT_FLAG_STR_AT_ENTRY) ? cfg : NULL, p.id, p.id, legacy);
	if (b) {
		b->ev.header.timestamp = p.timestamp;
		__builtin_memcpy(b->ev.args, p.args, sizeof(p.args));
		submit(ctx, b, put_exec_given(b, cfg, &p, bprm, old_tid), legacy);
	}
	bpf_map_delete_elem(&entry_data, &old_tid);
	return 0;
}

/* after tracee_sched_process_exec, whose executable scope it uses (user
 * space attaches them in that order) */
ENTRY("raw_tracepoint/sched_process_exec", exec_syscall, struct bpf_raw_tracepoint_args)

#endif /* __TRACEE_HOOKS_EXEC_SYSCALL_H */
