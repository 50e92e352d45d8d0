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

mod compiled;
mod expr;
mod filter;
mod kernel_scope;
mod scope;
mod slots;

pub use compiled::{compile, Compiled};
pub use filter::EventFilters;
pub(crate) use kernel_scope::KernelScope;
pub use kernel_scope::ScopeImage;
pub use scope::scope_syntax;
pub use slots::Slots;

use crate::bpf::types;
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

/// The policies the tests beside each part compile.
#[cfg(test)]
mod test_policies {
    use super::*;

    pub(super) fn policy(scope: &[&str], rules: &[(&str, &[&str])]) -> Policy {
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

    pub(super) fn first_issue(p: Policy) -> String {
        compile(&[p]).expect_err("an issue")[0].message.clone()
    }
}
