/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A record's data section: the items (struct data_item, then its bytes)
 * that carry what an argument points to (strings, string arrays,
 * sockaddrs, msghdrs, timespecs, a buffer's first bytes) and arguments
 * past the record's MAX_ARGS. Each put_*() appends one at offset off and
 * returns the new offset; what does not fit is cut and flagged.
 */
#ifndef __TRACEE_LIB_ITEMS_H
#define __TRACEE_LIB_ITEMS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tracee.h"
#include "record.h"

/* Append one string as a data item at offset off; returns the new offset. */
static __always_inline __u32 put_str(struct scratch *b, __u32 off, __u8 arg, __u8 kind,
				     const void *src)
{
	/* a string may start only in the first half of the data section; one
	 * that would start later is dropped and the record marked truncated */
	if (off >= MAX_STR_LEN) {
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
		return off;
	}
	/* a no-op for the value but a bound the verifier keeps; the barrier stops
	 * clang from dropping the mask as redundant after the check above */
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	void *dst = &b->data[off + sizeof(*item)];
	long n;

	if (kind == ARG_KSTR)
		n = bpf_probe_read_kernel_str(dst, MAX_STR_LEN, src);
	else
		n = bpf_probe_read_user_str(dst, MAX_STR_LEN, src);
	item->arg = arg;
	if (n <= 0 && kind != ARG_KSTR && src) {
		/* user memory not readable here (a BPF program cannot fault a
		 * page in): say so, with the address, rather than an empty
		 * string that reads like a value. (Joined with the path below,
		 * as a length: one path fewer for the verifier to walk.) */
		__builtin_memcpy(dst, &src, sizeof(src));
		kind = ARG_UNREADABLE;
		n = sizeof(src) + 1;
		b->ev.header.flags |= RECORD_FLAG_UNREADABLE;
	} else if (n <= 0) {
		n = 1; /* NULL, or a kernel string gone: empty */
	} else if (n == MAX_STR_LEN) {
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	}
	item->kind = kind;
	item->len = n - 1; /* without the NUL */
	return off + sizeof(*item) + (n - 1);
}

/* Append, for a user pointer src whose memory cannot be read, an
 * ARG_UNREADABLE item holding src itself; returns the new offset. (put_str
 * writes the same item on its own path: joined with its strings', it
 * leaves the verifier one path fewer per string.) */
static __always_inline __u32 put_unreadable(struct scratch *b, __u32 off, __u8 arg, const void *src)
{
	if (off >= MAX_STR_LEN)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	__builtin_memcpy(&b->data[off + sizeof(*item)], &src, sizeof(src));
	item->arg = arg;
	item->kind = ARG_UNREADABLE;
	item->len = sizeof(src);
	b->ev.header.flags |= RECORD_FLAG_UNREADABLE;
	return off + sizeof(*item) + sizeof(src);
}

/* Append an integer argument past the record's args (an event with more
 * than MAX_ARGS) as a data item; returns the new offset. */
static __always_inline __u32 put_value(struct scratch *b, __u32 off, __u8 arg, __u64 value)
{
	if (off >= MAX_STR_LEN) {
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
		return off;
	}
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	__builtin_memcpy(&b->data[off + sizeof(*item)], &value, sizeof(value));
	item->arg = arg;
	item->kind = ARG_VALUE;
	item->len = sizeof(value);
	return off + sizeof(*item) + sizeof(value);
}

/* Append the len bytes of the struct sockaddr at src (user memory: a
 * syscall's argument; or kernel memory: an LSM hook's) as a data item,
 * whatever its family: user space decodes them (an AF_UNIX abstract name
 * is as long as addrlen says, NULs included). len is capped at
 * SOCKADDR_MAX, what the kernel itself copies. Returns the new offset;
 * nothing for NULL or a length under 2 (no family), an unreadable user
 * address is flagged (ARG_UNREADABLE). */
static __always_inline __u32 put_sockaddr(struct scratch *b, __u32 off, __u8 arg, const void *src, long len,
					  const bool kernel)
{
	if (off >= MAX_STR_LEN || !src || len < 2)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	void *dst = &b->data[off + sizeof(*item)];
	__u32 n = len > SOCKADDR_MAX ? SOCKADDR_MAX : len;

	/* a no-op for the value (n <= SOCKADDR_MAX), but a bound that older
	 * verifiers keep where they lose the comparison's */
	barrier_var(n);
	n &= 2 * SOCKADDR_MAX - 1;
	if (kernel ? bpf_probe_read_kernel(dst, n, src) : bpf_probe_read_user(dst, n, src))
		return kernel ? off : put_unreadable(b, off, arg, src);
	item->arg = arg;
	item->kind = ARG_SOCKADDR;
	item->len = n;
	return off + sizeof(*item) + n;
}

/* The length of the sockaddr at args[i] of a syscall that returned ret:
 * args[i + 1] itself (an address given: connect, bind, sendto), or, for
 * EVENT_FLAG_ADDRLEN_PTR, the int it points to, which the kernel wrote
 * with the address it returned (accept, getsockname, recvfrom); 0, none,
 * where it failed and wrote neither. (A buffer smaller than the address
 * gets only its own size of it: the kernel's length is then larger, and
 * the bytes past the buffer's are the caller's.) */
static __always_inline long sockaddr_len(struct event_config *cfg, __u64 *args, int i, long ret)
{
	int len = 0;

	if (i + 1 >= MAX_ARGS)
		return 0;
	if (!(cfg->flags & EVENT_FLAG_ADDRLEN_PTR))
		return (int)args[i + 1];
	if (ret < 0)
		return 0;
	if (!args[i + 1] || bpf_probe_read_user(&len, sizeof(len), (void *)args[i + 1]))
		return 0;
	return len;
}

/* Append the struct user_msghdr at src (user memory, read at the exit of a
 * syscall that returned ret) as a struct msghdr_item, then, if the call
 * succeeded, the address msg_name points to (msg_namelen bytes, at most
 * SOCKADDR_MAX): a failed recvmsg wrote none. Nothing if it cannot be read. */
static __always_inline __u32 put_msghdr(struct scratch *b, __u32 off, __u8 arg, const void *src, long ret)
{
	struct user_msghdr m;
	struct msghdr_item h = {};

	if (off >= MAX_STR_LEN || !src || bpf_probe_read_user(&m, sizeof(m), src))
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	h.msg_name = (__u64)m.msg_name;
	h.msg_namelen = m.msg_namelen;
	h.msg_iovlen = m.msg_iovlen;
	h.msg_controllen = m.msg_controllen;
	h.msg_flags = m.msg_flags;
	__builtin_memcpy(&b->data[off + sizeof(*item)], &h, sizeof(h));
	__u32 n = 0;
	if (ret >= 0 && m.msg_name && m.msg_namelen >= 2) {
		n = m.msg_namelen > SOCKADDR_MAX ? SOCKADDR_MAX : m.msg_namelen;
		barrier_var(n);
		n &= 2 * SOCKADDR_MAX - 1;
		if (bpf_probe_read_user(&b->data[off + sizeof(*item) + sizeof(h)], n, m.msg_name))
			n = 0;
	}
	item->arg = arg;
	item->kind = ARG_MSGHDR;
	item->len = sizeof(h) + n;
	return off + sizeof(*item) + sizeof(h) + n;
}

/* Append the elements of the NULL-terminated string array at src, one data
 * item each; returns the new offset. Elements past MAX_STR_ARRAY, or past
 * the room in the record, are cut and the record marked truncated. A
 * function of its own (a BPF-to-BPF call, 4.16+), not inlined: its 32
 * copies of put_str() inlined at each call site would make the syscall
 * exit programs longer than a jump can span. */
static __noinline __u32 put_str_array(struct scratch *b, __u32 off, __u8 arg, const void *const *src)
{
	const void *p;

#pragma unroll
	for (int j = 0; j < MAX_STR_ARRAY; j++) {
		p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), &src[j])) {
			/* the array itself unreadable: said so, as its address
			 * (an element's would differ) */
			return j == 0 && src ? put_unreadable(b, off, arg, src) : off;
		}
		if (!p)
			return off;
		off = put_str(b, off, arg, ARG_STR_ARRAY, p);
		if (off >= MAX_STR_LEN)
			return off; /* put_str flags what did not fit */
	}
	p = NULL;
	if (bpf_probe_read_user(&p, sizeof(p), &src[MAX_STR_ARRAY]) == 0 && p)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	return off;
}

/* Append the struct __kernel_timespec at src; nothing if it cannot be read. */
static __always_inline __u32 put_timespec(struct scratch *b, __u32 off, __u8 arg, const void *src)
{
	if (off >= MAX_STR_LEN)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	if (bpf_probe_read_user(&b->data[off + sizeof(*item)], 2 * sizeof(__s64), src))
		return off;
	item->arg = arg;
	item->kind = ARG_TIMESPEC;
	item->len = 2 * sizeof(__s64);
	return off + sizeof(*item) + 2 * sizeof(__s64);
}

/* Append the first bytes of the user buffer at src (len long); nothing if
 * it cannot be read. */
static __always_inline __u32 put_bytes(struct scratch *b, __u32 off, __u8 arg, const void *src, __u64 len)
{
	if (off >= MAX_STR_LEN || len == 0)
		return off;
	__u32 n = len > CAPTURED_BYTES ? CAPTURED_BYTES : len;
	/* a no-op for the value, but a bound the verifier keeps where the
	 * compiler reloads n from the stack after the comparison (5.10's
	 * verifier then sees it unbounded) */
	barrier_var(n);
	n &= 2 * CAPTURED_BYTES - 1;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	if (bpf_probe_read_user(&b->data[off + sizeof(*item)], n, src))
		return off;
	item->arg = arg;
	item->kind = ARG_BYTES;
	item->len = n;
	return off + sizeof(*item) + n;
}

/* Copy the strings and structs an event's config asks for into the data section. */
static __always_inline __u32 put_data(struct scratch *b, struct event_config *cfg)
{
	__u32 off = 0;
#pragma unroll
	for (int i = 0; i < MAX_ARGS; i++) {
		if (cfg->arg_kinds[i] == ARG_STR)
			off = put_str(b, off, i, ARG_STR, (const void *)b->ev.args[i]);
		/* Only where the catalog has them (build.rs checks): each copy of
		 * this unrolled code is verified, and the array loop is long. */
		else if ((i == SOCKADDR_ARG_A || i == SOCKADDR_ARG_B) && cfg->arg_kinds[i] == ARG_SOCKADDR)
			off = put_sockaddr(b, off, i, (const void *)b->ev.args[i], sockaddr_len(cfg, b->ev.args, i, b->ev.header.return_value), false);
		else if ((i == STR_ARRAY_ARG_A || i == STR_ARRAY_ARG_B) && cfg->arg_kinds[i] == ARG_STR_ARRAY)
			off = put_str_array(b, off, i, (const void *const *)b->ev.args[i]);
		else if (cfg->arg_kinds[i] == ARG_TIMESPEC)
			off = put_timespec(b, off, i, (const void *)b->ev.args[i]);
		else if (i == MSGHDR_ARG && cfg->arg_kinds[i] == ARG_MSGHDR)
			off = put_msghdr(b, off, i, (const void *)b->ev.args[i], b->ev.header.return_value);
		else if (i == BYTES_ARG && cfg->arg_kinds[i] == ARG_BYTES)
			off = put_bytes(b, off, i, (const void *)b->ev.args[i], b->ev.args[BYTES_ARG + 1]);
	}
	return off;
}

/* The strings laid end to end at p (a new program's argv or environment,
 * on its stack), count of them, as one string-array data item each;
 * returns the new offset. More than MAX_STR_ARRAY, or past the room in the
 * record, are cut and flagged. A function of its own (a BPF-to-BPF call,
 * 4.16+), not inlined, as put_str_array(). */
static __noinline __u32 put_str_seq(struct scratch *b, __u32 off, __u8 arg, const char *p, int count)
{
#pragma unroll
	for (int j = 0; j < MAX_STR_ARRAY; j++) {
		if (j >= count)
			return off;
		if (off >= MAX_STR_LEN) {
			b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
			return off;
		}
		__u32 at = off & (MAX_STR_LEN - 1);
		off = put_str(b, off, arg, ARG_STR_ARRAY, p);
		struct data_item *item = (void *)&b->data[at];
		if (item->kind != ARG_STR_ARRAY)
			return off; /* unreadable: where the next one starts is unknown */
		p += item->len + 1;
	}
	if (count > MAX_STR_ARRAY)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	return off;
}

#endif /* __TRACEE_LIB_ITEMS_H */
