// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel side of tracee-rs, one object (one compilation unit, so one BTF
 * for BTFGen to minimize and one skeleton): syscalls (raw_tracepoint
 * sys_enter/sys_exit, or the per-syscall tracepoints of the selected
 * syscalls), process lifecycle (raw_tracepoint sched_process_*), cgroups
 * made and removed (raw_tracepoint cgroup_mkdir/rmdir), kernel
 * functions (fentry or kprobe) and the events derived from them, and the
 * rootkit checks. The raw and per-syscall tracepoints need no kernel BTF
 * to attach, so those programs run on kernels that only have a minimized
 * BTF for CO-RE.
 *
 * By concern, each file saying what it holds:
 *   tracee.h   the records and configuration shared with user space
 *   lib/       what the hooks share: config.h (settings, event_config),
 *              scope.h (in_scope), record.h (scratch slots, ring buffer,
 *              loss), context.h (the header, event_begin), items.h (data
 *              items), cgroup.h (cgroup ids, the containers map), regs.h (syscall number and arguments), path.h
 *              (files, path walks), sock.h (socket addresses), abi.h
 *              (kernel #defines)
 *   hooks/     the programs, one file per hook family: syscalls.h,
 *              exec_syscall.h, sched.h, cgroup.h, functions.h, derived.h,
 *              rootkit.h
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tracee.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Puts the record types and enums into the object's BTF, where the skeleton
 * and the TypeScript generator read them. A map, never created, rather than
 * globals: kernels before 5.2 have no global data. */
struct btf_anchor {
	struct data_item item;
	struct event_config config;
	enum tracee_event_id event_id;
	enum tracee_arg_kind arg_kind;
	enum tracee_event_flags event_flags;
	enum tracee_record_flags record_flags;
	enum tracee_limits limits;
	enum tracee_kernel_values kernel_values;
	enum tracee_known_syscall known_syscall;
	enum tracee_mem_prot_alert mem_prot_alert;
	enum scope_field scope_field;
	struct scope_num_key scope_num_key;
	enum container_state container_state;
	struct proc_scope proc_scope;
	struct msghdr_item msghdr_item;
	enum tracee_rootkit_op rootkit_op;
	struct rootkit_emit rootkit_emit;
	struct event event; /* last: it ends in a flexible array */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct btf_anchor);
} btf_anchor SEC(".maps");

#include "hooks/syscalls.h"
#include "hooks/exec_syscall.h"
#include "hooks/sched.h"
#include "hooks/cgroup.h"
#include "hooks/functions.h"
#include "hooks/derived.h"
#include "hooks/rootkit.h"
