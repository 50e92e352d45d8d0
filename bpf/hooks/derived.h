/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events derived at a syscall's exit (events.tbl @after=): magic_write,
 * mem_prot_alert, socket_dup, and the fallbacks of the kernel functions
 * (security_file_open, security_inode_rename, @fallback=) where neither
 * fentry nor kprobes run; mem_prot_alert also looks at mprotect's entry
 * (@before=). Each event's handler is in hooks/derived/<event>.h, called
 * by the dispatch derived.gen.h makes from events.tbl.
 * In programs of their own, so the syscall programs stay as small as they
 * were: on the per-syscall tracepoints of their syscalls, or on raw
 * sys_exit where tracefs lacks them. Not for the legacy programs' kernels.
 */
#ifndef __TRACEE_HOOKS_DERIVED_H
#define __TRACEE_HOOKS_DERIVED_H

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
#include "hooks/functions.h"

/* A syscall's arguments, read once, when a handler first asks
 * (syscall_args): from regs (raw tracepoints' saved user registers), or
 * the current task's (per-syscall tracepoints: regs NULL, checked against
 * id), or given (the per-syscall entry tracepoint's own). */
struct syscall_args {
	struct pt_regs *regs;
	long id;
	const __u64 *given;
	bool read;
	__u64 v[MAX_ARGS];
};

/* a's arguments, NULL if they cannot be read */
static __always_inline __u64 *syscall_args(struct syscall_args *a)
{
	if (a->given)
		return (__u64 *)a->given;
	if (!a->read) {
		if (!read_syscall_args(a->regs ? a->regs : current_regs(), a->v, a->id))
			return NULL;
		a->read = true;
	}
	return a->v;
}

/* Each derived event's derive_<event> flag, its handler
 * (hooks/derived/<event>.h) and derive_at_exit(), derive_at_entry(), which
 * call them: generated from events.tbl. */
#include "derived.gen.h"

SEC("raw_tracepoint/sys_exit")
int tracee_derived_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	struct syscall_args args = { .regs = regs, .id = -1 };

	derive_at_exit(ctx, syscall_nr(regs), (long)ctx->args[1], &args);
	return 0;
}

SEC("tracepoint")
int tracee_derived_exit_per_syscall(struct syscall_tp_exit *ctx)
{
	struct syscall_args args = { .id = ctx->nr };

	derive_at_exit(ctx, ctx->nr, ctx->ret, &args);
	return 0;
}

/* The entries of the syscalls derived events need (events.tbl @before=:
 * mprotect, pkey_mprotect for mem_prot_alert), with bpf_find_vma (5.17+,
 * kernel BTF): user space loads them only there, and only when
 * mem_prot_alert is selected. Raw sys_enter: every syscall runs it, so the
 * number is tested before anything is read. */
SEC("raw_tracepoint/sys_enter")
int tracee_derived_enter_find_vma(struct bpf_raw_tracepoint_args *ctx)
{
	struct syscall_args args = { .regs = (struct pt_regs *)ctx->args[0], .id = -1 };

	derive_at_entry(ctx, ctx->args[1], &args);
	return 0;
}

/* Attached to the per-syscall entry tracepoints of the @before= syscalls
 * (sys_enter_mprotect, sys_enter_pkey_mprotect): their records hold the
 * arguments. */
SEC("tracepoint")
int tracee_derived_enter_find_vma_per_syscall(struct syscall_tp_enter *ctx)
{
	struct syscall_args args = { .given = (const __u64 *)ctx->args };

	derive_at_entry(ctx, ctx->nr, &args);
	return 0;
}

#endif /* __TRACEE_HOOKS_DERIVED_H */
