/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The policies' scopes: which of the policies that select an event the
 * current task is in (in_scope), from the configuration user space wrote
 * (struct scope_config in tracee.h, the values listed in the scope_* maps)
 * and what the sched_process_* programs keep per process (proc_scopes).
 * Every handler asks it; bpf/tests/scope_test.bpf.c runs it on its own.
 */
#ifndef __TRACEE_LIB_SCOPE_H
#define __TRACEE_LIB_SCOPE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "config.h"
#include "cgroup.h"

/* The policies' scopes (tracee.h), for the programs with global data. */
const volatile struct scope_config scope = {};

/* The same in a map, which user space can rewrite while the programs run:
 * read by the legacy programs (no global data), and by every program of a
 * trace whose policies can be reloaded (scope_reloadable). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scope_config);
} live_scope SEC(".maps");

/* The policies can be replaced while attached (a reload): the scopes are
 * read from live_scope, and the verifier keeps the tests of every field. */
const volatile bool scope_reloadable = false;

/* The values the scopes list, each with the policies that list it. Sized
 * for what user space writes; it refuses more. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCOPE_NUMS_MAX);
	__type(key, struct scope_num_key);
	__type(value, __u64);
} scope_nums SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCOPE_STRS_MAX);
	__uint(key_size, TASK_COMM_LEN);
	__uint(value_size, sizeof(__u64));
} scope_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCOPE_STRS_MAX);
	__uint(key_size, SCOPE_UTS_LEN);
	__uint(value_size, sizeof(__u64));
} scope_utss SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCOPE_STRS_MAX);
	__uint(key_size, SCOPE_EXE_LEN);
	__uint(value_size, sizeof(__u64));
} scope_exes SEC(".maps");

/* Per process (host pid): tree, executable and follow bits (tracee.h). Kept
 * by the sched_process_* programs, seeded by user space from /proc. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct proc_scope);
} proc_scopes SEC(".maps");

/* Zero-filled keys for the string scope maps: too big for the stack. */
struct scope_keys {
	char exe[SCOPE_EXE_LEN];
	char uts[SCOPE_UTS_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scope_keys);
} scope_keys SEC(".maps");

/* The scopes: .rodata's for the programs with global data, live_scope's
 * for the legacy ones and where they can be reloaded (NULL if it cannot be
 * read). */
static __always_inline const volatile struct scope_config *scope_config(const bool legacy)
{
	if (legacy || scope_reloadable) {
		__u32 zero = 0;
		return bpf_map_lookup_elem(&live_scope, &zero);
	}
	/* .rodata: constant to the verifier, which drops the tests of the
	 * fields no policy uses (volatile: not to clang, which would fold the
	 * zeros it was compiled with) */
	return &scope;
}

/* The policies whose test on field f passes, given the policies that list
 * the task's value: those not testing f, and those whose = lists it or
 * whose != does not. */
static __always_inline __u64 field_ok(const volatile struct scope_config *c, int f, __u64 listed)
{
	return ~c->fields[f] | (listed ^ c->negated[f]);
}

static __always_inline __u64 listed(void *map, const void *key)
{
	__u64 *v = bpf_map_lookup_elem(map, key);
	return v ? *v : 0;
}

static __always_inline __u64 listed_num(__u32 field, __u64 value)
{
	struct scope_num_key k = { .field = field, .value = value };
	return listed(&scope_nums, &k);
}

/* The policies among `which` whose [min, max] holds v. Branch-free (values
 * are 32-bit, so the differences' sign bits compare them): the verifier of
 * kernels without precision tracking would walk every branch combination. */
static __always_inline __u64 in_ranges(const volatile __u64 *min, const volatile __u64 *max, __u64 which, __u64 v)
{
	__u64 pass = 0;
#pragma unroll
	for (int i = 0; i < MAX_POLICIES; i++)
		pass |= ((which >> i) & ~((v - min[i]) >> 63) & ~((max[i] - v) >> 63) & 1) << i;
	return pass;
}

/* Of the policies that select an event, those whose scope the current task
 * is in (tracee.h, struct scope_config). Policies without a scope pass
 * without a look at the task. */
static __always_inline __u64 in_scope(__u64 policies, const bool legacy)
{
	const volatile struct scope_config *c = scope_config(legacy);
	if (!c)
		return policies;
	__u64 scoped = policies & c->scoped;
	if (!scoped)
		return policies;

	/* helpers are calls the compiler cannot drop: each is made only where
	 * a field needs it */
	struct task_struct *task = NULL;
	__u64 pid_tgid = 0;
	__u32 tgid = 0;
	__u64 ok = policies;

	if (scoped & (c->fields[SCOPE_PID] | c->fields[SCOPE_PID_RANGE] | c->fields[SCOPE_TID] | c->fields[SCOPE_TREE] | c->fields[SCOPE_EXE] | c->fields[SCOPE_PID_NEW] | c->follow)) {
		pid_tgid = bpf_get_current_pid_tgid();
		tgid = pid_tgid >> 32;
	}
	if (scoped & (c->fields[SCOPE_MNTNS] | c->fields[SCOPE_PIDNS] | c->fields[SCOPE_UTS]))
		task = (struct task_struct *)bpf_get_current_task();
	if (scoped & c->fields[SCOPE_PID])
		ok &= field_ok(c, SCOPE_PID, listed_num(SCOPE_PID, tgid));
	if (scoped & c->fields[SCOPE_TID])
		ok &= field_ok(c, SCOPE_TID, listed_num(SCOPE_TID, (__u32)pid_tgid));
	if (scoped & c->fields[SCOPE_CGROUP])
		ok &= field_ok(c, SCOPE_CGROUP, listed_num(SCOPE_CGROUP, current_cgroup_id(legacy)));
	if (scoped & c->fields[SCOPE_PID_RANGE])
		ok &= ~c->fields[SCOPE_PID_RANGE] | in_ranges(c->pid_min, c->pid_max, scoped & c->fields[SCOPE_PID_RANGE], tgid);
	if (scoped & (c->fields[SCOPE_UID] | c->fields[SCOPE_UID_RANGE])) {
		__u32 uid = (__u32)bpf_get_current_uid_gid();
		if (scoped & c->fields[SCOPE_UID])
			ok &= field_ok(c, SCOPE_UID, listed_num(SCOPE_UID, uid));
		if (scoped & c->fields[SCOPE_UID_RANGE])
			ok &= ~c->fields[SCOPE_UID_RANGE] | in_ranges(c->uid_min, c->uid_max, scoped & c->fields[SCOPE_UID_RANGE], uid);
	}
	if (scoped & c->fields[SCOPE_MNTNS])
		ok &= field_ok(c, SCOPE_MNTNS, listed_num(SCOPE_MNTNS, BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum)));
	if (scoped & c->fields[SCOPE_PIDNS]) {
		struct pid *pid = BPF_CORE_READ(task, thread_pid);
		unsigned int level = BPF_CORE_READ(pid, level);
		__u32 ns = level == 0 ? PROC_PID_INIT_INO : BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
		ok &= field_ok(c, SCOPE_PIDNS, listed_num(SCOPE_PIDNS, ns));
	}
	if (scoped & (c->fields[SCOPE_CONTAINER] | c->fields[SCOPE_CONTAINER_NEW] | c->fields[SCOPE_CONTAINER_ID])) {
		/* a container: a cgroup the containers map holds (lib/cgroup.h) */
		__u64 cg = current_cgroup_id(legacy);
		__u32 *state = bpf_map_lookup_elem(&containers, &cg);
		ok &= field_ok(c, SCOPE_CONTAINER, state ? c->fields[SCOPE_CONTAINER] : 0);
		ok &= field_ok(c, SCOPE_CONTAINER_NEW, state && *state == CONTAINER_NEW ? c->fields[SCOPE_CONTAINER_NEW] : 0);
		if (scoped & c->fields[SCOPE_CONTAINER_ID])
			ok &= field_ok(c, SCOPE_CONTAINER_ID, listed_num(SCOPE_CONTAINER_ID, cg));
	}
	if (scoped & c->fields[SCOPE_COMM]) {
		union {
			char s[TASK_COMM_LEN];
			__u64 w[2];
		} comm = {};
		__u64 l = 0;
		if (!legacy && direct_task_reads) {
			/* two plain loads instead of a helper call (~10 ns) */
			struct task_struct *t = bpf_get_current_task_btf();
			comm.w[0] = *(__u64 *)&t->comm[0];
			comm.w[1] = *(__u64 *)&t->comm[8];
		} else {
			bpf_get_current_comm(comm.s, sizeof(comm.s));
		}
		if (c->comm_inline) {
#pragma unroll
			for (int i = 0; i < SCOPE_COMM_INLINE; i++) {
				if (i < c->comm_inline && comm.w[0] == c->comm_words[i][0] && comm.w[1] == c->comm_words[i][1])
					l |= c->comm_policies[i];
			}
		} else {
			l = listed(&scope_comms, comm.s);
		}
		ok &= field_ok(c, SCOPE_COMM, l);
	}
	if (scoped & c->fields[SCOPE_UTS]) {
		__u32 zero = 0;
		struct scope_keys *k = bpf_map_lookup_elem(&scope_keys, &zero);
		if (k) {
			struct uts_namespace *uts = BPF_CORE_READ(task, nsproxy, uts_ns);
			__builtin_memset(k->uts, 0, sizeof(k->uts));
			bpf_core_read_str(k->uts, sizeof(k->uts), &uts->name.nodename);
			ok &= field_ok(c, SCOPE_UTS, listed(&scope_utss, k->uts));
		}
	}
	if (scoped & (c->fields[SCOPE_TREE] | c->fields[SCOPE_EXE] | c->fields[SCOPE_PID_NEW] | c->follow)) {
		struct proc_scope *ps = bpf_map_lookup_elem(&proc_scopes, &tgid);
		ok &= field_ok(c, SCOPE_TREE, ps ? ps->tree : 0);
		ok &= field_ok(c, SCOPE_EXE, ps ? ps->exe : 0);
		ok &= field_ok(c, SCOPE_PID_NEW, ps && ps->created ? c->fields[SCOPE_PID_NEW] : 0);
		/* followed from a matching ancestor: in, whatever the rest says */
		if (ps)
			ok |= scoped & c->follow & ps->follow;
	}
	return ok & policies;
}

#endif /* __TRACEE_LIB_SCOPE_H */
