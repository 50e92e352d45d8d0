//! Compiling policies: each policy checked (its name, scope, rules and
//! filters) and its events resolved through the catalog; the work split
//! into what the kernel selects (per-event policy bitmaps, the scopes) and
//! what the poll thread filters.

use std::collections::{BTreeMap, HashMap};

use super::filter::{parse_event_filter, EventFilters};
use super::scope::{parse_scope_all, Scope, ScopeField};
use super::{Policy, PolicyIssue, MAX_POLICIES};
use crate::bpf::types;
use crate::catalog::{self, EventDef};
use crate::ErrorCode;

/// Everything the kernel and the poll thread need to apply the policies.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Policy names, by bit.
    pub names: Vec<String>,
    /// Each selected event with the policies (bits) that select it.
    pub events: Vec<(&'static EventDef, u64)>,
    pub(super) scopes: Vec<Scope>,
    pub filters: EventFilters,
}

/// Checks and compiles policies; every problem found, or the compiled form.
///
/// Errors: every issue, in the order of the policies, each policy's in the
/// order of its fields (name, scope, rules); then one for the scope maps'
/// sizes, which all the policies share.
pub fn compile(policies: &[Policy]) -> Result<Compiled, Vec<PolicyIssue>> {
    check_count(policies).map_err(|issue| vec![issue])?;
    let mut c = Compiling::default();
    for (pi, p) in policies.iter().enumerate() {
        c.add_policy(pi, p);
    }
    c.issues.extend(check_map_sizes(&c.scopes, policies));
    if !c.issues.is_empty() {
        return Err(c.issues);
    }
    Ok(Compiled {
        names: c.names,
        events: c.events.into_values().collect(),
        scopes: c.scopes,
        filters: c.filters,
    })
}

/// At least one policy, and no more than the kernel's bitmaps have bits
/// for ([`MAX_POLICIES`]).
fn check_count(policies: &[Policy]) -> Result<(), PolicyIssue> {
    if policies.is_empty() {
        return Err(PolicyIssue {
            policy: 0,
            name: String::new(),
            path: String::new(),
            message: "no policies given".into(),
            code: ErrorCode::Policy,
        });
    }
    if policies.len() > MAX_POLICIES {
        return Err(PolicyIssue {
            policy: MAX_POLICIES,
            name: policies[MAX_POLICIES].name.clone(),
            path: String::new(),
            message: format!("{} policies given; at most {MAX_POLICIES} can be loaded at once (one bit each in the kernel's bitmaps, as in Tracee): merge some, or run a second tracer", policies.len()),
            code: ErrorCode::Policy,
        });
    }
    Ok(())
}

/// An issue of policy `pi` at `path` (JSON pointer): code
/// [`ErrorCode::UnknownEvent`] where the catalog found no such event (its
/// message says "unknown event"), [`ErrorCode::Policy`] otherwise.
fn issue(pi: usize, p: &Policy, path: String, message: String) -> PolicyIssue {
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
}

/// Each selected event (by id) and, where a rule names it alone, the
/// index of that rule, whose filters then apply to it.
type Selection = BTreeMap<u32, (&'static EventDef, Option<usize>)>;

/// What [`compile`] gathers, policy by policy.
#[derive(Default)]
struct Compiling {
    issues: Vec<PolicyIssue>,
    names: Vec<String>,
    scopes: Vec<Scope>,
    /// Event id → (event, the policies selecting it, one bit each).
    events: BTreeMap<u32, (&'static EventDef, u64)>,
    filters: EventFilters,
}

impl Compiling {
    /// Policy `p`, of index (and bit) `pi`: its name, scope and rules.
    fn add_policy(&mut self, pi: usize, p: &Policy) {
        if self.names.contains(&p.name) {
            self.issues.push(issue(
                pi,
                p,
                "/name".into(),
                format!(
                    "the name '{}' is used by another policy; policy names must be unique",
                    p.name
                ),
            ));
        }
        self.names.push(p.name.clone());
        match parse_scope_all(&p.scope) {
            Ok(s) => self.scopes.push(s),
            Err(errors) => {
                for (i, m) in errors {
                    let path = if i == usize::MAX {
                        "/scope".into()
                    } else {
                        format!("/scope/{i}")
                    };
                    self.issues.push(issue(pi, p, path, m));
                }
                self.scopes.push(Scope::default());
            }
        }
        if p.rules.is_empty() {
            self.issues.push(issue(
                pi,
                p,
                "/rules".into(),
                "no rules: a policy needs at least one event (rules: - event: openat)".into(),
            ));
        }
        let selected = select_events(pi, p, &mut self.issues);
        // said only of a policy with nothing else wrong: an event that
        // failed to resolve or a bad scope explains it already
        if selected.is_empty() && !p.rules.is_empty() && self.issues.iter().all(|i| i.policy != pi)
        {
            self.issues.push(issue(
                pi,
                p,
                "/rules".into(),
                "its rules select no events (everything named is excluded)".into(),
            ));
        }
        self.add_events(pi, p, selected);
    }

    /// The selected events into the per-event bitmaps, with bit `pi`, and
    /// the filters of the rules that name them into [`EventFilters`].
    fn add_events(&mut self, pi: usize, p: &Policy, selected: Selection) {
        let bit = 1u64 << pi.min(63);
        for (id, (e, rule)) in selected {
            self.events.entry(id).or_insert((e, 0)).1 |= bit;
            let Some(ri) = rule else { continue };
            let mut tests = Vec::new();
            for (fi, f) in p.rules[ri].filters.iter().enumerate() {
                match parse_event_filter(e, f.trim()) {
                    Ok(t) => tests.push(t),
                    Err(m) => {
                        self.issues
                            .push(issue(pi, p, format!("/rules/{ri}/filters/{fi}"), m))
                    }
                }
            }
            if !tests.is_empty() {
                self.filters.add(id, bit, tests);
            }
        }
    }
}

/// The events policy `p`'s rules select: names, sets and patterns
/// resolved through the catalog, less the exclusions (`-close`). Problems
/// go to `issues`, and the rule at fault selects nothing.
fn select_events(pi: usize, p: &Policy, issues: &mut Vec<PolicyIssue>) -> Selection {
    // events named outright win over the same event reached through a
    // set or pattern; an event named twice is an error (Tracee's rule)
    let mut explicit: HashMap<u32, usize> = HashMap::new();
    let mut selected = Selection::new();
    let mut excluded = Vec::new();
    for (ri, rule) in p.rules.iter().enumerate() {
        let name = rule.event.trim();
        let at = || format!("/rules/{ri}/event");
        if let Some(ex) = name.strip_prefix('-') {
            match catalog::resolve_one(ex) {
                Ok(list) => excluded.extend(list.iter().map(|e| e.id)),
                Err(m) => issues.push(issue(pi, p, at(), m)),
            }
            continue;
        }
        let list = match catalog::resolve_one(name) {
            Ok(list) => list,
            Err(m) => {
                issues.push(issue(pi, p, at(), m));
                continue;
            }
        };
        let single = list.len() == 1 && list[0].name == name;
        if single {
            if let Some(prev) = explicit.insert(list[0].id, ri) {
                issues.push(issue(pi, p, at(), format!("event {name} appears twice (rules {prev} and {ri}); an event may appear once per policy: merge their filters")));
                continue;
            }
        } else if !rule.filters.is_empty() {
            issues.push(issue(
                pi,
                p,
                at(),
                format!(
                    "'{name}' selects {} events; filters need a rule of one event (event: openat)",
                    list.len()
                ),
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
    selected
}

/// The values all the scopes list, against the sizes of the kernel's
/// scope maps (SCOPE_NUMS_MAX, SCOPE_STRS_MAX in bpf/tracee.h); an issue
/// at the first policy's scope if they do not fit.
fn check_map_sizes(scopes: &[Scope], policies: &[Policy]) -> Option<PolicyIssue> {
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
    (nums > nums_max || strs > strs_max).then(|| PolicyIssue {
        policy: 0,
        name: policies[0].name.clone(),
        path: "/scope".into(),
        message: format!("the scopes list {nums} numbers and up to {strs} strings of one field; the kernel's maps hold {nums_max} and {strs_max}: list fewer values"),
        code: ErrorCode::Policy,
    })
}

#[cfg(test)]
mod tests {
    use crate::policy::test_policies::{first_issue, policy};

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
}
