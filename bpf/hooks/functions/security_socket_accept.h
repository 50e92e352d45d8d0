/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_socket_accept(struct socket *sock, struct socket *newsock) */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_SOCKET_ACCEPT_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_SOCKET_ACCEPT_H

#include "hooks/functions.h"

static __always_inline int on_security_socket_accept(void *ctx, const bool fentry, struct socket *sock)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_ACCEPT, sock);
	if (b)
		submit(ctx, b, put_sock_addr(b, 0, 1, BPF_CORE_READ(sock, sk), false), false);
	return 0;
}

#endif
