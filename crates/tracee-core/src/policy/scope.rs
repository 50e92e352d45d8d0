//! Scopes: which processes a policy traces, in Tracee's --scope grammar
//! (`comm=cat`, `uid>=1000`, `tree=1`, `container`, `follow`, ...), checked
//! and parsed into a [`Scope`] that the kernel compares at each hook
//! (bpf/lib/scope.h; written there by [`super::kernel_scope`]).

use super::expr::{closest, parse_int, split_expr, values, Op};
use super::{COMM_LEN, EXE_LEN, UTS_LEN};

/// The scope fields of Tracee's --scope, and how each is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScopeField {
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
/// `comm=`, `pid=/pid>=` (the fields that take ranges), `tree=PID`,
/// `container=new/container=ID`, then `global`, `container`,
/// `not-container`, `follow`.
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
        // by id (a running container's) or `new` (those started later)
        .chain(std::iter::once("container=new/container=ID".to_string()))
        .chain(SCOPE_WORDS.iter().map(|w| w.to_string()))
        .collect()
}

/// One policy's scope, parsed.
#[derive(Debug, Default, Clone)]
pub(super) struct Scope {
    pub(super) global: bool,
    pub(super) follow: bool,
    /// Some(true): container; Some(false): not-container.
    pub(super) container: Option<bool>,
    /// `container=new`: in a container made after the trace started.
    pub(super) container_new: bool,
    /// `pid=new`: a process forked after the trace started.
    pub(super) pid_new: bool,
    /// `container=<id>` (false) or `container!=<id>` (true): full ids or
    /// prefixes of at least 12 hex digits (or LXC/nspawn names, whole),
    /// resolved against the running containers at start.
    pub(super) container_ids: Option<(bool, Vec<String>)>,
    /// Per field: negated (!=) and the values listed.
    pub(super) lists: Vec<(ScopeField, bool, Vec<String>)>,
    pub(super) uid_range: Option<(u64, u64)>,
    pub(super) pid_range: Option<(u64, u64)>,
}

/// Parses a policy's scope filters (ANDed) into a [`Scope`].
///
/// Errors: (index of the filter at fault, message); the index is
/// `usize::MAX` where the list as a whole is at fault (it is empty).
pub(super) fn parse_scope(exprs: &[String]) -> Result<Scope, (usize, String)> {
    let mut s = Scope::default();
    if exprs.is_empty() {
        return Err((usize::MAX, "the scope is empty; write `global` to trace every process, or name the processes (comm=, pid=, uid=, ...)".into()));
    }
    for (i, expr) in exprs.iter().enumerate() {
        s.add(expr.trim()).map_err(|m| (i, m))?;
    }
    s.check_combination(exprs)?;
    Ok(s)
}

/// [`parse_scope`], every problem: each filter in error is reported and
/// left out, and the rest parsed again, so one bad value does not hide the
/// next (`[comm=a, bogus=1, pid=x]`: two). Not reported after that: the
/// scope's emptiness and `follow` without a filter, which only the filters
/// left out caused. Errors in the order of the filters.
pub(super) fn parse_scope_all(exprs: &[String]) -> Result<Scope, Vec<(usize, String)>> {
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

impl Scope {
    /// Adds one scope filter: a word (`global`, `follow`, `container`,
    /// `not-container`) or `field op values`.
    fn add(&mut self, expr: &str) -> Result<(), String> {
        match expr {
            "" => Err("an empty scope filter; remove it, or write one such as comm=cat".into()),
            "global" => {
                self.global = true;
                Ok(())
            }
            "follow" => {
                self.follow = true;
                Ok(())
            }
            "container" => self.set_container(true),
            "not-container" => self.set_container(false),
            _ => self.add_field(expr),
        }
    }

    /// `container` (`inside`) or `not-container`: whether the task is in a
    /// container, as the kernel side tells one (bpf/lib/scope.h).
    fn set_container(&mut self, inside: bool) -> Result<(), String> {
        if self.container.is_some_and(|c| c != inside) {
            return Err("container and not-container in one scope match nothing".into());
        }
        self.container = Some(inside);
        Ok(())
    }

    /// `container=new`, `container=<id>,<id>`, `container!=<id>`: ids are
    /// the runtime's (`docker ps` shows the first 12 hex digits), whole or a
    /// prefix of at least [`CONTAINER_ID_PREFIX_MIN`] hex digits.
    fn add_container(&mut self, expr: &str, op: Op, raw: &str) -> Result<(), String> {
        if raw.is_empty() {
            return Err(format!("'{expr}' has no value after {}", op.text()));
        }
        if !matches!(op, Op::Eq | Op::Ne) {
            return Err(format!(
                "'{expr}': container supports = and != only, not {}",
                op.text()
            ));
        }
        let negate = op == Op::Ne;
        let mut ids = Vec::new();
        for v in values(raw) {
            if v == "new" {
                if negate {
                    return Err(format!("'{expr}': container!=new is not supported; write container=new, or not-container"));
                }
                self.container_new = true;
                continue;
            }
            check_container_id(v).map_err(|m| format!("'{expr}': {m}"))?;
            ids.push(v.to_string());
        }
        if ids.is_empty() {
            return Ok(());
        }
        match &mut self.container_ids {
            Some((n, list)) if *n == negate => list.extend(ids),
            Some(_) => {
                return Err(format!(
                    "'{expr}': container= and container!= in one scope; use one of them"
                ))
            }
            None => self.container_ids = Some((negate, ids)),
        }
        Ok(())
    }

    /// `field op values`: a list of values (`=`, `!=`) or, for the fields
    /// that take ranges (uid, pid), a bound (`<`, `>`, `<=`, `>=`).
    fn add_field(&mut self, expr: &str) -> Result<(), String> {
        let Some((field, op, raw)) = split_expr(expr) else {
            return Err(format!(
                "unknown scope '{expr}'; did you mean {}?",
                closest(expr, scope_names())
            ));
        };
        if field == "container" {
            return self.add_container(expr, op, raw);
        }
        // Tracee's pid=new: processes started after the trace
        if field == "pid" && raw == "new" {
            if op != Op::Eq {
                return Err(format!("'{expr}': new takes =, as pid=new"));
            }
            self.pid_new = true;
            return Ok(());
        }
        let Some(f) = scope_field(field) else {
            return Err(format!(
                "unknown scope field '{field}'; did you mean {}?",
                closest(field, scope_names())
            ));
        };
        if raw.is_empty() {
            return Err(format!("'{expr}' has no value after {}", op.text()));
        }
        match op {
            Op::Eq | Op::Ne => self.add_list(f, field, op == Op::Ne, expr, raw),
            _ if f.ranged() => self.narrow_range(f, field, op, expr, raw),
            _ => Err(format!(
                "'{expr}': {field} supports = and != only, not {}",
                op.text()
            )),
        }
    }

    /// `uid>=1000`, `pid<300`: narrows the field's range, [0, 2^32-1] at
    /// first, to the bound `op raw`; the bounds of a field are ANDed.
    fn narrow_range(
        &mut self,
        f: ScopeField,
        field: &str,
        op: Op,
        expr: &str,
        raw: &str,
    ) -> Result<(), String> {
        let v = values(raw);
        if v.len() > 1 {
            return Err(format!(
                "'{expr}': {} takes one value, not a list",
                op.text()
            ));
        }
        let n = parse_int(v[0])
            .ok()
            .filter(|n| (0..=u32::MAX as i128).contains(n))
            .ok_or_else(|| {
                format!(
                    "'{expr}': '{}' is not a {field} (a number from 0 to 4294967295)",
                    v[0]
                )
            })? as u64;
        let slot = if f == ScopeField::Uid {
            &mut self.uid_range
        } else {
            &mut self.pid_range
        };
        let (mut lo, mut hi) = slot.unwrap_or((0, u64::from(u32::MAX)));
        match op {
            Op::Gt => lo = lo.max(n + 1),
            Op::Ge => lo = lo.max(n),
            Op::Lt if n == 0 => return Err(format!("'{expr}' matches nothing")),
            Op::Lt => hi = hi.min(n - 1),
            _ => hi = hi.min(n),
        }
        if lo > hi {
            return Err(format!(
                "'{expr}' leaves no {field} in range with the filters before it"
            ));
        }
        *slot = Some((lo, hi));
        Ok(())
    }

    /// `field=a,b` (any of them) or `field!=a,b` (none of them): each value
    /// checked as the kernel will compare it ([`check_value`]) and added
    /// to the field's list; a field is listed with = or with != in one
    /// scope, not both.
    fn add_list(
        &mut self,
        f: ScopeField,
        field: &str,
        negate: bool,
        expr: &str,
        raw: &str,
    ) -> Result<(), String> {
        let mut vals = Vec::new();
        for v in values(raw) {
            if v.is_empty() {
                return Err(format!("'{expr}' has an empty value in its list"));
            }
            check_value(f, field, v).map_err(|m| format!("'{expr}': {m}"))?;
            vals.push(v.to_string());
        }
        match self.lists.iter_mut().find(|(g, _, _)| *g == f) {
            Some((_, n, list)) if *n == negate => list.extend(vals),
            Some(_) => {
                return Err(format!("'{expr}': {field}= and {field}!= in one scope; use one of them (values in one filter are ORed: {field}=a,b)"));
            }
            None => self.lists.push((f, negate, vals)),
        }
        Ok(())
    }

    /// Whether a filter other than `global` and `follow` narrows it.
    fn narrows(&self) -> bool {
        self.container.is_some()
            || self.container_new
            || self.pid_new
            || self.container_ids.is_some()
            || !self.lists.is_empty()
            || self.uid_range.is_some()
            || self.pid_range.is_some()
    }

    /// The filters that cannot go together: `global` with any other, and
    /// `follow` alone (nothing to follow from). Errors as [`parse_scope`]'s,
    /// at the word at fault in `exprs`.
    fn check_combination(&self, exprs: &[String]) -> Result<(), (usize, String)> {
        let at = |word: &str| exprs.iter().position(|e| e.trim() == word).unwrap_or(0);
        if self.global && (self.follow || self.narrows()) {
            return Err((
                at("global"),
                "global means every process; it cannot be combined with other scope filters".into(),
            ));
        }
        if self.follow && !self.narrows() {
            return Err((
                at("follow"),
                "follow needs a scope filter to follow from, e.g. comm=bash follow".into(),
            ));
        }
        Ok(())
    }
}

/// Checks one listed value of field `f` (named `field` as written) against
/// what the kernel compares: ids as 32-bit numbers (cgroup ids as 64-bit),
/// strings up to their buffer's length, matched exactly. The message says
/// why the value could never match.
fn check_value(f: ScopeField, field: &str, v: &str) -> Result<(), String> {
    match f {
        ScopeField::Uid | ScopeField::Pid | ScopeField::Tid | ScopeField::Tree => {
            check_id(field, v)
        }
        ScopeField::Cgroup => check_cgroup_id(v),
        ScopeField::Mntns | ScopeField::Pidns => check_namespace_id(field, v),
        ScopeField::Comm => check_comm(v),
        ScopeField::Uts => check_hostname(v),
        ScopeField::Executable => check_executable(v),
    }
}

/// Whether `v` is a number from 0 to `max`.
fn is_number_to(v: &str, max: u64) -> bool {
    parse_int(v).is_ok_and(|n| (0..=i128::from(max)).contains(&n))
}

/// uid=, pid=, tid=, tree=: a 32-bit id.
fn check_id(field: &str, v: &str) -> Result<(), String> {
    if !is_number_to(v, u32::MAX.into()) {
        return Err(format!(
            "'{v}' is not a {field} (a number from 0 to 4294967295)"
        ));
    }
    Ok(())
}

/// The fewest hex digits a container id prefix may have: what `docker ps`
/// and `crictl ps` show (12), which is also what makes a prefix unlikely to
/// name two containers.
pub const CONTAINER_ID_PREFIX_MIN: usize = 12;

/// container=: an id as runtimes give them (hex), at least
/// [`CONTAINER_ID_PREFIX_MIN`] digits of it; or a name as LXC and
/// systemd-nspawn use for ids (letters, digits, `-_.`), whole.
fn check_container_id(v: &str) -> Result<(), String> {
    let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && v.len() < CONTAINER_ID_PREFIX_MIN {
        return Err(format!("'{v}' is too short a container id: give at least {CONTAINER_ID_PREFIX_MIN} hex digits (docker ps shows them), or `new`"));
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(format!(
            "'{v}' is not a container id (the runtime's id, as docker ps shows it, or `new`)"
        ));
    }
    Ok(())
}

/// cgroup=: a cgroup v2 id, 64 bits.
fn check_cgroup_id(v: &str) -> Result<(), String> {
    if !is_number_to(v, u64::MAX) {
        return Err(format!("'{v}' is not a cgroup id (the inode number of its cgroup v2 directory, as events' cgroupId shows it)"));
    }
    Ok(())
}

/// mntns=, pidns=: a namespace's inode number, 32 bits.
fn check_namespace_id(field: &str, v: &str) -> Result<(), String> {
    if !is_number_to(v, u32::MAX.into()) {
        return Err(format!("'{v}' is not a namespace id (the inode number of /proc/<pid>/ns/{field}, e.g. 4026531836)"));
    }
    Ok(())
}

/// comm=: up to TASK_COMM_LEN - 1 bytes, matched exactly.
fn check_comm(v: &str) -> Result<(), String> {
    if v.len() >= COMM_LEN {
        return Err(format!("'{v}' is longer than a comm can be ({} characters, the kernel's TASK_COMM_LEN - 1), so it would never match", COMM_LEN - 1));
    }
    check_exact(v)
}

/// uts=: a hostname, up to the kernel side's buffer (SCOPE_UTS_LEN - 1),
/// matched exactly.
fn check_hostname(v: &str) -> Result<(), String> {
    if v.len() >= UTS_LEN {
        return Err(format!(
            "'{v}' is longer than a hostname can be ({} characters)",
            UTS_LEN - 1
        ));
    }
    check_exact(v)
}

/// executable= (binary=, ...): an absolute path, up to the kernel side's
/// buffer (SCOPE_EXE_LEN - 1), matched exactly.
fn check_executable(v: &str) -> Result<(), String> {
    if !v.starts_with('/') {
        return Err(format!("'{v}' is not an absolute path; give the executable's absolute path, e.g. /usr/bin/cat (it matches however it is run: by a relative path, a link or a file descriptor)"));
    }
    if v.len() >= EXE_LEN {
        return Err(format!(
            "paths of up to {} bytes are compared in the kernel; '{v}' is longer",
            EXE_LEN - 1
        ));
    }
    check_exact(v)
}

/// A string value holds no pattern: the kernel compares it whole.
fn check_exact(v: &str) -> Result<(), String> {
    if v.contains('*') {
        return Err("scope values are matched exactly in the kernel; for a pattern use an event filter, e.g. --events openat.scope.comm=ca*".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::compile;
    use crate::policy::test_policies::{first_issue, policy};

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
            "container=new/container=ID",
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
