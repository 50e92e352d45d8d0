//! Policies: which events to trace, for which processes, with which
//! filters, in Tracee's grammar (docs: README "Choosing what to trace").
//!
//! A policy is a name, a scope (`comm=cat`, `uid>=1000`, `tree=1`,
//! `follow`, ...) and rules (an event and its filters: `data.pathname=/etc/*`,
//! `retval<0`, `comm=cat`). [`compile`] checks them and splits the work:
//! - the kernel gets, per event, the bitmap of the policies that select it,
//!   and each policy's scope (struct scope_config and the scope_* maps of
//!   bpf/tracee.h), so an event no policy wants in this task's scope stops
//!   there;
//! - the rules' filters run on the poll thread ([`EventFilters`]), before a
//!   record is handed to the consumer; each record leaves with the bitmap of
//!   the policies it matched (`matched_policies`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::bpf::types;
use crate::catalog::{self, ArgKind, EventDef};
use crate::record::Event;
use crate::ErrorCode;

/// Policies loaded at once: one bit each in the kernel's bitmaps.
pub const MAX_POLICIES: usize = types::tracee_limits::MAX_POLICIES.0 as usize;
const EXE_LEN: usize = types::tracee_limits::SCOPE_EXE_LEN.0 as usize;
const UTS_LEN: usize = types::tracee_limits::SCOPE_UTS_LEN.0 as usize;
const COMM_LEN: usize = 16;

/// One policy, as written (Tracee's strings, unparsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    /// Scope filters, ANDed; `global` for every process.
    pub scope: Vec<String>,
    pub rules: Vec<Rule>,
}

/// An event (or set, or `open*` pattern) and the filters its records must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub event: String,
    pub filters: Vec<String>,
}

impl Policy {
    /// The policy of a plain event list: every process, no filters. Named
    /// "" as Tracee names the policy its --scope/--events flags make.
    pub fn from_events<S: AsRef<str>>(events: &[S]) -> Policy {
        Policy {
            name: String::new(),
            scope: vec!["global".into()],
            rules: events
                .iter()
                .map(|e| Rule {
                    event: e.as_ref().to_string(),
                    filters: vec![],
                })
                .collect(),
        }
    }
}

/// What is wrong with a policy, and where: `path` points into the policy
/// as JSON does (`/scope/0`, `/rules/2/filters/1`), so a file loader can
/// show the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyIssue {
    /// Index of the policy in the list given.
    pub policy: usize,
    pub name: String,
    pub path: String,
    pub message: String,
    /// [`ErrorCode::UnknownEvent`] for an unknown event name,
    /// [`ErrorCode::Policy`] otherwise.
    pub code: ErrorCode,
}

impl std::fmt::Display for PolicyIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the policy of --scope/--events is unnamed, as in Tracee: its
        // problems read as the flags' own
        if self.name.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "policy '{}': {}", self.name, self.message)
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
        }
    }
}

/// `field op values` → (field, op, values); None if there is no operator.
fn split_expr(expr: &str) -> Option<(&str, Op, &str)> {
    let at = expr.find(['=', '!', '<', '>'])?;
    let (field, rest) = expr.split_at(at);
    let (op, len) = match rest.as_bytes() {
        [b'!', b'=', ..] => (Op::Ne, 2),
        [b'<', b'=', ..] => (Op::Le, 2),
        [b'>', b'=', ..] => (Op::Ge, 2),
        [b'=', ..] => (Op::Eq, 1),
        [b'<', ..] => (Op::Lt, 1),
        [b'>', ..] => (Op::Gt, 1),
        _ => return None,
    };
    Some((field.trim(), op, rest[len..].trim()))
}

fn values(raw: &str) -> Vec<&str> {
    raw.split(',').map(str::trim).collect()
}

fn parse_int(v: &str) -> Result<i128, String> {
    let (neg, digits) = match v.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, v),
    };
    let parsed = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse::<u64>(),
    };
    match parsed {
        Ok(n) if neg => Ok(-(n as i128)),
        Ok(n) => Ok(n as i128),
        Err(_) => Err(format!("'{v}' is not a number")),
    }
}

/// A value matched by = / != on strings: exact, `x*`, `*x`, `*x*`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl Pattern {
    fn parse(v: &str) -> Result<Pattern, String> {
        let (starts, ends) = (v.starts_with('*'), v.len() > 1 && v.ends_with('*'));
        let inner = v.trim_start_matches('*').trim_end_matches('*');
        if inner.contains('*') {
            return Err(format!(
                "'{v}': * may only start or end a pattern (x*, *x, *x*)"
            ));
        }
        Ok(match (starts, ends) {
            (false, false) => Pattern::Exact(v.to_string()),
            (false, true) => Pattern::Prefix(inner.to_string()),
            (true, false) => Pattern::Suffix(inner.to_string()),
            (true, true) => Pattern::Contains(inner.to_string()),
        })
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Exact(p) => s == p,
            Pattern::Prefix(p) => s.starts_with(p.as_str()),
            Pattern::Suffix(p) => s.ends_with(p.as_str()),
            Pattern::Contains(p) => s.contains(p.as_str()),
        }
    }
}

/// The scope fields of Tracee's --scope, and how each is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeField {
    Uid,
    Pid,
    Tid,
    Cgroup,
    Mntns,
    Pidns,
    Tree,
    Uts,
    Comm,
    Executable,
}

impl ScopeField {
    /// Whether it takes `<`, `>`, `<=`, `>=` besides `=` and `!=`.
    fn ranged(self) -> bool {
        matches!(self, ScopeField::Uid | ScopeField::Pid)
    }
}

/// Each scope field: its names (the first is the one help shows, the others
/// Tracee's aliases), the field, and the value to show in help ("" where
/// the field's name says it). The one list the parser, its suggestions and
/// [`scope_syntax`] read.
const SCOPE_FIELDS: &[(&[&str], ScopeField, &str)] = &[
    (&["comm"], ScopeField::Comm, ""),
    (&["pid"], ScopeField::Pid, ""),
    // tid and cgroup: not in Tracee's --scope, known at the hook all the same
    (&["tid"], ScopeField::Tid, ""),
    (&["uid"], ScopeField::Uid, ""),
    (&["cgroup", "cgroupId"], ScopeField::Cgroup, ""),
    (&["mntns"], ScopeField::Mntns, ""),
    (&["pidns"], ScopeField::Pidns, ""),
    (&["uts"], ScopeField::Uts, ""),
    (&["tree"], ScopeField::Tree, "PID"),
    (
        &["executable", "exec", "binary", "bin"],
        ScopeField::Executable,
        "PATH",
    ),
];
/// The scope filters without a value.
const SCOPE_WORDS: &[&str] = &["global", "container", "not-container", "follow"];

/// The field a scope filter names, by any of its names.
fn scope_field(name: &str) -> Option<ScopeField> {
    SCOPE_FIELDS
        .iter()
        .find(|(names, _, _)| names.contains(&name))
        .map(|(_, f, _)| *f)
}

/// Every name a scope filter may start with: fields (and their aliases)
/// and the filters without a value.
fn scope_names() -> impl Iterator<Item = &'static str> {
    SCOPE_FIELDS
        .iter()
        .flat_map(|(names, _, _)| names.iter().copied())
        .chain(SCOPE_WORDS.iter().copied())
}

/// How each scope filter is written, one entry each, for help texts:
/// `comm=`, `pid=/pid>=` (the fields that take ranges), `tree=PID`, then
/// `global`, `container`, `not-container`, `follow`.
pub fn scope_syntax() -> Vec<String> {
    SCOPE_FIELDS
        .iter()
        .map(|(names, field, value)| {
            let name = names[0];
            if field.ranged() {
                format!("{name}={value}/{name}>={value}")
            } else {
                format!("{name}={value}")
            }
        })
        .chain(SCOPE_WORDS.iter().map(|w| w.to_string()))
        .collect()
}

/// A numeric context field of a record, for per-event scope filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CtxField {
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
];

/// One test a record must pass, on the poll thread.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
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
enum NumSource {
    Arg(usize, ArgKind),
    Retval,
    Ctx(CtxField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrSource {
    Arg(usize),
    Comm,
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

/// The three nearest of `candidates`, for "did you mean".
fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    catalog::nearest(name, candidates, 3, usize::MAX).join(", ")
}

/// Parses one rule filter of event `e` (data.x, args.x, retval, scope fields).
fn parse_event_filter(e: &EventDef, expr: &str) -> Result<Test, String> {
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
            _ => Err(format!(
                "{}'s argument {arg} ({}) cannot be filtered; numbers and strings can",
                e.name, a.ty
            )),
        };
    }
    if field == "retval" {
        return num_test(NumSource::Retval, op, raw).map_err(|m| format!("retval: {m}"));
    }
    let ctx = field.strip_prefix("scope.").unwrap_or(field);
    match CTX_FIELDS.iter().find(|(n, _)| *n == ctx) {
        Some((_, CtxField::Comm)) => str_test(StrSource::Comm, op, raw),
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

// ---------------------------------------------------------------------------
// Compiled policies

/// One policy's scope, parsed.
#[derive(Debug, Default, Clone)]
struct Scope {
    global: bool,
    follow: bool,
    /// Some(true): container; Some(false): not-container.
    container: Option<bool>,
    /// Per field: negated (!=) and the values listed.
    lists: Vec<(ScopeField, bool, Vec<String>)>,
    uid_range: Option<(u64, u64)>,
    pid_range: Option<(u64, u64)>,
}

fn parse_scope(exprs: &[String]) -> Result<Scope, (usize, String)> {
    let mut s = Scope::default();
    if exprs.is_empty() {
        return Err((usize::MAX, "the scope is empty; write `global` to trace every process, or name the processes (comm=, pid=, uid=, ...)".into()));
    }
    for (i, expr) in exprs.iter().enumerate() {
        let expr = expr.trim();
        let err = |m: String| (i, m);
        match expr {
            "" => {
                return Err(err(
                    "an empty scope filter; remove it, or write one such as comm=cat".into(),
                ))
            }
            "global" => s.global = true,
            "follow" => s.follow = true,
            "container" | "not-container" => {
                let want = expr == "container";
                if s.container.is_some_and(|c| c != want) {
                    return Err(err(
                        "container and not-container in one scope match nothing".into(),
                    ));
                }
                s.container = Some(want);
            }
            _ => {
                let Some((field, op, raw)) = split_expr(expr) else {
                    return Err(err(format!(
                        "unknown scope '{expr}'; did you mean {}?",
                        closest(expr, scope_names())
                    )));
                };
                if field == "container" {
                    return Err(err(format!("'{expr}': containers are selected by `container` or `not-container` only (by id, or `new`, is not supported)")));
                }
                let Some(f) = scope_field(field) else {
                    return Err(err(format!(
                        "unknown scope field '{field}'; did you mean {}?",
                        closest(field, scope_names())
                    )));
                };
                if raw.is_empty() {
                    return Err(err(format!("'{expr}' has no value after {}", op.text())));
                }
                let ranged = f.ranged();
                match op {
                    Op::Eq | Op::Ne => {}
                    _ if ranged => {
                        let v = values(raw);
                        if v.len() > 1 {
                            return Err(err(format!(
                                "'{expr}': {} takes one value, not a list",
                                op.text()
                            )));
                        }
                        let n = parse_int(v[0]).ok().filter(|n| (0..=u32::MAX as i128).contains(n)).ok_or_else(|| {
                            err(format!("'{expr}': '{}' is not a {field} (a number from 0 to 4294967295)", v[0]))
                        })? as u64;
                        let slot = if f == ScopeField::Uid {
                            &mut s.uid_range
                        } else {
                            &mut s.pid_range
                        };
                        let (mut lo, mut hi) = slot.unwrap_or((0, u64::from(u32::MAX)));
                        match op {
                            Op::Gt => lo = lo.max(n + 1),
                            Op::Ge => lo = lo.max(n),
                            Op::Lt if n == 0 => {
                                return Err(err(format!("'{expr}' matches nothing")))
                            }
                            Op::Lt => hi = hi.min(n - 1),
                            _ => hi = hi.min(n),
                        }
                        if lo > hi {
                            return Err(err(format!(
                                "'{expr}' leaves no {field} in range with the filters before it"
                            )));
                        }
                        *slot = Some((lo, hi));
                        continue;
                    }
                    _ => {
                        return Err(err(format!(
                            "'{expr}': {field} supports = and != only, not {}",
                            op.text()
                        )))
                    }
                }
                let negate = op == Op::Ne;
                let mut vals = Vec::new();
                for v in values(raw) {
                    if v.is_empty() {
                        return Err(err(format!("'{expr}' has an empty value in its list")));
                    }
                    let number =
                        |max: u64| parse_int(v).is_ok_and(|n| (0..=i128::from(max)).contains(&n));
                    match f {
                        ScopeField::Uid | ScopeField::Pid | ScopeField::Tid | ScopeField::Tree
                            if !number(u32::MAX.into()) =>
                        {
                            return Err(err(format!(
                                "'{expr}': '{v}' is not a {field} (a number from 0 to 4294967295)"
                            )));
                        }
                        ScopeField::Cgroup if !number(u64::MAX) => {
                            return Err(err(format!("'{expr}': '{v}' is not a cgroup id (the inode number of its cgroup v2 directory, as events' cgroupId shows it)")));
                        }
                        ScopeField::Mntns | ScopeField::Pidns if !number(u32::MAX.into()) => {
                            return Err(err(format!("'{expr}': '{v}' is not a namespace id (the inode number of /proc/<pid>/ns/{field}, e.g. 4026531836)")));
                        }
                        ScopeField::Comm if v.len() >= COMM_LEN => {
                            return Err(err(format!("'{expr}': '{v}' is longer than a comm can be ({} characters, the kernel's TASK_COMM_LEN - 1), so it would never match", COMM_LEN - 1)));
                        }
                        ScopeField::Uts if v.len() >= UTS_LEN => {
                            return Err(err(format!(
                                "'{expr}': '{v}' is longer than a hostname can be ({} characters)",
                                UTS_LEN - 1
                            )));
                        }
                        ScopeField::Executable if !v.starts_with('/') => {
                            return Err(err(format!("'{expr}': '{v}' is not an absolute path; give the executable's absolute path, e.g. /usr/bin/cat (it matches however it is run: by a relative path, a link or a file descriptor)")));
                        }
                        ScopeField::Executable if v.len() >= EXE_LEN => {
                            return Err(err(format!("'{expr}': paths of up to {} bytes are compared in the kernel; '{v}' is longer", EXE_LEN - 1)));
                        }
                        _ => {}
                    }
                    if v.contains('*')
                        && matches!(
                            f,
                            ScopeField::Comm | ScopeField::Uts | ScopeField::Executable
                        )
                    {
                        return Err(err(format!("'{expr}': scope values are matched exactly in the kernel; for a pattern use an event filter, e.g. --events openat.scope.comm=ca*")));
                    }
                    vals.push(v.to_string());
                }
                match s.lists.iter_mut().find(|(g, _, _)| *g == f) {
                    Some((_, n, list)) if *n == negate => list.extend(vals),
                    Some(_) => {
                        return Err(err(format!("'{expr}': {field}= and {field}!= in one scope; use one of them (values in one filter are ORed: {field}=a,b)")));
                    }
                    None => s.lists.push((f, negate, vals)),
                }
            }
        }
    }
    let filtered = s.follow
        || s.container.is_some()
        || !s.lists.is_empty()
        || s.uid_range.is_some()
        || s.pid_range.is_some();
    if s.global && filtered {
        let at = exprs.iter().position(|e| e.trim() == "global").unwrap_or(0);
        return Err((
            at,
            "global means every process; it cannot be combined with other scope filters".into(),
        ));
    }
    if s.follow
        && !(s.container.is_some()
            || !s.lists.is_empty()
            || s.uid_range.is_some()
            || s.pid_range.is_some())
    {
        let at = exprs.iter().position(|e| e.trim() == "follow").unwrap_or(0);
        return Err((
            at,
            "follow needs a scope filter to follow from, e.g. comm=bash follow".into(),
        ));
    }
    Ok(s)
}

/// [`parse_scope`], every problem: each filter in error is reported and
/// left out, and the rest parsed again, so one bad value does not hide the
/// next (`[comm=a, bogus=1, pid=x]`: two). Not reported after that: the
/// scope's emptiness and `follow` without a filter, which only the filters
/// left out caused. Errors in the order of the filters.
fn parse_scope_all(exprs: &[String]) -> Result<Scope, Vec<(usize, String)>> {
    let mut errors: Vec<(usize, String)> = Vec::new();
    // indices into `exprs` of the filters still parsed
    let mut kept: Vec<usize> = (0..exprs.len()).collect();
    loop {
        let rest: Vec<String> = kept.iter().map(|&i| exprs[i].clone()).collect();
        match parse_scope(&rest) {
            Ok(s) if errors.is_empty() => return Ok(s),
            Ok(_) => break,
            // caused by the filters left out, not written so
            Err((i, _))
                if !errors.is_empty() && (i == usize::MAX || rest[i].trim() == "follow") =>
            {
                break
            }
            Err((usize::MAX, m)) => {
                errors.push((usize::MAX, m));
                break;
            }
            Err((i, m)) => {
                errors.push((kept[i], m));
                kept.remove(i);
            }
        }
    }
    errors.sort_by_key(|(i, _)| *i);
    Err(errors)
}

/// Everything the kernel and the poll thread need to apply the policies.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Policy names, by bit.
    pub names: Vec<String>,
    /// Each selected event with the policies (bits) that select it.
    pub events: Vec<(&'static EventDef, u64)>,
    scopes: Vec<Scope>,
    pub filters: EventFilters,
}

/// The rules' filters, by event id: (policy bit, tests), run on the poll
/// thread. Indexed by id: every record asks whether its event is filtered.
#[derive(Debug, Clone, Default)]
pub struct EventFilters {
    by_event: Vec<Vec<(u64, Vec<Test>)>>,
}

/// Checks and compiles policies; every problem found, or the compiled form.
pub fn compile(policies: &[Policy]) -> Result<Compiled, Vec<PolicyIssue>> {
    let mut issues = Vec::new();
    if policies.is_empty() {
        issues.push(PolicyIssue {
            policy: 0,
            name: String::new(),
            path: String::new(),
            message: "no policies given".into(),
            code: ErrorCode::Policy,
        });
        return Err(issues);
    }
    if policies.len() > MAX_POLICIES {
        issues.push(PolicyIssue {
            policy: MAX_POLICIES,
            name: policies[MAX_POLICIES].name.clone(),
            path: String::new(),
            message: format!("{} policies given; at most {MAX_POLICIES} can be loaded at once (one bit each in the kernel's bitmaps, as in Tracee): merge some, or run a second tracer", policies.len()),
            code: ErrorCode::Policy,
        });
        return Err(issues);
    }
    let mut names: Vec<String> = Vec::new();
    let mut scopes = Vec::new();
    let mut events: BTreeMap<u32, (&'static EventDef, u64)> = BTreeMap::new();
    let mut filters = EventFilters::default();
    for (pi, p) in policies.iter().enumerate() {
        let issue = |path: String, message: String| {
            let code = if message.starts_with("unknown event") {
                ErrorCode::UnknownEvent
            } else {
                ErrorCode::Policy
            };
            PolicyIssue {
                policy: pi,
                name: p.name.clone(),
                path,
                message,
                code,
            }
        };
        if names.contains(&p.name) {
            issues.push(issue(
                "/name".into(),
                format!(
                    "the name '{}' is used by another policy; policy names must be unique",
                    p.name
                ),
            ));
        }
        names.push(p.name.clone());
        match parse_scope_all(&p.scope) {
            Ok(s) => scopes.push(s),
            Err(errors) => {
                for (i, m) in errors {
                    let path = if i == usize::MAX {
                        "/scope".into()
                    } else {
                        format!("/scope/{i}")
                    };
                    issues.push(issue(path, m));
                }
                scopes.push(Scope::default());
            }
        }
        if p.rules.is_empty() {
            issues.push(issue(
                "/rules".into(),
                "no rules: a policy needs at least one event (rules: - event: openat)".into(),
            ));
        }
        let bit = 1u64 << pi.min(63);
        // events named outright win over the same event reached through a
        // set or pattern; an event named twice is an error (Tracee's rule)
        let mut explicit: HashMap<u32, usize> = HashMap::new();
        let mut selected: BTreeMap<u32, (&'static EventDef, Option<usize>)> = BTreeMap::new();
        let mut excluded = Vec::new();
        for (ri, rule) in p.rules.iter().enumerate() {
            let name = rule.event.trim();
            if let Some(ex) = name.strip_prefix('-') {
                match catalog::resolve_one(ex) {
                    Ok(list) => excluded.extend(list.iter().map(|e| e.id)),
                    Err(m) => issues.push(issue(format!("/rules/{ri}/event"), m)),
                }
                continue;
            }
            let list = match catalog::resolve_one(name) {
                Ok(list) => list,
                Err(m) => {
                    issues.push(issue(format!("/rules/{ri}/event"), m));
                    continue;
                }
            };
            let single = list.len() == 1 && list[0].name == name;
            if single {
                if let Some(prev) = explicit.insert(list[0].id, ri) {
                    issues.push(issue(
                        format!("/rules/{ri}/event"),
                        format!("event {name} appears twice (rules {prev} and {ri}); an event may appear once per policy: merge their filters"),
                    ));
                    continue;
                }
            } else if !rule.filters.is_empty() {
                issues.push(issue(
                    format!("/rules/{ri}/event"),
                    format!("'{name}' selects {} events; filters need a rule of one event (event: openat)", list.len()),
                ));
                continue;
            }
            for e in list {
                let entry = selected.entry(e.id).or_insert((e, None));
                if single {
                    entry.1 = Some(ri);
                }
            }
        }
        for id in excluded {
            selected.remove(&id);
        }
        if selected.is_empty() && !p.rules.is_empty() && issues.iter().all(|i| i.policy != pi) {
            issues.push(issue(
                "/rules".into(),
                "its rules select no events (everything named is excluded)".into(),
            ));
        }
        for (id, (e, rule)) in selected {
            events.entry(id).or_insert((e, 0)).1 |= bit;
            let Some(ri) = rule else { continue };
            let mut tests = Vec::new();
            for (fi, f) in p.rules[ri].filters.iter().enumerate() {
                match parse_event_filter(e, f.trim()) {
                    Ok(t) => tests.push(t),
                    Err(m) => issues.push(issue(format!("/rules/{ri}/filters/{fi}"), m)),
                }
            }
            if !tests.is_empty() {
                filters.add(id, bit, tests);
            }
        }
    }
    // the scope maps' sizes (bpf/tracee.h)
    let (nums_max, strs_max) = (
        types::tracee_limits::SCOPE_NUMS_MAX.0 as usize,
        types::tracee_limits::SCOPE_STRS_MAX.0 as usize,
    );
    let count = |pick: &dyn Fn(ScopeField) -> bool| -> usize {
        scopes
            .iter()
            .flat_map(|s| &s.lists)
            .filter(|(f, _, _)| pick(*f))
            .map(|(_, _, v)| v.len())
            .sum()
    };
    // an executable is also a number: its device and inode
    let nums = count(&|f| {
        matches!(
            f,
            ScopeField::Uid
                | ScopeField::Pid
                | ScopeField::Tid
                | ScopeField::Cgroup
                | ScopeField::Mntns
                | ScopeField::Pidns
                | ScopeField::Executable
        )
    });
    // an executable takes up to 2 keys: the path given, and its real path
    let strs = count(&|f| f == ScopeField::Comm)
        .max(count(&|f| f == ScopeField::Uts))
        .max(2 * count(&|f| f == ScopeField::Executable));
    if nums > nums_max || strs > strs_max {
        issues.push(PolicyIssue {
            policy: 0,
            name: policies[0].name.clone(),
            path: "/scope".into(),
            message: format!("the scopes list {nums} numbers and up to {strs} strings of one field; the kernel's maps hold {nums_max} and {strs_max}: list fewer values"),
            code: ErrorCode::Policy,
        });
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Compiled {
        names,
        events: events.into_values().collect(),
        scopes,
        filters,
    })
}

impl EventFilters {
    fn add(&mut self, id: u32, bit: u64, tests: Vec<Test>) {
        let id = id as usize;
        if self.by_event.len() <= id {
            self.by_event.resize_with(id + 1, Vec::new);
        }
        self.by_event[id].push((bit, tests));
    }

    /// Whether any record of event `id` is filtered here.
    pub fn filters(&self, id: u32) -> bool {
        self.by_event
            .get(id as usize)
            .is_some_and(|r| !r.is_empty())
    }

    /// The policies of `matched` whose filters the record passes.
    pub fn apply(&self, e: &Event, matched: u64) -> u64 {
        let Some(rules) = self.by_event.get(e.header.event_id as usize) else {
            return matched;
        };
        let mut out = matched;
        for (bit, tests) in rules {
            if out & bit != 0 && !tests.iter().all(|t| passes(t, e)) {
                out &= !bit;
            }
        }
        out
    }
}

fn passes(t: &Test, e: &Event) -> bool {
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
                    CtxField::Comm => 0,
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
                StrSource::Comm => {
                    comm = e.process_name();
                    comm.as_str()
                }
            };
            patterns.iter().any(|p| p.matches(s)) != *negate
        }
    }
}

// ---------------------------------------------------------------------------
// Into the kernel

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
    /// `legacy_scope` map at key 0.
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

impl Compiled {
    /// The scope configuration for the kernel (struct scope_config and the
    /// scope_* maps), with /proc read for trees and executables of running
    /// processes.
    pub(crate) fn kernel_scope(&self) -> KernelScope {
        use types::scope_field as F;
        let mut k = KernelScope::default();
        let c = &mut k.config;
        let mut tree_roots: Vec<(u32, u64)> = Vec::new();
        let mut exe_paths: Vec<ExecutableScope> = Vec::new();
        for (i, s) in self.scopes.iter().enumerate() {
            let bit = 1u64 << i;
            if s.global {
                continue;
            }
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
                let kf = match f {
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
                };
                c.fields[kf.0 as usize] |= bit;
                if *negate {
                    c.negated[kf.0 as usize] |= bit;
                }
                for v in vals {
                    match f {
                        ScopeField::Uid
                        | ScopeField::Pid
                        | ScopeField::Tid
                        | ScopeField::Cgroup
                        | ScopeField::Mntns
                        | ScopeField::Pidns => {
                            let n = parse_int(v).unwrap_or_default() as u64;
                            *k.nums.entry((kf.0, 0, n)).or_default() |= bit;
                        }
                        ScopeField::Tree => {
                            tree_roots.push((parse_int(v).unwrap_or_default() as u32, bit))
                        }
                        ScopeField::Comm => {
                            let mut key = [0u8; COMM_LEN];
                            key[..v.len()].copy_from_slice(v.as_bytes());
                            *k.comms.entry(key).or_default() |= bit;
                        }
                        ScopeField::Uts => *k.utss.entry(padded(v, UTS_LEN)).or_default() |= bit,
                        ScopeField::Executable => {
                            // by path: the kernel side compares the file's
                            // absolute path, links resolved; and by identity,
                            // for a path that cannot be trusted (another
                            // mount of the same file, a chroot)
                            let real =
                                std::fs::canonicalize(v).unwrap_or_else(|_| PathBuf::from(v));
                            for path in [Path::new(v), real.as_path()] {
                                if let Some(s) = path.to_str().filter(|s| s.len() < EXE_LEN) {
                                    *k.exes.entry(padded(s, EXE_LEN)).or_default() |= bit;
                                }
                            }
                            let id = file_id(Path::new(v));
                            if let Some((dev, ino)) = id {
                                *k.nums.entry((kf.0, dev, ino)).or_default() |= bit;
                            }
                            exe_paths.push((real, id, bit));
                        }
                    }
                }
            }
        }
        // few comm values: compared in place (scope_config.comm_words)
        let inline = types::tracee_limits::SCOPE_COMM_INLINE.0 as usize;
        if !k.comms.is_empty() && k.comms.len() <= inline {
            c.comm_inline = k.comms.len() as u64;
            for (i, (key, bits)) in k.comms.iter().enumerate() {
                c.comm_words[i] = [
                    u64::from_ne_bytes(key[..8].try_into().expect("8")),
                    u64::from_ne_bytes(key[8..].try_into().expect("8")),
                ];
                c.comm_policies[i] = *bits;
            }
        }
        k.needs_fork =
            c.fields[F::SCOPE_TREE.0 as usize] | c.fields[F::SCOPE_EXE.0 as usize] | c.follow != 0;
        k.needs_exec = c.fields[F::SCOPE_EXE.0 as usize] != 0;
        if !tree_roots.is_empty() || !exe_paths.is_empty() {
            k.procs = seed_processes(&tree_roots, &exe_paths);
        }
        k
    }

    /// The scopes as the loader writes them ([`ScopeImage`]), /proc read
    /// now.
    #[doc(hidden)]
    pub fn scope_image(&self) -> ScopeImage {
        let k = self.kernel_scope();
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
pub(crate) fn file_id(path: &Path) -> Option<(u32, u64)> {
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
    use super::*;

    fn policy(scope: &[&str], rules: &[(&str, &[&str])]) -> Policy {
        Policy {
            name: "p".into(),
            scope: scope.iter().map(|s| s.to_string()).collect(),
            rules: rules
                .iter()
                .map(|(e, f)| Rule {
                    event: e.to_string(),
                    filters: f.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn first_issue(p: Policy) -> String {
        compile(&[p]).expect_err("an issue")[0].message.clone()
    }

    #[test]
    fn scope_errors_name_the_cause() {
        assert!(first_issue(policy(&["cmm=cat"], &[("openat", &[])])).contains("did you mean comm"));
        assert!(first_issue(policy(&["comm>cat"], &[("openat", &[])]))
            .contains("supports = and != only"));
        assert!(
            first_issue(policy(&["pid=abc"], &[("openat", &[])])).contains("'abc' is not a pid")
        );
        assert!(first_issue(policy(&[], &[("openat", &[])])).contains("the scope is empty"));
        assert!(
            first_issue(policy(&["comm=a", "comm!=b"], &[("openat", &[])]))
                .contains("comm= and comm!= in one scope")
        );
        assert!(
            first_issue(policy(&["uid>10", "uid<5"], &[("openat", &[])])).contains("leaves no uid")
        );
        assert!(
            first_issue(policy(&["global", "comm=a"], &[("openat", &[])]))
                .contains("cannot be combined")
        );
    }

    #[test]
    fn the_scope_syntax_is_what_the_parser_takes() {
        let syntax = scope_syntax();
        // Tracee's fields, tid and cgroup (ours), and the flags
        for form in [
            "comm=",
            "pid=/pid>=",
            "tid=",
            "cgroup=",
            "tree=PID",
            "executable=PATH",
        ] {
            assert!(syntax.iter().any(|s| s == form), "{form} in {syntax:?}");
        }
        assert!(
            syntax.ends_with(&["global", "container", "not-container", "follow"].map(String::from))
        );
        // each form, its placeholder given a value, compiles as a scope of its own
        for form in &syntax {
            let example = match form.split_once('/') {
                Some((eq, _)) => eq.to_string(),
                None => form.clone(),
            };
            let example = example
                .replace("=PID", "=1")
                .replace("=PATH", "=/usr/bin/cat");
            let example = if example.ends_with('=') {
                format!("{example}1")
            } else {
                example
            };
            let scope: Vec<&str> = if example == "follow" {
                vec!["comm=bash", "follow"]
            } else {
                vec![example.as_str()]
            };
            let issues = compile(&[policy(&scope, &[("openat", &[])])]).err();
            assert!(issues.is_none(), "{form}: {issues:?}");
        }
        // and a range where it says so
        assert!(compile(&[policy(&["pid>=1"], &[("openat", &[])])]).is_ok());
        assert!(
            first_issue(policy(&["tid>=1"], &[("openat", &[])])).contains("supports = and != only")
        );
    }

    #[test]
    fn rule_errors_name_the_cause() {
        assert!(first_issue(policy(&["global"], &[("opnat", &[])])).contains("openat"));
        assert!(
            first_issue(policy(&["global"], &[("openat", &[]), ("openat", &[])]))
                .contains("appears twice")
        );
        assert!(
            first_issue(policy(&["global"], &[("openat", &["data.pathnme=/x"])]))
                .contains("has no argument 'pathnme'")
        );
        assert!(
            first_issue(policy(&["global"], &[("openat", &["retval<x"])]))
                .contains("'x' is not a number")
        );
        assert!(
            first_issue(policy(&["global"], &[("openat", &["data.pathname>/x"])]))
                .contains("= and != only")
        );
        assert!(first_issue(policy(&["global"], &[("fs", &["retval<0"])]))
            .contains("filters need a rule of one event"));
    }

    #[test]
    fn ranges_and_lists_reach_the_kernel_config() {
        let c = compile(&[policy(
            &["uid>=1000", "uid<2000", "comm=cat,ls"],
            &[("openat", &[])],
        )])
        .unwrap();
        let k = c.kernel_scope();
        assert_eq!((k.config.uid_min[0], k.config.uid_max[0]), (1000, 1999));
        assert_eq!(k.comms.len(), 2);
        assert_eq!(k.config.scoped, 1);
    }

    #[test]
    fn every_scope_problem_is_reported_once() {
        let issues = |scope: &[&str]| -> Vec<(String, String)> {
            compile(&[policy(scope, &[("openat", &[])])])
                .expect_err("issues")
                .into_iter()
                .map(|i| (i.path, i.message))
                .collect()
        };
        let bogus = format!(
            "unknown scope field 'bogus'; did you mean {}?",
            closest("bogus", scope_names())
        );
        assert_eq!(
            issues(&["comm=a", "bogus=1", "pid=x"]),
            [
                ("/scope/1".to_string(), bogus.clone()),
                (
                    "/scope/2".to_string(),
                    "'pid=x': 'x' is not a pid (a number from 0 to 4294967295)".to_string()
                ),
            ]
        );
        // a conflict between two good filters is still found past a bad one
        assert_eq!(
            issues(&["container", "bogus=1", "not-container"]),
            [
                ("/scope/1".to_string(), bogus.clone()),
                (
                    "/scope/2".to_string(),
                    "container and not-container in one scope match nothing".to_string()
                ),
            ]
        );
        // what only leaving the bad filter out causes is not reported
        assert_eq!(
            issues(&["bogus=1", "follow"]),
            [("/scope/0".to_string(), bogus.clone())]
        );
        assert_eq!(issues(&["bogus=1"]), [("/scope/0".to_string(), bogus)]);
        // written so: reported
        assert_eq!(
            issues(&["follow"]),
            [(
                "/scope/0".to_string(),
                "follow needs a scope filter to follow from, e.g. comm=bash follow".to_string()
            )]
        );
    }
}
