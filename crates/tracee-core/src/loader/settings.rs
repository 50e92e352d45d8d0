//! What user space writes into the object: before load, the maps it
//! creates and .rodata (constants the verifier sees, so that it drops the
//! code they switch off); once loaded, the selection (event_configs), the
//! scopes (scope_* maps, and the legacy programs' settings maps, which
//! stand in for .rodata on kernels without global data) and the
//! processes already running (proc_scopes). Values bpf/ declares a type
//! for are the skeleton's (`types::rodata`, `types::event_config`...,
//! generated from the object's BTF), written whole.

use libbpf_rs::{Map, MapCore, MapFlags, Object, OpenObject};

use crate::bpf::types;
use crate::btf::ObjectSource;
use crate::catalog::{self, ArgKind, EventDef};
use crate::features::{helper_supported, Transport};
use crate::policy::KernelScope;
use crate::Error;

use super::fallback::load_error;
use super::{bytes_of, find_map, map, map_name, Plan};

/// Sets up the opened object's maps for `plan`: which are created, the
/// ring buffer's size, and .rodata; `derive` lists the events derived by
/// their fallback.
pub(super) fn before_load(
    open: &mut OpenObject,
    plan: &Plan,
    scope: &KernelScope,
    derive: &[&str],
) -> Result<(), Error> {
    let legacy = plan.legacy;
    let perf = matches!(plan.transport, Transport::PerfBuffer(_));
    for mut map in open.maps_mut() {
        let name = map.name().to_string_lossy().into_owned();
        if name == map_name!(btf_anchor)
            || (legacy && (name.ends_with(".rodata") || name.ends_with(".bss")))
            || (!legacy && name == map_name!(legacy_settings))
        {
            // only for BTF, or for the other set of programs
            map.set_autocreate(false).map_err(load_error)?;
        } else if name.ends_with(".rodata") {
            let init = map.initial_value_mut().ok_or_else(|| Error::Load {
                cause: ".rodata has no initial value".into(),
                log: String::new(),
            })?;
            check_rodata_size(init.len(), plan)?;
            write_rodata(init, plan, scope, derive);
        } else if name == map_name!(events) {
            if perf {
                // never created: kernels before 5.8 cannot
                map.set_autocreate(false).map_err(load_error)?;
            } else {
                map.set_max_entries(plan.opts.ring_buffer_bytes)
                    .map_err(load_error)?;
            }
        }
    }
    Ok(())
}

/// The layout of .rodata is the skeleton's: an object whose .rodata
/// differs was not built from this tree's bpf/.
fn check_rodata_size(len: usize, plan: &Plan) -> Result<(), Error> {
    // (the Rust struct may carry trailing padding the section lacks)
    let needed = std::mem::offset_of!(types::rodata, scope) + size_of::<types::scope_config>();
    if len >= needed && len <= size_of::<types::rodata>() {
        return Ok(());
    }
    let cause = format!(".rodata is {len} bytes, this version's is {needed}");
    Err(match &plan.decision.object {
        ObjectSource::File(path) => Error::BpfFile {
            path: path.clone(),
            cause,
        },
        ObjectSource::Embedded => Error::Load {
            cause,
            log: String::new(),
        },
    })
}

/// Writes .rodata's initial value (`init`, the section's bytes): the
/// constants of bpf/lib/config.h for `plan`, as the skeleton's
/// `types::rodata`.
fn write_rodata(init: &mut [u8], plan: &Plan, scope: &KernelScope, derive: &[&str]) {
    // Built in place and never moved, so that its padding (the compiler's
    // too, e.g. before known_syscalls) stays zero and can be copied.
    let mut rodata = std::mem::MaybeUninit::<types::rodata>::zeroed();
    // SAFETY: integers, bools and arrays of them: all-zero bytes are a
    // valid value.
    set_rodata(unsafe { rodata.assume_init_mut() }, plan, scope, derive);
    // SAFETY: every byte is initialized (zeroed, then fields written in
    // place); the struct may carry trailing padding the section lacks, and
    // init.len() is at most its size (check_rodata_size).
    let bytes = unsafe {
        std::slice::from_raw_parts(rodata.as_ptr().cast::<u8>(), size_of::<types::rodata>())
    };
    init.copy_from_slice(&bytes[..init.len()]);
}

/// The constants of bpf/lib/config.h's .rodata for `plan`.
fn set_rodata(r: &mut types::rodata, plan: &Plan, scope: &KernelScope, derive: &[&str]) {
    let selected = |name: &str| plan.events.iter().any(|e| e.name == name);
    // The tracer's own threads (poll, napi, node) would trace themselves.
    r.self_tgid = std::process::id();
    r.wakeup_bytes = u64::from(plan.opts.ring_buffer_bytes / 4);
    r.use_perf_buffer = matches!(plan.transport, Transport::PerfBuffer(_));
    r.has_ktime_boot = helper_supported(libbpf_rs::libbpf_sys::BPF_FUNC_ktime_get_boot_ns);
    r.direct_task_reads = plan.direct_task_reads;
    // enum tracee_known_syscall: each one's number here
    for (number, name) in r.known_syscalls.iter_mut().zip(catalog::KNOWN_SYSCALLS) {
        *number = catalog::by_name(name)
            .filter(|e| e.syscall)
            .map_or(-1, |e| e.id as i32);
    }
    // events.tbl @after=: whenever selected; @fallback=: where the plan
    // derives the event instead of hooking it (`derive`)
    set_derive_flags(r, |name| {
        derive.contains(&name)
            || (selected(name) && catalog::by_name(name).is_some_and(|e| !e.after.is_empty()))
    });
    r.scope = scope.config;
    r.scope_reloadable = plan.opts.reloadable;
    let (ssid, hierarchy) = cgroup_settings(plan);
    r.cgroup_v1_subsys = ssid;
    r.cgroup_hierarchy_id = hierarchy;
}

/// bpf/lib/cgroup.h's settings: the v1 controller that identifies
/// containers (-1: cgroup v2) and its hierarchy's id.
fn cgroup_settings(plan: &Plan) -> (i32, u32) {
    plan.containers.hierarchy.as_ref().map_or((-1, 0), |h| {
        (h.v1_subsys.map_or(-1, |s| s as i32), h.hierarchy_id)
    })
}

// fn set_derive_flags(r: &mut types::rodata, derived: impl Fn(&str) -> bool)
include!(concat!(env!("OUT_DIR"), "/derive_flags.rs"));

/// The loaded object's settings: the legacy programs' stand-in for
/// .rodata, the scopes and the selection (`events`, each with the
/// policies that select it).
pub(super) fn after_load(
    obj: &Object,
    plan: &Plan,
    scope: &KernelScope,
    events: &[&EventDef],
) -> Result<(), Error> {
    let update = |map: &Map, what: &str, key: &[u8], value: &[u8]| {
        map.update(key, value, MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("{what}: {err}"),
                log: String::new(),
            })
    };
    let index = 0u32.to_ne_bytes();
    if plan.legacy {
        // what .rodata says to the other programs
        let (ssid, hierarchy) = cgroup_settings(plan);
        let settings = types::legacy_settings {
            self_tgid: std::process::id(),
            cgroup_v1_subsys: ssid,
            cgroup_hierarchy_id: hierarchy,
        };
        update(
            &map!(obj, legacy_settings)?,
            "legacy_settings",
            &index,
            bytes_of(&settings),
        )?;
    }
    if plan.legacy || plan.opts.reloadable {
        write_live_scope(obj, scope)?;
    }
    write_scope_maps(obj, scope)?;
    write_containers(obj, plan)?;
    write_selection(obj, &plan.compiled, events, plan.opts.exec_env)
}

/// The selection into event_configs: each of `events` (those loaded) with
/// the policies of `compiled` that select it, none for the others.
pub(super) fn write_selection(
    obj: &Object,
    compiled: &crate::policy::Compiled,
    events: &[&EventDef],
    exec_env: bool,
) -> Result<(), Error> {
    let configs = map!(obj, event_configs)?;
    for e in events {
        let policies = compiled
            .events
            .iter()
            .find(|(d, _)| d.id == e.id)
            .map_or(0, |(_, bits)| *bits);
        let cfg = event_config(e, policies, exec_env);
        configs
            .update(&e.id.to_ne_bytes(), bytes_of(&cfg), MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("selecting {}: {err}", e.name),
                log: String::new(),
            })?;
    }
    Ok(())
}

/// Deselects `e` in the kernel, so that no program reports it.
pub(super) fn deselect(obj: &Object, e: &EventDef) {
    if let Ok(configs) = map!(obj, event_configs) {
        let _ = configs.delete(&e.id.to_ne_bytes());
    }
}

/// The cgroups of the containers running at start, into the containers
/// map (bpf/lib/cgroup.h); the poll thread adds and removes the rest.
fn write_containers(obj: &Object, plan: &Plan) -> Result<(), Error> {
    let map = map!(obj, containers)?;
    let table = plan.containers.table.read().expect("the table's lock");
    for (cgroup, entry) in table.cgroups() {
        let state = container_state(entry.container.new);
        map.update(&cgroup.to_ne_bytes(), &state.to_ne_bytes(), MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("writing the containers into the containers map: {err}"),
                log: String::new(),
            })?;
    }
    Ok(())
}

/// enum container_state of a container (bpf/tracee.h).
pub(crate) fn container_state(new: bool) -> u32 {
    use types::container_state as S;
    if new {
        S::CONTAINER_NEW.0
    } else {
        S::CONTAINER_EXISTED.0
    }
}

/// The scopes' configuration into live_scope, which the legacy programs
/// and a reloadable trace's read (bpf/lib/scope.h).
pub(crate) fn write_live_scope(obj: &Object, scope: &KernelScope) -> Result<(), Error> {
    map!(obj, live_scope)?
        .update(&0u32.to_ne_bytes(), bytes_of(&scope.config), MapFlags::ANY)
        .map_err(|err| Error::Load {
            cause: format!("live_scope: {err}"),
            log: String::new(),
        })
}

/// The values the scopes list, into the scope_* maps.
pub(super) fn write_scope_maps(obj: &Object, scope: &KernelScope) -> Result<(), Error> {
    for (name, key, bits) in scope.map_entries() {
        find_map(obj, name)?
            .update(&key, &bits.to_ne_bytes(), MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("writing the scope into {name}: {err}"),
                log: String::new(),
            })?;
    }
    Ok(())
}

/// Trees and executables of the processes running at start, merged with
/// what the hooks wrote since they were attached.
pub(super) fn seed_proc_scopes(obj: &Object, scope: &KernelScope) -> Result<(), Error> {
    if scope.procs.is_empty() {
        return Ok(());
    }
    let map = map!(obj, proc_scopes)?;
    for (&pid, &(tree, exe)) in &scope.procs {
        let key = pid.to_ne_bytes();
        let mut v = types::proc_scope::default();
        if let Ok(Some(bytes)) = map.lookup(&key, MapFlags::ANY) {
            if bytes.len() == size_of::<types::proc_scope>() {
                // SAFETY: the map's value type, plain integers.
                v = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) };
            }
        }
        v.tree |= tree;
        v.exe |= exe;
        map.update(&key, bytes_of(&v), MapFlags::ANY)
            .map_err(|err| Error::Load {
                cause: format!("proc_scopes: {err}"),
                log: String::new(),
            })?;
    }
    Ok(())
}

/// Whether `e`'s record is fixed: no strings read at entry, no argument
/// copied (bpf/hooks/syscalls.h: the exit program without the data path
/// serves it).
pub(super) fn fixed_record(e: &EventDef, exec_env: bool) -> bool {
    let data = types::tracee_event_flags::EVENT_FLAG_STR_AT_ENTRY.0
        | types::tracee_event_flags::EVENT_FLAG_DATA.0;
    u32::from(event_config(e, 0, exec_env).flags) & data == 0
}

/// The kernel side's view of event `e`: which policies select it, the
/// arguments it copies and how.
fn event_config(e: &EventDef, policies: u64, exec_env: bool) -> types::event_config {
    // the arguments a record carries (bpf/tracee.h MAX_ARGS): an event's
    // others are built by its own program
    let carried = cfg_arg_count();
    let mut cfg = types::event_config {
        policies,
        nargs: e.args.len().min(carried) as u8,
        ..Default::default()
    };
    for (i, a) in e.args.iter().enumerate().take(carried) {
        let copied = match a.kind {
            // kept an address unless asked for (large, and rarely wanted)
            ArgKind::Ptr if exec_env && exec_env_arg(e) == Some(i) => {
                types::tracee_arg_kind::ARG_STR_ARRAY
            }
            ArgKind::Str => types::tracee_arg_kind::ARG_STR,
            ArgKind::Sockaddr => types::tracee_arg_kind::ARG_SOCKADDR,
            ArgKind::Msghdr => types::tracee_arg_kind::ARG_MSGHDR,
            ArgKind::StrArray => types::tracee_arg_kind::ARG_STR_ARRAY,
            ArgKind::Bytes => types::tracee_arg_kind::ARG_BYTES,
            ArgKind::Timespec => types::tracee_arg_kind::ARG_TIMESPEC,
            _ => continue,
        };
        cfg.arg_kinds[i] = copied.0 as u8;
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_DATA.0 as u8;
    }
    if e.noreturn {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_NORETURN.0 as u8;
    }
    if e.strings_at_entry {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_STR_AT_ENTRY.0 as u8;
    }
    if e.addrlen_ptr {
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_ADDRLEN_PTR.0 as u8;
    }
    if exec_env && e.args.iter().any(|a| a.name == "env") {
        // sched_process_exec's env (its arguments past the record's are
        // built by its program, not by arg_kinds)
        cfg.flags |= types::tracee_event_flags::EVENT_FLAG_EXEC_ENV.0 as u8;
    }
    cfg
}

/// Arguments a record carries and an event's config describes (bpf/tracee.h MAX_ARGS).
fn cfg_arg_count() -> usize {
    types::event_config::default().arg_kinds.len()
}

/// The position of an exec's envp where the kernel side can copy a string
/// array (tracee.h's STR_ARRAY_ARG_*): execve's; execveat's is past them.
fn exec_env_arg(e: &EventDef) -> Option<usize> {
    let i = e.args.iter().position(|a| a.name == "envp")?;
    let positions = [
        types::tracee_limits::STR_ARRAY_ARG_A.0 as usize,
        types::tracee_limits::STR_ARRAY_ARG_B.0 as usize,
    ];
    (e.name.starts_with("execve") && positions.contains(&i)).then_some(i)
}
