/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * security_file_open where neither fentry nor kprobes run: from the open
 * syscalls' exit.
 */
#ifndef __TRACEE_HOOKS_DERIVED_SECURITY_FILE_OPEN_H
#define __TRACEE_HOOKS_DERIVED_SECURITY_FILE_OPEN_H

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

#include "hooks/functions/security_file_open.h"

/* events.tbl: security_file_open @fallback=open,openat,openat2,creat: the
 * file the open returned, by its fd */
static __always_inline void derive_security_file_open_at_exit(void *ctx, __s32 nr, long ret, struct syscall_args *a)
{
	struct file *file = ret >= 0 ? fd_file(ret) : NULL;

	if (file)
		file_open_event(ctx, file, nr, false);
}

#endif
