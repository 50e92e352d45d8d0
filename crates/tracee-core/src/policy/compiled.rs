//! Compiling policies: each policy checked (its name, scope, rules and
//! filters) and its events resolved through the catalog; the work split
//! into what the kernel selects (per-event policy bitmaps, the scopes) and
//! what the poll thread filters.

use std::collections::{BTreeMap, HashMap};

use super::filter::{parse_event_filter, EventFilters};
use super::scope::{parse_scope, Scope, ScopeField};
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
        match parse_scope(&p.scope) {
            Ok(s) => scopes.push(s),
            Err((i, m)) => {
                let path = if i == usize::MAX {
                    "/scope".into()
                } else {
                    format!("/scope/{i}")
                };
                issues.push(issue(path, m));
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
