/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel functions: the LSM hooks (security_*) and the capability check
 * (cap_capable), Tracee's events of those names. Each event's code is one
 * on_<function>(), entered from two programs: fentry where the kernel has
 * its own BTF, kprobe elsewhere (FUNCTION_HOOK). User space loads one of
 * them per event, or reports why neither can run; where neither does,
 * some are derived at syscalls' exit instead (hooks/derived.h). The reads
 * are CO-RE probe reads, valid from both.
 */
#ifndef __TRACEE_HOOKS_FUNCTIONS_H
#define __TRACEE_HOOKS_FUNCTIONS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tracee.h"
#include "lib/config.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/items.h"
#include "lib/regs.h"
#include "lib/path.h"
#include "lib/sock.h"

/* A kernel function's record (kernel_event), in the syscall the current
 * task is in. */
static __always_inline struct scratch *function_event(__u32 id)
{
	return kernel_event(id, current_syscall());
}

/* The socket's fd: the first argument of the syscall the hook runs in, if
 * that is connect, bind, accept or accept4; else -1. */
static __always_inline __s64 current_sockfd(__s32 syscall)
{
	if (is_known(syscall, KNOWN_CONNECT) || is_known(syscall, KNOWN_BIND) || is_known(syscall, KNOWN_ACCEPT) ||
	    is_known(syscall, KNOWN_ACCEPT4))
		return (int)PT_REGS_PARM1_CORE_SYSCALL(current_regs());
	return -1;
}

/* security_file_open(struct file *): every file opened, by any syscall. */
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

static __always_inline int on_security_file_open(void *ctx, struct file *file, const bool d_path)
{
	return file_open_event(ctx, file, current_syscall(), d_path);
}

/* security_bprm_check(struct linux_binprm *): a file about to be executed
 * (the interpreter too, for a script). */
static __always_inline int on_security_bprm_check(void *ctx, struct linux_binprm *bprm)
{
	struct scratch *b = function_event(EVENT_SECURITY_BPRM_CHECK);
	if (!b)
		return 0;
	struct file *file = BPF_CORE_READ(bprm, file);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[2] = BPF_CORE_READ(inode, i_ino);
	submit(ctx, b, put_file_path(b, file, false), false);
	return 0;
}

/* security_inode_unlink(struct inode *dir, struct dentry *): a name removed. */
static __always_inline int on_security_inode_unlink(void *ctx, struct dentry *dentry)
{
	struct scratch *b = function_event(EVENT_SECURITY_INODE_UNLINK);
	if (!b)
		return 0;
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_ino);
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	submit(ctx, b, put_dentry_path(b, 0, 0, dentry, NULL), false);
	return 0;
}

/* security_inode_rename(old_dir, old_dentry, new_dir, new_dentry, flags) */
static __always_inline int on_security_inode_rename(void *ctx, struct dentry *old_dentry, struct dentry *new_dentry)
{
	struct scratch *b = function_event(EVENT_SECURITY_INODE_RENAME);
	if (!b)
		return 0;
	__u32 off = put_dentry_path(b, 0, 0, old_dentry, NULL);
	off = put_dentry_path(b, off, 1, new_dentry, NULL);
	submit(ctx, b, off, false);
	return 0;
}

/* security_sb_mount(dev_name, const struct path *, type, flags, data) */
static __always_inline int on_security_sb_mount(void *ctx, const char *dev_name, const struct path *path,
						const char *type, unsigned long flags)
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

/* security_kernel_read_file(struct file *, enum kernel_read_file_id, bool):
 * the kernel reading a file for itself (a module, firmware, a kexec image,
 * a policy). */
static __always_inline int on_security_kernel_read_file(void *ctx, struct file *file, int id)
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

/* The socket hooks' record: sockfd, the address at arg 1, the type. */
static __always_inline struct scratch *socket_event(__u32 id, struct socket *sock)
{
	struct scratch *b = function_event(id);
	if (!b)
		return NULL;
	b->ev.args[0] = current_sockfd(b->ev.header.syscall);
	b->ev.args[2] = BPF_CORE_READ(sock, type);
	return b;
}

/* security_socket_connect(struct socket *, struct sockaddr *, int addrlen) */
static __always_inline int on_security_socket_connect(void *ctx, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_CONNECT, sock);
	if (b)
		submit(ctx, b, put_sockaddr(b, 0, 1, address, addrlen, true), false);
	return 0;
}

/* security_socket_bind(struct socket *, struct sockaddr *, int addrlen) */
static __always_inline int on_security_socket_bind(void *ctx, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_BIND, sock);
	if (b)
		submit(ctx, b, put_sockaddr(b, 0, 1, address, addrlen, true), false);
	return 0;
}

/* security_socket_accept(struct socket *sock, struct socket *newsock) */
static __always_inline int on_security_socket_accept(void *ctx, struct socket *sock)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_ACCEPT, sock);
	if (b)
		submit(ctx, b, put_sock_addr(b, 0, 1, BPF_CORE_READ(sock, sk), false), false);
	return 0;
}

/* cap_capable(cred, user_namespace, int cap, unsigned int opts): a
 * capability checked (whether or not the task has it). */
static __always_inline int on_cap_capable(void *ctx, int cap)
{
	struct scratch *b = function_event(EVENT_CAP_CAPABLE);
	if (!b)
		return 0;
	b->ev.args[0] = cap;
	submit(ctx, b, 0, false);
	return 0;
}

/* A kernel function's two entry points: fentry (typed arguments, kernel
 * BTF) and kprobe (the same arguments from registers). `params` is the
 * function's leading parameters, `args` what its on_<fn>() takes. */
#define UNPAREN(...) __VA_ARGS__
#define FUNCTION_HOOK(fn, params, args)                                                       \
	SEC("fentry/" #fn)                                                                    \
	int BPF_PROG(tracee_##fn, UNPAREN params)                                             \
	{                                                                                     \
		return on_##fn(ctx, UNPAREN args);                                            \
	}                                                                                     \
	SEC("kprobe/" #fn)                                                                    \
	int BPF_KPROBE(tracee_##fn##_kprobe, UNPAREN params)                                  \
	{                                                                                     \
		return on_##fn(ctx, UNPAREN args);                                            \
	}

/* bpf_d_path: with fentry, in security_file_open only (the kernel's allow list) */
SEC("fentry/security_file_open")
int BPF_PROG(tracee_security_file_open, struct file *file)
{
	return on_security_file_open(ctx, file, true);
}
SEC("kprobe/security_file_open")
int BPF_KPROBE(tracee_security_file_open_kprobe, struct file *file)
{
	return on_security_file_open(ctx, file, false);
}
FUNCTION_HOOK(security_bprm_check, (struct linux_binprm *bprm), (bprm))
FUNCTION_HOOK(security_inode_unlink, (struct inode *dir, struct dentry *dentry), (dentry))
FUNCTION_HOOK(security_inode_rename,
	      (struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir, struct dentry *new_dentry),
	      (old_dentry, new_dentry))
FUNCTION_HOOK(security_sb_mount, (const char *dev_name, const struct path *path, const char *type, unsigned long flags),
	      (dev_name, path, type, flags))
FUNCTION_HOOK(security_kernel_read_file, (struct file *file, int id), (file, id))
FUNCTION_HOOK(security_socket_connect, (struct socket *sock, struct sockaddr *address, int addrlen), (sock, address, addrlen))
FUNCTION_HOOK(security_socket_bind, (struct socket *sock, struct sockaddr *address, int addrlen), (sock, address, addrlen))
FUNCTION_HOOK(security_socket_accept, (struct socket *sock), (sock))
FUNCTION_HOOK(cap_capable, (const struct cred *cred, struct user_namespace *ns, int cap), (cap))

#endif /* __TRACEE_HOOKS_FUNCTIONS_H */
