/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * socket_dup: a socket's fd duplicated.
 */
#ifndef __TRACEE_HOOKS_DERIVED_SOCKET_DUP_H
#define __TRACEE_HOOKS_DERIVED_SOCKET_DUP_H

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

/* dup (oldfd), dup2 (oldfd, newfd), dup3 (oldfd, newfd, flags) or fcntl
 * (fd, cmd, arg) returned ret: the fd made (for dup2 and dup3 newfd, which
 * they return), if it is a socket, with the socket's addresses. */
static __always_inline void socket_dup(void *ctx, __s32 nr, long ret, __u64 *args)
{
	struct scratch *b;
	struct file *file;
	struct socket *sock;
	struct sock *sk;
	__u32 off;

	if (ret < 0 || (is_known(nr, KNOWN_FCNTL) && (int)args[1] != F_DUPFD && (int)args[1] != F_DUPFD_CLOEXEC))
		return;
	if (!(file = fd_file(ret)))
		return;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	/* a socket's file has it in private_data, and it points back to the
	 * file (net/socket.c sock_alloc_file); an O_PATH fd of a socket's
	 * name in a directory has the inode's mode, not the socket */
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file || !(sk = BPF_CORE_READ(sock, sk)))
		return;
	b = kernel_event(EVENT_SOCKET_DUP, nr);
	if (!b)
		return;
	b->ev.args[0] = (int)args[0];
	b->ev.args[1] = (int)ret;
	off = put_sock_addr(b, 0, 2, sk, true);
	off = put_sock_addr(b, off, 3, sk, false);
	submit(ctx, b, off, false);
}

/* events.tbl: socket_dup @after=dup,dup2,dup3,fcntl */
static __always_inline void derive_socket_dup_at_exit(void *ctx, __s32 nr, long ret, struct syscall_args *a)
{
	__u64 *args;

	if (event_config(EVENT_SOCKET_DUP) && (args = syscall_args(a)))
		socket_dup(ctx, nr, ret, args);
}

#endif
