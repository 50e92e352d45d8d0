//! Into the kernel: the compiled scopes as struct scope_config and the
//! entries of the scope_* maps (bpf/tracee.h, read by bpf/lib/scope.h), and
//! the processes running at start that are in a policy's tree or run its
//! executable, read from /proc.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::compiled::Compiled;
use super::expr::parse_int;
use super::scope::{Scope, ScopeField};
use super::{COMM_LEN, EXE_LEN, UTS_LEN};
use crate::bpf::types;
use crate::containers::ContainerTable;

/// The values to write into the scope maps, and the per-process seeds.
#[derive(Debug, Default)]
pub(crate) struct KernelScope {
    pub config: types::scope_config,
    /// (field, device, value) → policies listing it; the device is an
    /// executable's (SCOPE_EXE, by inode), 0 for the other fields.
    pub nums: BTreeMap<(u32, u32, u64), u64>,
    pub comms: BTreeMap<[u8; COMM_LEN], u64>,
    pub utss: BTreeMap<Vec<u8>, u64>,
    pub exes: BTreeMap<Vec<u8>, u64>,
    /// host pid → (tree, exe) bits, for processes running at start.
    pub procs: BTreeMap<u32, (u64, u64)>,
    /// Whether fork/exec/exit must be hooked to keep proc_scopes.
    pub needs_fork: bool,
    pub needs_exec: bool,
}

impl KernelScope {
    /// The scope maps' entries, each (map, key, the policies listing the
    /// value): what goes into scope_nums (key struct scope_num_key),
    /// scope_comms, scope_utss and scope_exes (NUL-padded strings).
    pub(crate) fn map_entries(&self) -> Vec<(&'static str, Vec<u8>, u64)> {
        let nums = self.nums.iter().map(|(&(field, dev, value), &bits)| {
            let key = types::scope_num_key { field, dev, value };
            (
                crate::loader::map_name!(scope_nums),
                crate::loader::bytes_of(&key).to_vec(),
                bits,
            )
        });
        let comms = self
            .comms
            .iter()
            .map(|(key, &bits)| (crate::loader::map_name!(scope_comms), key.to_vec(), bits));
        let strs = [
            (crate::loader::map_name!(scope_utss), &self.utss),
            (crate::loader::map_name!(scope_exes), &self.exes),
        ]
        .into_iter()
        .flat_map(|(map, values)| {
            values
                .iter()
                .map(move |(key, &bits)| (map, key.clone(), bits))
        });
        nums.chain(comms).chain(strs).collect()
    }
}

/// The policies' scopes as the loader writes them into the kernel
/// (bpf/lib/scope.h), from [`Compiled::scope_image`]: for tests that run
/// the kernel side's in_scope() on its own (tests/scope.rs).
#[doc(hidden)]
#[derive(Debug)]
pub struct ScopeImage {
    /// `struct scope_config`: .rodata's `scope`, or the legacy programs'
    /// `live_scope` map at key 0.
    pub config: Vec<u8>,
    /// The scope maps' entries: (map, key, the policies listing the value).
    pub listed: Vec<(&'static str, Vec<u8>, u64)>,
    /// The processes running now that are in a policy's tree or run its
    /// executable: (host pid, tree policies, executable policies), what
    /// the loader seeds proc_scopes with.
    pub procs: Vec<(u32, u64, u64)>,
}

fn padded(s: &str, len: usize) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.resize(len, 0);
    v
}

/// What [`Compiled::kernel_scope`] reads /proc for once every scope is
/// in: the processes already running in a policy's tree or executable.
#[derive(Default)]
struct ProcSeeds {
    /// `tree=` roots: (pid, policy bit).
    tree_roots: Vec<(u32, u64)>,
    exe_paths: Vec<ExecutableScope>,
}

/// The kernel's name of a scope field (enum scope_field, bpf/tracee.h).
fn kernel_field(f: ScopeField) -> types::scope_field {
    use types::scope_field as F;
    match f {
        ScopeField::Uid => F::SCOPE_UID,
        ScopeField::Pid => F::SCOPE_PID,
        ScopeField::Tid => F::SCOPE_TID,
        ScopeField::Cgroup => F::SCOPE_CGROUP,
        ScopeField::Mntns => F::SCOPE_MNTNS,
        ScopeField::Pidns => F::SCOPE_PIDNS,
        ScopeField::Tree => F::SCOPE_TREE,
        ScopeField::Uts => F::SCOPE_UTS,
        ScopeField::Comm => F::SCOPE_COMM,
        ScopeField::Executable => F::SCOPE_EXE,
    }
}

impl KernelScope {
    /// Policy `i`'s scope `s` (not `global`): its bit in the config's
    /// fields, its ranges, and its listed values in the maps (tree roots
    /// and executables also into `seeds`).
    fn add_scope(
        &mut self,
        i: usize,
        s: &Scope,
        containers: &ContainerTable,
        seeds: &mut ProcSeeds,
    ) {
        use types::scope_field as F;
        let bit = 1u64 << i;
        let c = &mut self.config;
        c.scoped |= bit;
        if s.follow {
            c.follow |= bit;
        }
        if let Some(inside) = s.container {
            c.fields[F::SCOPE_CONTAINER.0 as usize] |= bit;
            if !inside {
                c.negated[F::SCOPE_CONTAINER.0 as usize] |= bit;
            }
        }
        if s.container_new {
            c.fields[F::SCOPE_CONTAINER_NEW.0 as usize] |= bit;
        }
        if s.pid_new {
            c.fields[F::SCOPE_PID_NEW.0 as usize] |= bit;
        }
        if let Some((negate, ids)) = &s.container_ids {
            c.fields[F::SCOPE_CONTAINER_ID.0 as usize] |= bit;
            if *negate {
                c.negated[F::SCOPE_CONTAINER_ID.0 as usize] |= bit;
            }
            // every cgroup of each container listed (checked to exist:
            // Compiled::resolve_containers); those made later, by the poll
            // thread (container_cgroup_policies)
            for id in ids {
                for entry in containers.find_by_id(id) {
                    for (cgroup, e) in containers.cgroups() {
                        if Arc::ptr_eq(e, &entry) {
                            *self
                                .nums
                                .entry((F::SCOPE_CONTAINER_ID.0, 0, cgroup))
                                .or_default() |= bit;
                        }
                    }
                }
            }
        }
        for (f, range) in [
            (F::SCOPE_UID_RANGE, s.uid_range),
            (F::SCOPE_PID_RANGE, s.pid_range),
        ] {
            let Some((lo, hi)) = range else { continue };
            c.fields[f.0 as usize] |= bit;
            let (min, max) = if f.0 == F::SCOPE_UID_RANGE.0 {
                (&mut c.uid_min, &mut c.uid_max)
            } else {
                (&mut c.pid_min, &mut c.pid_max)
            };
            min[i] = lo;
            max[i] = hi;
        }
        for (f, negate, vals) in &s.lists {
            let kf = kernel_field(*f);
            self.config.fields[kf.0 as usize] |= bit;
            if *negate {
                self.config.negated[kf.0 as usize] |= bit;
            }
            for v in vals {
                self.add_value(*f, kf, v, bit, seeds);
            }
        }
    }

    /// One value `v` listed for field `f` (the kernel's `kf`) by the
    /// policy of `bit`: a key of its map, or a root of a tree to seed.
    fn add_value(
        &mut self,
        f: ScopeField,
        kf: types::scope_field,
        v: &str,
        bit: u64,
        seeds: &mut ProcSeeds,
    ) {
        match f {
            ScopeField::Uid
            | ScopeField::Pid
            | ScopeField::Tid
            | ScopeField::Cgroup
            | ScopeField::Mntns
            | ScopeField::Pidns => {
                let n = parse_int(v).unwrap_or_default() as u64;
                *self.nums.entry((kf.0, 0, n)).or_default() |= bit;
            }
            ScopeField::Tree => seeds
                .tree_roots
                .push((parse_int(v).unwrap_or_default() as u32, bit)),
            ScopeField::Comm => {
                let mut key = [0u8; COMM_LEN];
                key[..v.len()].copy_from_slice(v.as_bytes());
                *self.comms.entry(key).or_default() |= bit;
            }
            ScopeField::Uts => *self.utss.entry(padded(v, UTS_LEN)).or_default() |= bit,
            ScopeField::Executable => self.add_executable(kf, v, bit, seeds),
        }
    }

    /// An `executable=` path: keys by path in scope_exes, and by identity
    /// (SCOPE_EXE, device and inode) in scope_nums.
    fn add_executable(&mut self, kf: types::scope_field, v: &str, bit: u64, seeds: &mut ProcSeeds) {
        // by path: the kernel side compares the file's absolute path, links
        // resolved; and by identity, for a path that cannot be trusted
        // (another mount of the same file, a chroot)
        let real = std::fs::canonicalize(v).unwrap_or_else(|_| PathBuf::from(v));
        for path in [Path::new(v), real.as_path()] {
            if let Some(s) = path.to_str().filter(|s| s.len() < EXE_LEN) {
                *self.exes.entry(padded(s, EXE_LEN)).or_default() |= bit;
            }
        }
        let id = file_id(Path::new(v));
        if let Some((dev, ino)) = id {
            *self.nums.entry((kf.0, dev, ino)).or_default() |= bit;
        }
        seeds.exe_paths.push((real, id, bit));
    }

    /// Few comm values (up to SCOPE_COMM_INLINE) are also compared in
    /// place (scope_config.comm_words), without a map lookup.
    fn inline_comms(&mut self) {
        let c = &mut self.config;
        let inline = types::tracee_limits::SCOPE_COMM_INLINE.0 as usize;
        if !self.comms.is_empty() && self.comms.len() <= inline {
            c.comm_inline = self.comms.len() as u64;
            for (i, (key, bits)) in self.comms.iter().enumerate() {
                c.comm_words[i] = [
                    u64::from_ne_bytes(key[..8].try_into().expect("8")),
                    u64::from_ne_bytes(key[8..].try_into().expect("8")),
                ];
                c.comm_policies[i] = *bits;
            }
        }
    }
}

impl Compiled {
    /// Checks each `container=<id>` against the running containers: a
    /// prefix must name exactly one. Err: the message, naming the policy.
    pub(crate) fn resolve_containers(&self, containers: &ContainerTable) -> Result<(), String> {
        for (i, s) in self.scopes.iter().enumerate() {
            let Some((negate, ids)) = &s.container_ids else {
                continue;
            };
            let op = if *negate { "!=" } else { "=" };
            for id in ids {
                let found = containers.find_by_id(id);
                match found.len() {
                    1 => {}
                    0 => return Err(format!("policy '{}': container{op}{id}: no running container has that id (docker ps, podman ps, crictl ps show them); start it first, or use container=new for those started later", self.names[i])),
                    _ => return Err(format!("policy '{}': container{op}{id} names {} containers ({}); give more of the id", self.names[i], found.len(), found.iter().map(|e| e.container.id.as_str()).collect::<Vec<_>>().join(", "))),
                }
            }
        }
        Ok(())
    }

    /// The policies whose `container=<id>` lists container `id`, and those
    /// whose `container!=<id>` does: the bits of scope_nums' entry for a
    /// cgroup of it made after start.
    pub(crate) fn container_id_policies(&self, id: &str) -> u64 {
        self.scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.container_ids
                    .as_ref()
                    .is_some_and(|(_, ids)| ids.iter().any(|p| id.starts_with(p.as_str())))
            })
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }

    /// The scope configuration for the kernel (struct scope_config and the
    /// scope_* maps), with /proc read for trees and executables of running
    /// processes.
    pub(crate) fn kernel_scope(&self, containers: &ContainerTable) -> KernelScope {
        use types::scope_field as F;
        let mut k = KernelScope::default();
        let mut seeds = ProcSeeds::default();
        for (i, s) in self.scopes.iter().enumerate() {
            if !s.global {
                k.add_scope(i, s, containers, &mut seeds);
            }
        }
        k.inline_comms();
        let c = &k.config;
        k.needs_fork = c.fields[F::SCOPE_TREE.0 as usize]
            | c.fields[F::SCOPE_EXE.0 as usize]
            | c.fields[F::SCOPE_PID_NEW.0 as usize]
            | c.follow
            != 0;
        k.needs_exec = c.fields[F::SCOPE_EXE.0 as usize] != 0;
        if !seeds.tree_roots.is_empty() || !seeds.exe_paths.is_empty() {
            k.procs = seed_processes(&seeds.tree_roots, &seeds.exe_paths);
        }
        k
    }

    /// The scopes as the loader writes them ([`ScopeImage`]), /proc read
    /// now.
    #[doc(hidden)]
    pub fn scope_image(&self) -> ScopeImage {
        let k = self.kernel_scope(&ContainerTable::default());
        ScopeImage {
            config: crate::loader::bytes_of(&k.config).to_vec(),
            listed: k.map_entries(),
            procs: k
                .procs
                .iter()
                .map(|(&pid, &(tree, exe))| (pid, tree, exe))
                .collect(),
        }
    }
}

/// A file's device and inode as the kernel side sees them (`s_dev`, the
/// kernel's internal MKDEV encoding: major << 20 | minor, include/linux/kdev_t.h),
/// links followed; None if it cannot be read.
fn file_id(path: &Path) -> Option<(u32, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    let dev = m.dev();
    Some(((libc::major(dev) << 20) | libc::minor(dev), m.ino()))
}

/// An `executable=` scope value: the path, the file's (dev, inode) where it
/// exists, and the bit of the policy that names it.
type ExecutableScope = (PathBuf, Option<(u32, u64)>, u64);

/// Tree and executable bits of the processes running now, from /proc.
fn seed_processes(roots: &[(u32, u64)], exes: &[ExecutableScope]) -> BTreeMap<u32, (u64, u64)> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut pids = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...: comm may hold spaces and parens
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().nth(1))
                .and_then(|s| s.parse().ok());
            if let Some(ppid) = ppid {
                parent.insert(pid, ppid);
            }
            pids.push(pid);
        }
    }
    let mut out = BTreeMap::new();
    for pid in pids {
        let mut tree = 0u64;
        let (mut at, mut hops) = (pid, 0);
        loop {
            tree |= roots
                .iter()
                .filter(|(r, _)| *r == at)
                .fold(0, |acc, (_, b)| acc | b);
            match parent.get(&at) {
                Some(&p) if p != 0 && p != at && hops < 4096 => (at, hops) = (p, hops + 1),
                _ => break,
            }
        }
        // what it runs, by path and by identity, as the exec hook compares it
        let mut exe = 0u64;
        if !exes.is_empty() {
            let link = format!("/proc/{pid}/exe");
            let path = std::fs::read_link(&link).ok();
            let id = file_id(Path::new(&link));
            exe = exes
                .iter()
                .filter(|(p, i, _)| path.as_ref() == Some(p) || (i.is_some() && *i == id))
                .fold(0, |acc, (_, _, b)| acc | b);
        }
        if tree | exe != 0 {
            out.insert(pid, (tree, exe));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::bpf::types::scope_field as F;
    use crate::containers::ContainerTable;
    use crate::policy::compile;
    use crate::policy::test_policies::policy;

    #[test]
    fn ranges_and_lists_reach_the_kernel_config() {
        let c = compile(&[policy(
            &["uid>=1000", "uid<2000", "comm=cat,ls"],
            &[("openat", &[])],
        )])
        .unwrap();
        let k = c.kernel_scope(&ContainerTable::default());
        assert_eq!((k.config.uid_min[0], k.config.uid_max[0]), (1000, 1999));
        assert_eq!(k.comms.len(), 2);
        assert_eq!(k.config.scoped, 1);
    }

    const A: &str = "4f1c9dbbd0cbc8df94d61ce4ea8b3aeb4ce8b8e3d7a6fb6ff6a47a2fb0c51f1b";
    const B: &str = "4f1c9dbbd0cb0000000000000000000000000000000000000000000000000000";

    #[test]
    fn container_scopes_reach_the_kernel_config_by_cgroup() {
        let mut t = ContainerTable::default();
        t.add(10, &format!("/docker/{A}"), 1, false);
        t.add(11, &format!("/docker/{A}/sub"), 1, false);
        t.add(20, &format!("/docker/{B}"), 1, true);
        let named = |name: &str, scope: &str| {
            let mut p = policy(&[scope], &[("openat", &[])]);
            p.name = name.into();
            p
        };
        let c = compile(&[
            named("by-id", &format!("container={}", &A[..16])),
            named("new", "container=new"),
            named("host", "not-container"),
        ])
        .unwrap();
        c.resolve_containers(&t).unwrap();
        let k = c.kernel_scope(&t);
        let f = |field: F| k.config.fields[field.0 as usize];
        assert_eq!(
            (
                f(F::SCOPE_CONTAINER_ID),
                f(F::SCOPE_CONTAINER_NEW),
                f(F::SCOPE_CONTAINER)
            ),
            (0b001, 0b010, 0b100)
        );
        assert_eq!(k.config.negated[F::SCOPE_CONTAINER.0 as usize], 0b100);
        // both cgroups of A (its own and the one inside it), not B's
        let listed: Vec<(u64, u64)> = k
            .nums
            .iter()
            .filter(|((field, _, _), _)| *field == F::SCOPE_CONTAINER_ID.0)
            .map(|((_, _, cgroup), bits)| (*cgroup, *bits))
            .collect();
        assert_eq!(listed, [(10, 1), (11, 1)]);
        assert_eq!(c.container_id_policies(A), 1);
        assert_eq!(c.container_id_policies(B), 0);
    }

    #[test]
    fn a_container_id_that_names_none_or_two_is_refused() {
        let mut t = ContainerTable::default();
        t.add(10, &format!("/docker/{A}"), 1, false);
        t.add(20, &format!("/docker/{B}"), 1, false);
        let scoped = |id: &str| {
            compile(&[policy(&[&format!("container={id}")], &[("openat", &[])])]).unwrap()
        };
        assert_eq!(
            scoped(&A[..12]).resolve_containers(&t).unwrap_err(),
            format!(
                "policy 'p': container={} names 2 containers ({A}, {B}); give more of the id",
                &A[..12]
            )
        );
        assert_eq!(
            scoped("0123456789ab").resolve_containers(&t).unwrap_err(),
            "policy 'p': container=0123456789ab: no running container has that id (docker ps, podman ps, crictl ps show them); start it first, or use container=new for those started later"
        );
        assert_eq!(scoped(A).resolve_containers(&t), Ok(()));
    }
}
