//! Replacing a running trace's policies while its programs stay attached
//! ([`crate::Tracer::reload`]), on the poll thread that holds the object:
//! the new policies are compiled and placed at stable bits
//! ([`crate::policy::Slots`]), then written over the old ones in the maps
//! the programs read: the scope maps, live_scope (which a reloadable
//! trace's programs read instead of .rodata), event_configs and
//! proc_scopes. Nothing is detached, so no record is lost across it; a
//! record made just before reads with the names its bits had.
//!
//! What the attached programs cannot give is refused before anything is
//! written: an event whose hooks are not attached, or scopes that need the
//! process tracking (tree=, executable=, follow) the trace did not attach.

use libbpf_rs::{MapCore, MapFlags, Object};

use crate::bpf::types;
use crate::catalog::EventDef;
use crate::containers::ContainerTable;
use crate::policy::{self, Compiled, Policy, Slots};
use crate::Error;

use super::{bytes_of, find_map, settings};

/// What the attached programs can give: the events loaded, and whether
/// the fork and exec hooks that keep proc_scopes run.
#[derive(Debug, Clone)]
pub(crate) struct Hooked {
    pub events: Vec<&'static EventDef>,
    pub fork: bool,
    pub exec: bool,
}

/// The policies in force, as the poll thread applies them.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    pub compiled: Compiled,
    pub slots: Slots,
}

/// Replaces `live`'s policies with `policies` in the kernel and in `live`.
/// Err (nothing written): the policies do not compile, or need what is not
/// attached; or a map update failed (then what was written stays, and the
/// error says so).
pub(crate) fn reload(
    obj: &Object,
    live: &mut Live,
    hooked: &Hooked,
    policies: &[Policy],
    table: &ContainerTable,
    exec_env: bool,
) -> Result<(), Error> {
    let compiled = policy::compile(policies).map_err(|mut issues| Error::Policy {
        issue: issues.remove(0),
    })?;
    let bits = live.slots.assign(policies);
    let slots = live.slots.after(policies, &bits);
    let compiled = compiled.placed(&bits, &slots);
    let refused = |cause: String| Error::Invalid {
        option: "reload",
        cause,
    };
    let missing: Vec<&str> = compiled
        .events
        .iter()
        .filter(|(e, _)| !hooked.events.iter().any(|h| h.id == e.id))
        .map(|(e, _)| e.name)
        .collect();
    if !missing.is_empty() {
        return Err(refused(format!(
            "{} not traced by this run (their hooks were not attached at start); the running policies stay: restart tracee-rs to add them, or select them in a policy from the start",
            missing.join(", ")
        )));
    }
    compiled.resolve_containers(table).map_err(refused)?;
    let scope = compiled.kernel_scope(table);
    if (scope.needs_fork && !hooked.fork) || (scope.needs_exec && !hooked.exec) {
        return Err(refused("the new scopes need process tracking (tree=, executable=, follow) that this run did not attach; the running policies stay: restart tracee-rs to apply them".into()));
    }
    let written = |e: Error| match e {
        Error::Load { cause, log } => Error::Load {
            cause: format!("reload, part written: {cause}"),
            log,
        },
        e => e,
    };
    // the new values listed before the configuration that tests them, the
    // stale ones removed after
    settings::write_scope_maps(obj, &scope).map_err(written)?;
    settings::write_live_scope(obj, &scope).map_err(written)?;
    settings::write_selection(obj, &compiled, &hooked.events, exec_env).map_err(written)?;
    remove_stale(obj, &scope).map_err(written)?;
    keep_proc_scopes(obj, live.slots.unchanged(&slots)).map_err(written)?;
    settings::seed_proc_scopes(obj, &scope).map_err(written)?;
    *live = Live { compiled, slots };
    Ok(())
}

/// Deletes from the scope maps the values the new scopes do not list.
fn remove_stale(obj: &Object, scope: &policy::KernelScope) -> Result<(), Error> {
    let entries = scope.map_entries();
    for name in [
        super::map_name!(scope_nums),
        super::map_name!(scope_comms),
        super::map_name!(scope_utss),
        super::map_name!(scope_exes),
    ] {
        let map = find_map(obj, name)?;
        let stale: Vec<Vec<u8>> = map
            .keys()
            .filter(|k| !entries.iter().any(|(m, key, _)| *m == name && key == k))
            .collect();
        for key in stale {
            // gone already (a cgroup_rmdir in between): nothing to delete
            let _ = map.delete(&key);
        }
    }
    Ok(())
}

/// Keeps in proc_scopes only the bits of the policies whose scope did not
/// change (`unchanged`): the others' trees and executables are seeded
/// anew from /proc, and their `follow` restarts from the processes forked
/// from now on.
fn keep_proc_scopes(obj: &Object, unchanged: u64) -> Result<(), Error> {
    let map = super::map!(obj, proc_scopes)?;
    let keys: Vec<Vec<u8>> = map.keys().collect();
    for key in keys {
        let Ok(Some(bytes)) = map.lookup(&key, MapFlags::ANY) else {
            continue;
        };
        if bytes.len() != size_of::<types::proc_scope>() {
            continue;
        }
        // SAFETY: the map's value type, plain integers.
        let mut v: types::proc_scope = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) };
        v.tree &= unchanged;
        v.exe &= unchanged;
        v.follow &= unchanged;
        // an exited process's entry may be gone (LRU): nothing to keep
        let _ = map.update(&key, bytes_of(&v), MapFlags::ANY);
    }
    Ok(())
}
