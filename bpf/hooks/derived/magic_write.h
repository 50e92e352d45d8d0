/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * magic_write: the first bytes written to a regular file, at its offset 0.
 */
#ifndef __TRACEE_HOOKS_DERIVED_MAGIC_WRITE_H
#define __TRACEE_HOOKS_DERIVED_MAGIC_WRITE_H

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

/* write/pwrite64 (fd, buf, count[, pos]) or writev/pwritev (fd, iov,
 * iovcnt[, pos_l]) returned ret: the first bytes of a regular file, if they
 * were written at its offset 0. */
static __always_inline void magic_write(void *ctx, __s32 nr, long ret, __u64 *args)
{
	struct file *file;
	struct inode *inode;
	struct scratch *b;
	__u32 off;

	if (ret <= 0 || !(file = fd_file(args[0])))
		return;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return;
	/* pwrite64 and pwritev say where; write and writev moved the file
	 * position by what they wrote */
	if (is_known(nr, KNOWN_PWRITE64) || is_known(nr, KNOWN_PWRITEV) ? args[3] != 0 : BPF_CORE_READ(file, f_pos) != ret)
		return;
	const void *buf = (const void *)args[1];
	__u64 len = ret;
	if (is_known(nr, KNOWN_WRITEV) || is_known(nr, KNOWN_PWRITEV)) {
		/* the first struct iovec { void *base; size_t len; } */
		__u64 iov[2] = {};
		if (bpf_probe_read_user(iov, sizeof(iov), buf))
			return;
		buf = (const void *)iov[0];
		len = iov[1] < len ? iov[1] : len;
	}
	b = kernel_event(EVENT_MAGIC_WRITE, nr);
	if (!b)
		return;
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[3] = BPF_CORE_READ(inode, i_ino);
	off = put_bytes(b, 0, 1, buf, len);
	off = put_dentry_path(b, off, 0, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	submit(ctx, b, off, false);
}

/* events.tbl: magic_write @after=write,pwrite64,writev,pwritev */
static __always_inline void derive_magic_write_at_exit(void *ctx, __s32 nr, long ret, struct syscall_args *a)
{
	__u64 *args;

	if (event_config(EVENT_MAGIC_WRITE) && (args = syscall_args(a)))
		magic_write(ctx, nr, ret, args);
}

#endif
