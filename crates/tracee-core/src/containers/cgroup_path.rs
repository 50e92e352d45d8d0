//! Which container, if any, owns a cgroup, from the cgroup's path alone; the
//! cgroups that exist at start; where the cgroup hierarchies are mounted.
//!
//! A path is relative to its hierarchy's root and starts with `/`, as the
//! kernel gives it: the `cgroup_mkdir` tracepoint (`cgroup_path()`, from the
//! hierarchy's root whatever the writer's cgroup namespace), the host's
//! `/proc/PID/cgroup` (relative to the reader's cgroup namespace: read it in
//! the host's), and [`scan_cgroup_mount`]. cgroup v2 and every v1 hierarchy,
//! named ones (`name=systemd`) included, give the same paths: a runtime makes
//! one path and creates it in each hierarchy.
//!
//! # Layouts recognised
//!
//! `<id>` is 64 lowercase hex digits (32 random bytes as Go's
//! `hex.EncodeToString` writes them: docker, containerd, CRI-O, podman and
//! nerdctl make their ids so); `<uid>` a Kubernetes pod UID.
//!
//! | path (a component, or the component and its parent) | runtime | made by |
//! |---|---|---|
//! | `docker/<id>` | docker | dockerd's cgroupfs driver (`cgroup-parent` `/docker`) |
//! | `docker-<id>.scope` | docker | dockerd's systemd driver (`system.slice`; rootless: `user.slice` under `user@UID.service`) |
//! | `<id>`, under any other parent | containerd | containerd's cgroupfs default `/<namespace>/<id>` (ctr, nerdctl); kubelet's cgroupfs driver `/kubepods[/<qos>]/pod<uid>/<id>` |
//! | `cri-containerd-<id>.scope` | containerd | containerd's CRI plugin, systemd driver (`<pod slice>:cri-containerd:<id>`) |
//! | `nerdctl-<id>.scope` | containerd | nerdctl, systemd driver (`system.slice:nerdctl:<id>`) |
//! | `<slice>:<prefix>:<id>`, a prefix of this table | that prefix's | a systemd-form cgroupsPath given to runc's cgroupfs manager (kubelet's systemd driver with containerd on cgroupfs), which makes it one directory |
//! | `crio-<id>.scope`, `crio-<id>` | crio | CRI-O, systemd and cgroupfs managers (not `crio-conmon-<id>`: conmon, the monitor) |
//! | `libpod-<id>.scope`, `libpod-<id>` | podman | podman, systemd (`machine.slice`, rootless `user.slice`; crun may put the payload in a `container` child) and cgroupfs (`/libpod_parent/libpod-<id>`) managers (not `libpod-conmon-<id>.scope`) |
//! | `lxc.payload.<name>`, `lxc/<name>` | lxc | LXC ≥ 4 (`DEFAULT_PAYLOAD_CGROUP_PREFIX`; not `lxc.monitor.<name>`, the monitor), and LXC < 4 |
//! | `machine.slice/machine-<name>.scope`, `machine.slice/systemd-nspawn@<name>.service` | systemd-nspawn | systemd-machined's scope (nspawn without `--keep-unit`), and `systemd-nspawn@.service` (`machinectl start`); `<name>` unescaped (`\x2d` is `-`); not the `supervisor` child (nspawn itself, `create_subcgroup` in nspawn-cgroup.c), not libvirt's machines (`qemu-<n>-<name>` VMs, `lxc-<pid>-<name>`) |
//!
//! A pod UID is read from the container's parent: `pod<uid>` below a
//! `kubepods` directory (kubelet's cgroupfs driver), or `…kubepods…-pod<uid>.slice`
//! with `_` for `-` (kubelet's systemd driver, where `-` would mean nesting;
//! any cgroup root such as kind's `kubelet-kubepods`); in the colon form, its
//! slice. UIDs are 36-character UUIDs or 32 hex digits (static pods: an MD5).
//!
//! # Decisions
//!
//! - **Innermost**: `/docker/<outer>/docker/<inner>` is `<inner>`. A process
//!   there runs in the inner container; the outer one is still found by
//!   asking about the parent of the inner one's root
//!   (`&path[..root_len]`, less its last component), which is what the
//!   host's runtime knows (the inner id is the inner runtime's); Tracee
//!   reports the outermost and so cannot name the inner one at all.
//! - **A bare `<id>` anywhere is a container** (as in Tracee): containerd's,
//!   docker's with a `--cgroup-parent`, kubelet's cgroupfs pods and any other
//!   runc user on cgroupfs name the directory after the id alone, and nothing
//!   else makes 64-hex names (systemd's units end in `.slice`, `.scope`,
//!   `.service`); the cost is a directory made by hand with such a name. Its
//!   runtime is a hint: docker under `docker`, otherwise containerd, which
//!   also knows docker's containers by the same id (namespace `moby`).
//! - **Non-hex ids are not recognised** under `/<namespace>/`: ctr takes any
//!   name (`ctr run … redis` gives `/default/redis`), and such a path cannot
//!   be told from any directory made by hand.
//! - **Monitors are not containers**: `crio-conmon-`, `libpod-conmon-`,
//!   `lxc.monitor.`, nspawn's `supervisor` run on the host beside the
//!   container.

use std::borrow::Cow;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The container runtime a cgroup layout belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    Docker,
    Containerd,
    Crio,
    Podman,
    Lxc,
    SystemdNspawn,
}

impl Runtime {
    /// Tracee's runtime names (`docker`, `containerd`, `crio`, `podman`,
    /// pkg/containers/runtime), and ours for the runtimes Tracee lacks.
    pub const fn as_str(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::Crio => "crio",
            Runtime::Podman => "podman",
            Runtime::Lxc => "lxc",
            Runtime::SystemdNspawn => "systemd-nspawn",
        }
    }
}

/// The container that owns a cgroup, as its path tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupContainer<'a> {
    pub runtime: Runtime,
    /// The runtime's own id: 64 lowercase hex digits for docker, containerd,
    /// CRI-O and podman; the name for LXC and systemd-nspawn (owned only
    /// where systemd's `\xNN` escapes were undone).
    pub id: Cow<'a, str>,
    /// The Kubernetes pod's UID, with dashes, when the container's parent is
    /// a kubelet pod cgroup.
    pub pod_uid: Option<String>,
    /// Byte length of the prefix of the path that is the container's own
    /// cgroup: the path itself, or an ancestor when the cgroup is below it
    /// (crun's `libpod-<id>.scope/container`, systemd inside a container).
    pub root_len: usize,
}

/// The ids docker, containerd, CRI-O and podman make: 32 random bytes in hex.
const ID_HEX_LEN: usize = 64;

/// The prefixes runtimes give a container's systemd unit, `<prefix>-<id>.scope`
/// (also the `<prefix>` of a systemd cgroupsPath `<slice>:<prefix>:<id>`),
/// and whether the runtime's cgroupfs manager names the directory
/// `<prefix>-<id>` too.
const UNIT_PREFIXES: [(&str, Runtime, bool); 5] = [
    ("docker", Runtime::Docker, false),
    ("cri-containerd", Runtime::Containerd, false),
    ("nerdctl", Runtime::Containerd, false),
    // internal/config/cgmgr: crioPrefix
    ("crio", Runtime::Crio, true),
    // libpod's cgroupfs manager: `/libpod_parent/libpod-<id>`
    ("libpod", Runtime::Podman, true),
];

/// dockerd's cgroupfs driver's parent directory.
const DOCKER_PARENT: &str = "docker";
/// kubelet's top cgroup under the cgroupfs driver (`kubepods.slice` under systemd).
const KUBEPODS: &str = "kubepods";
const LXC_PAYLOAD_PREFIX: &str = "lxc.payload.";
/// LXC < 4 put containers in `/lxc/<name>`.
const LXC_PARENT: &str = "lxc";
/// systemd-machined's slice for machines.
const MACHINE_SLICE: &str = "machine.slice";
/// nspawn's own cgroup, beside the container's `payload`, under the unit.
const NSPAWN_SUPERVISOR: &str = "supervisor";

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_runtime_id(s: &str) -> bool {
    s.len() == ID_HEX_LEN && s.bytes().all(is_lower_hex)
}

/// The container whose cgroup `path` is, or is below; `None` for a cgroup
/// no container owns. See the module's docs for the layouts and decisions.
/// Any string is accepted (no panic); allocates only for a pod UID and an
/// escaped nspawn name.
pub fn container_of_cgroup_path(path: &str) -> Option<CgroupContainer<'_>> {
    struct Found<'a> {
        runtime: Runtime,
        id: Cow<'a, str>,
        /// where a pod UID would be: the parent, or the colon form's slice
        pod_level: &'a str,
        under_kubepods: bool,
        end: usize,
    }
    let mut found = None;
    let mut parent = "";
    let mut under_kubepods = false;
    let mut start = 0;
    for component in path.split('/') {
        let end = start + component.len();
        if !component.is_empty() {
            // the last match wins: the innermost container
            if let Some((runtime, id, slice)) = component_container(parent, component) {
                found = Some(Found {
                    runtime,
                    id,
                    pod_level: slice.unwrap_or(parent),
                    under_kubepods,
                    end,
                });
            }
            under_kubepods |= component == KUBEPODS;
            parent = component;
        }
        start = end + 1;
    }
    let found = found?;
    if found.runtime == Runtime::SystemdNspawn
        && path[found.end..].split('/').find(|c| !c.is_empty()) == Some(NSPAWN_SUPERVISOR)
    {
        return None;
    }
    Some(CgroupContainer {
        runtime: found.runtime,
        id: found.id,
        pod_uid: pod_uid_of(found.pod_level, found.under_kubepods),
        root_len: found.end,
    })
}

/// The container a path component names, given its parent component; and,
/// for the colon form, the slice it names.
fn component_container<'a>(
    parent: &str,
    component: &'a str,
) -> Option<(Runtime, Cow<'a, str>, Option<&'a str>)> {
    if parent == DOCKER_PARENT && is_runtime_id(component) {
        return Some((Runtime::Docker, Cow::Borrowed(component), None));
    }
    if parent == LXC_PARENT {
        return Some((Runtime::Lxc, Cow::Borrowed(component), None));
    }
    // podman's scopes are under machine.slice too
    if let Some(name) = (parent == MACHINE_SLICE)
        .then(|| nspawn_machine(component))
        .flatten()
    {
        return Some((Runtime::SystemdNspawn, name, None));
    }
    if is_runtime_id(component) {
        return Some((Runtime::Containerd, Cow::Borrowed(component), None));
    }
    if let Some(name) = component.strip_prefix(LXC_PAYLOAD_PREFIX) {
        return (!name.is_empty()).then_some((Runtime::Lxc, Cow::Borrowed(name), None));
    }
    // `<slice>:<prefix>:<id>`
    let mut colon = component.splitn(3, ':');
    if let (Some(slice), Some(prefix), Some(id)) = (colon.next(), colon.next(), colon.next()) {
        return UNIT_PREFIXES
            .iter()
            .find(|(p, ..)| *p == prefix && is_runtime_id(id))
            .map(|(_, runtime, _)| (*runtime, Cow::Borrowed(id), Some(slice)));
    }
    let (unit, scope) = match component.strip_suffix(".scope") {
        Some(unit) => (unit, true),
        None => (component, false),
    };
    UNIT_PREFIXES
        .iter()
        .filter(|(.., as_directory)| scope || *as_directory)
        .find_map(|(prefix, runtime, _)| {
            let id = unit.strip_prefix(prefix)?.strip_prefix('-')?;
            is_runtime_id(id).then_some((*runtime, Cow::Borrowed(id), None))
        })
}

/// The machine's name in a unit under machine.slice, when it is an nspawn
/// container's.
fn nspawn_machine(unit: &str) -> Option<Cow<'_, str>> {
    let escaped = unit
        .strip_prefix("machine-")
        .and_then(|u| u.strip_suffix(".scope"))
        .or_else(|| {
            unit.strip_prefix("systemd-nspawn@")
                .and_then(|u| u.strip_suffix(".service"))
        })
        .filter(|name| !name.is_empty())?;
    let name = unescape_unit_name(escaped);
    // libvirt names its machines `<driver>-<domain id or pid>-<name>`
    let libvirt = ["qemu-", "lxc-"].iter().any(|driver| {
        name.strip_prefix(driver)
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    (!libvirt).then_some(name)
}

/// Undoes systemd's unit name escaping, `\xNN` for a byte (`unit_name_escape`:
/// every byte but alphanumerics, `:`, `_`, `.`; `/` becomes `-`, which a
/// machine name cannot hold); the name as it is when the escapes are
/// malformed or decode to invalid UTF-8.
fn unescape_unit_name(escaped: &str) -> Cow<'_, str> {
    if !escaped.contains("\\x") {
        return Cow::Borrowed(escaped);
    }
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes
            .get(i..i + 4)
            .filter(|e| e.starts_with(b"\\x"))
            .and_then(|e| u8::from_str_radix(std::str::from_utf8(&e[2..]).ok()?, 16).ok());
        match byte {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_or(Cow::Borrowed(escaped), Cow::Owned)
}

/// The pod UID a pod cgroup's name holds (see the module's docs), with dashes.
fn pod_uid_of(pod_level: &str, under_kubepods: bool) -> Option<String> {
    if let Some(slice) = pod_level.strip_suffix(".slice") {
        let (parents, pod) = slice.rsplit_once('-')?;
        let uid = pod.strip_prefix("pod")?;
        if !parents.split('-').any(|p| p == KUBEPODS) {
            return None;
        }
        return pod_uid(uid, b'_');
    }
    let uid = pod_level.strip_prefix("pod")?;
    if !under_kubepods {
        return None;
    }
    pod_uid(uid, b'-')
}

/// `uid` with dashes, if it is a UUID written with `separator` or 32 hex digits.
fn pod_uid(uid: &str, separator: u8) -> Option<String> {
    const DASHES: [usize; 4] = [8, 13, 18, 23];
    let b = uid.as_bytes();
    let valid = match b.len() {
        32 => b.iter().all(|&c| is_lower_hex(c)),
        36 => b.iter().enumerate().all(|(i, &c)| {
            if DASHES.contains(&i) {
                c == separator
            } else {
                is_lower_hex(c)
            }
        }),
        _ => false,
    };
    valid.then(|| uid.replace(separator as char, "-"))
}

/// A cgroup found by [`scan_cgroup_mount`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingCgroup {
    /// The directory's inode number: the cgroup id, as
    /// `bpf_get_current_cgroup_id()` and the `cgroup_mkdir` tracepoint give
    /// it on 64-bit kernels (kernfs numbers its nodes with the id).
    pub id: u64,
    /// Relative to the mount, with a leading `/` (`/` for the root); a name
    /// that is not UTF-8 is read lossily (no runtime makes one).
    pub path: String,
    /// The directory's ctime, ns since the epoch. kernfs stamps an inode
    /// when it is made in memory, at the first lookup after mkdir, not at
    /// mkdir (measured on 6.18: a directory stat'ed 2 s after mkdir had the
    /// stat's time), and again if it was evicted; a runtime looks its cgroup
    /// up to configure it, so for a container this is its creation, near
    /// enough.
    pub ctime_ns: u64,
}

/// Directories deeper than this below the mount are not listed: the
/// layouts above sit at most 7 deep (kind's nodes run kubelet inside
/// docker), so deeper cgroups are sub-cgroups of a container found above
/// them; only a container nested deeper than this is missed (its
/// `cgroup_mkdir` is still seen).
pub const SCAN_MAX_DEPTH: usize = 32;
/// More cgroups than this fail the scan (about 15 MB of paths): a busy
/// Kubernetes node has a few thousand.
pub const SCAN_MAX_CGROUPS: usize = 100_000;

/// Every cgroup under `mount` (a cgroup hierarchy's mount point, e.g.
/// [`cgroup2_mount`]), breadth first from the root (path `/`), to
/// [`SCAN_MAX_DEPTH`] levels. Directories removed during the scan are left
/// out. Errors: reading the mount; another error reading a directory; more
/// than [`SCAN_MAX_CGROUPS`] (`ErrorKind::Other`, naming the limit).
pub fn scan_cgroup_mount(mount: &Path) -> io::Result<Vec<ExistingCgroup>> {
    scan(mount, SCAN_MAX_DEPTH, SCAN_MAX_CGROUPS)
}

fn scan(mount: &Path, max_depth: usize, max_cgroups: usize) -> io::Result<Vec<ExistingCgroup>> {
    let mut cgroups = vec![existing(&fs::metadata(mount)?, "/".to_owned())];
    // breadth first: `cgroups[..level_end]` are the levels up to `depth`
    let (mut depth, mut level_end) = (0, 1);
    let mut next = 0;
    while next < cgroups.len() {
        if next == level_end {
            depth += 1;
            level_end = cgroups.len();
        }
        let parent = std::mem::take(&mut cgroups[next].path);
        let listed = if depth < max_depth {
            list_children(mount, &parent, &mut cgroups, max_cgroups)
        } else {
            Ok(())
        };
        cgroups[next].path = parent;
        listed?;
        next += 1;
    }
    Ok(cgroups)
}

/// Appends the directories in `parent` (a path relative to `mount`).
fn list_children(
    mount: &Path,
    parent: &str,
    cgroups: &mut Vec<ExistingCgroup>,
    max_cgroups: usize,
) -> io::Result<()> {
    let gone = |e: &io::Error| parent != "/" && e.kind() == io::ErrorKind::NotFound;
    let entries = match fs::read_dir(mount.join(&parent[1..])) {
        Err(e) if gone(&e) => return Ok(()),
        entries => entries?,
    };
    for entry in entries {
        let entry = match entry {
            Err(e) if gone(&e) => continue,
            entry => entry?,
        };
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let metadata = match entry.metadata() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            metadata => metadata?,
        };
        if cgroups.len() == max_cgroups {
            return Err(io::Error::other(format!(
                "more than {max_cgroups} cgroups under {}",
                mount.display()
            )));
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let mut path = String::with_capacity(parent.len() + 1 + name.len());
        if parent != "/" {
            path.push_str(parent);
        }
        path.push('/');
        path.push_str(&name);
        cgroups.push(existing(&metadata, path));
    }
    Ok(())
}

fn existing(metadata: &fs::Metadata, path: String) -> ExistingCgroup {
    // never before the epoch: kernfs stamps inodes with the real-time clock
    let secs = u64::try_from(metadata.ctime()).unwrap_or(0);
    let nanos = u64::try_from(metadata.ctime_nsec()).unwrap_or(0);
    ExistingCgroup {
        id: metadata.ino(),
        path,
        ctime_ns: secs.saturating_mul(1_000_000_000).saturating_add(nanos),
    }
}

/// This process's mount table (proc(5): `/proc/[pid]/mountinfo`).
const MOUNTINFO: &str = "/proc/self/mountinfo";

/// Where the cgroup v2 hierarchy is mounted, as this process sees it:
/// `/sys/fs/cgroup` on a pure v2 host, `/sys/fs/cgroup/unified` on a
/// hybrid one; `None` when it is not mounted (or mountinfo is unreadable).
/// See [`cgroup2_mount_in`].
pub fn cgroup2_mount() -> Option<PathBuf> {
    cgroup2_mount_in(&read_mountinfo()?)
}

/// Where the first cgroup v1 hierarchy with `controller` (`cpuset`, or a
/// named hierarchy's `name=systemd`) is mounted, as this process sees it.
/// See [`cgroup_v1_mount_in`].
pub fn cgroup_v1_mount(controller: &str) -> Option<PathBuf> {
    cgroup_v1_mount_in(&read_mountinfo()?, controller)
}

fn read_mountinfo() -> Option<String> {
    // mount points may hold bytes that are not UTF-8 (only space, tab,
    // newline and backslash are escaped); cgroup lines are ASCII
    fs::read(MOUNTINFO)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The mount point of the first visible `cgroup2` mount of its hierarchy's
/// root in `mountinfo` (the text of a `/proc/PID/mountinfo`), unescaped
/// (`\040` is a space). A mount of a sub-tree (root field other than `/`:
/// a bind mount, or a container's view) is skipped, as paths under it are
/// not the kernel's; so is a mount hidden by one mounted over it or over
/// one of its parents.
pub fn cgroup2_mount_in(mountinfo: &str) -> Option<PathBuf> {
    find_mount(mountinfo, |m| m.fstype == "cgroup2")
}

/// As [`cgroup2_mount_in`], for the first `cgroup` (v1) mount whose
/// superblock options name `controller`.
pub fn cgroup_v1_mount_in(mountinfo: &str, controller: &str) -> Option<PathBuf> {
    find_mount(mountinfo, |m| {
        m.fstype == "cgroup" && m.super_options.split(',').any(|o| o == controller)
    })
}

/// The fields of a mountinfo line that are read here (proc(5):
/// `ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS`,
/// fields separated by single spaces, which the kernel escapes in values).
struct Mount<'a> {
    id: &'a str,
    parent: &'a str,
    root: &'a str,
    mount_point: &'a str,
    fstype: &'a str,
    super_options: &'a str,
}

/// The cgroup filesystem mounted at `mount_point` in `mountinfo`: None for
/// no cgroup mount there, Some(None) for cgroup2, Some(Some(controllers))
/// for a v1 hierarchy (its controllers, from the super options: `cpuset`,
/// `cpu,cpuacct`, `name=systemd`).
pub fn cgroup_mount_at(mountinfo: &str, mount_point: &str) -> Option<Option<Vec<String>>> {
    let m = mountinfo
        .lines()
        .filter_map(parse_mountinfo_line)
        // the last mount there is the one seen
        .rfind(|m| unescape_octal(m.mount_point) == mount_point.as_bytes())?;
    match m.fstype {
        "cgroup2" => Some(None),
        "cgroup" => Some(Some(
            m.super_options
                .split(',')
                .filter(|o| {
                    *o != "rw"
                        && *o != "ro"
                        && !o.starts_with("release_agent=")
                        && *o != "clone_children"
                        && *o != "noprefix"
                        && *o != "xattr"
                })
                .map(str::to_string)
                .collect(),
        )),
        _ => None,
    }
}

fn parse_mountinfo_line(line: &str) -> Option<Mount<'_>> {
    let (fields, filesystem) = line.split_once(" - ")?;
    let mut fields = fields.split(' ');
    let (id, parent, _, root, mount_point) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let mut filesystem = filesystem.split(' ');
    let (fstype, _, super_options) = (filesystem.next()?, filesystem.next()?, filesystem.next()?);
    Some(Mount {
        id,
        parent,
        root,
        mount_point,
        fstype,
        super_options,
    })
}

fn find_mount(mountinfo: &str, wanted: impl Fn(&Mount) -> bool) -> Option<PathBuf> {
    let mounts: Vec<Mount> = mountinfo.lines().filter_map(parse_mountinfo_line).collect();
    mounts
        .iter()
        .find(|m| m.root == "/" && wanted(m) && visible(&mounts, m))
        .map(|m| PathBuf::from(std::ffi::OsString::from_vec(unescape_octal(m.mount_point))))
}

/// Whether `m` is seen at its mount point: no mount was mounted over it,
/// nor over a mount it is below, other than the one on the way down to it
/// (a mount over another has the hidden one as its parent).
fn visible<'m, 's>(mounts: &'m [Mount<'s>], mut m: &'m Mount<'s>) -> bool {
    let mut from: Option<&Mount> = None;
    // bounded: malformed input may make the parents a loop
    for _ in 0..mounts.len() {
        let over_mounted = mounts.iter().any(|n| {
            n.id != m.id
                && from.is_none_or(|f| f.id != n.id)
                && n.parent == m.id
                && n.mount_point == m.mount_point
        });
        if over_mounted {
            return false;
        }
        match mounts.iter().find(|p| p.id == m.parent && p.id != m.id) {
            Some(p) => (from, m) = (Some(m), p),
            None => return true,
        }
    }
    false
}

/// Undoes mountinfo's escapes: `\` and three octal digits for a byte.
fn unescape_octal(escaped: &str) -> Vec<u8> {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes
            .get(i..i + 4)
            .filter(|e| e[0] == b'\\' && e[1..].iter().all(|d| (b'0'..=b'7').contains(d)))
            .and_then(|e| u8::from_str_radix(std::str::from_utf8(&e[1..]).ok()?, 8).ok());
        match byte {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ids of docker containers seen in /proc/PID/cgroup (neuvector/neuvector
    // share/system/cgroup_test.go)
    const ID: &str = "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970";
    const ID2: &str = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d";
    const UID: &str = "7e44ee88-1e65-4a16-8cdf-9a90c819180e";
    /// a static pod's UID: the MD5 of its manifest in hex (kubelet pkg/kubelet/config/common.go)
    const STATIC_UID: &str = "6f3e0b4c0d1c8c2e9b5a4d3c2b1a0f9e";

    fn systemd_uid(uid: &str) -> String {
        uid.replace('-', "_")
    }

    /// (path, what it is, the container's cgroup as a prefix of the path)
    struct Case {
        path: String,
        want: Option<(Runtime, &'static str, Option<&'static str>)>,
        root: String,
        source: &'static str,
    }

    fn case(
        path: String,
        want: Option<(Runtime, &'static str, Option<&'static str>)>,
        root: &str,
        source: &'static str,
    ) -> Case {
        let root = if root.is_empty() {
            path.clone()
        } else {
            root.to_owned()
        };
        Case {
            path,
            want,
            root,
            source,
        }
    }

    fn cases() -> Vec<Case> {
        use Runtime::*;
        let u = systemd_uid(UID);
        let burstable =
            format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{u}.slice");
        let rootless = "/user.slice/user-1000.slice/user@1000.service/user.slice";
        vec![
            // docker
            case(format!("/docker/{ID}"), Some((Docker, ID, None)), "", "dockerd cgroupfs driver: default cgroup-parent /docker (docs: dockerd --cgroup-parent)"),
            case(format!("/system.slice/docker-{ID}.scope"), Some((Docker, ID, None)), "", "dockerd systemd driver (docs: native.cgroupdriver=systemd; neuvector cgroup_test.go, CentOS)"),
            case(format!("{rootless}/docker-{ID}.scope"), Some((Docker, ID, None)), "", "rootless docker, systemd driver under the user's manager (docs: rootless mode, cgroup v2)"),
            case(format!("/docker/{ID}/docker/{ID2}"), Some((Docker, ID2, None)), "", "docker-in-docker, cgroupfs: the inner container"),
            case(format!("/system.slice/docker-{ID}.scope/docker/{ID2}"), Some((Docker, ID2, None)), "", "docker-in-docker on a systemd host (inner dockerd on cgroupfs in its cgroup namespace)"),
            case(format!("/system.slice/docker-{ID}.scope/init.scope"), Some((Docker, ID, None)), &format!("/system.slice/docker-{ID}.scope"), "systemd running inside a docker container"),
            case(format!("/mygroup/{ID}"), Some((Containerd, ID, None)), "", "docker --cgroup-parent=/mygroup: a bare id (containerd knows it in namespace moby)"),
            case(format!("{burstable}/docker-{ID}.scope"), Some((Docker, ID, Some(UID))), "", "cri-dockerd, kubelet systemd driver"),
            // containerd
            case(format!("/default/{ID}"), Some((Containerd, ID, None)), "", "containerd cgroupfs: oci default CgroupsPath /<namespace>/<id> (ctr, nerdctl)"),
            case(format!("/kubepods/burstable/pod{UID}/{ID}"), Some((Containerd, ID, Some(UID))), "", "kubelet cgroupfs driver, burstable (kubelet pod level resource management design)"),
            case(format!("/kubepods/pod{UID}/{ID}"), Some((Containerd, ID, Some(UID))), "", "kubelet cgroupfs driver, guaranteed pods sit under kubepods"),
            case(format!("/kubepods/besteffort/pod{STATIC_UID}/{ID}"), Some((Containerd, ID, Some(STATIC_UID))), "", "static pod, cgroupfs"),
            case(format!("/kubelet/kubepods/besteffort/pod{UID}/{ID}"), Some((Containerd, ID, Some(UID))), "", "kubelet --cgroup-root=/kubelet (kind), cgroupfs"),
            case(format!("{burstable}/cri-containerd-{ID}.scope"), Some((Containerd, ID, Some(UID))), "", "containerd CRI, systemd driver (cgroupsPath <pod slice>:cri-containerd:<id>)"),
            case(format!("/kubepods.slice/kubepods-pod{u}.slice/cri-containerd-{ID}.scope"), Some((Containerd, ID, Some(UID))), "", "guaranteed pod, systemd driver"),
            case(format!("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{STATIC_UID}.slice/cri-containerd-{ID}.scope"), Some((Containerd, ID, Some(STATIC_UID))), "", "static pod, systemd driver"),
            case(format!("/system.slice/containerd.service/kubepods-burstable-pod{u}.slice:cri-containerd:{ID}"), Some((Containerd, ID, Some(UID))), "", "kubelet systemd driver with containerd on cgroupfs: runc makes the systemd path one directory (Tracee pkg/containers)"),
            case(format!("/system.slice:cri-containerd:{ID}"), Some((Containerd, ID, None)), "", "the same, default slice"),
            case(format!("/system.slice/docker-{ID}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod{u}.slice/cri-containerd-{ID2}.scope"), Some((Containerd, ID2, Some(UID))), "", "kind: a node in docker, kubelet --cgroup-root=/kubelet, systemd driver"),
            case(format!("/system.slice/nerdctl-{ID}.scope"), Some((Containerd, ID, None)), "", "nerdctl systemd driver: system.slice:nerdctl:<id> (nerdctl container tests)"),
            // CRI-O
            case(format!("{burstable}/crio-{ID}.scope"), Some((Crio, ID, Some(UID))), "", "CRI-O systemd manager (internal/config/cgmgr)"),
            case(format!("{burstable}/crio-{ID}.scope/container"), Some((Crio, ID, Some(UID))), &format!("{burstable}/crio-{ID}.scope"), "CRI-O with crun: the payload in a child"),
            case(format!("/kubepods/burstable/pod{UID}/crio-{ID}"), Some((Crio, ID, Some(UID))), "", "CRI-O cgroupfs manager: <parent>/crio-<id>"),
            case(format!("{burstable}/crio-conmon-{ID}.scope"), None, "", "CRI-O conmon_cgroup=pod: the monitor"),
            case(format!("/kubepods/burstable/pod{UID}/crio-conmon-{ID}"), None, "", "CRI-O cgroupfs: MoveConmonToCgroup's crio-conmon-<id>"),
            case(format!("/system.slice/crio-conmon-{ID}.scope"), None, "", "CRI-O conmon_cgroup=system.slice"),
            // podman
            case(format!("/machine.slice/libpod-{ID}.scope"), Some((Podman, ID, None)), "", "podman systemd manager, rootful (machine.slice)"),
            case(format!("/machine.slice/libpod-{ID}.scope/container"), Some((Podman, ID, None)), &format!("/machine.slice/libpod-{ID}.scope"), "podman with crun: the payload in `container`"),
            case(format!("{rootless}/libpod-{ID}.scope"), Some((Podman, ID, None)), "", "rootless podman, cgroup v2"),
            case(format!("/machine.slice/machine-libpod_pod_{ID2}.slice/libpod-{ID}.scope"), Some((Podman, ID, None)), "", "a container in a podman pod"),
            case(format!("/libpod_parent/libpod-{ID}"), Some((Podman, ID, None)), "", "podman cgroupfs manager"),
            case(format!("/machine.slice/libpod-conmon-{ID}.scope"), None, "", "podman's conmon"),
            case(format!("{rootless}/libpod-conmon-{ID}.scope"), None, "", "rootless podman's conmon"),
            // LXC
            case("/lxc.payload.web".into(), Some((Lxc, "web", None)), "", "LXC >= 4: DEFAULT_PAYLOAD_CGROUP_PREFIX (src/lxc/cgroups/cgroup.h)"),
            case("/lxc.payload.web/init.scope".into(), Some((Lxc, "web", None)), "/lxc.payload.web", "systemd inside an LXC container"),
            case("/lxc.monitor.web".into(), None, "", "LXC >= 4: DEFAULT_MONITOR_CGROUP_PREFIX, the monitor"),
            case("/lxc.pivot".into(), None, "", "LXC's CGROUP_PIVOT"),
            case("/lxc/web".into(), Some((Lxc, "web", None)), "", "LXC < 4: /lxc/<name>"),
            case("/lxc/web/lxc/db".into(), Some((Lxc, "db", None)), "", "nested LXC < 4"),
            // systemd-nspawn
            case("/machine.slice/machine-debian.scope/payload".into(), Some((SystemdNspawn, "debian", None)), "/machine.slice/machine-debian.scope", "nspawn's scope via machined, payload child (nspawn-cgroup.c create_subcgroup)"),
            case(r"/machine.slice/machine-my\x2dbox.scope/payload/system.slice/foo.service".into(), Some((SystemdNspawn, "my-box", None)), r"/machine.slice/machine-my\x2dbox.scope", "unit_name_escape: '-' is \\x2d"),
            case(r"/machine.slice/systemd-nspawn@my\x2dbox.service/payload".into(), Some((SystemdNspawn, "my-box", None)), r"/machine.slice/systemd-nspawn@my\x2dbox.service", "machinectl start: systemd-nspawn@.service --keep-unit"),
            case(r"/machine.slice/systemd-nspawn@my\x2dbox.service/supervisor".into(), None, "", "nspawn itself under --keep-unit"),
            case(r"/machine.slice/machine-qemu\x2d1\x2dubuntu.scope".into(), None, "", "a libvirt VM registered with machined"),
            case(r"/machine.slice/machine-lxc\x2d4242\x2dweb.scope".into(), None, "", "a libvirt-lxc container (not nspawn)"),
            // not containers
            case("/".into(), None, "", "the root"),
            case(String::new(), None, "", "empty"),
            case("/init.scope".into(), None, "", "systemd's PID 1"),
            case("/system.slice/ssh.service".into(), None, "", "a service"),
            case("/system.slice/docker.service".into(), None, "", "dockerd itself"),
            case("/user.slice/user-1000.slice/session-2.scope".into(), None, "", "a login session"),
            case("/docker".into(), None, "", "dockerd's parent, empty"),
            case(burstable.clone(), None, "", "a pod's cgroup: the pod, not a container"),
            case("/process_api/aac41d08c1938bb4d2f314ce6ac8f097".into(), None, "", "this host: 32 hex digits are not a runtime id"),
            case(format!("/docker/{}", ID.to_uppercase()), None, "", "uppercase: no runtime writes ids so"),
            case(format!("/docker/{}", &ID[1..]), None, "", "63 digits"),
            case(format!("/system.slice/docker-{ID}.service"), None, "", "not a scope"),
            case(format!("/system.slice/docker-{ID}"), None, "", "docker's systemd unit without .scope"),
            case(format!("/system.slice:other:{ID}"), None, "", "a colon form of no runtime"),
            case("/default/redis".into(), None, "", "ctr's own names: not recognisable"),
        ]
    }

    #[test]
    fn layouts() {
        for c in cases() {
            let got = container_of_cgroup_path(&c.path);
            let want = c.want.map(|(runtime, id, pod_uid)| CgroupContainer {
                runtime,
                id: Cow::Borrowed(id),
                pod_uid: pod_uid.map(str::to_owned),
                root_len: c.root.len(),
            });
            assert_eq!(got, want, "{} ({})", c.path, c.source);
            if want.is_some() {
                assert!(c.path.starts_with(&c.root), "{}: bad case", c.path);
            }
        }
    }

    #[test]
    fn escaped_names_are_owned_and_plain_ones_borrowed() {
        let escaped = container_of_cgroup_path(r"/machine.slice/machine-a\x2db.scope").unwrap();
        assert!(matches!(escaped.id, Cow::Owned(ref s) if s == "a-b"));
        let plain = container_of_cgroup_path("/machine.slice/machine-ab.scope").unwrap();
        assert!(matches!(plain.id, Cow::Borrowed("ab")));
        // malformed or non-UTF-8 escapes are kept as written
        assert_eq!(unescape_unit_name(r"a\x2"), r"a\x2");
        assert_eq!(unescape_unit_name(r"a\xzz"), r"a\xzz");
        assert_eq!(unescape_unit_name(r"a\xff"), r"a\xff");
        assert_eq!(unescape_unit_name(r"\xc3\xa9t\xc3\xa9"), "été");
    }

    #[test]
    fn pod_uids() {
        let u = systemd_uid(UID);
        // the pod level must be the container's parent, in kubelet's form
        for (path, want) in [
            (format!("/kubepods/burstable/pod{UID}/{ID}"), Some(UID)),
            (format!("/other/burstable/pod{UID}/{ID}"), None),
            (format!("/kubepods/burstable/pod{u}/{ID}"), None),
            (
                format!("/kubepods/burstable/pod{}/{ID}", UID.to_uppercase()),
                None,
            ),
            (format!("/kubepods/burstable/pod{UID}x/{ID}"), None),
            (
                format!("/kubepods.slice/kubepods-pod{u}.slice/cri-containerd-{ID}.scope"),
                Some(UID),
            ),
            (
                format!("/kubepods.slice/kubepods-pod{UID}.slice/cri-containerd-{ID}.scope"),
                None,
            ),
            (
                format!("/x.slice/x-pod{u}.slice/cri-containerd-{ID}.scope"),
                None,
            ),
            (format!("/kubepods/pod{UID}/{ID}/docker/{ID2}"), None),
        ] {
            let got = container_of_cgroup_path(&path).unwrap();
            assert_eq!(got.pod_uid.as_deref(), want, "{path}");
        }
    }

    /// /proc/PID/cgroup of a docker container on a hybrid host: every
    /// hierarchy, v1 (named ones too) and v2, names the same container.
    #[test]
    fn v1_and_v2_lines_agree() {
        for driver_path in [
            format!("/docker/{ID}"),
            format!("/system.slice/docker-{ID}.scope"),
        ] {
            let proc_cgroup = [
                "12:cpuset:",
                "11:memory:",
                "4:cpu,cpuacct:",
                "2:net_cls,net_prio:",
                "1:name=systemd:",
                "0::",
            ]
            .map(|h| format!("{h}{driver_path}"));
            for line in &proc_cgroup {
                let path = line.splitn(3, ':').nth(2).unwrap();
                let got = container_of_cgroup_path(path).unwrap();
                assert_eq!((got.runtime, &*got.id), (Runtime::Docker, ID), "{line}");
            }
        }
    }

    #[test]
    fn runtime_names() {
        use Runtime::*;
        let names = [Docker, Containerd, Crio, Podman, Lxc, SystemdNspawn].map(Runtime::as_str);
        assert_eq!(
            names,
            [
                "docker",
                "containerd",
                "crio",
                "podman",
                "lxc",
                "systemd-nspawn"
            ]
        );
    }

    /// A component that none of the layouts reads as a container or as
    /// context for the next one.
    fn plain_component() -> impl Strategy<Value = String> {
        "[a-z0-9_]{1,10}(\\.slice|\\.scope|\\.service)?".prop_filter("a layout's context", |c| {
            ![DOCKER_PARENT, LXC_PARENT, MACHINE_SLICE, NSPAWN_SUPERVISOR].contains(&c.as_str())
        })
    }

    /// A name an LXC or nspawn container may have, that is no context itself.
    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9]{0,7}(-[a-z]{1,7})?".prop_filter("a layout's context", |n| {
            ![DOCKER_PARENT, LXC_PARENT].contains(&n.as_str())
        })
    }

    /// (layout without the leading '/', runtime, id)
    fn layout() -> impl Strategy<Value = (String, Runtime, String)> {
        ("[0-9a-f]{64}", name(), 0..15usize).prop_map(|(id, name, which)| {
            use Runtime::*;
            let u = systemd_uid(UID);
            let escaped = name.replace('-', r"\x2d");
            let (layout, runtime) = match which {
                0 => (format!("docker/{id}"), Docker),
                1 => (format!("system.slice/docker-{id}.scope"), Docker),
                2 => (id.clone(), Containerd),
                3 => (format!("kubepods/burstable/pod{UID}/{id}"), Containerd),
                4 => (format!("kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{u}.slice/cri-containerd-{id}.scope"), Containerd),
                5 => (format!("system.slice:cri-containerd:{id}"), Containerd),
                6 => (format!("nerdctl-{id}.scope"), Containerd),
                7 => (format!("crio-{id}.scope"), Crio),
                8 => (format!("crio-{id}"), Crio),
                9 => (format!("libpod-{id}.scope"), Podman),
                10 => (format!("libpod_parent/libpod-{id}"), Podman),
                11 => return (format!("lxc.payload.{name}"), Lxc, name),
                12 => return (format!("lxc/{name}"), Lxc, name),
                13 => return (format!("machine.slice/machine-{escaped}.scope"), SystemdNspawn, name),
                _ => return (format!("machine.slice/systemd-nspawn@{escaped}.service"), SystemdNspawn, name),
            };
            (layout, runtime, id)
        })
    }

    proptest! {
        #[test]
        fn any_input_is_answered(path in "\\PC{0,200}|(/|docker|-|\\.scope|\\.slice|:|\\\\x2d|lxc\\.payload\\.|machine\\.slice|pod|[0-9a-f]{64}|é){0,24}") {
            if let Some(c) = container_of_cgroup_path(&path) {
                prop_assert!(path.is_char_boundary(c.root_len));
                prop_assert!(!c.id.is_empty());
                // the root is a container's cgroup too, and the same one
                prop_assert_eq!(container_of_cgroup_path(&path[..c.root_len]), Some(c));
            }
        }

        #[test]
        fn layout_between_any_prefix_and_suffix(
            prefix in prop::collection::vec(plain_component(), 0..4),
            (layout, runtime, id) in layout(),
            suffix in prop::collection::vec(plain_component(), 0..4),
        ) {
            let mut root = String::new();
            for c in prefix.iter().chain([&layout]) {
                root.push('/');
                root.push_str(c);
            }
            let path = suffix.iter().fold(root.clone(), |p, c| p + "/" + c);
            let got = container_of_cgroup_path(&path);
            prop_assert!(got.is_some(), "{}", path);
            let got = got.unwrap();
            prop_assert_eq!((got.runtime, &*got.id, got.root_len), (runtime, id.as_str(), root.len()), "{}", path);
        }
    }

    // mountinfo lines of this host (hybrid: v1 controllers and cgroup2 at
    // /sys/fs/cgroup/unified under a tmpfs)
    const HYBRID: &str = "\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
42 23 0:13 / /sys/kernel/tracing rw,relatime - tracefs nodev rw
";
    // Debian 12 with systemd (pure v2), with optional fields
    const UNIFIED: &str = "\
21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
30 21 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";
    // CentOS 7 (legacy only; co-mounted controllers)
    const LEGACY: &str = "\
18 61 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpuacct,cpu
33 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpuset
";

    #[test]
    fn mounts_hybrid_unified_legacy() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(cgroup2_mount_in(HYBRID), p("/sys/fs/cgroup/unified"));
        assert_eq!(
            cgroup_v1_mount_in(HYBRID, "cpuset"),
            p("/sys/fs/cgroup/cpuset")
        );
        assert_eq!(
            cgroup_v1_mount_in(HYBRID, "name=systemd"),
            p("/sys/fs/cgroup/systemd")
        );
        assert_eq!(cgroup_v1_mount_in(HYBRID, "hugetlb"), None);
        assert_eq!(cgroup2_mount_in(UNIFIED), p("/sys/fs/cgroup"));
        assert_eq!(cgroup_v1_mount_in(UNIFIED, "cpuset"), None);
        assert_eq!(cgroup2_mount_in(LEGACY), None);
        assert_eq!(
            cgroup_v1_mount_in(LEGACY, "cpu"),
            p("/sys/fs/cgroup/cpu,cpuacct")
        );
        assert_eq!(
            cgroup_v1_mount_in(LEGACY, "cpuset"),
            p("/sys/fs/cgroup/cpuset")
        );
        // only whole options match
        assert_eq!(cgroup_v1_mount_in(LEGACY, "cpuac"), None);
        // what is mounted at a given path (--enrichment container.cgroupfs.path)
        let v1 = |c: &[&str]| Some(Some(c.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
        assert_eq!(
            cgroup_mount_at(HYBRID, "/sys/fs/cgroup/unified"),
            Some(None)
        );
        assert_eq!(
            cgroup_mount_at(HYBRID, "/sys/fs/cgroup/cpuset"),
            v1(&["cpuset"])
        );
        assert_eq!(
            cgroup_mount_at(LEGACY, "/sys/fs/cgroup/cpu,cpuacct"),
            v1(&["cpuacct", "cpu"])
        );
        assert_eq!(
            cgroup_mount_at(LEGACY, "/sys/fs/cgroup/systemd"),
            v1(&["name=systemd"])
        );
        assert_eq!(cgroup_mount_at(HYBRID, "/sys/fs/cgroup"), None);
        assert_eq!(cgroup_mount_at(HYBRID, "/nowhere"), None);
        assert_eq!(cgroup2_mount_in(""), None);
        assert_eq!(cgroup2_mount_in("garbage\n1 2\n"), None);
    }

    #[test]
    fn mounts_nested_hidden_and_escaped() {
        let p = |s: &str| Some(PathBuf::from(s));
        // a container's view of a sub-tree is skipped for the host's root
        let subtree = format!("{UNIFIED}50 21 0:26 /docker/{ID} /mnt/c rw - cgroup2 cgroup2 rw\n");
        assert_eq!(cgroup2_mount_in(&subtree), p("/sys/fs/cgroup"));
        let only_subtree =
            format!("50 21 0:26 /docker/{ID} /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        assert_eq!(cgroup2_mount_in(&only_subtree), None);
        // cgroup2 at /sys/fs/cgroup, then a tmpfs over it and cgroup2 again below
        let over = format!(
            "{UNIFIED}60 30 0:40 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n61 60 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        );
        assert_eq!(cgroup2_mount_in(&over), p("/sys/fs/cgroup/unified"));
        // a tmpfs over the parent of the cgroup2 mount hides it
        let parent_over = format!("{HYBRID}70 31 0:41 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n");
        assert_eq!(cgroup2_mount_in(&parent_over), None);
        assert_eq!(cgroup_v1_mount_in(&parent_over, "cpuset"), None);
        // a mount below another is not hidden by it
        let below = format!("{HYBRID}71 41 0:42 / /sys/fs/cgroup/unified/x rw - tmpfs tmpfs rw\n");
        assert_eq!(cgroup2_mount_in(&below), p("/sys/fs/cgroup/unified"));
        // escapes: space, tab, backslash; a root mount that is its own parent
        let escaped = "1 1 0:1 / / rw - rootfs rootfs rw\n45 1 0:40 / /mnt/my\\040cg\\011x\\134 rw - cgroup2 cgroup2 rw\n";
        assert_eq!(cgroup2_mount_in(escaped), p("/mnt/my cg\tx\\"));
        // parents in a loop (malformed) make nothing visible
        let looped = "5 6 0:1 / /a rw - cgroup2 cgroup2 rw\n6 5 0:2 / /b rw - tmpfs tmpfs rw\n";
        assert_eq!(cgroup2_mount_in(looped), None);
    }

    #[test]
    fn this_hosts_mounts() {
        // the host of these tests has cgroup2 mounted (hybrid or unified)
        let mount = cgroup2_mount().expect("cgroup2 mounted");
        assert!(
            mount.join("cgroup.controllers").is_file(),
            "{}",
            mount.display()
        );
        if let Some(cpuset) = cgroup_v1_mount("cpuset") {
            assert!(cpuset.join("cpuset.cpus").is_file(), "{}", cpuset.display());
        }
    }

    #[test]
    fn scan_this_hosts_cgroup2() {
        let mount = cgroup2_mount().expect("cgroup2 mounted");
        let cgroups = scan_cgroup_mount(&mount).unwrap();
        let root = fs::metadata(&mount).unwrap();
        assert_eq!(
            cgroups[0],
            ExistingCgroup {
                id: root.ino(),
                path: "/".into(),
                ctime_ns: root.ctime() as u64 * 1_000_000_000 + root.ctime_nsec() as u64,
            }
        );
        let mut seen = std::collections::HashSet::new();
        for (i, c) in cgroups.iter().enumerate() {
            assert!(seen.insert(c.id), "{} twice", c.id);
            if i > 0 {
                // breadth first: the parent came before
                let parent = c
                    .path
                    .rsplit_once('/')
                    .map(|(p, _)| if p.is_empty() { "/" } else { p });
                assert!(
                    cgroups[..i].iter().any(|p| Some(p.path.as_str()) == parent),
                    "{}",
                    c.path
                );
            }
            // a cgroup removed since the scan (by the host's runtimes) is no longer there to compare
            match fs::metadata(mount.join(&c.path[1..])) {
                Ok(m) => assert_eq!(m.ino(), c.id, "{}", c.path),
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::NotFound, "{}", c.path),
            }
        }
    }

    #[test]
    fn scan_bounds() {
        let dir = std::env::temp_dir().join(format!("tracee-cgpath-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("a/b/c")).unwrap();
        fs::create_dir_all(dir.join("x")).unwrap();
        fs::write(dir.join("a/file"), "").unwrap();
        let paths = |max_depth| {
            let mut p: Vec<String> = scan(&dir, max_depth, 100)
                .unwrap()
                .into_iter()
                .map(|c| c.path)
                .collect();
            p.sort();
            p
        };
        assert_eq!(paths(2), ["/", "/a", "/a/b", "/x"]);
        assert_eq!(paths(32), ["/", "/a", "/a/b", "/a/b/c", "/x"]);
        assert_eq!(paths(0), ["/"]);
        let over = scan(&dir, 32, 4).unwrap_err();
        assert_eq!(
            over.to_string(),
            format!("more than 4 cgroups under {}", dir.display())
        );
        let missing = scan(&dir.join("missing"), 32, 100).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        fs::remove_dir_all(&dir).unwrap();
    }
}
