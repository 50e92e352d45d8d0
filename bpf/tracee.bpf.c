// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel side of tracee-rs: syscalls (raw_tracepoint sys_enter/sys_exit,
 * or the per-syscall tracepoints of the selected syscalls) and process
 * lifecycle (raw_tracepoint sched_process_*). Neither kind needs kernel BTF
 * to attach, so the same programs run on kernels that only have a
 * minimized BTF for CO-RE.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tracee.h"

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

char LICENSE[] SEC("license") = "Dual BSD/GPL";


/* Data section of one record: room for two strings (e.g. renameat paths). */
#define DATA_CAP (2 * (sizeof(struct data_item) + MAX_STR_LEN))
/* Upper bound the verifier can see on a record's size. */
#define RECORD_CAP (sizeof(struct event) + DATA_CAP)

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
/* magic_write, mem_prot_alert, socket_dup selected: the verifier drops the
 * code of those that are not (and their path walk, address reads). */
const volatile bool derive_magic_write = false;
const volatile bool derive_mem_prot_alert = false;
const volatile bool derive_socket_dup = false;
/* security_file_open from the open syscalls' exit: its fallback where
 * neither fentry nor kprobes run */
const volatile bool derive_file_open = false;
/* security_inode_rename from the rename syscalls' exit: the same */
const volatile bool derive_inode_rename = false;

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

/* What the legacy programs (kernels before 5.2) read instead of .rodata. */
struct legacy_settings {
	__u32 self_tgid;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct legacy_settings);
} legacy_settings SEC(".maps");

/* The policies' scopes (tracee.h), for the programs with global data. */
const volatile struct scope_config scope = {};

/* The same, for the legacy programs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scope_config);
} legacy_scope SEC(".maps");

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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

/* Records that could not be written: the exact loss. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_EVENT_ID);
	__type(key, __u32);
	__type(value, struct event_config);
} event_configs SEC(".maps");

/* A syscall between entry and exit: its arguments, captured at entry. */
struct pending {
	__u64 args[MAX_ARGS];
	__u64 timestamp;
	__u32 id;
	__u32 data_len; /* > 0: argv[0] as given is in entry_data */
	/* elements of argv given: MAX_STR_ARRAY + 1 for more, -1 if the
	 * array could not be read */
	__s32 argc;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* host tid */
	__type(value, struct pending);
} pending SEC(".maps");

/* Where a record is built before it is copied into the ring. struct event
 * ends in a flexible array; data is that array's storage. */
#pragma clang diagnostic ignored "-Wgnu-variable-sized-type-not-at-end"
struct scratch {
	struct event ev;
	__u8 data[DATA_CAP];
};

/* An exec's argv[0] as given, captured at entry, keyed by host tid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct scratch);
} entry_data SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline struct scratch *scratch_buf(__u32 slot)
{
	return bpf_map_lookup_elem(&scratch, &slot);
}

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

static __always_inline struct event_config *event_config(__u32 id)
{
	if (id >= MAX_EVENT_ID)
		return NULL;
	struct event_config *cfg = bpf_map_lookup_elem(&event_configs, &id);
	if (!cfg || !cfg->policies)
		return NULL;
	return cfg;
}

/* pid of a task (thread id) in the task's own pid namespace */
static __always_inline __u32 task_ns_tid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	return BPF_CORE_READ(pid, numbers[level].nr);
}

static __always_inline const volatile struct scope_config *scope_config(const bool legacy)
{
	if (legacy) {
		__u32 zero = 0;
		return bpf_map_lookup_elem(&legacy_scope, &zero);
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

	if (scoped & (c->fields[SCOPE_PID] | c->fields[SCOPE_PID_RANGE] | c->fields[SCOPE_TID] | c->fields[SCOPE_TREE] | c->fields[SCOPE_EXE] | c->follow)) {
		pid_tgid = bpf_get_current_pid_tgid();
		tgid = pid_tgid >> 32;
	}
	if (scoped & (c->fields[SCOPE_MNTNS] | c->fields[SCOPE_PIDNS] | c->fields[SCOPE_CONTAINER] | c->fields[SCOPE_UTS]))
		task = (struct task_struct *)bpf_get_current_task();
	if (scoped & c->fields[SCOPE_PID])
		ok &= field_ok(c, SCOPE_PID, listed_num(SCOPE_PID, tgid));
	if (scoped & c->fields[SCOPE_TID])
		ok &= field_ok(c, SCOPE_TID, listed_num(SCOPE_TID, (__u32)pid_tgid));
	if (scoped & c->fields[SCOPE_CGROUP])
		ok &= field_ok(c, SCOPE_CGROUP, listed_num(SCOPE_CGROUP, bpf_get_current_cgroup_id()));
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
	if (scoped & (c->fields[SCOPE_PIDNS] | c->fields[SCOPE_CONTAINER])) {
		struct pid *pid = BPF_CORE_READ(task, thread_pid);
		unsigned int level = BPF_CORE_READ(pid, level);
		if (scoped & c->fields[SCOPE_PIDNS]) {
			__u32 ns = level == 0 ? PROC_PID_INIT_INO : BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
			ok &= field_ok(c, SCOPE_PIDNS, listed_num(SCOPE_PIDNS, ns));
		}
		/* a container: a pid namespace other than the initial one */
		ok &= field_ok(c, SCOPE_CONTAINER, level > 0 ? c->fields[SCOPE_CONTAINER] : 0);
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
	if (scoped & (c->fields[SCOPE_TREE] | c->fields[SCOPE_EXE] | c->follow)) {
		struct proc_scope *ps = bpf_map_lookup_elem(&proc_scopes, &tgid);
		ok &= field_ok(c, SCOPE_TREE, ps ? ps->tree : 0);
		ok &= field_ok(c, SCOPE_EXE, ps ? ps->exe : 0);
		/* followed from a matching ancestor: in, whatever the rest says */
		if (ps)
			ok |= scoped & c->follow & ps->follow;
	}
	return ok & policies;
}

/* ns since boot; before 5.8 (no bpf_ktime_get_boot_ns) the monotonic clock,
 * which differs only by time spent suspended. has_ktime_boot is probed by
 * user space and constant once loaded, so the verifier drops the other call. */
static __always_inline __u64 now_ns(const bool legacy)
{
	if (!legacy && has_ktime_boot)
		return bpf_ktime_get_boot_ns();
	return bpf_ktime_get_ns();
}

static __always_inline void fill_header(struct event_header *h, __u32 event_id, __s32 syscall,
					__u64 policies, const bool legacy)
{
	struct task_struct *task, *parent;
	struct pid *pid;
	unsigned int level;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	/* direct_task_reads is constant once loaded: the verifier drops the
	 * other branch. Both read the same fields (CO-RE relocated alike). */
	if (!legacy && direct_task_reads) {
		task = bpf_get_current_task_btf();
		/* threads share their leader's parent */
		parent = task->real_parent;
		pid = task->thread_pid;
		level = pid->level;
		h->thread_start_time = task->start_time;
		h->host_parent_process_id = parent->tgid;
		h->mount_namespace = task->nsproxy->mnt_ns->ns.inum;
	} else {
		task = (struct task_struct *)bpf_get_current_task();
		parent = BPF_CORE_READ(task, real_parent);
		pid = BPF_CORE_READ(task, thread_pid);
		level = BPF_CORE_READ(pid, level);
		h->thread_start_time = BPF_CORE_READ(task, start_time);
		h->host_parent_process_id = BPF_CORE_READ(parent, tgid);
		h->mount_namespace = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	}
	h->timestamp = now_ns(legacy);
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->matched_policies = policies;
	h->return_value = 0;
	h->event_id = event_id;
	h->syscall = syscall;
	h->host_process_id = pid_tgid >> 32;
	h->host_thread_id = (__u32)pid_tgid;
	if (level == 0) {
		/* the initial pid namespace: the pids are the host's (and the
		 * parent, in the same or an ancestor namespace, is there too) */
		h->process_id = h->host_process_id;
		h->thread_id = h->host_thread_id;
		h->parent_process_id = h->host_parent_process_id;
	} else {
		h->process_id = task_ns_tid(BPF_CORE_READ(task, group_leader));
		h->thread_id = BPF_CORE_READ(pid, numbers[level].nr);
		h->parent_process_id = task_ns_tid(BPF_CORE_READ(parent, group_leader));
	}
	h->user_id = (__u32)uid_gid;
	h->group_id = uid_gid >> 32;
	/* the initial pid namespace's id is fixed (PROC_PID_INIT_INO) */
	h->pid_namespace = level == 0 ? PROC_PID_INIT_INO : BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
	h->processor_id = bpf_get_smp_processor_id();
	h->flags = 0;
	bpf_get_current_comm(&h->process_name, sizeof(h->process_name));
}

/* Append one string as a data item at offset off; returns the new offset. */
static __always_inline __u32 put_str(struct scratch *b, __u32 off, __u8 arg, __u8 kind,
				     const void *src)
{
	/* a string may start only in the first half of the data section; one
	 * that would start later is dropped and the record marked truncated */
	if (off >= MAX_STR_LEN) {
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
		return off;
	}
	/* a no-op for the value but a bound the verifier keeps; the barrier stops
	 * clang from dropping the mask as redundant after the check above */
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	void *dst = &b->data[off + sizeof(*item)];
	long n;

	if (kind == ARG_KSTR)
		n = bpf_probe_read_kernel_str(dst, MAX_STR_LEN, src);
	else
		n = bpf_probe_read_user_str(dst, MAX_STR_LEN, src);
	item->arg = arg;
	if (n <= 0 && kind != ARG_KSTR && src) {
		/* user memory not readable here (a BPF program cannot fault a
		 * page in): say so, with the address, rather than an empty
		 * string that reads like a value. (Joined with the path below,
		 * as a length: one path fewer for the verifier to walk.) */
		__builtin_memcpy(dst, &src, sizeof(src));
		kind = ARG_UNREADABLE;
		n = sizeof(src) + 1;
		b->ev.header.flags |= RECORD_FLAG_UNREADABLE;
	} else if (n <= 0) {
		n = 1; /* NULL, or a kernel string gone: empty */
	} else if (n == MAX_STR_LEN) {
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	}
	item->kind = kind;
	item->len = n - 1; /* without the NUL */
	return off + sizeof(*item) + (n - 1);
}

/* Append, for a user pointer src whose memory cannot be read, an
 * ARG_UNREADABLE item holding src itself; returns the new offset. (put_str
 * writes the same item on its own path: joined with its strings', it
 * leaves the verifier one path fewer per string.) */
static __always_inline __u32 put_unreadable(struct scratch *b, __u32 off, __u8 arg, const void *src)
{
	if (off >= MAX_STR_LEN)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	__builtin_memcpy(&b->data[off + sizeof(*item)], &src, sizeof(src));
	item->arg = arg;
	item->kind = ARG_UNREADABLE;
	item->len = sizeof(src);
	b->ev.header.flags |= RECORD_FLAG_UNREADABLE;
	return off + sizeof(*item) + sizeof(src);
}

/* Append an integer argument past the record's args (an event with more
 * than MAX_ARGS) as a data item; returns the new offset. */
static __always_inline __u32 put_value(struct scratch *b, __u32 off, __u8 arg, __u64 value)
{
	if (off >= MAX_STR_LEN) {
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
		return off;
	}
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	__builtin_memcpy(&b->data[off + sizeof(*item)], &value, sizeof(value));
	item->arg = arg;
	item->kind = ARG_VALUE;
	item->len = sizeof(value);
	return off + sizeof(*item) + sizeof(value);
}

/* include/linux/socket.h: the families whose addresses put_sock_addr()
 * builds from a socket's fields, and their sizes (fixed by the ABI) */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCKADDR_IN_SIZE 16
#define SOCKADDR_IN6_SIZE 28

/* Append the len bytes of the struct sockaddr at src (user memory: a
 * syscall's argument; or kernel memory: an LSM hook's) as a data item,
 * whatever its family: user space decodes them (an AF_UNIX abstract name
 * is as long as addrlen says, NULs included). len is capped at
 * SOCKADDR_MAX, what the kernel itself copies. Returns the new offset;
 * nothing for NULL or a length under 2 (no family), an unreadable user
 * address is flagged (ARG_UNREADABLE). */
static __always_inline __u32 put_sockaddr(struct scratch *b, __u32 off, __u8 arg, const void *src, long len,
					  const bool kernel)
{
	if (off >= MAX_STR_LEN || !src || len < 2)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	void *dst = &b->data[off + sizeof(*item)];
	__u32 n = len > SOCKADDR_MAX ? SOCKADDR_MAX : len;

	/* a no-op for the value (n <= SOCKADDR_MAX), but a bound that older
	 * verifiers keep where they lose the comparison's */
	barrier_var(n);
	n &= 2 * SOCKADDR_MAX - 1;
	if (kernel ? bpf_probe_read_kernel(dst, n, src) : bpf_probe_read_user(dst, n, src))
		return kernel ? off : put_unreadable(b, off, arg, src);
	item->arg = arg;
	item->kind = ARG_SOCKADDR;
	item->len = n;
	return off + sizeof(*item) + n;
}

/* The length of the sockaddr at args[i] of a syscall that returned ret:
 * args[i + 1] itself (an address given: connect, bind, sendto), or, for
 * EVENT_FLAG_ADDRLEN_PTR, the int it points to, which the kernel wrote
 * with the address it returned (accept, getsockname, recvfrom); 0, none,
 * where it failed and wrote neither. (A buffer smaller than the address
 * gets only its own size of it: the kernel's length is then larger, and
 * the bytes past the buffer's are the caller's.) */
static __always_inline long sockaddr_len(struct event_config *cfg, __u64 *args, int i, long ret)
{
	int len = 0;

	if (i + 1 >= MAX_ARGS)
		return 0;
	if (!(cfg->flags & EVENT_FLAG_ADDRLEN_PTR))
		return (int)args[i + 1];
	if (ret < 0)
		return 0;
	if (!args[i + 1] || bpf_probe_read_user(&len, sizeof(len), (void *)args[i + 1]))
		return 0;
	return len;
}

/* Append the struct user_msghdr at src (user memory, read at the exit of a
 * syscall that returned ret) as a struct msghdr_item, then, if the call
 * succeeded, the address msg_name points to (msg_namelen bytes, at most
 * SOCKADDR_MAX): a failed recvmsg wrote none. Nothing if it cannot be read. */
static __always_inline __u32 put_msghdr(struct scratch *b, __u32 off, __u8 arg, const void *src, long ret)
{
	struct user_msghdr m;
	struct msghdr_item h = {};

	if (off >= MAX_STR_LEN || !src || bpf_probe_read_user(&m, sizeof(m), src))
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	h.msg_name = (__u64)m.msg_name;
	h.msg_namelen = m.msg_namelen;
	h.msg_iovlen = m.msg_iovlen;
	h.msg_controllen = m.msg_controllen;
	h.msg_flags = m.msg_flags;
	__builtin_memcpy(&b->data[off + sizeof(*item)], &h, sizeof(h));
	__u32 n = 0;
	if (ret >= 0 && m.msg_name && m.msg_namelen >= 2) {
		n = m.msg_namelen > SOCKADDR_MAX ? SOCKADDR_MAX : m.msg_namelen;
		barrier_var(n);
		n &= 2 * SOCKADDR_MAX - 1;
		if (bpf_probe_read_user(&b->data[off + sizeof(*item) + sizeof(h)], n, m.msg_name))
			n = 0;
	}
	item->arg = arg;
	item->kind = ARG_MSGHDR;
	item->len = sizeof(h) + n;
	return off + sizeof(*item) + sizeof(h) + n;
}

/* Append the elements of the NULL-terminated string array at src, one data
 * item each; returns the new offset. Elements past MAX_STR_ARRAY, or past
 * the room in the record, are cut and the record marked truncated. A
 * function of its own (a BPF-to-BPF call, 4.16+), not inlined: its 32
 * copies of put_str() inlined at each call site would make the syscall
 * exit programs longer than a jump can span. */
static __noinline __u32 put_str_array(struct scratch *b, __u32 off, __u8 arg, const void *const *src)
{
	const void *p;

#pragma unroll
	for (int j = 0; j < MAX_STR_ARRAY; j++) {
		p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), &src[j])) {
			/* the array itself unreadable: said so, as its address
			 * (an element's would differ) */
			return j == 0 && src ? put_unreadable(b, off, arg, src) : off;
		}
		if (!p)
			return off;
		off = put_str(b, off, arg, ARG_STR_ARRAY, p);
		if (off >= MAX_STR_LEN)
			return off; /* put_str flags what did not fit */
	}
	p = NULL;
	if (bpf_probe_read_user(&p, sizeof(p), &src[MAX_STR_ARRAY]) == 0 && p)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	return off;
}

/* Append the struct __kernel_timespec at src; nothing if it cannot be read. */
static __always_inline __u32 put_timespec(struct scratch *b, __u32 off, __u8 arg, const void *src)
{
	if (off >= MAX_STR_LEN)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	if (bpf_probe_read_user(&b->data[off + sizeof(*item)], 2 * sizeof(__s64), src))
		return off;
	item->arg = arg;
	item->kind = ARG_TIMESPEC;
	item->len = 2 * sizeof(__s64);
	return off + sizeof(*item) + 2 * sizeof(__s64);
}

/* Append the first bytes of the user buffer at src (len long); nothing if
 * it cannot be read. */
static __always_inline __u32 put_bytes(struct scratch *b, __u32 off, __u8 arg, const void *src, __u64 len)
{
	if (off >= MAX_STR_LEN || len == 0)
		return off;
	__u32 n = len > CAPTURED_BYTES ? CAPTURED_BYTES : len;
	/* a no-op for the value, but a bound the verifier keeps where the
	 * compiler reloads n from the stack after the comparison (5.10's
	 * verifier then sees it unbounded) */
	barrier_var(n);
	n &= 2 * CAPTURED_BYTES - 1;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];

	if (bpf_probe_read_user(&b->data[off + sizeof(*item)], n, src))
		return off;
	item->arg = arg;
	item->kind = ARG_BYTES;
	item->len = n;
	return off + sizeof(*item) + n;
}

/* Copy the strings and structs an event's config asks for into the data section. */
static __always_inline __u32 put_data(struct scratch *b, struct event_config *cfg)
{
	__u32 off = 0;
#pragma unroll
	for (int i = 0; i < MAX_ARGS; i++) {
		if (cfg->arg_kinds[i] == ARG_STR)
			off = put_str(b, off, i, ARG_STR, (const void *)b->ev.args[i]);
		/* Only where the catalog has them (build.rs checks): each copy of
		 * this unrolled code is verified, and the array loop is long. */
		else if ((i == SOCKADDR_ARG_A || i == SOCKADDR_ARG_B) && cfg->arg_kinds[i] == ARG_SOCKADDR)
			off = put_sockaddr(b, off, i, (const void *)b->ev.args[i], sockaddr_len(cfg, b->ev.args, i, b->ev.header.return_value), false);
		else if ((i == STR_ARRAY_ARG_A || i == STR_ARRAY_ARG_B) && cfg->arg_kinds[i] == ARG_STR_ARRAY)
			off = put_str_array(b, off, i, (const void *const *)b->ev.args[i]);
		else if (cfg->arg_kinds[i] == ARG_TIMESPEC)
			off = put_timespec(b, off, i, (const void *)b->ev.args[i]);
		else if (i == MSGHDR_ARG && cfg->arg_kinds[i] == ARG_MSGHDR)
			off = put_msghdr(b, off, i, (const void *)b->ev.args[i], b->ev.header.return_value);
		else if (i == BYTES_ARG && cfg->arg_kinds[i] == ARG_BYTES)
			off = put_bytes(b, off, i, (const void *)b->ev.args[i], b->ev.args[BYTES_ARG + 1]);
	}
	return off;
}

/* Files and paths */

/* include/linux/sched.h: a task's flag */
#define PF_KTHREAD 0x00200000

/* include/uapi/linux/stat.h, asm-generic/mman-common.h: ABI values */
#define S_IFMT 00170000
#define S_IFREG 0100000
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20

/* The current task's open file at fd, NULL if none. */
static __always_inline struct file *fd_file(__u64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;

	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* Steps of a path walk kept for the mounts above a deep file's filesystem
 * (its part of the path is then elided in the middle: "/dev/shm/…/a/b"). */
#define PATH_TOP_STEPS 8

/* The path of dentry, built backwards (leaf first) in scratch slot 1 (used
 * otherwise only at a syscall's entry, which is over when a hook, a
 * syscall's exit or sched_process_exec runs). With its vfsmount, the path
 * is absolute (mount points crossed up to the mount namespace's root, so
 * a chroot, a bind mount or a relative name does not change it); without
 * one, from the root of its filesystem. Returns the string, or, for a file
 * in no directory (a memfd, a pipe) and for a root, its own name (kernel
 * memory): memfd:payload, as Tracee shows it. *cut: longer than
 * MAX_PATH_COMPONENTS or PATH_MAX: its last part kept, and, past
 * MAX_PATH_COMPONENTS - PATH_TOP_STEPS components in one filesystem, the
 * mounts above it ("…" between). NULL on failure. */
static __always_inline const char *walk_path(struct dentry *dentry, struct vfsmount *vfsmnt, bool *cut)
{
	struct scratch *t = scratch_buf(1);
	struct dentry *leaf = dentry;
	struct mount *mnt = NULL;
	struct dentry *mnt_root = NULL;
	bool complete = false, elided = false;
	__u32 pos = MAX_STR_LEN - 1;

	*cut = false;
	if (!t || !dentry)
		return NULL;
	char *buf = (char *)t->data;
	if (vfsmnt) {
		mnt = (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
		mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	}
	buf[MAX_STR_LEN - 1] = 0;
#pragma unroll
	for (int i = 0; i < MAX_PATH_COMPONENTS; i++) {
		if (mnt && dentry == mnt_root) {
			/* the root of a mount: go on from where it is mounted */
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
			if (up == mnt) {
				complete = true;
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			mnt_root = BPF_CORE_READ(up, mnt.mnt_root);
			continue;
		}
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		if (dentry == parent) {
			complete = true;
			break;
		}
		if (i == MAX_PATH_COMPONENTS - PATH_TOP_STEPS && mnt && !elided) {
			/* deeper than the walk goes: the rest of this filesystem's
			 * part is left out, marked "…", so that the top (the mounts
			 * down to it: /dev/shm) is kept, not made up from the tail */
			if (pos < 4)
				break;
			pos -= 4;
			barrier_var(pos);
			pos &= MAX_STR_LEN - 1;
			buf[pos] = '/';
			buf[(pos + 1) & (MAX_STR_LEN - 1)] = 0xe2; /* U+2026, in UTF-8 */
			buf[(pos + 2) & (MAX_STR_LEN - 1)] = 0x80;
			buf[(pos + 3) & (MAX_STR_LEN - 1)] = 0xa6;
			elided = true;
			dentry = mnt_root;
			continue;
		}
		struct qstr name = BPF_CORE_READ(dentry, d_name);
		__u32 len = name.len & 255; /* NAME_MAX */
		if (len + 1 > pos)
			break; /* longer than PATH_MAX: cut */
		pos -= len;
		barrier_var(pos);
		pos &= MAX_STR_LEN - 1;
		bpf_probe_read_kernel(&buf[pos], len, name.name);
		pos = (pos - 1) & (MAX_STR_LEN - 1);
		buf[pos] = '/';
		dentry = parent;
	}
	*cut = !complete || elided;
	if (pos == MAX_STR_LEN - 1)
		return (const char *)BPF_CORE_READ(leaf, d_name.name);
	return &buf[pos & (MAX_STR_LEN - 1)];
}

/* Append the path of dentry (walk_path) as a data item; returns the new offset. */
static __always_inline __u32 put_dentry_path(struct scratch *b, __u32 off, __u8 arg, struct dentry *dentry,
					     struct vfsmount *vfsmnt)
{
	bool cut;
	const char *path = walk_path(dentry, vfsmnt, &cut);

	if (!path)
		return off;
	if (cut)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	return put_str(b, off, arg, ARG_KSTR, path);
}

/* The file's path as a data item: bpf_d_path with fentry (the kernel
 * allows it in security_file_open, not in the other hooks), else walked. */
static __always_inline __u32 put_file_path(struct scratch *b, __u32 off, __u8 arg, struct file *file, const bool d_path)
{
	if (!d_path || off != 0)
		return put_dentry_path(b, off, arg, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	struct data_item *item = (void *)b->data;
	long n = bpf_d_path(&file->f_path, (char *)&b->data[sizeof(*item)], MAX_STR_LEN);
	if (n <= 0)
		n = 1; /* no path: empty */
	if (n >= MAX_STR_LEN)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	item->arg = arg;
	item->kind = ARG_KSTR;
	item->len = n - 1;
	return sizeof(*item) + n - 1;
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		*n += 1;
}

/* Wake the consumer with the record that takes the unread data past
 * wakeup_bytes, and with no other. Waking on every record past it would make
 * a consumer that lags pay a wake-up (~2 us, on the traced task's CPU) per
 * record: a slow reader would slow the host instead of losing records, which
 * are counted. A consumer that is awake needs no wake-up (the ring's poll is
 * level-triggered), and one asleep also wakes on its timer.
 * in_ring: whether the unread data already counts this record (reserved). */
static __always_inline __u64 wakeup_flags(__u64 size, const bool in_ring)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 before = in_ring ? avail - size : avail;

	return before < wakeup_bytes && before + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* A record without a data section, built where it is sent from: in the
 * ring itself (no copy), or, for the perf buffer, in the scratch slot.
 * Hand it to commit_fixed() once filled. */
static __always_inline struct event *reserve_fixed(const bool legacy)
{
	struct event *ev;

	if (legacy || use_perf_buffer) {
		struct scratch *b = scratch_buf(0);
		return b ? &b->ev : NULL;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		count_lost();
	return ev;
}

static __always_inline void commit_fixed(void *ctx, struct event *ev, const bool legacy)
{
	ev->header.size = sizeof(*ev);
	if (legacy || use_perf_buffer) {
		if (bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, ev, sizeof(*ev)))
			count_lost();
	} else {
		bpf_ringbuf_submit(ev, wakeup_flags(sizeof(*ev), true));
	}
}

static __always_inline void submit(void *ctx, struct scratch *b, __u32 data_len, const bool legacy)
{
	__u64 size = sizeof(struct event) + data_len;
	long err;

	if (size > RECORD_CAP)
		size = RECORD_CAP;
	b->ev.header.size = size;
	/* use_perf_buffer is constant once loaded: the verifier drops the other
	 * branch, so kernels without ring-buffer helpers load this too */
	if (legacy || use_perf_buffer) {
		err = bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, b, size);
	} else {
		err = bpf_ringbuf_output(&events, b, size, wakeup_flags(size, false));
	}
	if (err)
		count_lost();
}

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

/* Kernel stack size, x86_64 and arm64 alike (KASAN builds double it; the
 * syscall number check in read_syscall_args catches such a kernel). */
#define THREAD_SIZE (16 << 10)

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

/* execve (pathname, argv, envp) or execveat (dirfd, pathname, argv, envp,
 * flags): where the pathname is, by the event's config (the legacy
 * programs have no known_syscalls to tell them apart). */
static __always_inline __u8 exec_path_arg(struct event_config *cfg)
{
	return cfg->arg_kinds[0] == ARG_STR ? 0 : 1;
}

/* Elements of the NULL-terminated string array at src, up to
 * MAX_STR_ARRAY + 1 (more); -1 if the array cannot be read. */
static __always_inline __s32 count_str_array(const void *const *src)
{
	const void *p;

	if (!src)
		return 0;
#pragma unroll
	for (int j = 0; j <= MAX_STR_ARRAY; j++) {
		p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), &src[j]))
			return -1;
		if (!p)
			return j;
	}
	return MAX_STR_ARRAY + 1;
}

/* Only these syscalls need their entry: exit's no-return, execve's.
 * Every other one is reported from its exit alone, where the argument
 * registers are still intact. */
static __always_inline struct event_config *entry_config(__u32 id, const bool legacy)
{
	struct event_config *cfg = event_config(id);
	if (!cfg || !(cfg->flags & (EVENT_FLAG_NORETURN | EVENT_FLAG_STR_AT_ENTRY)) || is_self(legacy))
		return NULL;
	return cfg;
}

/* Syscall entry, from either hook, with its arguments read. */
static __always_inline int syscall_enter(void *ctx, __u32 id, struct event_config *cfg, __u64 *args,
					 const bool legacy)
{
	struct pending p = {};

	/* exit and exit_group never reach sys_exit: report them now */
	if (cfg->flags & EVENT_FLAG_NORETURN) {
		__u64 policies = in_scope(cfg->policies, legacy);
		struct scratch *b = scratch_buf(0);
		if (!b || !policies)
			return 0;
		fill_header(&b->ev.header, id, id, policies, legacy);
		b->ev.header.flags |= RECORD_FLAG_AT_ENTRY;
		__builtin_memcpy(b->ev.args, args, sizeof(b->ev.args));
		submit(ctx, b, 0, legacy);
		return 0;
	}

	/* execve, execveat: their arguments and the time now. What they were
	 * given is reported from the kernel's own copy once the new program
	 * is in place (on_exec_syscall), or read again at sys_exit if the
	 * exec fails; kept from here are only what the kernel does not keep:
	 * how many argv elements were given, and argv[0], which a script's
	 * interpreter replaces */
	__u8 argv_arg = exec_path_arg(cfg) + 1;
	const void *const *argv = (const void *const *)(argv_arg == 1 ? args[1] : args[2]);
	const void *arg0 = NULL;
	__builtin_memcpy(p.args, args, sizeof(p.args));
	p.timestamp = now_ns(legacy);
	p.id = id;
	p.argc = count_str_array(argv);
	struct scratch *b = scratch_buf(1);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (!b)
		return 0;
	b->ev.header.flags = 0;
	p.data_len = 0;
	if (p.argc != 0 && bpf_probe_read_user(&arg0, sizeof(arg0), argv) == 0 && arg0)
		p.data_len = put_str(b, 0, argv_arg, ARG_STR_ARRAY, arg0);
	if (p.data_len)
		bpf_map_update_elem(&entry_data, &tid, b, BPF_ANY);
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

/* Syscall exit, from either hook. regs are the saved user registers (raw
 * tracepoint); per_syscall: NULL, found by address when needed, and checked. */
static __always_inline bool is_known(__s32 nr, enum tracee_known_syscall which)
{
	return nr >= 0 && nr == known_syscalls[which];
}

static __always_inline int syscall_exit(void *ctx, __u32 id, long ret, struct pt_regs *regs,
					const bool per_syscall, const bool legacy)
{
	struct event_config *cfg = event_config(id);
	struct scratch *b;
	__u32 data_len;
	__u64 policies;

	if (!cfg || (cfg->flags & EVENT_FLAG_NORETURN) || is_self(legacy))
		return 0;
	/* scope at exit, as the task is then (after execve: the new program) */
	policies = in_scope(cfg->policies, legacy);
	if (!policies) {
		if (cfg->flags & EVENT_FLAG_STR_AT_ENTRY) {
			__u32 tid = (__u32)bpf_get_current_pid_tgid();
			bpf_map_delete_elem(&entry_data, &tid);
			bpf_map_delete_elem(&pending, &tid);
		}
		return 0;
	}

	if (!(cfg->flags & (EVENT_FLAG_STR_AT_ENTRY | EVENT_FLAG_DATA))) {
		/* the most common record: no strings, a fixed size */
		struct event *ev = reserve_fixed(legacy);
		if (!ev)
			return 0;
		fill_header(&ev->header, id, id, policies, legacy);
		ev->header.return_value = ret;
		if (!cfg->nargs) {
			__builtin_memset(ev->args, 0, sizeof(ev->args));
		} else if (!read_syscall_args(per_syscall ? current_regs() : regs, ev->args, per_syscall ? (long)id : -1)) {
			__builtin_memset(ev->args, 0, sizeof(ev->args));
			ev->header.flags |= RECORD_FLAG_ARGS_UNKNOWN;
		}
		commit_fixed(ctx, ev, legacy);
		return 0;
	}

	b = scratch_buf(0);
	if (!b)
		return 0;
	/* an exec that failed (one that succeeded was reported, and its entry
	 * deleted, at sched_process_exec: on_exec_syscall): its arguments as
	 * saved at entry, what they point to read now, from the caller's
	 * memory, which the kernel has read (and so faulted in) as far as it
	 * got. One put_data() for both paths: each copy is long. */
	struct pending *p = NULL;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (cfg->flags & EVENT_FLAG_STR_AT_ENTRY) {
		p = bpf_map_lookup_elem(&pending, &tid);
		if (!p)
			return 0;
		if (p->id != id) {
			bpf_map_delete_elem(&pending, &tid);
			bpf_map_delete_elem(&entry_data, &tid);
			return 0;
		}
	}
	fill_header(&b->ev.header, id, id, policies, legacy);
	b->ev.header.return_value = ret;
	data_len = 0;
	if (p) {
		b->ev.header.timestamp = p->timestamp;
		__builtin_memcpy(b->ev.args, p->args, sizeof(p->args));
		data_len = put_data(b, cfg);
	} else if (!cfg->nargs) {
		/* the common path: one hook, arguments from the saved registers */
		__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
	} else if (read_syscall_args(per_syscall ? current_regs() : regs, b->ev.args, per_syscall ? (long)id : -1)) {
		data_len = put_data(b, cfg);
	} else {
		__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
		b->ev.header.flags |= RECORD_FLAG_ARGS_UNKNOWN;
	}
	submit(ctx, b, data_len, legacy);
	if (p) {
		bpf_map_delete_elem(&pending, &tid);
		bpf_map_delete_elem(&entry_data, &tid);
	}
	return 0;
}

/* raw_tp args: (struct pt_regs *regs, long id). Runs on every syscall:
 * user space attaches it only when no per-syscall entry hooks exist. */
static __always_inline int on_sys_enter(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	__u32 id = ctx->args[1];
	struct event_config *cfg = entry_config(id, legacy);
	__u64 args[MAX_ARGS];

	if (!cfg)
		return 0;
	read_syscall_args((struct pt_regs *)ctx->args[0], args, -1);
	return syscall_enter(ctx, id, cfg, args, legacy);
}

/* raw_tp args: (struct pt_regs *regs, long ret). Runs on every syscall. */
static __always_inline int on_sys_exit(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	return syscall_exit(ctx, syscall_nr(regs), (long)ctx->args[1], regs, false, legacy);
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

/* Attached to syscalls/sys_enter_<name> of the syscalls that need their
 * entry: unlike raw sys_enter, other syscalls never run it. */
static __always_inline int on_sys_enter_per_syscall(struct syscall_tp_enter *ctx, const bool legacy)
{
	__u32 id = ctx->nr;
	struct event_config *cfg = entry_config(id, legacy);
	__u64 args[MAX_ARGS];

	if (!cfg)
		return 0;
	/* The kernel refuses to attach a program that reads its context past the
	 * tracepoint's record, and exit's record has one argument: copy them
	 * with a helper, and keep only the ones this syscall has. */
	bpf_probe_read_kernel(args, sizeof(args), ctx->args);
#pragma unroll
	for (int i = 0; i < MAX_ARGS; i++) {
		if (i >= cfg->nargs)
			args[i] = 0;
	}
	return syscall_enter(ctx, id, cfg, args, legacy);
}

/* Attached to syscalls/sys_exit_<name> of each selected syscall, for a
 * narrow selection: unselected syscalls then run no program at all. */
static __always_inline int on_sys_exit_per_syscall(struct syscall_tp_exit *ctx, const bool legacy)
{
	/* the registers are found only once the event is known to be wanted */
	return syscall_exit(ctx, ctx->nr, ctx->ret, NULL, true, legacy);
}

/* raw_tp args: (struct task_struct *parent, struct task_struct *child) */
static __always_inline int on_sched_process_fork(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	const volatile struct scope_config *c = scope_config(legacy);
	struct event_config *cfg;
	struct scratch *b;
	__u64 policies;

	/* runs in the parent: the child inherits its tree and executable, and
	 * is followed where the parent matches (or is followed itself) */
	if (c && (c->fields[SCOPE_TREE] | c->fields[SCOPE_EXE] | c->follow)) {
		__u32 parent_tgid = bpf_get_current_pid_tgid() >> 32;
		__u32 child_tgid = BPF_CORE_READ(child, tgid);
		if (child_tgid != parent_tgid) {
			struct proc_scope cs = {};
			struct proc_scope *ps = bpf_map_lookup_elem(&proc_scopes, &parent_tgid);
			if (ps) {
				cs.tree = ps->tree;
				cs.exe = ps->exe;
				cs.follow = ps->follow;
			}
			if (c->follow)
				cs.follow |= in_scope(c->follow, legacy);
			if (cs.tree | cs.exe | cs.follow)
				bpf_map_update_elem(&proc_scopes, &child_tgid, &cs, BPF_ANY);
		}
	}
	cfg = event_config(EVENT_SCHED_PROCESS_FORK);
	if (!cfg || is_self(legacy))
		return 0;
	policies = in_scope(cfg->policies, legacy);
	b = scratch_buf(0);
	if (!b || !policies)
		return 0;
	fill_header(&b->ev.header, EVENT_SCHED_PROCESS_FORK, -1, policies, legacy);
	b->ev.args[0] = BPF_CORE_READ(child, pid);
	b->ev.args[1] = BPF_CORE_READ(child, tgid);
	b->ev.args[2] = task_ns_tid(child);
	b->ev.args[3] = task_ns_tid(BPF_CORE_READ(child, group_leader));
	b->ev.args[4] = BPF_CORE_READ(child, start_time);
	b->ev.args[5] = 0;
	submit(ctx, b, 0, legacy);
	return 0;
}

/* The exec'd program, at sched_process_exec (fs/exec.c exec_binprm): the
 * new image is in place (bprm->file is what runs: for a script, its
 * interpreter), the user registers hold its entry point, and its stack
 * holds argv and the environment as the kernel copied them. */

/* include/uapi/linux/fcntl.h: ABI value */
#define AT_FDCWD -100

/* The strings laid end to end at p (a new program's argv or environment,
 * on its stack), count of them, as one string-array data item each;
 * returns the new offset. More than MAX_STR_ARRAY, or past the room in the
 * record, are cut and flagged. A function of its own (a BPF-to-BPF call,
 * 4.16+), not inlined, as put_str_array(). */
static __noinline __u32 put_str_seq(struct scratch *b, __u32 off, __u8 arg, const char *p, int count)
{
#pragma unroll
	for (int j = 0; j < MAX_STR_ARRAY; j++) {
		if (j >= count)
			return off;
		if (off >= MAX_STR_LEN) {
			b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
			return off;
		}
		__u32 at = off & (MAX_STR_LEN - 1);
		off = put_str(b, off, arg, ARG_STR_ARRAY, p);
		struct data_item *item = (void *)&b->data[at];
		if (item->kind != ARG_STR_ARRAY)
			return off; /* unreadable: where the next one starts is unknown */
		p += item->len + 1;
	}
	if (count > MAX_STR_ARRAY)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	return off;
}

/* p advanced past n strings laid end to end (at most 8: the elements a
 * chain of script interpreters puts before a script's own arguments).
 * Each is read into the record's free space at off, not kept. */
static __always_inline const char *skip_strs(struct scratch *b, __u32 off, const char *p, int n)
{
	off &= MAX_STR_LEN - 1;
#pragma unroll
	for (int j = 0; j < 8; j++) {
		if (j >= n)
			break;
		long len = bpf_probe_read_user_str(&b->data[off], MAX_STR_LEN, p);
		if (len <= 0)
			return NULL;
		p += len;
	}
	return p;
}

/* Append the name execveat was given, from bprm->filename: with a dirfd
 * and a relative or empty name, the kernel made that "/dev/fd/<dirfd>/<name>"
 * or "/dev/fd/<dirfd>" (fs/exec.c alloc_bprm; marked by bprm->fdpath since
 * 5.9, told by the prefix before). */
static __always_inline __u32 put_given_name(struct scratch *b, __u32 off, __u8 arg, struct linux_binprm *bprm,
					    const char *filename, int dirfd)
{
	char head[24] = {};
	__u64 v = 0;
	int pos = 8;

	if (dirfd == AT_FDCWD || dirfd < 0 ||
	    (bpf_core_field_exists(bprm->fdpath) && !BPF_CORE_READ(bprm, fdpath)))
		return put_str(b, off, arg, ARG_KSTR, filename);
	bpf_probe_read_kernel_str(head, sizeof(head), filename);
	/* "/dev/fd/" (as a little-endian word: no string constant, which
	 * would be global data), then dirfd's digits */
	if (*(__u64 *)head != 0x2f64662f7665642fULL)
		return put_str(b, off, arg, ARG_KSTR, filename);
#pragma unroll
	for (int i = 8; i < 19; i++) {
		if (head[i] < '0' || head[i] > '9')
			break;
		v = v * 10 + (head[i] - '0');
		pos = i + 1;
	}
	if (pos == 8 || v != (__u64)dirfd)
		return put_str(b, off, arg, ARG_KSTR, filename);
	if (head[pos & 15] == '/')
		return put_str(b, off, arg, ARG_KSTR, filename + pos + 1);
	if (head[pos & 15] == 0) {
		head[0] = 0; /* AT_EMPTY_PATH: "" */
		return put_str(b, off, arg, ARG_KSTR, head);
	}
	return put_str(b, off, arg, ARG_KSTR, filename);
}

/* What a successful execve/execveat was given, from the kernel's copy
 * (see on_exec_syscall): the pathname, argv (and envp when its strings
 * are asked for) in the positions the event's config has them. */
static __always_inline __u32 put_exec_given(struct scratch *b, struct event_config *cfg, struct pending *p,
					    struct linux_binprm *bprm, __u32 old_tid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	const char *filename = BPF_CORE_READ(bprm, filename);
	__u8 path_arg = exec_path_arg(cfg);
	__u8 argv_arg = path_arg + 1;
	int argc = BPF_CORE_READ(bprm, argc);
	/* a script (or binfmt_misc) put its interpreter, maybe an argument
	 * and the script's name where the given argv[0] was: bprm->interp
	 * then differs from the name (fs/binfmt_script.c) */
	bool interpreted = (const char *)BPF_CORE_READ(bprm, interp) != filename;
	int n = p->argc;
	const char *arg = (const char *)BPF_CORE_READ(mm, arg_start);
	__u32 off = put_given_name(b, 0, path_arg, bprm, filename, path_arg ? (int)p->args[0] : AT_FDCWD);

	/* argc unknown (the given array was unreadable) or past what is
	 * captured: as the kernel counted them (a script's: one interpreter,
	 * no argument, the most common) */
	if (n < 0 || n > MAX_STR_ARRAY)
		n = interpreted ? argc - 1 : argc;
	if (interpreted && n > 0) {
		/* given argv[0] from entry; the others follow the argc - n + 1
		 * elements the interpreter's handler put first */
		struct scratch *ed = bpf_map_lookup_elem(&entry_data, &old_tid);
		struct data_item *item = ed ? (void *)ed->data : NULL;
		if (item && off < MAX_STR_LEN) {
			__u32 len = item->len;
			if (len > MAX_STR_LEN - 1)
				len = MAX_STR_LEN - 1;
			barrier_var(off);
			off &= MAX_STR_LEN - 1;
			bpf_probe_read_kernel(&b->data[off], sizeof(*item) + len, item);
			b->ev.header.flags |= ed->ev.header.flags;
			off += sizeof(*item) + len;
		}
		arg = skip_strs(b, off, arg, argc - n + 1);
		n--;
	}
	/* one call site: each is verified */
	off = put_str_seq(b, off, argv_arg, arg, arg ? n : 0);
	if (p->argc > MAX_STR_ARRAY)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	/* the environment, unchanged by interpreters */
	if (cfg->arg_kinds[(argv_arg + 1) & 7] == ARG_STR_ARRAY)
		off = put_str_seq(b, off, argv_arg + 1, (const char *)BPF_CORE_READ(mm, env_start), BPF_CORE_READ(bprm, envc));
	return off;
}

/* execve and execveat that succeed: reported here, where the new program
 * is in place, rather than at sys_exit, where the exec'ing thread may no
 * longer have its thread id (a thread other than the leader takes the
 * leader's, fs/exec.c de_thread) and a successful execveat exits as execve
 * on recent kernels. What they were given comes from the kernel's own
 * copy: the name it resolved and the strings it wrote on the new stack,
 * resident (at entry they may sit in pages the caller never touched, which
 * a BPF program cannot fault in) and past a racing thread's reach (what
 * the caller's memory holds at entry is not necessarily what the kernel
 * copies). The return value is 0: past sched_process_exec, exec succeeds. */
static __always_inline int on_exec_syscall(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	__u32 old_tid = (__u32)ctx->args[1];
	struct pending *pp = bpf_map_lookup_elem(&pending, &old_tid);
	struct event_config *cfg;
	struct scratch *b;
	struct pending p;
	__u64 policies = 0;

	if (!pp)
		return 0;
	__builtin_memcpy(&p, pp, sizeof(p));
	bpf_map_delete_elem(&pending, &old_tid);
	cfg = event_config(p.id);
	if (cfg && (cfg->flags & EVENT_FLAG_STR_AT_ENTRY) && !is_self(legacy))
		policies = in_scope(cfg->policies, legacy);
	b = scratch_buf(0);
	if (b && policies) {
		fill_header(&b->ev.header, p.id, p.id, policies, legacy);
		b->ev.header.timestamp = p.timestamp;
		__builtin_memcpy(b->ev.args, p.args, sizeof(p.args));
		submit(ctx, b, put_exec_given(b, cfg, &p, bprm, old_tid), legacy);
	}
	bpf_map_delete_elem(&entry_data, &old_tid);
	return 0;
}

/* inode->i_ctime in ns since the epoch, across its layouts: a timespec64
 * i_ctime (before 6.6), __i_ctime (6.6-6.10), i_ctime_sec and
 * i_ctime_nsec (6.11+). */
struct inode___i_ctime {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));
struct inode___dunder_i_ctime {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

static __always_inline __u64 inode_ctime_ns(struct inode *inode)
{
	__s64 sec;
	long nsec;

	/* each field tested: BTFGen keeps (and the build reports) what exists */
	if (bpf_core_field_exists(struct inode, i_ctime_sec) && bpf_core_field_exists(struct inode, i_ctime_nsec)) {
		sec = BPF_CORE_READ(inode, i_ctime_sec);
		/* its top bit is a flag (I_CTIME_QUERIED, 6.13+), not time */
		nsec = BPF_CORE_READ(inode, i_ctime_nsec) & 0x7fffffff;
	} else if (bpf_core_field_exists(struct inode___dunder_i_ctime, __i_ctime)) {
		struct inode___dunder_i_ctime *i = (void *)inode;
		sec = BPF_CORE_READ(i, __i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, __i_ctime.tv_nsec);
	} else if (bpf_core_field_exists(struct inode___i_ctime, i_ctime)) {
		struct inode___i_ctime *i = (void *)inode;
		sec = BPF_CORE_READ(i, i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, i_ctime.tv_nsec);
	} else {
		return 0;
	}
	return sec * 1000000000ULL + nsec;
}

/* Before 6.1 a process's mappings are a list (mm->mmap, vm_next); since,
 * a maple tree, searched with bpf_find_vma (5.17+, kernel BTF). */
struct mm_struct___vma_list {
	struct vm_area_struct *mmap;
} __attribute__((preserve_access_index));
struct vm_area_struct___vma_list {
	struct vm_area_struct *vm_next;
} __attribute__((preserve_access_index));

/* Mappings of a new program walked to find its entry point's: the
 * program's segments, its interpreter's, the vDSO and the stack. */
#define EXEC_VMAS 24

static long vma_file(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(struct file **)data = BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* The file mapped at addr in the current task, NULL if none or unknown. */
static __always_inline struct file *file_mapped_at(struct mm_struct *mm, __u64 addr, const bool find_vma)
{
	struct file *file = NULL;

	if (find_vma) {
		bpf_find_vma(bpf_get_current_task_btf(), addr, vma_file, &file, 0);
		return file;
	}
	if (!bpf_core_field_exists(struct mm_struct___vma_list, mmap) || !bpf_core_field_exists(struct vm_area_struct___vma_list, vm_next))
		return NULL;
	struct vm_area_struct *vma = BPF_CORE_READ((struct mm_struct___vma_list *)mm, mmap);
#pragma unroll
	for (int i = 0; i < EXEC_VMAS; i++) {
		if (vma) {
			if (addr >= BPF_CORE_READ(vma, vm_start) && addr < BPF_CORE_READ(vma, vm_end)) {
				file = BPF_CORE_READ(vma, vm_file);
				vma = NULL;
			} else {
				vma = BPF_CORE_READ((struct vm_area_struct___vma_list *)vma, vm_next);
			}
		}
	}
	return file;
}

/* include/uapi/linux/stat.h */
#define S_IFSOCK 0140000
#define S_IFIFO 0010000

/* Append the path of a file (walk_path); a pipe or socket, which has none,
 * as the kernel names it in /proc/<pid>/fd: pipe:[<inode>], socket:[<inode>]. */
static __always_inline __u32 put_file_name(struct scratch *b, __u32 off, __u8 arg, struct file *file)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u32 type = BPF_CORE_READ(inode, i_mode) & S_IFMT;
	struct scratch *t = scratch_buf(1);
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	__u32 at = 0, n = 1;

	if ((type != S_IFIFO && type != S_IFSOCK) || BPF_CORE_READ(dentry, d_parent) != dentry || !t)
		return put_dentry_path(b, off, arg, dentry, BPF_CORE_READ(file, f_path.mnt));
	/* built in scratch slot 1 (walk_path's), a byte at a time: a string
	 * constant would be global data, which the legacy programs lack */
	char *name = (char *)t->data;
	if (type == S_IFIFO) {
		name[0] = 'p', name[1] = 'i', name[2] = 'p', name[3] = 'e';
		at = 4;
	} else {
		name[0] = 's', name[1] = 'o', name[2] = 'c', name[3] = 'k', name[4] = 'e', name[5] = 't';
		at = 6;
	}
	name[at & 63] = ':';
	name[(at + 1) & 63] = '[';
	at += 2;
	/* the inode number's decimal digits, most significant first */
	__u64 v = ino;
#pragma unroll
	for (int i = 0; i < 19; i++) {
		v /= 10;
		if (v)
			n++;
	}
#pragma unroll
	for (int i = 0; i < 20; i++) {
		if (i < n) {
			name[(at + n - 1 - i) & 63] = '0' + ino % 10;
			ino /= 10;
		}
	}
	at += n;
	name[at & 63] = ']';
	name[(at + 1) & 63] = 0;
	return put_str(b, off, arg, ARG_KSTR, name);
}

/* raw_tp args: (struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm).
 * Keeps the executable scope (executable=) and reports sched_process_exec
 * with Tracee's arguments (cmdpath, pathname, dev, inode, ctime,
 * inode_mode, interpreter_*, argv, interp, stdin_type, stdin_path,
 * invoked_from_kernel, env) and ours (old_pid). find_vma: the interpreter
 * is found with bpf_find_vma (a program of its own: older kernels could
 * not load it). */
static __always_inline int sched_process_exec(struct bpf_raw_tracepoint_args *ctx, const bool legacy, const bool find_vma)
{
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	const volatile struct scope_config *c = scope_config(legacy);
	struct file *file = BPF_CORE_READ(bprm, file);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u32 dev = BPF_CORE_READ(inode, i_sb, s_dev);
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	bool exe_scope = c && c->fields[SCOPE_EXE];
	struct event_config *cfg = event_config(EVENT_SCHED_PROCESS_EXEC);
	const char *path = NULL;
	bool cut = false;
	struct scratch *b;
	__u64 policies;
	__u32 off;

	/* the file the process now runs, by its absolute path and by its
	 * identity: what execve was given (relative, a link, /dev/fd/N) does
	 * not change either */
	if (exe_scope || cfg)
		path = walk_path(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), &cut);
	if (exe_scope) {
		__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
		struct scope_keys *k = bpf_map_lookup_elem(&scope_keys, &zero);
		struct scope_num_key id = { .field = SCOPE_EXE, .dev = dev, .value = ino };
		__u64 exe = listed(&scope_nums, &id);
		/* a path cut short (deeper than the walk goes, or past stacked
		 * mounts) is not the file's: only its identity is compared */
		if (k && path && !cut) {
			__builtin_memset(k->exe, 0, sizeof(k->exe));
			bpf_probe_read_kernel_str(k->exe, sizeof(k->exe), path);
			exe |= listed(&scope_exes, k->exe);
		}
		struct proc_scope *ps = bpf_map_lookup_elem(&proc_scopes, &tgid);
		if (ps) {
			ps->exe = exe;
		} else if (exe) {
			struct proc_scope cs = { .exe = exe };
			bpf_map_update_elem(&proc_scopes, &tgid, &cs, BPF_ANY);
		}
	}
	if (!cfg || is_self(legacy))
		return 0;
	policies = in_scope(cfg->policies, legacy);
	b = scratch_buf(0);
	if (!b || !policies)
		return 0;
	fill_header(&b->ev.header, EVENT_SCHED_PROCESS_EXEC, -1, policies, legacy);
	const char *filename = BPF_CORE_READ(bprm, filename);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	b->ev.args[0] = (__u64)filename;
	b->ev.args[1] = 0;
	b->ev.args[2] = dev;
	b->ev.args[3] = ino;
	b->ev.args[4] = inode_ctime_ns(inode);
	b->ev.args[5] = BPF_CORE_READ(inode, i_mode);

	/* the integers past args first: they are small and always fit */
	struct file *in = fd_file(0);
	off = put_value(b, 0, 12, in ? BPF_CORE_READ(in, f_inode, i_mode) & S_IFMT : 0);
	off = put_value(b, off, 14, (BPF_CORE_READ(task, real_parent, flags) & PF_KTHREAD) != 0);
	off = put_value(b, off, 16, (__u32)ctx->args[1]);
	/* the interpreter (the ELF loader: ld.so) is the file mapped where
	 * the new program starts, if it is not the program itself */
	struct file *itp = file_mapped_at(mm, PT_REGS_IP_CORE(current_regs()), find_vma);
	struct inode *itp_inode = itp ? BPF_CORE_READ(itp, f_inode) : NULL;
	if (itp_inode && itp_inode != inode) {
		off = put_value(b, off, 7, BPF_CORE_READ(itp_inode, i_sb, s_dev));
		off = put_value(b, off, 8, BPF_CORE_READ(itp_inode, i_ino));
		off = put_value(b, off, 9, inode_ctime_ns(itp_inode));
	}
	/* then the paths, the file run first */
	if (cut)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	if (path)
		off = put_str(b, off, 1, ARG_KSTR, path);
	off = put_str(b, off, 0, ARG_KSTR, filename);
	if (itp_inode && itp_inode != inode)
		off = put_dentry_path(b, off, 6, BPF_CORE_READ(itp, f_path.dentry), BPF_CORE_READ(itp, f_path.mnt));
	off = put_str(b, off, 11, ARG_KSTR, BPF_CORE_READ(bprm, interp));
	if (in)
		off = put_file_name(b, off, 13, in);
	/* argv and the environment as the kernel wrote them on the new stack */
	off = put_str_seq(b, off, 10, (const char *)BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(bprm, argc));
	if (cfg->flags & EVENT_FLAG_EXEC_ENV)
		off = put_str_seq(b, off, 15, (const char *)BPF_CORE_READ(mm, env_start), BPF_CORE_READ(bprm, envc));
	submit(ctx, b, off, legacy);
	return 0;
}

static __always_inline int on_sched_process_exec(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	return sched_process_exec(ctx, legacy, false);
}

/* raw_tp args: (struct task_struct *p) */
static __always_inline int on_sched_process_exit(struct bpf_raw_tracepoint_args *ctx, const bool legacy)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, tgid = pid_tgid >> 32;
	/* the last thread of the group: the process is gone */
	bool group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	struct event_config *cfg;
	struct scratch *b;
	__u64 policies;

	/* a thread that exits inside a syscall leaves no pending entry behind */
	bpf_map_delete_elem(&pending, &tid);
	cfg = event_config(EVENT_SCHED_PROCESS_EXIT);
	policies = cfg && !is_self(legacy) ? in_scope(cfg->policies, legacy) : 0;
	/* after the scope test, which may need it */
	if (group_dead)
		bpf_map_delete_elem(&proc_scopes, &tgid);
	b = scratch_buf(0);
	if (!b || !policies)
		return 0;
	fill_header(&b->ev.header, EVENT_SCHED_PROCESS_EXIT, -1, policies, legacy);
	int code = BPF_CORE_READ(task, exit_code);
	b->ev.args[0] = (code >> 8) & 0xff; /* exit status, as wait(2) reports it */
	b->ev.args[1] = group_dead;
	b->ev.args[2] = code & 0x7f; /* terminating signal, 0 if none */
	b->ev.args[3] = 0;
	b->ev.args[4] = 0;
	b->ev.args[5] = 0;
	submit(ctx, b, 0, legacy);
	return 0;
}

/* The syscall the current task is in, -1 if none (a kernel thread's work). */
static __always_inline __s32 current_syscall(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return -1;
	return (__s32)syscall_nr(current_regs());
}

/* Kernel functions (LSM hooks, cap_capable): each event's code is one
 * on_<function>(), entered from two programs: fentry where the kernel has
 * its own BTF, kprobe elsewhere (FUNCTION_HOOK, at the end). User space
 * loads one of them per event, or reports why neither can run. The reads
 * below are CO-RE probe reads, valid from both. */

/* The record of a kernel event (a kernel function's, or one derived at a
 * syscall's exit), its header filled, if some policy wants it for the
 * current task; NULL otherwise. */
static __always_inline struct scratch *kernel_event(__u32 id, __s32 syscall)
{
	struct event_config *cfg = event_config(id);
	struct scratch *b;
	__u64 policies;

	if (!cfg || is_self(false))
		return NULL;
	policies = in_scope(cfg->policies, false);
	b = scratch_buf(0);
	if (!b || !policies)
		return NULL;
	fill_header(&b->ev.header, id, syscall, policies, false);
	__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
	return b;
}

static __always_inline struct scratch *function_event(__u32 id)
{
	return kernel_event(id, current_syscall());
}

/* The socket's fd: the first argument of the syscall the hook runs in, if
 * that is connect, bind, accept or accept4; else -1. */
static __always_inline __s64 current_sockfd(__s32 syscall)
{
	if (is_known(syscall, KNOWN_CONNECT) || is_known(syscall, KNOWN_BIND) || is_known(syscall, KNOWN_ACCEPT) ||
	    is_known(syscall, KNOWN_ACCEPT4))
		return (int)PT_REGS_PARM1_CORE_SYSCALL(current_regs());
	return -1;
}

/* security_file_open(struct file *): every file opened, by any syscall. */
static __always_inline int file_open_event(void *ctx, struct file *file, __s32 syscall, const bool d_path)
{
	struct scratch *b = kernel_event(EVENT_SECURITY_FILE_OPEN, syscall);
	if (!b)
		return 0;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	b->ev.args[1] = BPF_CORE_READ(file, f_flags);
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[3] = BPF_CORE_READ(inode, i_ino);
	submit(ctx, b, put_file_path(b, 0, 0, file, d_path), false);
	return 0;
}

/* A name a rename syscall was given, made absolute (security_inode_rename's
 * fallback): the directory it is relative to as the kernel holds it (the
 * root for "/...", else dirfd's file, or the cwd for AT_FDCWD), walked
 * (walk_path: mounts crossed, the cwd's or dirfd's symlinks already
 * resolved), then "/" and the name as given. No lookup by name: a
 * symlink, "." or ".." inside the given name stays as written. Built in
 * a buffer twice MAX_STR_LEN long, so that the verifier sees the name's
 * read in bounds wherever the directory's part ends; the item is cut at
 * MAX_STR_LEN and flagged. Not inlined: two of them per record. */
struct join_buf {
	char s[2 * MAX_STR_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct join_buf);
} join_scratch SEC(".maps");

static __noinline __u32 put_at_path(struct scratch *b, __u32 off, __u8 arg, int dirfd, const char *name)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *dentry = NULL;
	struct vfsmount *mnt = NULL;
	const char *dir = NULL;
	__u32 zero = 0, pos = 0;
	char first = 0;
	bool cut = false;

	struct join_buf *j = bpf_map_lookup_elem(&join_scratch, &zero);
	if (j && bpf_probe_read_user(&first, 1, name) == 0) {
		if (first == '/') {
			dentry = BPF_CORE_READ(task, fs, root.dentry);
			mnt = BPF_CORE_READ(task, fs, root.mnt);
		} else if (dirfd == AT_FDCWD) {
			dentry = BPF_CORE_READ(task, fs, pwd.dentry);
			mnt = BPF_CORE_READ(task, fs, pwd.mnt);
		} else {
			/* the dirfd the kernel used (closed since by another thread: none) */
			struct file *file = dirfd >= 0 ? fd_file(dirfd) : NULL;
			if (file) {
				dentry = BPF_CORE_READ(file, f_path.dentry);
				mnt = BPF_CORE_READ(file, f_path.mnt);
			}
		}
		if (dentry)
			dir = walk_path(dentry, mnt, &cut);
	}
	/* one put_str for every outcome: fewer copies for the verifier to walk */
	if (j && dir) {
		long n = bpf_probe_read_kernel_str(j->s, MAX_STR_LEN, dir);
		if (n > 1)
			pos = n - 1;
		/* the root ("/"): the name's own slash, or one */
		if (pos == 1 && j->s[0] == '/')
			pos = first == '/' ? 0 : 1;
		else if (first != '/' && pos < MAX_STR_LEN - 1)
			j->s[pos++] = '/';
		barrier_var(pos);
		pos &= MAX_STR_LEN - 1;
		if (bpf_probe_read_user_str(&j->s[pos], MAX_STR_LEN, name) > 0) {
			if (cut)
				b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
			return put_str(b, off, arg, ARG_KSTR, j->s);
		}
	}
	/* no directory to join: as given (or unreadable, with its address) */
	return put_str(b, off, arg, ARG_STR, name);
}

/* rename (oldpath, newpath), renameat and renameat2 (olddirfd, oldpath,
 * newdirfd, newpath, ...) returned ret: if they renamed, security_inode_rename
 * with both names absolute (put_at_path). */
static __always_inline void inode_rename_at_exit(void *ctx, __s32 nr, long ret, __u64 *args)
{
	bool at = !is_known(nr, KNOWN_RENAME);
	struct scratch *b;
	__u32 off;

	if (ret != 0 || !(b = kernel_event(EVENT_SECURITY_INODE_RENAME, nr)))
		return;
	off = put_at_path(b, 0, 0, at ? (int)args[0] : AT_FDCWD, (const char *)(at ? args[1] : args[0]));
	off = put_at_path(b, off, 1, at ? (int)args[2] : AT_FDCWD, (const char *)(at ? args[3] : args[1]));
	submit(ctx, b, off, false);
}

static __always_inline int on_security_file_open(void *ctx, struct file *file, const bool d_path)
{
	return file_open_event(ctx, file, current_syscall(), d_path);
}

/* security_bprm_check(struct linux_binprm *): a file about to be executed
 * (the interpreter too, for a script). */
static __always_inline int on_security_bprm_check(void *ctx, struct linux_binprm *bprm)
{
	struct scratch *b = function_event(EVENT_SECURITY_BPRM_CHECK);
	if (!b)
		return 0;
	struct file *file = BPF_CORE_READ(bprm, file);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[2] = BPF_CORE_READ(inode, i_ino);
	submit(ctx, b, put_file_path(b, 0, 0, file, false), false);
	return 0;
}

/* security_inode_unlink(struct inode *dir, struct dentry *): a name removed. */
static __always_inline int on_security_inode_unlink(void *ctx, struct inode *dir, struct dentry *dentry)
{
	struct scratch *b = function_event(EVENT_SECURITY_INODE_UNLINK);
	if (!b)
		return 0;
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_ino);
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	submit(ctx, b, put_dentry_path(b, 0, 0, dentry, NULL), false);
	return 0;
}

/* security_inode_rename(old_dir, old_dentry, new_dir, new_dentry, flags) */
static __always_inline int on_security_inode_rename(void *ctx, struct inode *old_dir, struct dentry *old_dentry,
						    struct inode *new_dir, struct dentry *new_dentry)
{
	struct scratch *b = function_event(EVENT_SECURITY_INODE_RENAME);
	if (!b)
		return 0;
	__u32 off = put_dentry_path(b, 0, 0, old_dentry, NULL);
	off = put_dentry_path(b, off, 1, new_dentry, NULL);
	submit(ctx, b, off, false);
	return 0;
}

/* security_sb_mount(dev_name, const struct path *, type, flags, data) */
static __always_inline int on_security_sb_mount(void *ctx, const char *dev_name, const struct path *path,
						const char *type, unsigned long flags)
{
	struct scratch *b = function_event(EVENT_SECURITY_SB_MOUNT);
	if (!b)
		return 0;
	b->ev.args[3] = flags;
	/* the short strings first: the path may take the rest */
	__u32 off = put_str(b, 0, 2, ARG_KSTR, type);
	off = put_str(b, off, 0, ARG_KSTR, dev_name);
	off = put_dentry_path(b, off, 1, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt));
	submit(ctx, b, off, false);
	return 0;
}

/* security_kernel_read_file(struct file *, enum kernel_read_file_id, bool):
 * the kernel reading a file for itself (a module, firmware, a kexec image,
 * a policy). */
static __always_inline int on_security_kernel_read_file(void *ctx, struct file *file, int id)
{
	struct scratch *b = function_event(EVENT_SECURITY_KERNEL_READ_FILE);
	if (!b)
		return 0;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	b->ev.args[1] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[2] = BPF_CORE_READ(inode, i_ino);
	b->ev.args[3] = id;
	submit(ctx, b, put_file_path(b, 0, 0, file, false), false);
	return 0;
}

/* The socket hooks' record: sockfd, the address at arg 1, the type. */
static __always_inline struct scratch *socket_event(__u32 id, struct socket *sock)
{
	struct scratch *b = function_event(id);
	if (!b)
		return NULL;
	b->ev.args[0] = current_sockfd(b->ev.header.syscall);
	b->ev.args[2] = BPF_CORE_READ(sock, type);
	return b;
}

/* security_socket_connect(struct socket *, struct sockaddr *, int addrlen) */
static __always_inline int on_security_socket_connect(void *ctx, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_CONNECT, sock);
	if (b)
		submit(ctx, b, put_sockaddr(b, 0, 1, address, addrlen, true), false);
	return 0;
}

/* security_socket_bind(struct socket *, struct sockaddr *, int addrlen) */
static __always_inline int on_security_socket_bind(void *ctx, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_BIND, sock);
	if (b)
		submit(ctx, b, put_sockaddr(b, 0, 1, address, addrlen, true), false);
	return 0;
}

/* A socket's address as the struct sockaddr of its family, built from the
 * kernel's socket as getsockname (its own: local) or getpeername (peer:
 * the remote end's) builds it: AF_INET (16 bytes), AF_INET6 (28: flowinfo
 * 0, which getpeername fills only for IPV6_FLOWINFO_SEND) from
 * sock_common (rcv_saddr and num, or daddr and dport), ports in network
 * order; AF_UNIX its own unix_sock's bound address, or its peer's, as bind
 * gave it (the family alone if unnamed or without a peer); any other
 * family alone. Returns the new offset. */
static __always_inline __u32 put_sock_addr(struct scratch *b, __u32 off, __u8 arg, struct sock *sk, const bool peer)
{
	if (off >= MAX_STR_LEN)
		return off;
	barrier_var(off);
	off &= MAX_STR_LEN - 1;
	struct data_item *item = (void *)&b->data[off];
	__u8 *dst = &b->data[off + sizeof(*item)];
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u32 len = sizeof(family);

	if (family == AF_UNIX) {
		/* bound: its address as bind gave it (len: the addrlen kept) */
		struct unix_sock *u = (struct unix_sock *)sk;
		if (peer)
			u = (struct unix_sock *)BPF_CORE_READ(u, peer);
		struct unix_address *addr = u ? BPF_CORE_READ(u, addr) : NULL;
		if (addr)
			return put_sockaddr(b, off, arg, (void *)addr + bpf_core_field_offset(struct unix_address, name),
					    BPF_CORE_READ(addr, len), true);
	}
	__builtin_memset(dst, 0, SOCKADDR_IN6_SIZE);
	__builtin_memcpy(dst, &family, sizeof(family));
	if (family == AF_INET || family == AF_INET6) {
		/* sin_port and sin6_port: network order, at offset 2 in both
		 * (skc_dport is kept so, skc_num in host order) */
		if (peer) {
			__be16 port = BPF_CORE_READ(sk, __sk_common.skc_dport);
			__builtin_memcpy(dst + 2, &port, sizeof(port));
		} else {
			__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);
			dst[2] = port >> 8;
			dst[3] = port & 0xff;
		}
		if (family == AF_INET) {
			__be32 a = peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr) : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__builtin_memcpy(dst + 4, &a, sizeof(a));
			len = SOCKADDR_IN_SIZE;
		} else {
			/* sin6_addr at offset 8, after sin6_flowinfo: its 16 bytes
			 * (BPF_CORE_READ_INTO would copy sizeof(*dst), one) */
			if (peer)
				bpf_core_read(dst + 8, 16, &sk->__sk_common.skc_v6_daddr);
			else
				bpf_core_read(dst + 8, 16, &sk->__sk_common.skc_v6_rcv_saddr);
			/* sin6_scope_id: the bound interface, for an address that
			 * needs one (link-local fe80::/10, multicast of interface or
			 * link scope ff01::, ff02::), as net/ipv6's inet6_getname */
			if ((dst[8] == 0xfe && (dst[9] & 0xc0) == 0x80) || (dst[8] == 0xff && ((dst[9] & 0xf) == 1 || (dst[9] & 0xf) == 2))) {
				__u32 dev = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
				__builtin_memcpy(dst + 24, &dev, sizeof(dev));
			}
			len = SOCKADDR_IN6_SIZE;
		}
	}
	item->arg = arg;
	item->kind = ARG_SOCKADDR;
	item->len = len;
	return off + sizeof(*item) + len;
}

/* security_socket_accept(struct socket *sock, struct socket *newsock) */
static __always_inline int on_security_socket_accept(void *ctx, struct socket *sock)
{
	struct scratch *b = socket_event(EVENT_SECURITY_SOCKET_ACCEPT, sock);
	if (b)
		submit(ctx, b, put_sock_addr(b, 0, 1, BPF_CORE_READ(sock, sk), false), false);
	return 0;
}

/* cap_capable(cred, user_namespace, int cap, unsigned int opts): a
 * capability checked (whether or not the task has it). */
static __always_inline int on_cap_capable(void *ctx, int cap)
{
	struct scratch *b = function_event(EVENT_CAP_CAPABLE);
	if (!b)
		return 0;
	b->ev.args[0] = cap;
	submit(ctx, b, 0, false);
	return 0;
}

/* Events derived at a syscall's exit (events.tbl @after=), in programs of
 * their own (the syscall programs stay as small as they were): on the
 * per-syscall tracepoints of their syscalls, or on raw sys_exit where
 * tracefs lacks them. Not for the legacy programs' kernels. */

/* write/pwrite64 (fd, buf, count[, pos]) or writev/pwritev (fd, iov,
 * iovcnt[, pos_l]) returned ret: the first bytes of a regular file, if they
 * were written at its offset 0. */
static __always_inline void magic_write(void *ctx, __s32 nr, long ret, __u64 *args)
{
	struct file *file;
	struct inode *inode;
	struct scratch *b;
	__u32 off;

	if (ret <= 0 || !(file = fd_file(args[0])))
		return;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return;
	/* pwrite64 and pwritev say where; write and writev moved the file
	 * position by what they wrote */
	if (is_known(nr, KNOWN_PWRITE64) || is_known(nr, KNOWN_PWRITEV) ? args[3] != 0 : BPF_CORE_READ(file, f_pos) != ret)
		return;
	const void *buf = (const void *)args[1];
	__u64 len = ret;
	if (is_known(nr, KNOWN_WRITEV) || is_known(nr, KNOWN_PWRITEV)) {
		/* the first struct iovec { void *base; size_t len; } */
		__u64 iov[2] = {};
		if (bpf_probe_read_user(iov, sizeof(iov), buf))
			return;
		buf = (const void *)iov[0];
		len = iov[1] < len ? iov[1] : len;
	}
	b = kernel_event(EVENT_MAGIC_WRITE, nr);
	if (!b)
		return;
	b->ev.args[2] = BPF_CORE_READ(inode, i_sb, s_dev);
	b->ev.args[3] = BPF_CORE_READ(inode, i_ino);
	off = put_bytes(b, 0, 1, buf, len);
	off = put_dentry_path(b, off, 0, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	submit(ctx, b, off, false);
}

/* The regions mmap or mprotect made writable and executable, by address
 * space (the mm) and start address: an mprotect of one of them to
 * executable without writable is alert 4 (W+X to X, a JIT's pattern: code
 * written, then made read-only), which the syscall alone cannot tell. A
 * region is forgotten when mapped or protected again otherwise; the least
 * recently used go first. Only where the mprotect's entry could not read
 * the mapping's flags (mprotect_entries): this misses a sub-range, a
 * region moved by mremap or made W+X before the trace started. */
struct wx_region {
	__u64 mm;
	__u64 start;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct wx_region);
	__type(value, __u64); /* length */
} wx_regions SEC(".maps");

/* include/linux/mm.h: a mapping's vm_flags */
#define VM_WRITE 0x00000002
#define VM_EXEC 0x00000004

/* vm_flags is a plain field before 6.3, a member of an anonymous union
 * (vm_flags, __vm_flags) since: CO-RE finds it by name in either. */
struct vm_area_struct___flags {
	unsigned long vm_flags;
} __attribute__((preserve_access_index));

/* What the entry of an mprotect or pkey_mprotect to executable without
 * writable saw, by host tid, for its exit: the address given, and whether
 * the mapping there was writable and executable (Tracee's test, on the
 * VMA's previous flags, whatever made them so). The least recently used go
 * first: a thread killed in between never reaches the exit. */
struct mprotect_entry {
	__u64 addr;
	__u64 wx;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct mprotect_entry);
} mprotect_entries SEC(".maps");

static __always_inline bool is_mprotect(__s32 nr)
{
	return is_known(nr, KNOWN_MPROTECT) || is_known(nr, KNOWN_PKEY_MPROTECT);
}

static long vma_flags(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(__u64 *)data = BPF_CORE_READ((struct vm_area_struct___flags *)vma, vm_flags);
	return 0;
}

/* mprotect or pkey_mprotect (addr, len, prot[, pkey]) entered: the flags of
 * the mapping at addr, while they are still the old ones. Only for a prot
 * that can make alert 4, and only with bpf_find_vma (the programs that call
 * this are loaded on 5.17+ with kernel BTF only). */
static __always_inline void mem_prot_at_entry(__u64 addr, __u64 prot)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mprotect_entry e = { .addr = addr };
	__u64 flags = 0;

	if ((prot & (PROT_WRITE | PROT_EXEC)) != PROT_EXEC || !event_config(EVENT_MEM_PROT_ALERT) ||
	    !bpf_core_field_exists(struct vm_area_struct___flags, vm_flags))
		return;
	/* nothing mapped there (the call fails), or the mm's lock taken
	 * (-EBUSY): the exit falls back to wx_regions */
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, vma_flags, &flags, 0))
		return;
	e.wx = (flags & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC);
	bpf_map_update_elem(&mprotect_entries, &tid, &e, BPF_ANY);
}

/* mmap (addr, len, prot, flags, fd, off) returned the address, or mprotect
 * (addr, len, prot), pkey_mprotect (addr, len, prot, pkey) 0: memory made
 * writable and executable, or a writable and executable mapping made
 * executable only. */
static __always_inline void mem_prot_alert(void *ctx, __s32 nr, long ret, __u64 *args)
{
	bool mmap = is_known(nr, KNOWN_MMAP);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct wx_region region = { .mm = (__u64)BPF_CORE_READ(task, mm), .start = mmap ? (__u64)ret : args[0] };
	bool seen_at_entry = false, wx_before = false;
	__u32 alert;
	struct scratch *b;
	__u32 off = 0;

	if (!mmap) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct mprotect_entry *e = bpf_map_lookup_elem(&mprotect_entries, &tid);
		if (e) {
			seen_at_entry = e->addr == args[0];
			wx_before = seen_at_entry && e->wx;
			bpf_map_delete_elem(&mprotect_entries, &tid);
		}
	}
	if (ret < 0)
		return;
	if ((args[2] & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) {
		bpf_map_update_elem(&wx_regions, &region, &args[1], BPF_ANY);
		alert = mmap ? MEM_PROT_ALERT_MMAP_W_X : MEM_PROT_ALERT_MPROTECT_W_X;
	} else if (!mmap && (args[2] & PROT_EXEC) &&
		   (seen_at_entry ? wx_before : bpf_map_lookup_elem(&wx_regions, &region) != NULL)) {
		bpf_map_delete_elem(&wx_regions, &region);
		alert = MEM_PROT_ALERT_MPROTECT_W_X_TO_X;
	} else {
		bpf_map_delete_elem(&wx_regions, &region);
		return;
	}
	b = kernel_event(EVENT_MEM_PROT_ALERT, nr);
	if (!b)
		return;
	b->ev.args[0] = alert;
	b->ev.args[1] = mmap ? (__u64)ret : args[0];
	b->ev.args[2] = args[1];
	b->ev.args[3] = args[2];
	if (mmap && !(args[3] & MAP_ANONYMOUS)) {
		struct file *file = fd_file(args[4]);
		if (file)
			off = put_dentry_path(b, 0, 4, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	}
	submit(ctx, b, off, false);
}

/* include/uapi/linux/fcntl.h: fcntl's commands that duplicate an fd */
#define F_DUPFD 0
#define F_DUPFD_CLOEXEC 1030

/* dup (oldfd), dup2 (oldfd, newfd), dup3 (oldfd, newfd, flags) or fcntl
 * (fd, cmd, arg) returned ret: the fd made (for dup2 and dup3 newfd, which
 * they return), if it is a socket, with the socket's addresses. */
static __always_inline void socket_dup(void *ctx, __s32 nr, long ret, __u64 *args)
{
	struct scratch *b;
	struct file *file;
	struct socket *sock;
	struct sock *sk;
	__u32 off;

	if (ret < 0 || (is_known(nr, KNOWN_FCNTL) && (int)args[1] != F_DUPFD && (int)args[1] != F_DUPFD_CLOEXEC))
		return;
	if (!(file = fd_file(ret)))
		return;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return;
	/* a socket's file has it in private_data, and it points back to the
	 * file (net/socket.c sock_alloc_file); an O_PATH fd of a socket's
	 * name in a directory has the inode's mode, not the socket */
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file || !(sk = BPF_CORE_READ(sock, sk)))
		return;
	b = kernel_event(EVENT_SOCKET_DUP, nr);
	if (!b)
		return;
	b->ev.args[0] = (int)args[0];
	b->ev.args[1] = (int)ret;
	off = put_sock_addr(b, 0, 2, sk, true);
	off = put_sock_addr(b, off, 3, sk, false);
	submit(ctx, b, off, false);
}

static __always_inline void derive_at_exit(void *ctx, __u32 id, long ret, struct pt_regs *regs, const bool per_syscall)
{
	__s32 nr = id;
	bool write = derive_magic_write && (is_known(nr, KNOWN_WRITE) || is_known(nr, KNOWN_PWRITE64) || is_known(nr, KNOWN_WRITEV) ||
					    is_known(nr, KNOWN_PWRITEV));
	bool map = derive_mem_prot_alert && (is_known(nr, KNOWN_MMAP) || is_mprotect(nr));
	bool dup = derive_socket_dup && (is_known(nr, KNOWN_DUP) || is_known(nr, KNOWN_DUP2) || is_known(nr, KNOWN_DUP3) ||
					 is_known(nr, KNOWN_FCNTL));
	__u64 args[MAX_ARGS];

	/* the file the open returned, by its fd */
	if (derive_file_open && (is_known(nr, KNOWN_OPEN) || is_known(nr, KNOWN_OPENAT) || is_known(nr, KNOWN_OPENAT2) ||
				 is_known(nr, KNOWN_CREAT))) {
		struct file *file = ret >= 0 ? fd_file(ret) : NULL;
		if (file)
			file_open_event(ctx, file, nr, false);
		return;
	}
	if (derive_inode_rename && (is_known(nr, KNOWN_RENAME) || is_known(nr, KNOWN_RENAMEAT) || is_known(nr, KNOWN_RENAMEAT2))) {
		if (ret == 0 && read_syscall_args(per_syscall ? current_regs() : regs, args, per_syscall ? (long)id : -1))
			inode_rename_at_exit(ctx, nr, ret, args);
		return;
	}
	if (!(write || map || dup) || !event_config(write ? EVENT_MAGIC_WRITE : map ? EVENT_MEM_PROT_ALERT : EVENT_SOCKET_DUP))
		return;
	if (!read_syscall_args(per_syscall ? current_regs() : regs, args, per_syscall ? (long)id : -1))
		return;
	if (write)
		magic_write(ctx, nr, ret, args);
	else if (map)
		mem_prot_alert(ctx, nr, ret, args);
	else
		socket_dup(ctx, nr, ret, args);
}

SEC("raw_tracepoint/sys_exit")
int tracee_derived_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	derive_at_exit(ctx, syscall_nr(regs), (long)ctx->args[1], regs, false);
	return 0;
}

SEC("tracepoint")
int tracee_derived_exit_per_syscall(struct syscall_tp_exit *ctx)
{
	derive_at_exit(ctx, ctx->nr, ctx->ret, NULL, true);
	return 0;
}

/* The entries of the syscalls derived events need (events.tbl @before=:
 * mprotect, pkey_mprotect for mem_prot_alert), with bpf_find_vma (5.17+,
 * kernel BTF): user space loads them only there, and only when
 * mem_prot_alert is selected. Raw sys_enter: every syscall runs it, so the
 * number is tested before anything is read. */
SEC("raw_tracepoint/sys_enter")
int tracee_derived_enter_find_vma(struct bpf_raw_tracepoint_args *ctx)
{
	__s32 nr = ctx->args[1];
	__u64 args[MAX_ARGS];

	if (derive_mem_prot_alert && is_mprotect(nr) && read_syscall_args((struct pt_regs *)ctx->args[0], args, -1))
		mem_prot_at_entry(args[0], args[2]);
	return 0;
}

/* Attached to syscalls/sys_enter_mprotect and sys_enter_pkey_mprotect:
 * both records have (at least) addr, len, prot. */
SEC("tracepoint")
int tracee_derived_enter_find_vma_per_syscall(struct syscall_tp_enter *ctx)
{
	if (derive_mem_prot_alert && is_mprotect(ctx->nr))
		mem_prot_at_entry(ctx->args[0], ctx->args[2]);
	return 0;
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

RAW_TP(sys_enter)
RAW_TP(sys_exit)
RAW_TP(sched_process_fork)
RAW_TP(sched_process_exec)
/* attached after tracee_sched_process_exec, whose executable scope it uses */
ENTRY("raw_tracepoint/sched_process_exec", exec_syscall, struct bpf_raw_tracepoint_args)
/* tracee_sched_process_exec where bpf_find_vma runs (5.17+, kernel BTF) */
SEC("raw_tracepoint/sched_process_exec")
int tracee_sched_process_exec_find_vma(struct bpf_raw_tracepoint_args *ctx)
{
	return sched_process_exec(ctx, false, true);
}
RAW_TP(sched_process_exit)
/* one program, many tracepoints: user space attaches it to each selected
 * syscall's tracepoint through perf_event_open (the ids come from tracefs) */
ENTRY("tracepoint", sys_enter_per_syscall, struct syscall_tp_enter)
ENTRY("tracepoint", sys_exit_per_syscall, struct syscall_tp_exit)

/* A kernel function's two entry points: fentry (typed arguments, kernel
 * BTF) and kprobe (the same arguments from registers). `params` is the
 * function's leading parameters, `args` what its on_<fn>() takes. */
#define UNPAREN(...) __VA_ARGS__
#define FUNCTION_HOOK(fn, params, args)                                                       \
	SEC("fentry/" #fn)                                                                    \
	int BPF_PROG(tracee_##fn, UNPAREN params)                                             \
	{                                                                                     \
		return on_##fn(ctx, UNPAREN args);                                            \
	}                                                                                     \
	SEC("kprobe/" #fn)                                                                    \
	int BPF_KPROBE(tracee_##fn##_kprobe, UNPAREN params)                                  \
	{                                                                                     \
		return on_##fn(ctx, UNPAREN args);                                            \
	}

/* bpf_d_path: with fentry, in security_file_open only (the kernel's allow list) */
SEC("fentry/security_file_open")
int BPF_PROG(tracee_security_file_open, struct file *file)
{
	return on_security_file_open(ctx, file, true);
}
SEC("kprobe/security_file_open")
int BPF_KPROBE(tracee_security_file_open_kprobe, struct file *file)
{
	return on_security_file_open(ctx, file, false);
}
FUNCTION_HOOK(security_bprm_check, (struct linux_binprm *bprm), (bprm))
FUNCTION_HOOK(security_inode_unlink, (struct inode *dir, struct dentry *dentry), (dir, dentry))
FUNCTION_HOOK(security_inode_rename,
	      (struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir, struct dentry *new_dentry),
	      (old_dir, old_dentry, new_dir, new_dentry))
FUNCTION_HOOK(security_sb_mount, (const char *dev_name, const struct path *path, const char *type, unsigned long flags),
	      (dev_name, path, type, flags))
FUNCTION_HOOK(security_kernel_read_file, (struct file *file, int id), (file, id))
FUNCTION_HOOK(security_socket_connect, (struct socket *sock, struct sockaddr *address, int addrlen), (sock, address, addrlen))
FUNCTION_HOOK(security_socket_bind, (struct socket *sock, struct sockaddr *address, int addrlen), (sock, address, addrlen))
FUNCTION_HOOK(security_socket_accept, (struct socket *sock), (sock))
FUNCTION_HOOK(cap_capable, (const struct cred *cred, struct user_namespace *ns, int cap), (cap))

/* Host-wide integrity checks (hooked_syscall, hooked_proc_fops). No hook
 * runs this program: user space runs it with BPF_PROG_TEST_RUN (raw
 * tracepoint programs can be run so since Linux 5.10), in its own task,
 * and decides from what it reads with /proc/kallsyms (symbols.rs):
 * - ROOTKIT_READ copies kernel memory (the syscall table; where kallsyms
 *   does not name it, .rodata, in which user space finds it);
 * - ROOTKIT_READ_FOPS reads the directory operations of a file the caller
 *   opened (/proc): current->files is the caller's;
 * - ROOTKIT_EMIT sends what user space found as a record, through the ring
 *   and the policies like any event. The check has no process: the
 *   record's process fields are zero (as Tracee clears them), and it goes
 *   to every policy that selects the event, whatever its scope. */
struct rootkit_read {
	__u64 words[ROOTKIT_READ_MAX / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rootkit_read);
} rootkit_read SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rootkit_emit);
} rootkit_emit SEC(".maps");

/* kernels before 6.5 (or so) also have the older `iterate` */
struct file_operations___iterate {
	void *iterate;
};

static __always_inline int rootkit_read_mem(__u64 addr, __u64 len)
{
	__u32 zero = 0;
	struct rootkit_read *out = bpf_map_lookup_elem(&rootkit_read, &zero);
	int pages = 0;

	if (!out)
		return 0;
	for (int i = 0; i < ROOTKIT_READ_MAX / ROOTKIT_PAGE; i++) {
		if ((__u64)i * ROOTKIT_PAGE >= len)
			break;
		void *dst = (void *)out->words + i * ROOTKIT_PAGE;
		/* a page that cannot be read is left zeros (the helper clears
		 * its destination on failure) */
		if (bpf_probe_read_kernel(dst, ROOTKIT_PAGE, (void *)(addr + (__u64)i * ROOTKIT_PAGE)) == 0)
			pages++;
	}
	return pages;
}

static __always_inline int rootkit_read_fops(__u64 fd)
{
	__u32 zero = 0;
	struct rootkit_read *out = bpf_map_lookup_elem(&rootkit_read, &zero);
	struct file *file = fd_file(fd);

	if (!out || !file)
		return 0;
	const struct file_operations *fops = BPF_CORE_READ(file, f_op);
	out->words[0] = (__u64)BPF_CORE_READ(fops, iterate_shared);
	out->words[1] = 0;
	if (bpf_core_field_exists(struct file_operations___iterate, iterate))
		out->words[1] = (__u64)BPF_CORE_READ((struct file_operations___iterate *)fops, iterate);
	return 1;
}

static __always_inline int rootkit_emit_record(void *ctx)
{
	__u32 zero = 0;
	struct rootkit_emit *e = bpf_map_lookup_elem(&rootkit_emit, &zero);
	struct event_config *cfg;
	struct scratch *b;
	__u32 off = 0;

	if (!e)
		return 0;
	cfg = event_config(e->event_id);
	b = scratch_buf(0);
	if (!cfg || !b)
		return 0;
	fill_header(&b->ev.header, e->event_id, -1, cfg->policies, false);
	/* a host-wide fact, not the tracer's: no process (as Tracee's
	 * removeIrrelevantContext) */
	struct event_header *h = &b->ev.header;
	h->thread_start_time = 0;
	h->cgroup_id = 0;
	h->host_process_id = h->host_thread_id = h->host_parent_process_id = 0;
	h->process_id = h->thread_id = h->parent_process_id = 0;
	h->user_id = h->group_id = 0;
	h->mount_namespace = h->pid_namespace = 0;
	__builtin_memset(h->process_name, 0, sizeof(h->process_name));
	__builtin_memset(b->ev.args, 0, sizeof(b->ev.args));
	for (int i = 0; i < ROOTKIT_EMIT_STRS; i++) {
		if (i >= e->count || off >= MAX_STR_LEN)
			break;
		barrier_var(off);
		off &= MAX_STR_LEN - 1;
		struct data_item *item = (void *)&b->data[off];
		long n = bpf_probe_read_kernel_str(&b->data[off + sizeof(*item)], ROOTKIT_EMIT_STR_LEN,
						   &e->str[i * ROOTKIT_EMIT_STR_LEN]);
		if (n <= 0)
			n = 1;
		item->arg = e->arg[i];
		item->kind = e->kind[i];
		item->len = n - 1;
		off += sizeof(*item) + (n - 1);
	}
	submit(ctx, b, off, false);
	return 1;
}

SEC("raw_tp")
int tracee_rootkit_check(struct bpf_raw_tracepoint_args *ctx)
{
	switch (ctx->args[0]) {
	case ROOTKIT_READ:
		return rootkit_read_mem(ctx->args[1], ctx->args[2]);
	case ROOTKIT_READ_FOPS:
		return rootkit_read_fops(ctx->args[1]);
	case ROOTKIT_EMIT:
		return rootkit_emit_record(ctx);
	}
	return 0;
}
