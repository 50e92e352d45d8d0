//! Containers, as the host sees them: which container a cgroup belongs to
//! ([`cgroup_path`]), from the cgroup's path alone; and the table of the
//! containers running ([`table`]), kept from cgroupfs and the kernel's
//! cgroup_mkdir/cgroup_rmdir records.

pub mod cgroup_path;
pub mod events;
pub mod table;

pub use cgroup_path::{
    cgroup2_mount, cgroup_v1_mount, container_of_cgroup_path, scan_cgroup_mount, CgroupContainer,
    ExistingCgroup, Runtime,
};
pub use table::{
    Change, Container, ContainerTable, Enrichment, Entry, SharedContainers, HOST_JSON,
};

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// The cgroup hierarchy that identifies containers here (bpf/lib/cgroup.h):
/// cgroup v2 where it is mounted (unified or hybrid hosts); else one v1
/// controller's, cpuset's where it is mounted, as Tracee does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Where it is mounted.
    pub mount: PathBuf,
    /// None for v2; else the v1 controller's index in the kernel's enum
    /// cgroup_subsys_id (its line in /proc/cgroups).
    pub v1_subsys: Option<u32>,
    /// cgroup_root.hierarchy_id: 0 for v2, /proc/cgroups' second column for v1.
    pub hierarchy_id: u32,
}

/// The [`Hierarchy`] mounted at `mount` (Tracee's
/// `--enrichment container.cgroupfs.path`): cgroup2, or a v1 hierarchy of a
/// controller. Err: no cgroup filesystem is mounted there, or a v1 one of
/// no controller (`name=systemd` alone), whose cgroups the kernel cannot
/// be asked about per task.
pub fn hierarchy_at(mount: &std::path::Path) -> Result<Hierarchy, String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("reading /proc/self/mountinfo: {e}"))?;
    let at = mount.to_string_lossy();
    match cgroup_path::cgroup_mount_at(&mountinfo, &at) {
        None => Err(format!("{at} is not where a cgroup filesystem is mounted (/proc/self/mountinfo); give the mount point of cgroup2 or of a v1 controller, e.g. /sys/fs/cgroup/cpuset")),
        Some(None) => Ok(Hierarchy { mount: mount.to_path_buf(), v1_subsys: None, hierarchy_id: 0 }),
        Some(Some(controllers)) => {
            let cgroups = std::fs::read_to_string("/proc/cgroups").map_err(|e| format!("reading /proc/cgroups: {e}"))?;
            v1_controllers(&cgroups)
                .into_iter()
                .find(|(name, _, _)| controllers.iter().any(|c| c == name))
                .map(|(_, ssid, hierarchy_id)| Hierarchy { mount: mount.to_path_buf(), v1_subsys: Some(ssid), hierarchy_id })
                .ok_or_else(|| format!("{at} is a cgroup v1 hierarchy of no controller ({}); give one of a controller's, e.g. /sys/fs/cgroup/cpuset", controllers.join(",")))
        }
    }
}

/// This host's [`Hierarchy`]; None where no cgroup filesystem is mounted
/// (no container can be told then).
pub fn hierarchy() -> Option<Hierarchy> {
    if let Some(mount) = cgroup2_mount() {
        return Some(Hierarchy {
            mount,
            v1_subsys: None,
            hierarchy_id: 0,
        });
    }
    let cgroups = std::fs::read_to_string("/proc/cgroups").ok()?;
    let v1 = v1_controllers(&cgroups);
    let (name, ssid, hierarchy_id) = v1
        .iter()
        .find(|(n, _, _)| *n == "cpuset")
        .or_else(|| v1.first())?;
    Some(Hierarchy {
        mount: cgroup_v1_mount(name)?,
        v1_subsys: Some(*ssid),
        hierarchy_id: *hierarchy_id,
    })
}

/// /proc/cgroups' controllers that are enabled and mounted (a v1 hierarchy
/// other than 0): (name, index in enum cgroup_subsys_id, hierarchy id). The
/// file lists the kernel's controllers in that enum's order
/// (kernel/cgroup/cgroup-v1.c proc_cgroupstats_show).
fn v1_controllers(proc_cgroups: &str) -> Vec<(&str, u32, u32)> {
    proc_cgroups
        .lines()
        .filter(|l| !l.starts_with('#'))
        .enumerate()
        .filter_map(|(ssid, l)| {
            let mut f = l.split_whitespace();
            let name = f.next()?;
            let hierarchy: u32 = f.next()?.parse().ok()?;
            let enabled = f.nth(1)? == "1";
            (enabled && hierarchy != 0).then_some((name, ssid as u32, hierarchy))
        })
        .collect()
}

/// What the tracer keeps of containers: the hierarchy and the table.
#[derive(Debug, Clone)]
pub struct Tracking {
    pub hierarchy: Option<Hierarchy>,
    pub table: SharedContainers,
}

impl Tracking {
    /// The containers running now, from a scan of the hierarchy: the one
    /// mounted at `cgroupfs` if given, else this host's ([`hierarchy`]).
    /// Err: that is no cgroup mount, or the scan failed (the message says
    /// where).
    pub fn start(cgroupfs: Option<&std::path::Path>) -> Result<Tracking, String> {
        let hierarchy = match cgroupfs {
            Some(mount) => Some(hierarchy_at(mount)?),
            None => hierarchy(),
        };
        let table = match &hierarchy {
            Some(h) => {
                let cgroups = scan_cgroup_mount(&h.mount)
                    .map_err(|e| format!("reading the cgroups under {}: {e}", h.mount.display()))?;
                ContainerTable::from_scan(&cgroups)
            }
            None => ContainerTable::default(),
        };
        Ok(Tracking {
            hierarchy,
            table: Arc::new(RwLock::new(table)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_controllers_are_the_mounted_ones_by_their_index() {
        // this host's /proc/cgroups (hybrid: v1 controllers and cgroup2)
        let proc_cgroups = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n\
            cpuset\t3\t1\t1\ncpu\t1\t1\t1\ncpuacct\t2\t1\t1\nio\t0\t9\t1\n\
            memory\t4\t7\t1\ndevices\t5\t1\t1\nfreezer\t6\t1\t0\n";
        assert_eq!(
            v1_controllers(proc_cgroups),
            [
                ("cpuset", 0, 3),
                ("cpu", 1, 1),
                ("cpuacct", 2, 2),
                ("memory", 4, 4),
                ("devices", 5, 5)
            ]
        );
    }
}
