/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What user space sets before load: the settings in .rodata (constants to
 * the verifier, which drops the code of what is off), the same for the
 * legacy programs in maps (kernels before 5.2 have no global data), and
 * each event's configuration (event_configs: which policies select it, how
 * its arguments are captured). Also the two program sets every hook comes
 * in (ENTRY).
 */
#ifndef __TRACEE_LIB_CONFIG_H
#define __TRACEE_LIB_CONFIG_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tracee.h"

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;
/* Wake the consumer only once this many bytes wait in the ring: a wake-up
 * per record costs microseconds (../shared/MEASURED.md); the consumer also
 * polls on a timer, so latency stays bounded. */
const volatile __u64 wakeup_bytes = 0;
/* Kernels before 5.8 have no BPF ring buffer: records go through a perf
 * event array instead (user space decides, and can force it). */
const volatile bool use_perf_buffer = false;
/* bpf_ktime_get_boot_ns exists (Linux 5.8+); user space probes it. */
const volatile bool has_ktime_boot = true;
/* CO-RE resolved against the kernel's own BTF, which the verifier also uses
 * to type bpf_get_current_task_btf() (5.11+): the task's fields are then
 * plain loads instead of one probe-read helper call each. Not with a BTF
 * given or embedded, whose offsets the verifier would not agree with. */
const volatile bool direct_task_reads = false;
/* The numbers of the syscalls of enum tracee_known_syscall, which differ
 * per arch: user space writes them from its syscall table. */
const volatile __s32 known_syscalls[KNOWN_SYSCALLS] = { [0 ... KNOWN_SYSCALLS - 1] = -1 };
/* The derived events' derive_<event> flags: derived.gen.h (events.tbl). */

/* What the legacy programs (kernels before 5.2) read instead of .rodata. */
struct legacy_settings {
	__u32 self_tgid;
	__s32 cgroup_v1_subsys; /* lib/cgroup.h */
	__u32 cgroup_hierarchy_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct legacy_settings);
} legacy_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_EVENT_ID);
	__type(key, __u32);
	__type(value, struct event_config);
} event_configs SEC(".maps");

/* Whether the current task is the tracer's: its own threads (poll, napi,
 * node) would trace themselves. */
static __always_inline int is_self(const bool legacy)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (legacy) {
		__u32 zero = 0;
		struct legacy_settings *s = bpf_map_lookup_elem(&legacy_settings, &zero);
		return s && tgid == s->self_tgid;
	}
	return tgid == self_tgid;
}

/* The configuration of event id if some policy selects it, else NULL. */
static __always_inline struct event_config *event_config(__u32 id)
{
	if (id >= MAX_EVENT_ID)
		return NULL;
	struct event_config *cfg = bpf_map_lookup_elem(&event_configs, &id);
	if (!cfg || !cfg->policies)
		return NULL;
	return cfg;
}

/* Whether syscall nr is the one of enum tracee_known_syscall `which`. */
static __always_inline bool is_known(__s32 nr, enum tracee_known_syscall which)
{
	return nr >= 0 && nr == known_syscalls[which];
}

/* Entry points, two per hook: the programs for kernels with global data
 * (5.2+), and the legacy ones (no .rodata, no ring buffer, no boot-time
 * clock) for older kernels such as RHEL 8's 4.18. User space loads one set;
 * `legacy` is a compile-time constant in each, so neither carries the
 * other's helper calls. */
#define ENTRY(section, hook, ctx_type)                                                        \
	SEC(section)                                                                          \
	int tracee_##hook(ctx_type *ctx)                                                      \
	{                                                                                     \
		return on_##hook(ctx, false);                                                 \
	}                                                                                     \
	SEC(section)                                                                          \
	int tracee_##hook##_legacy(ctx_type *ctx)                                             \
	{                                                                                     \
		return on_##hook(ctx, true);                                                  \
	}

/* raw tracepoints: attached by name, no tracefs needed */
#define RAW_TP(hook) ENTRY("raw_tracepoint/" #hook, hook, struct bpf_raw_tracepoint_args)

#endif /* __TRACEE_LIB_CONFIG_H */
