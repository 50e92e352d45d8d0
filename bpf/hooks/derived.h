/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events derived at a syscall's exit (events.tbl @after=): magic_write,
 * mem_prot_alert, socket_dup, and the fallbacks of the kernel functions
 * (security_file_open, security_inode_rename) where neither fentry nor
 * kprobes run; mem_prot_alert also looks at mprotect's entry (@before=).
 * In programs of their own, so the syscall programs stay as small as they
 * were: on the per-syscall tracepoints of their syscalls, or on raw
 * sys_exit where tracefs lacks them. Not for the legacy programs' kernels.
 */
#ifndef __TRACEE_HOOKS_DERIVED_H
#define __TRACEE_HOOKS_DERIVED_H

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
#include "hooks/functions.h"

/* write/pwrite64 (fd, buf, count[, pos]) or writev/pwritev (fd, iov,
 * iovcnt[, pos_l]) returned ret: the first bytes of a regular file, if they
 * were written at its offset 0. */
static __always_inline void magic_write(void *ctx, __s32 nr, long ret, __u64 *args)
{
	struct file *file;
	struct inode *inode;
	struct scratch *b;
	__u32 off;

	if (ret <= 0 || !(file = fd_file(args[0])))
		return;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return;
	/* pwrite64 and pwritev say where; write and writev moved the file
	 * position by what they wrote */
	if (is_known(nr, KNOWN_PWRITE64) || is_known(nr, KNOWN_PWRITEV) ? args[3] != 0 : BPF_CORE_READ(file, f_pos) != ret)
		return;
	const void *buf = (const void *)args[1];
	__u64 len = ret;
	if (is_known(nr, KNOWN_WRITEV) || is_known(nr, KNOWN_PWRITEV)) {
		/* the first struct iovec { void *base; size_t len; } */
		__u64 iov[2] = {};
		if (bpf_probe_read_user(iov, sizeof(iov), buf))
			return;
		buf = (const void *)iov[0];
		len = iov[1] < len ? iov[1] : len;
	}
	b = kernel_event(EVENT_MAGIC_WRITE, nr);
	if (!b)
		return;
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[3] = BPF_CORE_READ(inode, i_ino);
	off = put_bytes(b, 0, 1, buf, len);
	off = put_dentry_path(b, off, 0, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	submit(ctx, b, off, false);
}

/* The regions mmap or mprotect made writable and executable, by address
 * space (the mm) and start address: an mprotect of one of them to
 * executable without writable is alert 4 (W+X to X, a JIT's pattern: code
 * written, then made read-only), which the syscall alone cannot tell. A
 * region is forgotten when mapped or protected again otherwise; the least
 * recently used go first. Only where the mprotect's entry could not read
 * the mapping's flags (mprotect_entries): this misses a sub-range, a
 * region moved by mremap or made W+X before the trace started. */
struct wx_region {
	__u64 mm;
	__u64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct wx_region);
	__type(value, __u64); /* length */
} wx_regions SEC(".maps");

/* vm_flags is a plain field before 6.3, a member of an anonymous union
 * (vm_flags, __vm_flags) since: CO-RE finds it by name in either. */
struct vm_area_struct___flags {
	unsigned long vm_flags;
} __attribute__((preserve_access_index));

/* What the entry of an mprotect or pkey_mprotect to executable without
 * writable saw, by host tid, for its exit: the address given, and whether
 * the mapping there was writable and executable (Tracee's test, on the
 * VMA's previous flags, whatever made them so). The least recently used go
 * first: a thread killed in between never reaches the exit. */
struct mprotect_entry {
	__u64 addr;
	__u64 wx;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct mprotect_entry);
} mprotect_entries SEC(".maps");

static __always_inline bool is_mprotect(__s32 nr)
{
	return is_known(nr, KNOWN_MPROTECT) || is_known(nr, KNOWN_PKEY_MPROTECT);
}

static long vma_flags(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(__u64 *)data = BPF_CORE_READ((struct vm_area_struct___flags *)vma, vm_flags);
	return 0;
}

/* mprotect or pkey_mprotect (addr, len, prot[, pkey]) entered: the flags of
 * the mapping at addr, while they are still the old ones. Only for a prot
 * that can make alert 4, and only with bpf_find_vma (the programs that call
 * this are loaded on 5.17+ with kernel BTF only). */
static __always_inline void mem_prot_at_entry(__u64 addr, __u64 prot)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mprotect_entry e = { .addr = addr };
	__u64 flags = 0;

	if ((prot & (PROT_WRITE | PROT_EXEC)) != PROT_EXEC || !event_config(EVENT_MEM_PROT_ALERT) ||
	    !bpf_core_field_exists(struct vm_area_struct___flags, vm_flags))
		return;
	/* nothing mapped there (the call fails), or the mm's lock taken
	 * (-EBUSY): the exit falls back to wx_regions */
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, vma_flags, &flags, 0))
		return;
	e.wx = (flags & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC);
	bpf_map_update_elem(&mprotect_entries, &tid, &e, BPF_ANY);
}

/* mmap (addr, len, prot, flags, fd, off) returned the address, or mprotect
 * (addr, len, prot), pkey_mprotect (addr, len, prot, pkey) 0: memory made
 * writable and executable, or a writable and executable mapping made
 * executable only. */
static __always_inline void mem_prot_alert(void *ctx, __s32 nr, long ret, __u64 *args)
{
	bool mmap = is_known(nr, KNOWN_MMAP);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct wx_region region = { .mm = (__u64)BPF_CORE_READ(task, mm), .start = mmap ? (__u64)ret : args[0] };
	bool seen_at_entry = false, wx_before = false;
	__u32 alert;
	struct scratch *b;
	__u32 off = 0;

	if (!mmap) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct mprotect_entry *e = bpf_map_lookup_elem(&mprotect_entries, &tid);
		if (e) {
			seen_at_entry = e->addr == args[0];
			wx_before = seen_at_entry && e->wx;
			bpf_map_delete_elem(&mprotect_entries, &tid);
		}
	}
	if (ret < 0)
		return;
	if ((args[2] & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) {
		bpf_map_update_elem(&wx_regions, &region, &args[1], BPF_ANY);
		alert = mmap ? MEM_PROT_ALERT_MMAP_W_X : MEM_PROT_ALERT_MPROTECT_W_X;
	} else if (!mmap && (args[2] & PROT_EXEC) &&
		   (seen_at_entry ? wx_before : bpf_map_lookup_elem(&wx_regions, &region) != NULL)) {
		bpf_map_delete_elem(&wx_regions, &region);
		alert = MEM_PROT_ALERT_MPROTECT_W_X_TO_X;
	} else {
		bpf_map_delete_elem(&wx_regions, &region);
		return;
	}
	b = kernel_event(EVENT_MEM_PROT_ALERT, nr);
	if (!b)
		return;
	b->ev.args[0] = alert;
	b->ev.args[1] = mmap ? (__u64)ret : args[0];
	b->ev.args[2] = args[1];
	b->ev.args[3] = args[2];
	if (mmap && !(args[3] & MAP_ANONYMOUS)) {
		struct file *file = fd_file(args[4]);
		if (file)
			off = put_dentry_path(b, 0, 4, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	}
	submit(ctx, b, off, false);
}

/* dup (oldfd), dup2 (oldfd, newfd), dup3 (oldfd, newfd, flags) or fcntl
 * (fd, cmd, arg) returned ret: the fd made (for dup2 and dup3 newfd, which
 * they return), if it is a socket, with the socket's addresses. */
static __always_inline void socket_dup(void *ctx, __s32 nr, long ret, __u64 *args)
{
	struct scratch *b;
	struct file *file;
	struct socket *sock;
	struct sock *sk;
	__u32 off;

	if (ret < 0 || (is_known(nr, KNOWN_FCNTL) && (int)args[1] != F_DUPFD && (int)args[1] != F_DUPFD_CLOEXEC))
		return;
	if (!(file = fd_file(ret)))
		return;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	/* a socket's file has it in private_data, and it points back to the
	 * file (net/socket.c sock_alloc_file); an O_PATH fd of a socket's
	 * name in a directory has the inode's mode, not the socket */
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file || !(sk = BPF_CORE_READ(sock, sk)))
		return;
	b = kernel_event(EVENT_SOCKET_DUP, nr);
	if (!b)
		return;
	b->ev.args[0] = (int)args[0];
	b->ev.args[1] = (int)ret;
	off = put_sock_addr(b, 0, 2, sk, true);
	off = put_sock_addr(b, off, 3, sk, false);
	submit(ctx, b, off, false);
}

/* rename (oldpath, newpath), renameat and renameat2 (olddirfd, oldpath,
 * newdirfd, newpath, ...) renamed (returned 0): security_inode_rename with
 * both names absolute (put_at_path). */
static __always_inline void inode_rename_at_exit(void *ctx, __s32 nr, __u64 *args)
{
	bool at = !is_known(nr, KNOWN_RENAME);
	struct scratch *b = kernel_event(EVENT_SECURITY_INODE_RENAME, nr);
	__u32 off;

	if (!b)
		return;
	off = put_at_path(b, 0, 0, at ? (int)args[0] : AT_FDCWD, (const char *)(at ? args[1] : args[0]));
	off = put_at_path(b, off, 1, at ? (int)args[2] : AT_FDCWD, (const char *)(at ? args[3] : args[1]));
	submit(ctx, b, off, false);
}

/* The events derived at the exit of syscall id, which returned ret: regs
 * are the saved user registers (raw tracepoint); per_syscall: NULL, found
 * by address when needed, and checked. */
static __always_inline void derive_at_exit(void *ctx, __u32 id, long ret, struct pt_regs *regs, const bool per_syscall)
{
	__s32 nr = id;
	bool write = derive_magic_write && (is_known(nr, KNOWN_WRITE) || is_known(nr, KNOWN_PWRITE64) || is_known(nr, KNOWN_WRITEV) ||
					    is_known(nr, KNOWN_PWRITEV));
	bool map = derive_mem_prot_alert && (is_known(nr, KNOWN_MMAP) || is_mprotect(nr));
	bool dup = derive_socket_dup && (is_known(nr, KNOWN_DUP) || is_known(nr, KNOWN_DUP2) || is_known(nr, KNOWN_DUP3) ||
					 is_known(nr, KNOWN_FCNTL));
	__u64 args[MAX_ARGS];

	/* the file the open returned, by its fd */
	if (derive_file_open && (is_known(nr, KNOWN_OPEN) || is_known(nr, KNOWN_OPENAT) || is_known(nr, KNOWN_OPENAT2) ||
				 is_known(nr, KNOWN_CREAT))) {
		struct file *file = ret >= 0 ? fd_file(ret) : NULL;
		if (file)
			file_open_event(ctx, file, nr, false);
		return;
	}
	if (derive_inode_rename && (is_known(nr, KNOWN_RENAME) || is_known(nr, KNOWN_RENAMEAT) || is_known(nr, KNOWN_RENAMEAT2))) {
		if (ret == 0 && read_syscall_args(per_syscall ? current_regs() : regs, args, per_syscall ? (long)id : -1))
			inode_rename_at_exit(ctx, nr, args);
		return;
	}
	if (!(write || map || dup) || !event_config(write ? EVENT_MAGIC_WRITE : map ? EVENT_MEM_PROT_ALERT : EVENT_SOCKET_DUP))
		return;
	if (!read_syscall_args(per_syscall ? current_regs() : regs, args, per_syscall ? (long)id : -1))
		return;
	if (write)
		magic_write(ctx, nr, ret, args);
	else if (map)
		mem_prot_alert(ctx, nr, ret, args);
	else
		socket_dup(ctx, nr, ret, args);
}

SEC("raw_tracepoint/sys_exit")
int tracee_derived_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	derive_at_exit(ctx, syscall_nr(regs), (long)ctx->args[1], regs, false);
	return 0;
}

SEC("tracepoint")
int tracee_derived_exit_per_syscall(struct syscall_tp_exit *ctx)
{
	derive_at_exit(ctx, ctx->nr, ctx->ret, NULL, true);
	return 0;
}

/* The entries of the syscalls derived events need (events.tbl @before=:
 * mprotect, pkey_mprotect for mem_prot_alert), with bpf_find_vma (5.17+,
 * kernel BTF): user space loads them only there, and only when
 * mem_prot_alert is selected. Raw sys_enter: every syscall runs it, so the
 * number is tested before anything is read. */
SEC("raw_tracepoint/sys_enter")
int tracee_derived_enter_find_vma(struct bpf_raw_tracepoint_args *ctx)
{
	__s32 nr = ctx->args[1];
	__u64 args[MAX_ARGS];

	if (derive_mem_prot_alert && is_mprotect(nr) && read_syscall_args((struct pt_regs *)ctx->args[0], args, -1))
		mem_prot_at_entry(args[0], args[2]);
	return 0;
}

/* Attached to syscalls/sys_enter_mprotect and sys_enter_pkey_mprotect:
 * both records have (at least) addr, len, prot. */
SEC("tracepoint")
int tracee_derived_enter_find_vma_per_syscall(struct syscall_tp_enter *ctx)
{
	if (derive_mem_prot_alert && is_mprotect(ctx->nr))
		mem_prot_at_entry(ctx->args[0], ctx->args[2]);
	return 0;
}

#endif /* __TRACEE_HOOKS_DERIVED_H */
