/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cap_capable(cred, user_namespace, int cap, unsigned int opts): a capability checked (whether or not the task has it). */
#ifndef __TRACEE_HOOKS_FUNCTIONS_CAP_CAPABLE_H
#define __TRACEE_HOOKS_FUNCTIONS_CAP_CAPABLE_H

#include "hooks/functions.h"

static __always_inline int on_cap_capable(void *ctx, const bool fentry, const struct cred *cred,
					  struct user_namespace *ns, int cap)
{
	struct scratch *b = function_event(EVENT_CAP_CAPABLE);
	if (!b)
		return 0;
	b->ev.args[0] = cap;
	submit(ctx, b, 0, false);
	return 0;
}

#endif
