// SPDX-License-Identifier: GPL-2.0
// The floor of a selected syscall with per-syscall hooks: a program doing
// nothing on getppid's own exit tracepoint, where tracee-rs hooks a
// selected getppid (needs tracefs, which the bench mounts).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp/syscalls/sys_exit_getppid")
int noop_tp(void *ctx)
{
	return 0;
}
