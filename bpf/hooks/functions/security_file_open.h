/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_file_open(struct file *): every file opened, by any syscall. Also derived at the open syscalls' exit where neither fentry nor kprobes run (hooks/derived/security_file_open.h). */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_FILE_OPEN_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_FILE_OPEN_H

#include "hooks/functions.h"

/* file's record in syscall; d_path: bpf_d_path may build its path (fentry,
 * in security_file_open only: the kernel's allow list) */
static __always_inline int file_open_event(void *ctx, struct file *file, __s32 syscall, const bool d_path)
{
	struct scratch *b = kernel_event(EVENT_SECURITY_FILE_OPEN, syscall);
	if (!b)
		return 0;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	b->ev.args[1] = BPF_CORE_READ(file, f_flags);
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[3] = BPF_CORE_READ(inode, i_ino);
	submit(ctx, b, put_file_path(b, file, d_path), false);
	return 0;
}

static __always_inline int on_security_file_open(void *ctx, const bool fentry, struct file *file)
{
	return file_open_event(ctx, file, current_syscall(), fentry);
}

#endif
