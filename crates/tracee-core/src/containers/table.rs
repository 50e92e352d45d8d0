//! The container table: which container owns each cgroup, kept from
//! cgroupfs at start and from the kernel's cgroup_mkdir/cgroup_rmdir
//! records (bpf/hooks/cgroup.h) as the poll thread reads them, before any
//! consumer decodes the records after them; and what the runtimes' APIs
//! say of each container, set by whoever asks them (the Node binding).
//! Read per record by the JSON writer and, through a snapshot per change,
//! by JavaScript: never a runtime call on the per-event path.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::cgroup_path::{container_of_cgroup_path, ExistingCgroup};

/// What is known of one container. Ids and runtime from its cgroup path;
/// the rest from the runtime's API (empty until it answers, or if it never
/// does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    /// The runtime's full id (64 hex digits for docker, containerd, CRI-O,
    /// podman; the name for LXC, systemd-nspawn).
    pub id: String,
    /// Tracee's runtime name (`docker`, `containerd`, `crio`, `podman`;
    /// ours `lxc`, `systemd-nspawn`).
    pub runtime: &'static str,
    /// The container's own cgroup (its root; processes may sit below it).
    pub cgroup_id: u64,
    /// The cgroup's creation, ns since the epoch.
    pub ctime_ns: u64,
    /// Made after the trace started (`container=new`).
    pub new: bool,
    pub name: String,
    pub image: String,
    pub image_digest: String,
    pub pod_name: String,
    pub pod_namespace: String,
    /// The Kubernetes pod's UID: from the cgroup path (kubepods), or the API.
    pub pod_uid: String,
    /// A pod's sandbox ("pause") container, not a workload.
    pub pod_sandbox: bool,
    /// A runtime was asked about it ([`ContainerTable::enrich`]), whatever
    /// it answered: its container_create need wait no longer.
    pub enriched: bool,
}

/// Runtime-given details of a container ([`ContainerTable::enrich`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrichment {
    pub name: String,
    pub image: String,
    pub image_digest: String,
    pub pod_name: String,
    pub pod_namespace: String,
    pub pod_uid: String,
    pub pod_sandbox: bool,
}

/// A container as events show it: the entry and its JSON, made once per
/// change of what is known.
#[derive(Debug)]
pub struct Entry {
    pub container: Container,
    /// `"containerId":"…","container":{…},"kubernetes":{…}` (Tracee's
    /// shape: types/trace Event's ContainerID, Container, Kubernetes, whose
    /// fields are omitted when empty).
    pub json: String,
    /// Set when its root cgroup is removed: kept a while for the records
    /// already read that name it.
    removed: Option<Instant>,
}

/// The JSON of an event outside any container.
pub const HOST_JSON: &str = r#""containerId":"","container":{},"kubernetes":{}"#;

/// How long a removed container stays for the records already read.
const REMOVED_GRACE: Duration = Duration::from_secs(60);

/// What a change of the table means for the events to emit
/// (container_create, container_remove) and the kernel's containers map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A container's own cgroup was made.
    Created(Arc<Entry>),
    /// A cgroup inside a container was made (a sub-cgroup): only the
    /// kernel map needs it.
    Nested {
        cgroup_id: u64,
        container: Arc<Entry>,
    },
    /// A container's own cgroup was removed.
    Removed(Arc<Entry>),
    /// A sub-cgroup was removed.
    NestedRemoved { cgroup_id: u64 },
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.container == other.container
    }
}
impl Eq for Entry {}

/// cgroup id → container, for every cgroup of every container.
#[derive(Debug, Default)]
pub struct ContainerTable {
    by_cgroup: HashMap<u64, Arc<Entry>>,
    /// Bumped on every change: readers that mirror the table (JavaScript)
    /// refresh when it moves.
    generation: u64,
}

/// The table, shared by the poll thread, the JSON writer and the binding.
pub type SharedContainers = Arc<RwLock<ContainerTable>>;

impl Entry {
    /// Its container's own cgroup has been removed.
    pub fn is_removed(&self) -> bool {
        self.removed.is_some()
    }

    fn new(container: Container) -> Entry {
        let json = entry_json(&container);
        Entry {
            container,
            json,
            removed: None,
        }
    }
}

/// A string as JSON (serde_json escapes as JSON.stringify does).
fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a str serializes")
}

/// Tracee's JSON of a container (see [`Entry::json`]).
fn entry_json(c: &Container) -> String {
    let mut s = String::with_capacity(160);
    let field = |s: &mut String, first: &mut bool, key: &str, value: &str| {
        if value.is_empty() {
            return;
        }
        if !*first {
            s.push(',');
        }
        *first = false;
        let _ = write!(s, "\"{key}\":{}", json_string(value));
    };
    let _ = write!(s, "\"containerId\":{},\"container\":{{", json_string(&c.id));
    let mut first = true;
    field(&mut s, &mut first, "id", &c.id);
    field(&mut s, &mut first, "name", &c.name);
    field(&mut s, &mut first, "image", &c.image);
    field(&mut s, &mut first, "imageDigest", &c.image_digest);
    s.push_str("},\"kubernetes\":{");
    let mut first = true;
    field(&mut s, &mut first, "podName", &c.pod_name);
    field(&mut s, &mut first, "podNamespace", &c.pod_namespace);
    field(&mut s, &mut first, "podUID", &c.pod_uid);
    if c.pod_sandbox {
        if !first {
            s.push(',');
        }
        s.push_str("\"podSandbox\":true");
    }
    s.push('}');
    s
}

impl ContainerTable {
    /// The table of the containers whose cgroups `cgroups` lists (a scan
    /// of the identifying hierarchy at start): each there before the trace.
    pub fn from_scan(cgroups: &[ExistingCgroup]) -> ContainerTable {
        let mut t = ContainerTable::default();
        for c in cgroups {
            t.add(c.id, &c.path, c.ctime_ns, false);
        }
        t
    }

    /// The container of cgroup `id`, if any.
    pub fn get(&self, cgroup_id: u64) -> Option<&Arc<Entry>> {
        self.by_cgroup.get(&cgroup_id)
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Every container (its own cgroup's entry), running or removed lately.
    pub fn containers(&self) -> Vec<Arc<Entry>> {
        let mut v: Vec<Arc<Entry>> = self
            .by_cgroup
            .iter()
            .filter(|(id, e)| e.container.cgroup_id == **id)
            .map(|(_, e)| e.clone())
            .collect();
        v.sort_by_key(|e| e.container.cgroup_id);
        v
    }

    /// Every cgroup of a container, running or removed lately, with it:
    /// what events name.
    pub fn all(&self) -> impl Iterator<Item = (u64, &Arc<Entry>)> {
        self.by_cgroup.iter().map(|(id, e)| (*id, e))
    }

    /// Every cgroup of a running container, with it: what the kernel's
    /// containers map holds.
    pub fn cgroups(&self) -> impl Iterator<Item = (u64, &Arc<Entry>)> {
        self.by_cgroup
            .iter()
            .filter(|(_, e)| e.removed.is_none())
            .map(|(id, e)| (*id, e))
    }

    /// The containers whose id is `id` or starts with it (a prefix of at
    /// least 12 hex digits, as `docker ps` shows them), running.
    pub fn find_by_id(&self, id: &str) -> Vec<Arc<Entry>> {
        self.containers()
            .into_iter()
            .filter(|e| e.removed.is_none() && e.container.id.starts_with(id))
            .collect()
    }

    /// Cgroup `cgroup_id` at `path` was made (`ctime_ns`; `new`: after the
    /// trace started). None if no container owns it.
    pub fn add(&mut self, cgroup_id: u64, path: &str, ctime_ns: u64, new: bool) -> Option<Change> {
        let found = container_of_cgroup_path(path)?;
        let root = &path[..found.root_len];
        // the container's own cgroup: this one, or the one above it we know
        let own = if root.len() == path.len() {
            None
        } else {
            self.by_cgroup
                .values()
                .find(|e| e.removed.is_none() && e.container.id == found.id)
                .cloned()
        };
        self.generation += 1;
        if let Some(container) = own {
            self.by_cgroup.insert(cgroup_id, container.clone());
            return Some(Change::Nested {
                cgroup_id,
                container,
            });
        }
        let entry = Arc::new(Entry::new(Container {
            id: found.id.into_owned(),
            runtime: found.runtime.as_str(),
            // below the container's own cgroup, which we did not see made
            // (made before a scan that missed it): this one stands for it
            cgroup_id,
            ctime_ns,
            new,
            pod_uid: found.pod_uid.unwrap_or_default(),
            ..Container::default()
        }));
        self.by_cgroup.insert(cgroup_id, entry.clone());
        Some(Change::Created(entry))
    }

    /// Cgroup `cgroup_id` was removed. The container's entry stays a while
    /// ([`REMOVED_GRACE`]) for the records already read.
    pub fn remove(&mut self, cgroup_id: u64) -> Option<Change> {
        self.purge();
        let entry = self.by_cgroup.get(&cgroup_id)?.clone();
        self.generation += 1;
        if entry.container.cgroup_id != cgroup_id {
            self.by_cgroup.remove(&cgroup_id);
            return Some(Change::NestedRemoved { cgroup_id });
        }
        let removed = Arc::new(Entry {
            container: entry.container.clone(),
            json: entry.json.clone(),
            removed: Some(Instant::now()),
        });
        for e in self.by_cgroup.values_mut() {
            if Arc::ptr_eq(e, &entry) {
                *e = removed.clone();
            }
        }
        Some(Change::Removed(removed))
    }

    /// What a runtime said of container `id`: set on its entries (every
    /// cgroup of it; a container restarted under the same id has a removed
    /// entry and a running one, both described). False if no container has
    /// that id.
    pub fn enrich(&mut self, id: &str, e: &Enrichment) -> bool {
        let mut olds: Vec<Arc<Entry>> = Vec::new();
        for x in self.by_cgroup.values() {
            if x.container.id == id && !olds.iter().any(|o| Arc::ptr_eq(o, x)) {
                olds.push(x.clone());
            }
        }
        if olds.is_empty() {
            return false;
        }
        for old in olds {
            let mut c = old.container.clone();
            c.name.clone_from(&e.name);
            c.image.clone_from(&e.image);
            c.image_digest.clone_from(&e.image_digest);
            c.pod_name.clone_from(&e.pod_name);
            c.pod_namespace.clone_from(&e.pod_namespace);
            if !e.pod_uid.is_empty() {
                c.pod_uid.clone_from(&e.pod_uid);
            }
            c.pod_sandbox = e.pod_sandbox;
            c.enriched = true;
            let mut new = Entry::new(c);
            new.removed = old.removed;
            let new = Arc::new(new);
            for x in self.by_cgroup.values_mut() {
                if Arc::ptr_eq(x, &old) {
                    *x = new.clone();
                }
            }
        }
        self.generation += 1;
        true
    }

    /// Drops the containers removed longer ago than [`REMOVED_GRACE`].
    fn purge(&mut self) {
        let before = self.by_cgroup.len();
        self.by_cgroup
            .retain(|_, e| e.removed.is_none_or(|t| t.elapsed() < REMOVED_GRACE));
        if self.by_cgroup.len() != before {
            self.generation += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "4f1c9dbbd0cbc8df94d61ce4ea8b3aeb4ce8b8e3d7a6fb6ff6a47a2fb0c51f1b";
    const B: &str = "0a6b1e7c33e2c5a2d2e0c9e8f5f3e3b9e7d8c6a5b4e3d2c1b0a9f8e7d6c5b4a3";

    #[test]
    fn cgroups_of_a_container_map_to_it_and_others_to_none() {
        let mut t = ContainerTable::default();
        assert!(matches!(
            t.add(10, &format!("/docker/{A}"), 5, true),
            Some(Change::Created(_))
        ));
        // a sub-cgroup (systemd in the container) is the same container
        assert!(matches!(
            t.add(11, &format!("/docker/{A}/init.scope"), 6, true),
            Some(Change::Nested { cgroup_id: 11, .. })
        ));
        assert_eq!(t.add(12, "/user.slice", 7, true), None);
        assert_eq!(t.get(11).unwrap().container.cgroup_id, 10);
        assert_eq!(t.get(10).unwrap().container.runtime, "docker");
        assert!(t.get(12).is_none());
        assert_eq!(t.containers().len(), 1);
        assert_eq!(t.find_by_id(&A[..12]).len(), 1);
        assert!(t.find_by_id(&B[..12]).is_empty());
    }

    #[test]
    fn json_is_tracees_shape_with_empty_fields_left_out() {
        let mut t = ContainerTable::default();
        t.add(
            10,
            &format!("/kubepods/burstable/pod0b1c2d3e-0000-4000-8000-000000000001/{A}"),
            5,
            false,
        );
        assert_eq!(
            t.get(10).unwrap().json,
            format!(
                r#""containerId":"{A}","container":{{"id":"{A}"}},"kubernetes":{{"podUID":"0b1c2d3e-0000-4000-8000-000000000001"}}"#
            )
        );
        assert!(t.enrich(
            A,
            &Enrichment {
                name: "web\"1".into(),
                image: "busybox:1".into(),
                image_digest: "sha256:ab".into(),
                pod_name: "web".into(),
                pod_namespace: "default".into(),
                pod_sandbox: true,
                ..Enrichment::default()
            }
        ));
        assert_eq!(
            t.get(10).unwrap().json,
            format!(
                r#""containerId":"{A}","container":{{"id":"{A}","name":"web\"1","image":"busybox:1","imageDigest":"sha256:ab"}},"kubernetes":{{"podName":"web","podNamespace":"default","podUID":"0b1c2d3e-0000-4000-8000-000000000001","podSandbox":true}}"#
            )
        );
        assert!(!t.enrich(B, &Enrichment::default()));
    }

    #[test]
    fn a_container_restarted_under_its_id_is_described_in_both_lives() {
        let mut t = ContainerTable::default();
        t.add(10, &format!("/docker/{A}"), 5, false);
        t.remove(10);
        t.add(12, &format!("/docker/{A}"), 6, true);
        assert!(t.enrich(
            A,
            &Enrichment {
                name: "web".into(),
                ..Enrichment::default()
            }
        ));
        assert_eq!(t.get(10).unwrap().container.name, "web");
        assert_eq!(t.get(12).unwrap().container.name, "web");
        assert!(t.get(12).unwrap().container.new && t.get(12).unwrap().container.enriched);
        assert_eq!(t.find_by_id(A).len(), 1);
    }

    #[test]
    fn a_removed_container_stays_for_the_records_read_before() {
        let mut t = ContainerTable::default();
        t.add(10, &format!("/docker/{A}"), 5, true);
        t.add(11, &format!("/docker/{A}/sub"), 5, true);
        let g = t.generation();
        assert!(matches!(
            t.remove(11),
            Some(Change::NestedRemoved { cgroup_id: 11 })
        ));
        assert!(matches!(t.remove(10), Some(Change::Removed(_))));
        assert!(t.generation() > g);
        // still named for records read before, but no longer in the kernel map
        assert_eq!(t.get(10).unwrap().container.id, A);
        assert_eq!(t.cgroups().count(), 0);
        assert!(t.find_by_id(A).is_empty());
        assert_eq!(t.remove(99), None);
    }
}
