/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_bprm_check(struct linux_binprm *): a file about to be executed (the interpreter too, for a script). */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_BPRM_CHECK_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_BPRM_CHECK_H

#include "hooks/functions.h"

static __always_inline int on_security_bprm_check(void *ctx, const bool fentry, struct linux_binprm *bprm)
{
	struct scratch *b = function_event(EVENT_SECURITY_BPRM_CHECK);
	if (!b)
		return 0;
	struct file *file = BPF_CORE_READ(bprm, file);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[2] = BPF_CORE_READ(inode, i_ino);
	submit(ctx, b, put_file_path(b, file, false), false);
	return 0;
}

#endif
