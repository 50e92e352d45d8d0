//! Event filters: the tests a rule puts on its event's records
//! (`data.pathname=/etc/*`, `retval<0`, `comm=cat`), which the kernel does
//! not make; they run on the poll thread, before a record is handed to the
//! consumer.

use super::expr::{closest, parse_int, split_expr, values, Op, Pattern};
use crate::catalog::{ArgKind, EventDef};
use crate::containers::Container;
use crate::record::Event;

/// A numeric context field of a record, for per-event scope filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CtxField {
    Pid,
    Tid,
    Ppid,
    HostPid,
    HostTid,
    HostPpid,
    Uid,
    Gid,
    Mntns,
    Pidns,
    CgroupId,
    Comm,
    /// In a container (containers::table): `container=true`, as Tracee's
    /// context filter `container`.
    Container,
    /// The container's fields (Tracee's context filters of those names).
    ContainerId,
    ContainerImage,
    ContainerImageDigest,
    ContainerName,
    PodName,
    PodNamespace,
    PodUid,
}

/// Per-event scope fields (Tracee's names and aliases), from the record's header.
const CTX_FIELDS: &[(&str, CtxField)] = &[
    ("p", CtxField::Pid),
    ("pid", CtxField::Pid),
    ("processId", CtxField::Pid),
    ("tid", CtxField::Tid),
    ("threadId", CtxField::Tid),
    ("ppid", CtxField::Ppid),
    ("parentProcessId", CtxField::Ppid),
    ("hostPid", CtxField::HostPid),
    ("hostProcessId", CtxField::HostPid),
    ("hostTid", CtxField::HostTid),
    ("hostThreadId", CtxField::HostTid),
    ("hostPpid", CtxField::HostPpid),
    ("hostParentProcessId", CtxField::HostPpid),
    ("uid", CtxField::Uid),
    ("userId", CtxField::Uid),
    ("gid", CtxField::Gid),
    ("groupId", CtxField::Gid),
    ("mntns", CtxField::Mntns),
    ("mountNamespace", CtxField::Mntns),
    ("pidns", CtxField::Pidns),
    ("pidNamespace", CtxField::Pidns),
    ("cgroupId", CtxField::CgroupId),
    ("comm", CtxField::Comm),
    ("processName", CtxField::Comm),
    ("container", CtxField::Container),
    ("containerId", CtxField::ContainerId),
    ("containerImage", CtxField::ContainerImage),
    ("containerImageDigest", CtxField::ContainerImageDigest),
    ("containerName", CtxField::ContainerName),
    ("podName", CtxField::PodName),
    ("podNamespace", CtxField::PodNamespace),
    ("podUid", CtxField::PodUid),
];

/// One test a record must pass, on the poll thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Test {
    /// An argument (by index, decoded as its kind) or retval (None) or a
    /// context field, compared as numbers.
    Num {
        what: NumSource,
        op: Op,
        values: Vec<i128>,
    },
    /// A string argument (by index) or comm, against patterns.
    Str {
        what: StrSource,
        negate: bool,
        patterns: Vec<Pattern>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumSource {
    Arg(usize, ArgKind),
    Retval,
    Ctx(CtxField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StrSource {
    Arg(usize),
    Comm,
    /// A field of the record's container ('' outside containers).
    Container(CtxField),
}

fn num_test(what: NumSource, op: Op, raw: &str) -> Result<Test, String> {
    let vals = values(raw);
    if matches!(op, Op::Lt | Op::Gt | Op::Le | Op::Ge) && vals.len() > 1 {
        return Err(format!(
            "{} takes one value, not a list ('{raw}')",
            op.text()
        ));
    }
    let values = vals
        .iter()
        .map(|v| parse_int(v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Test::Num { what, op, values })
}

fn str_test(what: StrSource, op: Op, raw: &str) -> Result<Test, String> {
    let negate = match op {
        Op::Eq => false,
        Op::Ne => true,
        other => {
            return Err(format!(
                "strings are compared with = and != only, not {}",
                other.text()
            ))
        }
    };
    let patterns = values(raw)
        .into_iter()
        .map(Pattern::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Test::Str {
        what,
        negate,
        patterns,
    })
}

/// Parses one rule filter of event `e` (data.x, args.x, retval, scope fields).
pub(super) fn parse_event_filter(e: &EventDef, expr: &str) -> Result<Test, String> {
    let Some((field, op, raw)) = split_expr(expr) else {
        return Err(format!("'{expr}' is not a filter: write field=value, e.g. data.pathname=/etc/*, retval<0 or comm=cat"));
    };
    if raw.is_empty() {
        return Err(format!("'{expr}' has no value after {}", op.text()));
    }
    if let Some(arg) = field
        .strip_prefix("data.")
        .or_else(|| field.strip_prefix("args."))
    {
        let Some(index) = e.args.iter().position(|a| a.name == arg) else {
            return Err(if e.args.is_empty() {
                format!("{} has no arguments to filter on", e.name)
            } else {
                format!(
                    "{} has no argument '{arg}'; its arguments: {}",
                    e.name,
                    e.args.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
                )
            });
        };
        let a = &e.args[index];
        return match a.kind {
            ArgKind::Str => str_test(StrSource::Arg(index), op, raw),
            ArgKind::I32 | ArgKind::U32 | ArgKind::I64 | ArgKind::U64 | ArgKind::Ptr => {
                num_test(NumSource::Arg(index, a.kind), op, raw)
                    .map_err(|m| format!("{}.data.{arg}: {m}", e.name))
            }
            // Tracee's bool filters: true, false (or 1, 0)
            ArgKind::Bool => {
                let raw = raw.replace("true", "1").replace("false", "0");
                num_test(NumSource::Arg(index, ArgKind::U32), op, &raw)
                    .map_err(|m| format!("{}.data.{arg}: {m} (true or false)", e.name))
            }
            _ => Err(format!(
                "{}'s argument {arg} ({}) cannot be filtered; numbers and strings can",
                e.name, a.ty
            )),
        };
    }
    if field == "retval" {
        return num_test(NumSource::Retval, op, raw).map_err(|m| format!("retval: {m}"));
    }
    // Tracee's event filters name context fields as scope.x or context.x
    let ctx = field
        .strip_prefix("scope.")
        .or_else(|| field.strip_prefix("context."))
        .unwrap_or(field);
    match CTX_FIELDS.iter().find(|(n, _)| *n == ctx) {
        Some((_, CtxField::Comm)) => str_test(StrSource::Comm, op, raw),
        Some((_, CtxField::Container)) => {
            let raw = match raw {
                "true" => "1",
                "false" => "0",
                _ => return Err(format!("{ctx}: true or false, not '{raw}'")),
            };
            num_test(NumSource::Ctx(CtxField::Container), op, raw)
                .map_err(|m| format!("{ctx}: {m}"))
        }
        Some((_, f)) if is_container_field(*f) => str_test(StrSource::Container(*f), op, raw),
        Some((_, f)) => num_test(NumSource::Ctx(*f), op, raw).map_err(|m| format!("{ctx}: {m}")),
        None => {
            let mut known: Vec<String> = vec!["retval".into()];
            known.extend(e.args.iter().map(|a| format!("data.{}", a.name)));
            known.extend(CTX_FIELDS.iter().map(|(n, _)| n.to_string()));
            Err(format!(
                "unknown filter field '{field}'; did you mean {}?",
                closest(field, known.iter().map(String::as_str))
            ))
        }
    }
}

/// The rules' filters, by event id: (policy bit, tests), run on the poll
/// thread. Indexed by id: every record asks whether its event is filtered.
#[derive(Debug, Clone, Default)]
pub struct EventFilters {
    by_event: Vec<Vec<(u64, Vec<Test>)>>,
}

impl EventFilters {
    pub(super) fn add(&mut self, id: u32, bit: u64, tests: Vec<Test>) {
        let id = id as usize;
        if self.by_event.len() <= id {
            self.by_event.resize_with(id + 1, Vec::new);
        }
        self.by_event[id].push((bit, tests));
    }

    /// The same filters with each policy's bit `i` moved to `to[i]`
    /// (policy/slots.rs).
    pub(super) fn moved(self, to: &[usize]) -> EventFilters {
        EventFilters {
            by_event: self
                .by_event
                .into_iter()
                .map(|rules| {
                    rules
                        .into_iter()
                        .map(|(bit, tests)| (super::slots::move_bits(bit, to), tests))
                        .collect()
                })
                .collect(),
        }
    }

    /// Whether any record of event `id` is filtered here.
    pub fn filters(&self, id: u32) -> bool {
        self.by_event
            .get(id as usize)
            .is_some_and(|r| !r.is_empty())
    }

    /// The policies of `matched` whose filters the record passes; `c`:
    /// the record's container (by its cgroupId), None outside containers.
    pub fn apply(&self, e: &Event, matched: u64, c: Option<&Container>) -> u64 {
        let Some(rules) = self.by_event.get(e.header.event_id as usize) else {
            return matched;
        };
        let mut out = matched;
        for (bit, tests) in rules {
            if out & bit != 0 && !tests.iter().all(|t| passes(t, e, c)) {
                out &= !bit;
            }
        }
        out
    }
}

/// A container field other than `container` itself: compared as strings.
fn is_container_field(f: CtxField) -> bool {
    matches!(
        f,
        CtxField::ContainerId
            | CtxField::ContainerImage
            | CtxField::ContainerImageDigest
            | CtxField::ContainerName
            | CtxField::PodName
            | CtxField::PodNamespace
            | CtxField::PodUid
    )
}

/// Container field `f` of `c` ('' outside containers).
fn container_field(c: Option<&Container>, f: CtxField) -> &str {
    let Some(c) = c else { return "" };
    match f {
        CtxField::ContainerId => &c.id,
        CtxField::ContainerImage => &c.image,
        CtxField::ContainerImageDigest => &c.image_digest,
        CtxField::ContainerName => &c.name,
        CtxField::PodName => &c.pod_name,
        CtxField::PodNamespace => &c.pod_namespace,
        CtxField::PodUid => &c.pod_uid,
        _ => "",
    }
}

fn passes(t: &Test, e: &Event, c: Option<&Container>) -> bool {
    match t {
        Test::Num { what, op, values } => {
            let h = &e.header;
            let v: i128 = match *what {
                NumSource::Retval => i128::from(h.return_value),
                NumSource::Arg(i, kind) => {
                    // an argument past the record's that was not captured
                    // (sched_process_exec's interpreter_*, absent for a
                    // static program) matches no filter
                    let Some(raw) = e.int_arg(i) else {
                        return false;
                    };
                    match kind {
                        ArgKind::I32 => i128::from(raw as u32 as i32),
                        ArgKind::U32 => i128::from(raw as u32),
                        ArgKind::I64 => i128::from(raw as i64),
                        _ => i128::from(raw),
                    }
                }
                NumSource::Ctx(f) => i128::from(match f {
                    CtxField::Pid => u64::from(h.process_id),
                    CtxField::Tid => u64::from(h.thread_id),
                    CtxField::Ppid => u64::from(h.parent_process_id),
                    CtxField::HostPid => u64::from(h.host_process_id),
                    CtxField::HostTid => u64::from(h.host_thread_id),
                    CtxField::HostPpid => u64::from(h.host_parent_process_id),
                    CtxField::Uid => u64::from(h.user_id),
                    CtxField::Gid => u64::from(h.group_id),
                    CtxField::Mntns => u64::from(h.mount_namespace),
                    CtxField::Pidns => u64::from(h.pid_namespace),
                    CtxField::CgroupId => h.cgroup_id,
                    CtxField::Container => u64::from(c.is_some()),
                    _ => 0,
                }),
            };
            match op {
                Op::Eq => values.contains(&v),
                Op::Ne => !values.contains(&v),
                Op::Lt => v < values[0],
                Op::Gt => v > values[0],
                Op::Le => v <= values[0],
                Op::Ge => v >= values[0],
            }
        }
        Test::Str {
            what,
            negate,
            patterns,
        } => {
            let comm;
            let s = match what {
                StrSource::Arg(i) => e.string_arg(*i as u8).unwrap_or(""),
                StrSource::Container(f) => container_field(c, *f),
                StrSource::Comm => {
                    comm = e.process_name();
                    comm.as_str()
                }
            };
            patterns.iter().any(|p| p.matches(s)) != *negate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::types;
    use crate::catalog;

    #[test]
    fn container_filters_test_the_records_container() {
        let openat = catalog::by_name("openat").unwrap();
        let mut f = EventFilters::default();
        let test = |expr| parse_event_filter(openat, expr).unwrap();
        f.add(openat.id, 0b001, vec![test("context.container=true")]);
        f.add(
            openat.id,
            0b010,
            vec![
                test("containerImage=busybox*"),
                test("podNamespace!=kube-system"),
            ],
        );
        f.add(openat.id, 0b100, vec![test("container=false")]);
        let mut ev = types::event::default();
        ev.header.event_id = openat.id;
        let (event, _) = crate::record::decode(&crate::record::build(ev, &[]).unwrap()).unwrap();
        let c = Container {
            id: "abc".into(),
            image: "busybox:1".into(),
            pod_namespace: "shop".into(),
            ..Container::default()
        };
        assert_eq!(f.apply(&event, 0b111, Some(&c)), 0b011);
        assert_eq!(f.apply(&event, 0b111, None), 0b100);
        assert_eq!(
            parse_event_filter(openat, "container=yes").unwrap_err(),
            "container: true or false, not 'yes'"
        );
    }
}
