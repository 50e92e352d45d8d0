/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * security_inode_rename where neither fentry nor kprobes run: from the
 * rename syscalls' exit.
 */
#ifndef __TRACEE_HOOKS_DERIVED_SECURITY_INODE_RENAME_H
#define __TRACEE_HOOKS_DERIVED_SECURITY_INODE_RENAME_H

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

/* rename (oldpath, newpath), renameat and renameat2 (olddirfd, oldpath,
 * newdirfd, newpath, ...) renamed (returned 0): security_inode_rename with
 * both names absolute (put_at_path). */
static __always_inline void inode_rename_at_exit(void *ctx, __s32 nr, __u64 *args)
{
	bool at = !is_known(nr, KNOWN_RENAME);
	struct scratch *b = kernel_event(EVENT_SECURITY_INODE_RENAME, nr);
	__u32 off;

	if (!b)
		return;
	off = put_at_path(b, 0, 0, at ? (int)args[0] : AT_FDCWD, (const char *)(at ? args[1] : args[0]));
	off = put_at_path(b, off, 1, at ? (int)args[2] : AT_FDCWD, (const char *)(at ? args[3] : args[1]));
	submit(ctx, b, off, false);
}

/* events.tbl: security_inode_rename @fallback=rename,renameat,renameat2 */
static __always_inline void derive_security_inode_rename_at_exit(void *ctx, __s32 nr, long ret, struct syscall_args *a)
{
	__u64 *args;

	if (ret == 0 && (args = syscall_args(a)))
		inode_rename_at_exit(ctx, nr, args);
}

#endif
