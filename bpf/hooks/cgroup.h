/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup_mkdir and cgroup_rmdir (Tracee's events of those names), on the
 * raw tracepoints of the same names: a cgroup made or removed in the
 * hierarchy that identifies containers (lib/cgroup.h). Sent whether or not
 * a policy selects them: user space keeps the containers map and its
 * container table from them (crates/tracee-core/src/containers), and
 * delivers only the records some policy selected (matched_policies != 0).
 * Each wakes the consumer at once, so that the map knows a new container
 * before its first process runs in it.
 */
#ifndef __TRACEE_HOOKS_CGROUP_H
#define __TRACEE_HOOKS_CGROUP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "lib/config.h"
#include "lib/cgroup.h"
#include "lib/scope.h"
#include "lib/record.h"
#include "lib/context.h"
#include "lib/items.h"

/* raw_tp args: (struct cgroup *cgrp, const char *path); path relative to
 * the hierarchy's root, as /proc/PID/cgroup shows it. */
static __always_inline int cgroup_dir_event(struct bpf_raw_tracepoint_args *ctx, __u32 id, const bool legacy)
{
	struct cgroup *cgrp = (struct cgroup *)ctx->args[0];
	const char *path = (const char *)ctx->args[1];
	__u32 hierarchy = BPF_CORE_READ(cgrp, root, hierarchy_id);
	__u32 wanted;

	/* the legacy programs have no .rodata: not even a read of it */
	if (legacy) {
		__u32 zero = 0;
		struct legacy_settings *s = bpf_map_lookup_elem(&legacy_settings, &zero);
		wanted = s ? s->cgroup_hierarchy_id : 0;
	} else {
		wanted = cgroup_hierarchy_id;
	}
	if (hierarchy != wanted)
		return 0;
	struct event_config *cfg = event_config(id);
	__u64 policies = cfg ? in_scope(cfg->policies, legacy) : 0;
	struct scratch *b = scratch_buf(SCRATCH_RECORD);
	if (!b)
		return 0;
	/* 0 policies: for user space's bookkeeping only */
	fill_header(&b->ev.header, id, -1, policies, legacy);
	b->ev.args[0] = kernfs_node_id(BPF_CORE_READ(cgrp, kn));
	b->ev.args[1] = (__u64)path;
	b->ev.args[2] = hierarchy;
	b->ev.args[3] = 0;
	b->ev.args[4] = 0;
	b->ev.args[5] = 0;
	__u32 off = put_str(b, 0, 1, ARG_KSTR, path);
	submit_waking(ctx, b, off, legacy, true);
	return 0;
}

static __always_inline int on_cgroup_mkdir(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	return cgroup_dir_event(ctx, EVENT_CGROUP_MKDIR, legacy);
}

static __always_inline int on_cgroup_rmdir(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	return cgroup_dir_event(ctx, EVENT_CGROUP_RMDIR, legacy);
}

RAW_TP(cgroup_mkdir)
RAW_TP(cgroup_rmdir)

#endif /* __TRACEE_HOOKS_CGROUP_H */
