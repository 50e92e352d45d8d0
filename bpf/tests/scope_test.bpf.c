// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * in_scope() (lib/scope.h) on its own, for crates/tracee-core/tests/scope.rs:
 * user space writes the scopes as the loader does, runs a program here
 * with BPF_PROG_TEST_RUN from a task of known uid, pid, comm and
 * namespaces (a raw tracepoint program runs in the calling task), and
 * reads the policies it found the task in. As Tetragon's bpf/tests/.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tracee.h"
#include "lib/scope.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* tracee.h's enums the test reads, put into this object's BTF (as
 * tracee.bpf.c's btf_anchor) for its skeleton */
struct scope_test_anchor {
	enum tracee_limits limits;
	enum tracee_kernel_values kernel_values;
	enum container_state container_state;
	struct legacy_settings legacy_settings;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scope_test_anchor);
} btf_anchor SEC(".maps");

/* in_scope()'s results, under the keys the test gives */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} scope_result SEC(".maps");

/* ctx->args[0]: the policies that select the event; args[1]: the key of
 * the result (a task in another process, or pid namespace, need not know
 * its host tid) */
static __always_inline int run_in_scope(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	__u64 key = ctx->args[1];
	__u64 policies = in_scope(ctx->args[0], legacy);

	bpf_map_update_elem(&scope_result, &key, &policies, BPF_ANY);
	return 0;
}

/* the scopes from .rodata, as the programs with global data read them */
SEC("raw_tp")
int scope_test(struct bpf_raw_tracepoint_args *ctx)
{
	return run_in_scope(ctx, false);
}

/* the same from the live_scope map, as the legacy programs do */
SEC("raw_tp")
int scope_test_legacy(struct bpf_raw_tracepoint_args *ctx)
{
	return run_in_scope(ctx, true);
}
