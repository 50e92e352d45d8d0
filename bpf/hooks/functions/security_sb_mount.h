/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_sb_mount(dev_name, const struct path *, type, flags, data) */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_SB_MOUNT_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_SB_MOUNT_H

#include "hooks/functions.h"

static __always_inline int on_security_sb_mount(void *ctx, const bool fentry, const char *dev_name,
						const struct path *path, const char *type, unsigned long flags)
{
	struct scratch *b = function_event(EVENT_SECURITY_SB_MOUNT);
	if (!b)
		return 0;
	b->ev.args[3] = flags;
	/* the short strings first: the path may take the rest */
	__u32 off = put_str(b, 0, 2, ARG_KSTR, type);
	off = put_str(b, off, 0, ARG_KSTR, dev_name);
	off = put_dentry_path(b, off, 1, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt));
	submit(ctx, b, off, false);
	return 0;
}

#endif
