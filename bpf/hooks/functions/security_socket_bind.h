/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_socket_bind(struct socket *, struct sockaddr *, int addrlen) */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_SOCKET_BIND_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_SOCKET_BIND_H

#include "hooks/functions.h"

static __always_inline int on_security_socket_bind(void *ctx, const bool fentry, struct socket *sock,
						  struct sockaddr *address, int addrlen)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_BIND, sock);
	if (b)
		submit(ctx, b, put_sockaddr(b, 0, 1, address, addrlen, true), false);
	return 0;
}

#endif
