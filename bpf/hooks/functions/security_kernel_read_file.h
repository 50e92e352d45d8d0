/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_kernel_read_file(struct file *, enum kernel_read_file_id, bool): the kernel reading a file for itself (a module, firmware, a kexec image, a policy). */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_KERNEL_READ_FILE_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_KERNEL_READ_FILE_H

#include "hooks/functions.h"

static __always_inline int on_security_kernel_read_file(void *ctx, const bool fentry, struct file *file, int id)
{
	struct scratch *b = function_event(EVENT_SECURITY_KERNEL_READ_FILE);
	if (!b)
		return 0;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[2] = BPF_CORE_READ(inode, i_ino);
	b->ev.args[3] = id;
	submit(ctx, b, put_file_path(b, file, false), false);
	return 0;
}

#endif
