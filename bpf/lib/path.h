/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Files and their paths: the current task's file at an fd, and a path
 * built from dentries and mounts (walk_path: no bpf_d_path outside
 * fentry's allow list), as data items. Paths are absolute where the
 * mount is known, as /proc/<pid>/fd shows them.
 */
#ifndef __TRACEE_LIB_PATH_H
#define __TRACEE_LIB_PATH_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "tracee.h"
#include "abi.h"
#include "record.h"
#include "items.h"

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

/* The path of dentry, built backwards (leaf first) in the string slot
 * (SCRATCH_STRING, which the caller's record is not in). With its vfsmount, the path
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
	struct scratch *t = scratch_buf(SCRATCH_STRING);
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

/* The file's path as the record's first data item, argument 0 (every
 * file event's pathname): bpf_d_path with fentry (the kernel allows it in
 * security_file_open, not in the other hooks), else walked. Returns the
 * new offset. */
static __always_inline __u32 put_file_path(struct scratch *b, struct file *file, const bool d_path)
{
	if (!d_path)
		return put_dentry_path(b, 0, 0, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
	struct data_item *item = (void *)b->data;
	long n = bpf_d_path(&file->f_path, (char *)&b->data[sizeof(*item)], MAX_STR_LEN);
	if (n <= 0)
		n = 1; /* no path: empty */
	if (n >= MAX_STR_LEN)
		b->ev.header.flags |= RECORD_FLAG_TRUNCATED;
	item->arg = 0;
	item->kind = ARG_KSTR;
	item->len = n - 1;
	return sizeof(*item) + n - 1;
}

/* Append the path of a file (walk_path); a pipe or socket, which has none,
 * as the kernel names it in /proc/<pid>/fd: pipe:[<inode>], socket:[<inode>]. */
static __always_inline __u32 put_file_name(struct scratch *b, __u32 off, __u8 arg, struct file *file)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u32 type = BPF_CORE_READ(inode, i_mode) & S_IFMT;
	struct scratch *t = scratch_buf(SCRATCH_STRING);
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	__u32 at = 0, n = 1;

	if ((type != S_IFIFO && type != S_IFSOCK) || BPF_CORE_READ(dentry, d_parent) != dentry || !t)
		return put_dentry_path(b, off, arg, dentry, BPF_CORE_READ(file, f_path.mnt));
	/* built in the string slot (walk_path's), a byte at a time: a string
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

#endif /* __TRACEE_LIB_PATH_H */
