/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_inode_unlink(struct inode *dir, struct dentry *): a name removed. */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_INODE_UNLINK_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_INODE_UNLINK_H

#include "hooks/functions.h"

static __always_inline int on_security_inode_unlink(void *ctx, const bool fentry, struct inode *dir, struct dentry *dentry)
{
	struct scratch *b = function_event(EVENT_SECURITY_INODE_UNLINK);
	if (!b)
		return 0;
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_ino);
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	submit(ctx, b, put_dentry_path(b, 0, 0, dentry, NULL), false);
	return 0;
}

#endif
