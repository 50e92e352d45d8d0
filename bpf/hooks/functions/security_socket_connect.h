/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* security_socket_connect(struct socket *, struct sockaddr *, int addrlen) */
#ifndef __TRACEE_HOOKS_FUNCTIONS_SECURITY_SOCKET_CONNECT_H
#define __TRACEE_HOOKS_FUNCTIONS_SECURITY_SOCKET_CONNECT_H

#include "hooks/functions.h"

static __always_inline int on_security_socket_connect(void *ctx, const bool fentry, struct socket *sock,
						  struct sockaddr *address, int addrlen)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_CONNECT, sock);
	if (b)
		submit(ctx, b, put_sockaddr(b, 0, 1, address, addrlen, true), false);
	return 0;
}

#endif
