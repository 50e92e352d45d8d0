//! The container lifecycle events (events.tbl's `@userspace` events:
//! container_create, container_remove, existing_container) as records in
//! the kernel side's layout, made by the poll thread and handed over with
//! the kernel's own: every consumer (the JSON writer, JavaScript) decodes
//! them as any event, and the policies' event filters apply to them.

use super::table::Container;
use crate::bpf::types;
use crate::catalog;
use crate::record;

/// The lifecycle events' ids, from the catalog.
#[derive(Debug, Clone, Copy)]
pub struct LifecycleIds {
    pub create: u32,
    pub remove: u32,
    pub existing: u32,
}

impl LifecycleIds {
    pub fn get() -> LifecycleIds {
        let id = |name| catalog::by_name(name).map_or(u32::MAX, |e| e.id);
        LifecycleIds {
            create: id("container_create"),
            remove: id("container_remove"),
            existing: id("existing_container"),
        }
    }
}

/// The record of container_create or existing_container (`event_id`) for
/// `c`, in Tracee's arguments (runtime, container_id, ctime,
/// container_image, container_image_digest, container_name, pod_name,
/// pod_namespace, pod_uid, pod_sandbox); `header`: the context (the
/// cgroup_mkdir record's, or empty but for the time), its event id and
/// policies set here.
pub fn created(
    event_id: u32,
    policies: u64,
    header: &types::event_header,
    c: &Container,
) -> Option<Vec<u8>> {
    let kstr = types::tracee_arg_kind::ARG_KSTR.0;
    let mut ev = event(event_id, policies, header);
    ev.args[2] = c.ctime_ns;
    let sandbox = u64::from(c.pod_sandbox).to_ne_bytes();
    record::build(
        ev,
        &[
            (0, kstr, c.runtime.as_bytes()),
            (1, kstr, c.id.as_bytes()),
            (3, kstr, c.image.as_bytes()),
            (4, kstr, c.image_digest.as_bytes()),
            (5, kstr, c.name.as_bytes()),
            (6, kstr, c.pod_name.as_bytes()),
            (7, kstr, c.pod_namespace.as_bytes()),
            (8, kstr, c.pod_uid.as_bytes()),
            (9, types::tracee_arg_kind::ARG_VALUE.0, &sandbox),
        ],
    )
}

/// The record of container_remove for `c` (runtime, container_id), in the
/// context of the cgroup_rmdir record's `header`.
pub fn removed(
    event_id: u32,
    policies: u64,
    header: &types::event_header,
    c: &Container,
) -> Option<Vec<u8>> {
    let kstr = types::tracee_arg_kind::ARG_KSTR.0;
    record::build(
        event(event_id, policies, header),
        &[(0, kstr, c.runtime.as_bytes()), (1, kstr, c.id.as_bytes())],
    )
}

fn event(event_id: u32, policies: u64, header: &types::event_header) -> types::event {
    let mut ev = types::event {
        header: *header,
        ..types::event::default()
    };
    ev.header.event_id = event_id;
    ev.header.syscall = -1;
    ev.header.return_value = 0;
    ev.header.flags = 0;
    ev.header.matched_policies = policies;
    ev
}

/// A header with no process, at `timestamp` (ns since boot): the context
/// of existing_container, which no process made (as Tracee's).
pub fn no_process(timestamp: u64) -> types::event_header {
    types::event_header {
        timestamp,
        syscall: -1,
        ..types::event_header::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_decode_with_tracees_arguments() {
        let ids = LifecycleIds::get();
        let c = Container {
            id: "abc".into(),
            runtime: "docker",
            ctime_ns: 1_700_000_000_000_000_123,
            image: "busybox:1".into(),
            name: "web".into(),
            pod_uid: "u-1".into(),
            pod_sandbox: true,
            ..Container::default()
        };
        let mut h = no_process(7);
        h.host_process_id = 42;
        let rec = created(ids.create, 0b10, &h, &c).unwrap();
        let (e, size) = record::decode(&rec).unwrap();
        assert_eq!(size, rec.len());
        assert_eq!(e.name(), "container_create");
        assert_eq!(
            (
                e.header.matched_policies,
                e.header.host_process_id,
                e.header.timestamp
            ),
            (0b10, 42, 7)
        );
        assert_eq!(e.string("runtime"), Some("docker"));
        assert_eq!(e.string("container_id"), Some("abc"));
        assert_eq!(e.int_arg(2), Some(1_700_000_000_000_000_123));
        assert_eq!(e.string("container_image"), Some("busybox:1"));
        assert_eq!(e.string("container_name"), Some("web"));
        assert_eq!(e.string("pod_uid"), Some("u-1"));
        assert_eq!(e.int_arg(9), Some(1));
        let rec = removed(ids.remove, 1, &h, &c).unwrap();
        let (e, _) = record::decode(&rec).unwrap();
        assert_eq!(e.name(), "container_remove");
        assert_eq!(e.string_array(1), ["abc"]);
    }
}
