/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A syscall's number and arguments, wherever a program finds them: the
 * user registers a raw sys_enter/sys_exit tracepoint is given, the ones
 * saved at the top of the task's kernel stack (for a per-syscall
 * tracepoint or a kernel function, which have no pointer to them), and
 * the per-syscall tracepoints' own records. Per arch: x86_64 and arm64.
 */
#ifndef __TRACEE_LIB_REGS_H
#define __TRACEE_LIB_REGS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tracee.h"
#include "abi.h"

#if defined(__TARGET_ARCH_arm64) && defined(TRACEE_FOREIGN_VMLINUX)
/* Built for BTFGen on a host of another arch (build.rs): vmlinux.h is the
 * host's, so arm64's register block is declared here; CO-RE resolves it
 * against each arm64 kernel's BTF by name. */
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
} __attribute__((preserve_access_index));
#endif

/* The syscall number as sys_exit sees it. */
static __always_inline __u32 syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	/* a CO-RE flavor: matches arm64's struct pt_regs, whatever vmlinux.h says */
	struct pt_regs___tracee_arm64 {
		int syscallno;
	} __attribute__((preserve_access_index)) *r = (void *)regs;
	return BPF_CORE_READ(r, syscallno);
#else
	return BPF_CORE_READ(regs, orig_ax);
#endif
}

/* Reads the six argument registers; with expect_nr >= 0, only if they are
 * that syscall's (the registers a per-syscall tracepoint finds by address). */
static __always_inline bool read_syscall_args(struct pt_regs *regs, __u64 *args, long expect_nr)
{
#if defined(__TARGET_ARCH_x86) && !defined(TRACEE_FOREIGN_VMLINUX)
	/* One read of the register block instead of six: each probe read costs
	 * ~10 ns. The field accesses below are CO-RE relocated all the same. */
	struct pt_regs r;
	if (bpf_probe_read_kernel(&r, sizeof(r), regs) == 0) {
		if (expect_nr >= 0 && r.orig_ax != expect_nr)
			return false;
		args[0] = r.di;
		args[1] = r.si;
		args[2] = r.dx;
		args[3] = r.r10;
		args[4] = r.r8;
		args[5] = r.r9;
		return true;
	}
#endif
	if (expect_nr >= 0 && syscall_nr(regs) != expect_nr)
		return false;
	args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
	args[5] = PT_REGS_PARM6_CORE_SYSCALL(regs);
	return true;
}

/* The user registers saved at syscall entry, found as the kernel's
 * task_pt_regs() finds them: at the top of the task's kernel stack. A
 * tracepoint program has no pointer to them, and bpf_task_pt_regs() needs
 * kernel BTF, which the embedded-BTF path does not have. */
static __always_inline struct pt_regs *current_regs(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	void *stack = BPF_CORE_READ(task, stack);
	return (struct pt_regs *)(stack + THREAD_SIZE - bpf_core_type_size(struct pt_regs));
}

/* The syscall the current task is in, -1 if none (a kernel thread's work). */
static __always_inline __s32 current_syscall(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return -1;
	return (__s32)syscall_nr(current_regs());
}

/* The records of the per-syscall tracepoints (syscalls/sys_enter_<name>,
 * syscalls/sys_exit_<name>), as tracefs' format files describe them: a
 * fixed layout, not a kernel struct, so not relocated. */
struct syscall_tp_enter {
	__u64 common;
	__s32 nr;
	__u64 args[MAX_ARGS];
};

struct syscall_tp_exit {
	__u64 common;
	__s32 nr;
	__s64 ret;
};

#endif /* __TRACEE_LIB_REGS_H */
