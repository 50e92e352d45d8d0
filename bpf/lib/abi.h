/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel values the kernel side compares with: #defines, which BTF (and so
 * vmlinux.h) does not carry. Fixed by the ABI or stable across kernels;
 * each with the header it comes from.
 */
#ifndef __TRACEE_LIB_ABI_H
#define __TRACEE_LIB_ABI_H

/* include/linux/sched.h: a task's flag */
#define PF_KTHREAD 0x00200000

/* include/uapi/linux/stat.h: the file types of an inode's mode */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFIFO 0010000

/* asm-generic/mman-common.h */
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20

/* include/linux/mm.h: a mapping's vm_flags */
#define VM_WRITE 0x00000002
#define VM_EXEC 0x00000004

/* include/uapi/linux/fcntl.h */
#define AT_FDCWD -100
/* fcntl's commands that duplicate an fd */
#define F_DUPFD 0
#define F_DUPFD_CLOEXEC 1030

/* include/linux/socket.h: the families whose addresses put_sock_addr()
 * builds from a socket's fields, and their sizes (fixed by the ABI) */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCKADDR_IN_SIZE 16
#define SOCKADDR_IN6_SIZE 28

/* Kernel stack size, x86_64 and arm64 alike (KASAN builds double it; the
 * syscall number check in read_syscall_args catches such a kernel). */
#define THREAD_SIZE (16 << 10)

#endif /* __TRACEE_LIB_ABI_H */
