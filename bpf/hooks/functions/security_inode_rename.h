/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_inode_rename(old_dir, old_dentry, new_dir, new_dentry, flags). Also derived at the rename syscalls' exit where neither fentry nor kprobes run (hooks/derived/security_inode_rename.h). */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_INODE_RENAME_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_INODE_RENAME_H

#include "hooks/functions.h"

static __always_inline int on_security_inode_rename(void *ctx, const bool fentry, struct inode *old_dir,
						    struct dentry *old_dentry, struct inode *new_dir,
						    struct dentry *new_dentry)
{
	struct scratch *b = function_event(EVENT_SECURITY_INODE_RENAME);
	if (!b)
		return 0;
	__u32 off = put_dentry_path(b, 0, 0, old_dentry, NULL);
	off = put_dentry_path(b, off, 1, new_dentry, NULL);
	submit(ctx, b, off, false);
	return 0;
}

#endif
