// SPDX-License-Identifier: GPL-2.0
// The C reference: what a careful hand-written libbpf tracer does per
// syscall. One fixed-size record at sys_exit with a context header like
// tracee-rs's, into a ring buffer; its own process skipped in the kernel;
// wake-ups batched (past a quarter of the ring), the consumer polls on a timer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct record {
	__u64 ts;
	__u64 cgroup_id;
	__s64 ret;
	__u32 pid, tid, ppid, uid, gid, mnt_ns, cpu, id;
	char comm[16];
};

const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

SEC("raw_tracepoint/sys_exit")
int cref_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == self_tgid)
		return 0;
	struct record *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&lost, &zero);
		if (n)
			*n += 1;
		return 0;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 uid_gid = bpf_get_current_uid_gid();
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	r->ts = bpf_ktime_get_boot_ns();
	r->cgroup_id = bpf_get_current_cgroup_id();
	r->ret = ctx->args[1];
	r->pid = pid_tgid >> 32;
	r->tid = (__u32)pid_tgid;
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	r->uid = (__u32)uid_gid;
	r->gid = uid_gid >> 32;
	r->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	r->cpu = bpf_get_smp_processor_id();
	r->id = BPF_CORE_READ(regs, orig_ax);
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	__u64 flags = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(r, flags);
	return 0;
}
