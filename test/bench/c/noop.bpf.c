// SPDX-License-Identifier: GPL-2.0
// The limit: the cheapest hook on every syscall, doing nothing.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tracepoint/sys_enter")
int noop(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}
