//! Containers, as the host sees them: which container a cgroup belongs to
//! ([`cgroup_path`]), from the cgroup's path alone.

pub mod cgroup_path;

pub use cgroup_path::{
    cgroup2_mount, cgroup_v1_mount, container_of_cgroup_path, scan_cgroup_mount, CgroupContainer,
    ExistingCgroup, Runtime,
};
