/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel functions: the LSM hooks (security_*) and the capability check
 * (cap_capable), Tracee's events of those names. Each event's code is one
 * on_<function>(ctx, fentry, params...) in hooks/functions/<function>.h,
 * entered from two programs generated from events.tbl (functions.gen.h):
 * fentry where the kernel has its own BTF, kprobe elsewhere. What they
 * share is here. User space loads one of
 * them per event, or reports why neither can run; where neither does,
 * some are derived at syscalls' exit instead (hooks/derived.h). The reads
 * are CO-RE probe reads, valid from both.
 */
#ifndef __TRACEE_HOOKS_FUNCTIONS_H
#define __TRACEE_HOOKS_FUNCTIONS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tracee.h"
#include "lib/config.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/items.h"
#include "lib/regs.h"
#include "lib/path.h"
#include "lib/sock.h"

/* A kernel function's record (kernel_event), in the syscall the current
 * task is in. */
static __always_inline struct scratch *function_event(__u32 id)
{
	return kernel_event(id, current_syscall());
}

/* The socket's fd: the first argument of the syscall the hook runs in, if
 * that is connect, bind, accept or accept4; else -1. */
static __always_inline __s64 current_sockfd(__s32 syscall)
{
	if (is_known(syscall, KNOWN_CONNECT) || is_known(syscall, KNOWN_BIND) || is_known(syscall, KNOWN_ACCEPT) ||
	    is_known(syscall, KNOWN_ACCEPT4))
		return (int)PT_REGS_PARM1_CORE_SYSCALL(current_regs());
	return -1;
}

/* The socket hooks' record: sockfd, the address at arg 1, the type. */
static __always_inline struct scratch *socket_event(__u32 id, struct socket *sock)
{
	struct scratch *b = function_event(id);
	if (!b)
		return NULL;
	b->ev.args[0] = current_sockfd(b->ev.header.syscall);
	b->ev.args[2] = BPF_CORE_READ(sock, type);
	return b;
}

/* Each event's handler, on_<event>() in hooks/functions/<event>.h, and its
 * two programs, generated from events.tbl's @function(params) lines. */
#include "functions.gen.h"

#endif /* __TRACEE_HOOKS_FUNCTIONS_H */
