/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A socket's own and peer addresses as the struct sockaddr user space
 * decodes, built from the kernel's struct sock as getsockname and
 * getpeername build them: for the hooks that see a socket, not an
 * address (security_socket_accept, socket_dup).
 */
#ifndef __TRACEE_LIB_SOCK_H
#define __TRACEE_LIB_SOCK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "abi.h"
#include "record.h"
#include "items.h"

/* A socket's address as the struct sockaddr of its family, built from the
 * kernel's socket as getsockname (its own: local) or getpeername (peer:
 * the remote end's) builds it: AF_INET (16 bytes), AF_INET6 (28: flowinfo
 * 0, which getpeername fills only for IPV6_FLOWINFO_SEND) from
 * sock_common (rcv_saddr and num, or daddr and dport), ports in network
 * order; AF_UNIX its own unix_sock's bound address, or its peer's, as bind
 * gave it (the family alone if unnamed or without a peer); any other
 * family alone. Returns the new offset. */
static __always_inline __u32 put_sock_addr(struct scratch *b, __u32 off, __u8 arg, struct sock *sk, const bool peer)
{
	if (off >= MAX_STR_LEN)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	__u8 *dst = &b->data[off + sizeof(*item)];
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u32 len = sizeof(family);

	if (family == AF_UNIX) {
		/* bound: its address as bind gave it (len: the addrlen kept) */
		struct unix_sock *u = (struct unix_sock *)sk;
		if (peer)
			u = (struct unix_sock *)BPF_CORE_READ(u, peer);
		struct unix_address *addr = u ? BPF_CORE_READ(u, addr) : NULL;
		if (addr)
			return put_sockaddr(b, off, arg, (void *)addr + bpf_core_field_offset(struct unix_address, name),
					    BPF_CORE_READ(addr, len), true);
	}
	__builtin_memset(dst, 0, SOCKADDR_IN6_SIZE);
	__builtin_memcpy(dst, &family, sizeof(family));
	if (family == AF_INET || family == AF_INET6) {
		/* sin_port and sin6_port: network order, at offset 2 in both
		 * (skc_dport is kept so, skc_num in host order) */
		if (peer) {
			__be16 port = BPF_CORE_READ(sk, __sk_common.skc_dport);
			__builtin_memcpy(dst + 2, &port, sizeof(port));
		} else {
			__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);
			dst[2] = port >> 8;
			dst[3] = port & 0xff;
		}
		if (family == AF_INET) {
			__be32 a = peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr) : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__builtin_memcpy(dst + 4, &a, sizeof(a));
			len = SOCKADDR_IN_SIZE;
		} else {
			/* sin6_addr at offset 8, after sin6_flowinfo: its 16 bytes
			 * (BPF_CORE_READ_INTO would copy sizeof(*dst), one) */
			if (peer)
				bpf_core_read(dst + 8, 16, &sk->__sk_common.skc_v6_daddr);
			else
				bpf_core_read(dst + 8, 16, &sk->__sk_common.skc_v6_rcv_saddr);
			/* sin6_scope_id: the bound interface, for an address that
			 * needs one (link-local fe80::/10, multicast of interface or
			 * link scope ff01::, ff02::), as net/ipv6's inet6_getname */
			if ((dst[8] == 0xfe && (dst[9] & 0xc0) == 0x80) || (dst[8] == 0xff && ((dst[9] & 0xf) == 1 || (dst[9] & 0xf) == 2))) {
				__u32 dev = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
				__builtin_memcpy(dst + 24, &dev, sizeof(dev));
			}
			len = SOCKADDR_IN6_SIZE;
		}
	}
	item->arg = arg;
	item->kind = ARG_SOCKADDR;
	item->len = len;
	return off + sizeof(*item) + len;
}

#endif /* __TRACEE_LIB_SOCK_H */
