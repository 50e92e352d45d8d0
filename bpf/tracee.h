/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The records that cross from the kernel to user space, and the
 * configuration user space writes into the kernel. This header is the one
 * definition of that layout: Rust reads it through the skeleton types that
 * libbpf-cargo derives from the object's BTF, TypeScript through a decoder
 * generated from the same BTF (crates/tracee-core/build.rs). Field names are
 * Tracee's JSON names in snake_case, so camelCasing them gives Tracee's keys.
 */
#ifndef __TRACEE_H
#define __TRACEE_H

#define TASK_COMM_LEN 16
/* arguments carried in every record (struct event's args); an event with
 * more (sched_process_exec) carries the rest as data items */
#define MAX_ARGS 6
/* A path is captured up to PATH_MAX; longer ones are cut and flagged. */
#define MAX_STR_LEN 4096
/* Event ids index the config map: syscalls below 700, LSM hooks from 700
 * and process events from 1000, as Tracee numbers them. An enum, not a
 * #define, so user space reads it from the object's BTF. */
enum tracee_limits {
	MAX_EVENT_ID = 2048,
	/* elements of a string array (argv) captured; more are cut and flagged */
	MAX_STR_ARRAY = 32,
	/* the argument positions string arrays (execve's and execveat's argv)
	 * and sockaddrs (connect, bind, accept: 1; sendto, recvfrom: 4) take
	 * in the catalog; build.rs fails on any other */
	STR_ARRAY_ARG_A = 1,
	STR_ARRAY_ARG_B = 2,
	SOCKADDR_ARG_A = 1,
	SOCKADDR_ARG_B = 4,
	/* a buffer's first bytes (write's, pwrite64's) are copied at this
	 * position only, and the next argument is its length */
	BYTES_ARG = 1,
	/* a struct user_msghdr (sendmsg's, recvmsg's) at this position only */
	MSGHDR_ARG = 1,
	CAPTURED_BYTES = 16,
	/* bytes of a struct sockaddr captured: sizeof(struct sockaddr_storage)
	 * (include/uapi/linux/socket.h), what the kernel itself copies at most */
	SOCKADDR_MAX = 128,
	/* arguments an event may declare, the fixed ones and those carried as
	 * data items (struct data_item's arg) */
	MAX_EVENT_ARGS = 20,
	/* path components (the file, its directories, mount points crossed)
	 * walked up where a path is built from dentries (no bpf_d_path); a
	 * deeper path keeps its last ones and the mounts above its filesystem,
	 * "…" between (/dev/shm/…/a/b), and is flagged truncated */
	MAX_PATH_COMPONENTS = 32,
	/* policies loaded at once: one bit each in a __u64, as in Tracee */
	MAX_POLICIES = 64,
	/* bytes of an executable path (scope executable=) and of a UTS
	 * nodename (scope uts=) compared in the kernel, NUL included */
	SCOPE_EXE_LEN = 256,
	SCOPE_UTS_LEN = 65,
	/* comm values compared in place, without a map lookup, when no more
	 * are listed (struct scope_config) */
	SCOPE_COMM_INLINE = 8,
	/* values the scopes may list: numbers (scope_nums), and strings of one
	 * field (scope_comms, scope_utss, scope_exes) */
	SCOPE_NUMS_MAX = 4096,
	SCOPE_STRS_MAX = 1024,
	/* cgroups of containers tracked at once (the containers map) */
	CONTAINER_CGROUPS_MAX = 16384,
	/* tracee_rootkit_check's reads: a page at a time, at most
	 * ROOTKIT_READ_MAX bytes a run (enum tracee_rootkit_op) */
	ROOTKIT_PAGE = 4096,
	ROOTKIT_READ_MAX = 8 * 4096,
	/* strings of one record it sends (struct rootkit_emit), and the bytes
	 * of each, NUL included */
	ROOTKIT_EMIT_STRS = 8,
	ROOTKIT_EMIT_STR_LEN = 128,
};

/* enum tracee_event_id (the non-syscall events' ids) and enum
 * tracee_known_syscall (the syscalls the kernel side recognizes by number),
 * generated from bpf/events.tbl by build.rs (tracee-codegen hooks.rs). */
#include "events.gen.h"

/* mem_prot_alert's `alert`: Tracee's values (types/trace MemProtAlert)
 * where the meaning is the same. Tracee's 2 and 3 (mprotect adding X, X to
 * W+X) are not reported; 4 (W+X to X) is decided, as Tracee does, from the
 * flags of the mapping at the mprotect's address before the call (read at
 * its entry with bpf_find_vma, 5.17+ with kernel BTF), else from the
 * regions this side saw made W+X (wx_regions); an mprotect to W+X is a
 * value of its own. */
enum tracee_mem_prot_alert {
	MEM_PROT_ALERT_MMAP_W_X = 1,	      /* "Mmaped region with W+E permissions!" */
	MEM_PROT_ALERT_MPROTECT_W_X_TO_X = 4, /* "Protection changed from W+E to E!" */
	MEM_PROT_ALERT_MPROTECT_W_X = 5,      /* mprotect to writable and executable */
};

/* Kernel values the kernel side relies on, and user space with it (read
 * from the object's BTF, as the enums above). */
enum tracee_kernel_values {
	/* include/linux/proc_ns.h: the inode number of the initial pid
	 * namespace, fixed (what a task outside any container reports) */
	PROC_PID_INIT_INO = 0xEFFFFFFCU,
};

/* What tracee_rootkit_check does, run by user space with BPF_PROG_TEST_RUN
 * in its own context; ctx->args[0] is one of these, the others follow. */
enum tracee_rootkit_op {
	/* args[1]: a kernel address, args[2]: bytes (a multiple of
	 * ROOTKIT_PAGE, at most ROOTKIT_READ_MAX): copied into rootkit_read;
	 * returns the pages that could be read */
	ROOTKIT_READ = 1,
	/* args[1]: an fd of the caller's: its struct file's f_op's
	 * iterate_shared and iterate (0 where the kernel has none) into
	 * rootkit_read's first two words; returns 1, 0 if there is no file */
	ROOTKIT_READ_FOPS = 2,
	/* rootkit_emit's record into the events' ring; returns 1 if sent */
	ROOTKIT_EMIT = 3,
};

/* One record for ROOTKIT_EMIT, written by user space: its strings, each a
 * data item of argument arg[i] and kind kind[i] (ARG_KSTR, or
 * ARG_STR_ARRAY for the elements of an array). */
struct rootkit_emit {
	__u32 event_id;
	__u32 count;
	__u8 arg[ROOTKIT_EMIT_STRS];
	__u8 kind[ROOTKIT_EMIT_STRS];
	/* string i at i * ROOTKIT_EMIT_STR_LEN, NUL-terminated */
	char str[ROOTKIT_EMIT_STRS * ROOTKIT_EMIT_STR_LEN];
};

/* How the kernel side captures one argument. */
enum tracee_arg_kind {
	ARG_INT = 0,  /* raw register value */
	ARG_STR = 1,  /* user-space C string, copied into the record's data */
	ARG_KSTR = 2, /* kernel C string (e.g. bprm->filename) */
	/* user-space struct sockaddr: its bytes, as long as its family says
	 * (AF_UNIX: the family and sun_path up to its NUL) */
	ARG_SOCKADDR = 3,
	/* user-space NULL-terminated array of C strings (argv): one data item
	 * per element, up to MAX_STR_ARRAY of them */
	ARG_STR_ARRAY = 4,
	/* user-space struct __kernel_timespec (two s64), read at sys_exit */
	ARG_TIMESPEC = 5,
	/* the first CAPTURED_BYTES (at most) of a user buffer, as many as the
	 * next argument says it holds: enough to tell an ELF from a text */
	ARG_BYTES = 6,
	/* a user string (or string array element) whose memory could not be
	 * read (a page the task never touched, a bad address): the item holds
	 * the 8-byte address instead, and the record is flagged */
	ARG_UNREADABLE = 7,
	/* an integer argument past the record's MAX_ARGS: its 8 bytes */
	ARG_VALUE = 8,
	/* a user struct user_msghdr (sendmsg, recvmsg): a struct msghdr_item,
	 * then msg_name's bytes (msg_namelen of them, at most SOCKADDR_MAX;
	 * none if the call failed or there is none) */
	ARG_MSGHDR = 9,
};

/* A struct user_msghdr's fields (include/linux/socket.h) as captured, read
 * at the syscall's exit: for recvmsg, msg_namelen and msg_flags are then
 * what the kernel wrote. */
struct msghdr_item {
	__u64 msg_name; /* the address's pointer */
	__u64 msg_iovlen;
	__u64 msg_controllen;
	__u32 msg_namelen;
	__u32 msg_flags;
};

/* Per-event configuration written by user space before tracing starts. */
enum tracee_event_flags {
	/* the syscall never returns on success (exit, exit_group): report at entry */
	EVENT_FLAG_NORETURN = 1 << 0,
	/* user memory is gone at exit (execve): copy strings at entry */
	EVENT_FLAG_STR_AT_ENTRY = 1 << 1,
	/* some argument is copied (a string, a sockaddr): the record has a
	 * data section */
	EVENT_FLAG_DATA = 1 << 2,
	/* the sockaddr's length is the int the next argument points to
	 * (accept, recvfrom: written by the kernel), not that argument itself
	 * (connect, bind, sendto) */
	EVENT_FLAG_ADDRLEN_PTR = 1 << 3,
	/* sched_process_exec: the new program's environment is captured
	 * (Tracee's option:exec-env) */
	EVENT_FLAG_EXEC_ENV = 1 << 4,
};

struct event_config {
	/* bit N set: policy N selects this event. 0 = not traced. The scope of
	 * each policy (struct scope_config) clears bits per task. */
	__u64 policies;
	__u8 arg_kinds[MAX_ARGS];
	__u8 flags;
	/* arguments the catalog declares: registers are read only when > 0 */
	__u8 nargs;
};

/* The process fields a policy's scope can test in the kernel. Each is
 * "value listed" (=) or "value not listed" (!=) per policy; the ranges
 * (uid>=, pid<) are fields of their own, ANDed like the others. */
enum scope_field {
	SCOPE_PID = 0,	   /* host pid of the process (tgid) */
	SCOPE_UID = 1,
	SCOPE_MNTNS = 2,   /* mount namespace inode */
	SCOPE_PIDNS = 3,   /* pid namespace inode */
	SCOPE_COMM = 4,
	SCOPE_UTS = 5,	   /* UTS nodename (hostname in the task's namespace) */
	SCOPE_TREE = 6,	   /* the process descends from a listed pid (or is it) */
	SCOPE_EXE = 7,	   /* the file the process last executed: its absolute path, or its device and inode */
	SCOPE_CONTAINER = 8, /* the task's cgroup is a container's (the containers map) */
	SCOPE_UID_RANGE = 9,
	SCOPE_PID_RANGE = 10,
	SCOPE_TID = 11,	   /* host thread id */
	SCOPE_CGROUP = 12, /* cgroup v2 id (the cgroup directory's inode) */
	/* container=new: the task's cgroup is a container's made after the
	 * trace started (CONTAINER_NEW in the containers map) */
	SCOPE_CONTAINER_NEW = 13,
	/* container=<id>: the cgroup ids of the containers listed, in scope_nums */
	SCOPE_CONTAINER_ID = 14,
	/* pid=new: the process was forked after the trace started (proc_scopes) */
	SCOPE_PID_NEW = 15,
	SCOPE_FIELDS = 16,
};

/* What the containers map says of a cgroup (its id, in the hierarchy that
 * identifies containers: bpf/lib/cgroup.h): which container's it is, kept
 * by user space from cgroupfs at start and from each cgroup_mkdir record
 * (crates/tracee-core/src/containers). A cgroup not in the map is no
 * container's. */
enum container_state {
	CONTAINER_EXISTED = 1, /* there when the trace started */
	CONTAINER_NEW = 2,     /* made after the trace started */
};

/* The policies' scopes, written by user space before load (.rodata: the
 * verifier drops the code of fields no policy uses). Bit N is policy N. */
struct scope_config {
	/* policies with a scope other than global */
	__u64 scoped;
	/* per field: the policies that test it, and of those the ones whose
	 * test is != (the value must not be listed) */
	__u64 fields[SCOPE_FIELDS];
	__u64 negated[SCOPE_FIELDS];
	/* policies with `follow`: children of a matching process match too */
	__u64 follow;
	/* When the policies list at most SCOPE_COMM_INLINE comm values, they
	 * are here (each as two words, NUL-padded, with the policies listing
	 * it) and compared in place: a hash lookup costs more than a few
	 * compares. Otherwise comm_inline is 0 and they are in scope_comms. */
	__u64 comm_inline;
	__u64 comm_words[SCOPE_COMM_INLINE][2];
	__u64 comm_policies[SCOPE_COMM_INLINE];
	/* inclusive bounds of the range fields, per policy */
	__u64 uid_min[MAX_POLICIES];
	__u64 uid_max[MAX_POLICIES];
	__u64 pid_min[MAX_POLICIES];
	__u64 pid_max[MAX_POLICIES];
};

/* Key of the numeric scope values (scope_nums map): pid, tid, uid, mntns,
 * pidns, cgroup; and for executables (SCOPE_EXE) the file's identity, its
 * device (the kernel's s_dev encoding, MAJOR << 20 | MINOR) in pad and its
 * inode number in value. */
struct scope_num_key {
	__u32 field; /* enum scope_field */
	__u32 dev;   /* SCOPE_EXE only, else 0 */
	__u64 value;
};

/* What the kernel keeps per process for the scopes that depend on its
 * history (keyed by host pid): the policies whose tree it is in, whose
 * executable it runs, and which follow it from a matching ancestor. */
struct proc_scope {
	__u64 tree;
	__u64 exe;
	__u64 follow;
	/* forked after the trace started (pid=new), 1 or 0 */
	__u64 created;
};

/* Record flags. */
enum tracee_record_flags {
	RECORD_FLAG_TRUNCATED = 1 << 0, /* a string was cut at MAX_STR_LEN */
	RECORD_FLAG_AT_ENTRY = 1 << 1,	/* reported at syscall entry, no return value */
	/* the registers saved at syscall entry were not where they were looked
	 * for (a per-syscall tracepoint on an unusual kernel stack): args are 0 */
	RECORD_FLAG_ARGS_UNKNOWN = 1 << 2,
	/* some user string could not be read: its item is ARG_UNREADABLE */
	RECORD_FLAG_UNREADABLE = 1 << 3,
};

/* The context every record carries. */
struct event_header {
	__u64 timestamp;	 /* ns since boot (bpf_ktime_get_boot_ns) */
	__u64 thread_start_time; /* ns since boot */
	__u64 cgroup_id;
	/* bit N set: policy N selected this event and its scope matched (user
	 * space then applies the policies' event filters and clears more) */
	__u64 matched_policies;
	__s64 return_value;
	__u32 event_id;
	__s32 syscall; /* syscall number, -1 for non-syscall events */
	__u32 host_process_id;
	__u32 host_thread_id;
	__u32 host_parent_process_id;
	__u32 process_id; /* as seen in the task's own pid namespace */
	__u32 thread_id;
	__u32 parent_process_id;
	__u32 user_id;
	__u32 group_id;
	__u32 mount_namespace;
	__u32 pid_namespace;
	__u32 processor_id;
	__u16 size;  /* whole record, header included, in bytes */
	__u16 flags; /* enum tracee_record_flags */
	char process_name[TASK_COMM_LEN];
};

/* Variable-length data follows args: a sequence of items, each a
 * struct data_item then len bytes (a string without its NUL). */
struct data_item {
	__u8 arg;  /* index into args */
	__u8 kind; /* enum tracee_arg_kind */
	__u16 len;
};

struct event {
	struct event_header header;
	__u64 args[MAX_ARGS];
	__u8 data[];
};

#endif /* __TRACEE_H */
