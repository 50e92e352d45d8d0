/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which cgroup a task is in, in the hierarchy that identifies containers,
 * and which cgroups are containers' (the containers map). On cgroup v2 (a
 * unified or hybrid host) that is the task's cgroup v2 id, what
 * bpf_get_current_cgroup_id() gives; on a host with cgroup v1 only, every
 * task is in the v2 root, so it is the cgroup of one v1 controller's
 * hierarchy (user space picks the first mounted, cpuset where it is, as
 * Tracee does). Either way the id is the cgroup directory's inode number
 * (kernfs), what events show as cgroupId.
 */
#ifndef __TRACEE_LIB_CGROUP_H
#define __TRACEE_LIB_CGROUP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "config.h"

/* -1: cgroup v2; else the v1 controller whose hierarchy identifies
 * containers, by its index in the kernel's enum cgroup_subsys_id (its line
 * in /proc/cgroups). Set by user space before load. */
const volatile __s32 cgroup_v1_subsys = -1;
/* That hierarchy's id (cgroup_root.hierarchy_id: 0 for v2, else the
 * second column of /proc/cgroups): the one cgroup_mkdir/rmdir report. */
const volatile __u32 cgroup_hierarchy_id = 0;

/* cgroup id -> enum container_state, for every cgroup of a container (its
 * own and those made inside it). Written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CONTAINER_CGROUPS_MAX);
	__type(key, __u64);
	__type(value, __u32);
} containers SEC(".maps");

/* kernfs_node.id: a u64 since 5.5; before, a union of (ino, generation)
 * and the id. Each read under the check that its layout is the kernel's
 * (field existence compares the field's type too). */
struct kernfs_node___u64 {
	__u64 id;
} __attribute__((preserve_access_index));

union kernfs_node_id___pre55 {
	struct {
		__u32 ino;
		__u32 generation;
	};
	__u64 id;
} __attribute__((preserve_access_index));

struct kernfs_node___pre55 {
	union kernfs_node_id___pre55 id;
} __attribute__((preserve_access_index));

/* A kernfs node's id, which for a cgroup directory is its cgroup id. */
static __always_inline __u64 kernfs_node_id(struct kernfs_node *kn)
{
	struct kernfs_node___u64 *now = (void *)kn;
	struct kernfs_node___pre55 *old = (void *)kn;

	if (bpf_core_field_exists(now->id))
		return BPF_CORE_READ(now, id);
	if (bpf_core_field_exists(old->id))
		return BPF_CORE_READ(old, id.id);
	return 0;
}

/* The current task's cgroup id in the identifying hierarchy. The legacy
 * programs read the setting from legacy_settings (no .rodata there). */
static __always_inline __u64 current_cgroup_id(const bool legacy)
{
	__s32 ssid;

	/* the legacy programs have no .rodata: not even a read of it */
	if (legacy) {
		__u32 zero = 0;
		struct legacy_settings *s = bpf_map_lookup_elem(&legacy_settings, &zero);
		ssid = s ? s->cgroup_v1_subsys : -1;
	} else {
		ssid = cgroup_v1_subsys;
	}
	if (ssid < 0)
		return bpf_get_current_cgroup_id();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct css_set *cgroups = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = NULL;
	/* subsys[ssid], bounded for the verifier (CGROUP_SUBSYS_COUNT < 16) */
	bpf_probe_read_kernel(&css, sizeof(css), (void *)&cgroups->subsys[0] + (ssid & 15) * sizeof(css));
	if (!css)
		return 0;
	return kernfs_node_id(BPF_CORE_READ(css, cgroup, kn));
}

/* The container state of the current task's cgroup, 0 for none. */
static __always_inline __u32 current_container_state(const bool legacy)
{
	__u64 id = current_cgroup_id(legacy);
	__u32 *state = bpf_map_lookup_elem(&containers, &id);
	return state ? *state : 0;
}

#endif /* __TRACEE_LIB_CGROUP_H */
