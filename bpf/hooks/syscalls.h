/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscalls: one record each, written at its exit with the arguments from
 * the saved registers and the return value; at its entry only what the
 * exit cannot see (exit's no-return, execve's argument count and argv[0],
 * kept in pending and entry_data). Hooked on the raw tracepoints
 * sys_enter/sys_exit, which every syscall runs, or on the selected
 * syscalls' own tracepoints (user space chooses: syscall_hooks.rs).
 */
#ifndef __TRACEE_HOOKS_SYSCALLS_H
#define __TRACEE_HOOKS_SYSCALLS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "lib/config.h"
#include "lib/scope.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/items.h"
#include "lib/regs.h"

/* A syscall between entry and exit: its arguments, captured at entry. */
struct pending {
	__u64 args[MAX_ARGS];
	__u64 timestamp;
	__u32 id;
	/* elements of argv given: MAX_STR_ARRAY + 1 for more, -1 if the
	 * array could not be read */
	__s32 argc;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* host tid */
	__type(value, struct pending);
} pending SEC(".maps");

/* An exec's argv[0] as given, captured at entry, keyed by host tid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct scratch);
} entry_data SEC(".maps");

/* execve (pathname, argv, envp) or execveat (dirfd, pathname, argv, envp,
 * flags): where the pathname is, by the event's config (the legacy
 * programs have no known_syscalls to tell them apart). */
static __always_inline __u8 exec_path_arg(struct event_config *cfg)
{
	return cfg->arg_kinds[0] == ARG_STR ? 0 : 1;
}

/* Elements of the NULL-terminated string array at src, up to
 * MAX_STR_ARRAY + 1 (more); -1 if the array cannot be read. */
static __always_inline __s32 count_str_array(const void *const *src)
{
	const void *p;

	if (!src)
		return 0;
#pragma unroll
	for (int j = 0; j <= MAX_STR_ARRAY; j++) {
		p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), &src[j]))
			return -1;
		if (!p)
			return j;
	}
	return MAX_STR_ARRAY + 1;
}

/* Only these syscalls need their entry: exit's no-return, execve's.
 * Every other one is reported from its exit alone, where the argument
 * registers are still intact. */
static __always_inline struct event_config *entry_config(__u32 id, const bool legacy)
{
	struct event_config *cfg = event_config(id);
	if (!cfg || !(cfg->flags & (EVENT_FLAG_NORETURN | EVENT_FLAG_STR_AT_ENTRY)) || is_self(legacy))
		return NULL;
	return cfg;
}

/* Syscall entry, from either hook, with its arguments read. */
static __always_inline int syscall_enter(void *ctx, __u32 id, struct event_config *cfg, __u64 *args,
					 const bool legacy)
{
	struct pending p = {};

	/* exit and exit_group never reach sys_exit: report them now */
	if (cfg->flags & EVENT_FLAG_NORETURN) {
		/* entry_config() skipped the tracer's own threads */
		struct scratch *b = record_begin(id, id, in_scope(cfg->policies, legacy), legacy);
		if (!b)
			return 0;
		b->ev.header.flags |= RECORD_FLAG_AT_ENTRY;
		__builtin_memcpy(b->ev.args, args, sizeof(b->ev.args));
		submit(ctx, b, 0, legacy);
		return 0;
	}

	/* execve, execveat: their arguments and the time now. What they were
	 * given is reported from the kernel's own copy once the new program
	 * is in place (on_exec_syscall), or read again at sys_exit if the
	 * exec fails; kept from here are only what the kernel does not keep:
	 * how many argv elements were given, and argv[0], which a script's
	 * interpreter replaces */
	__u8 argv_arg = exec_path_arg(cfg) + 1;
	const void *const *argv = (const void *const *)(argv_arg == 1 ? args[1] : args[2]);
	const void *arg0 = NULL;
	__builtin_memcpy(p.args, args, sizeof(p.args));
	p.timestamp = now_ns(legacy);
	p.id = id;
	p.argc = count_str_array(argv);
	struct scratch *b = scratch_buf(SCRATCH_STRING);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (!b)
		return 0;
	b->ev.header.flags = 0;
	if (p.argc != 0 && bpf_probe_read_user(&arg0, sizeof(arg0), argv) == 0 && arg0) {
		put_str(b, 0, argv_arg, ARG_STR_ARRAY, arg0);
		bpf_map_update_elem(&entry_data, &tid, b, BPF_ANY);
	}
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

/* Syscall exit, from either hook. regs are the saved user registers (raw
 * tracepoint); per_syscall: NULL, found by address when needed, and checked.
 * fixed_only: only records without strings or data (the program user space
 * attaches where every selected syscall's record is so), which spares the
 * verifier the data path: 3 ms to load instead of 60 here. */
static __always_inline int syscall_exit(void *ctx, __u32 id, long ret, struct pt_regs *regs,
					const bool per_syscall, const bool fixed_only, const bool legacy)
{
	struct event_config *cfg = event_config(id);
	struct scratch *b;
	__u32 data_len;
	__u64 policies;

	if (!cfg || (cfg->flags & EVENT_FLAG_NORETURN) || is_self(legacy))
		return 0;
	/* scope at exit, as the task is then (after execve: the new program) */
	policies = in_scope(cfg->policies, legacy);
	if (!policies) {
		if (cfg->flags & EVENT_FLAG_STR_AT_ENTRY) {
			__u32 tid = (__u32)bpf_get_current_pid_tgid();
			bpf_map_delete_elem(&entry_data, &tid);
			bpf_map_delete_elem(&pending, &tid);
		}
		return 0;
	}

	if (!(cfg->flags & (EVENT_FLAG_STR_AT_ENTRY | EVENT_FLAG_DATA))) {
		/* the most common record: no strings, a fixed size */
		struct event *ev = reserve_fixed(legacy);
		if (!ev)
			return 0;
		fill_header(&ev->header, id, id, policies, legacy);
		ev->header.return_value = ret;
		if (!cfg->nargs) {
			__builtin_memset(ev->args, 0, sizeof(ev->args));
		} else if (!read_syscall_args(per_syscall ? current_regs() : regs, ev->args, per_syscall ? (long)id : -1)) {
			__builtin_memset(ev->args, 0, sizeof(ev->args));
			ev->header.flags |= RECORD_FLAG_ARGS_UNKNOWN;
		}
		commit_fixed(ctx, ev, legacy);
		return 0;
	}
	/* never attached to such a syscall (loader/plan.rs) */
	if (fixed_only)
		return 0;

	b = scratch_buf(SCRATCH_RECORD);
	if (!b)
		return 0;
	/* an exec that failed (one that succeeded was reported, and its entry
	 * deleted, at sched_process_exec: on_exec_syscall): its arguments as
	 * saved at entry, what they point to read now, from the caller's
	 * memory, which the kernel has read (and so faulted in) as far as it
	 * got. One put_data() for both paths: each copy is long. */
	struct pending *p = NULL;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (cfg->flags & EVENT_FLAG_STR_AT_ENTRY) {
		p = bpf_map_lookup_elem(&pending, &tid);
		if (!p)
			return 0;
		if (p->id != id) {
			bpf_map_delete_elem(&pending, &tid);
			bpf_map_delete_elem(&entry_data, &tid);
			return 0;
		}
	}
	fill_header(&b->ev.header, id, id, policies, legacy);
	b->ev.header.return_value = ret;
	data_len = 0;
	if (p) {
		b->ev.header.timestamp = p->timestamp;
		__builtin_memcpy(b->ev.args, p->args, sizeof(p->args));
		data_len = put_data(b, cfg);
	} else if (!cfg->nargs) {
		/* the common path: one hook, arguments from the saved registers */
		__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
	} else if (read_syscall_args(per_syscall ? current_regs() : regs, b->ev.args, per_syscall ? (long)id : -1)) {
		data_len = put_data(b, cfg);
	} else {
		__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
		b->ev.header.flags |= RECORD_FLAG_ARGS_UNKNOWN;
	}
	submit(ctx, b, data_len, legacy);
	if (p) {
		bpf_map_delete_elem(&pending, &tid);
		bpf_map_delete_elem(&entry_data, &tid);
	}
	return 0;
}

/* raw_tp args: (struct pt_regs *regs, long id). Runs on every syscall:
 * user space attaches it only when no per-syscall entry hooks exist. */
static __always_inline int on_sys_enter(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	__u32 id = ctx->args[1];
	struct event_config *cfg = entry_config(id, legacy);
	__u64 args[MAX_ARGS];

	if (!cfg)
		return 0;
	read_syscall_args((struct pt_regs *)ctx->args[0], args, -1);
	return syscall_enter(ctx, id, cfg, args, legacy);
}

/* raw_tp args: (struct pt_regs *regs, long ret). Runs on every syscall. */
static __always_inline int on_sys_exit(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	return syscall_exit(ctx, syscall_nr(regs), (long)ctx->args[1], regs, false, false, legacy);
}

/* Attached to syscalls/sys_enter_<name> of the syscalls that need their
 * entry: unlike raw sys_enter, other syscalls never run it. */
static __always_inline int on_sys_enter_per_syscall(struct syscall_tp_enter *ctx, const bool legacy)
{
	__u32 id = ctx->nr;
	struct event_config *cfg = entry_config(id, legacy);
	__u64 args[MAX_ARGS];

	if (!cfg)
		return 0;
	/* The kernel refuses to attach a program that reads its context past the
	 * tracepoint's record, and exit's record has one argument: copy them
	 * with a helper, and keep only the ones this syscall has. */
	bpf_probe_read_kernel(args, sizeof(args), ctx->args);
#pragma unroll
	for (int i = 0; i < MAX_ARGS; i++) {
		if (i >= cfg->nargs)
			args[i] = 0;
	}
	return syscall_enter(ctx, id, cfg, args, legacy);
}

/* Attached to syscalls/sys_exit_<name> of each selected syscall, for a
 * narrow selection: unselected syscalls then run no program at all. */
static __always_inline int on_sys_exit_per_syscall(struct syscall_tp_exit *ctx, const bool legacy)
{
	/* the registers are found only once the event is known to be wanted */
	return syscall_exit(ctx, ctx->nr, ctx->ret, NULL, true, false, legacy);
}

/* The same, for a selection whose syscalls all have fixed records. */
static __always_inline int on_sys_exit_fixed_per_syscall(struct syscall_tp_exit *ctx, const bool legacy)
{
	return syscall_exit(ctx, ctx->nr, ctx->ret, NULL, true, true, legacy);
}

RAW_TP(sys_enter)
RAW_TP(sys_exit)
/* one program, many tracepoints: user space attaches it to each selected
 * syscall's tracepoint through perf_event_open (the ids come from tracefs) */
ENTRY("tracepoint", sys_enter_per_syscall, struct syscall_tp_enter)
ENTRY("tracepoint", sys_exit_per_syscall, struct syscall_tp_exit)
ENTRY("tracepoint", sys_exit_fixed_per_syscall, struct syscall_tp_exit)

#endif /* __TRACEE_HOOKS_SYSCALLS_H */
