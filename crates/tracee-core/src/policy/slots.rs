//! Which bit each policy has across reloads ([`crate::Tracer::reload`]).
//! A policy keeps its bit while its name stays; a new one takes a bit no
//! policy of this trace had, while there is one (of MAX_POLICIES), so that
//! a record made before a reload and read after it still names the policy
//! it matched: the bit of a removed policy keeps its name until reused.

use super::compiled::Compiled;
use super::{Policy, MAX_POLICIES};

/// The policy at each bit: the live ones, and those removed (retired),
/// whose bits still name them for records made before their removal.
#[derive(Debug, Clone, Default)]
pub struct Slots {
    entries: Vec<Slot>,
}

#[derive(Debug, Clone)]
struct Slot {
    name: String,
    /// Its scope as given: a bit whose scope is unchanged keeps what the
    /// kernel tracked for it per process (trees, executables, follow).
    scope: Vec<String>,
    live: bool,
}

impl Slots {
    /// The bits of a trace's first policies: policy i at bit i.
    pub fn first(policies: &[Policy]) -> Slots {
        Slots {
            entries: policies
                .iter()
                .map(|p| Slot {
                    name: p.name.clone(),
                    scope: p.scope.clone(),
                    live: true,
                })
                .collect(),
        }
    }

    /// The bit of each of `next` (by position): its own where its name
    /// was here, else one never used, else one retired. `next` holds at
    /// most MAX_POLICIES policies with unique names (what compile checks).
    pub fn assign(&self, next: &[Policy]) -> Vec<usize> {
        let mut taken = vec![false; MAX_POLICIES.max(self.entries.len())];
        let mut bits = vec![usize::MAX; next.len()];
        for (i, p) in next.iter().enumerate() {
            if let Some(b) = self.entries.iter().position(|s| s.name == p.name) {
                bits[i] = b;
                taken[b] = true;
            }
        }
        let mut fresh = (self.entries.len()..MAX_POLICIES).chain(0..self.entries.len());
        for b in bits.iter_mut().filter(|b| **b == usize::MAX) {
            *b = fresh
                .by_ref()
                .find(|&f| !taken[f])
                .expect("at most MAX_POLICIES policies");
            taken[*b] = true;
        }
        bits
    }

    /// The slots once `next` holds `bits` (from [`Slots::assign`]).
    pub fn after(&self, next: &[Policy], bits: &[usize]) -> Slots {
        let width = bits
            .iter()
            .map(|b| b + 1)
            .max()
            .unwrap_or(0)
            .max(self.entries.len());
        let mut entries: Vec<Slot> = (0..width)
            .map(|b| match self.entries.get(b) {
                Some(s) => Slot {
                    live: false,
                    ..s.clone()
                },
                None => Slot {
                    name: String::new(),
                    scope: Vec::new(),
                    live: false,
                },
            })
            .collect();
        for (p, &b) in next.iter().zip(bits) {
            entries[b] = Slot {
                name: p.name.clone(),
                scope: p.scope.clone(),
                live: true,
            };
        }
        Slots { entries }
    }

    /// The names by bit: the live policies', and the retired ones' (for
    /// records made before they were removed).
    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|s| s.name.clone()).collect()
    }

    /// The bits whose policy is live in both and has the same scope: what
    /// the kernel tracked per process for them still holds.
    pub fn unchanged(&self, next: &Slots) -> u64 {
        self.entries
            .iter()
            .zip(&next.entries)
            .enumerate()
            .filter(|(_, (a, b))| a.live && b.live && a.name == b.name && a.scope == b.scope)
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }
}

/// Moves each bit `i` of `bits` to `to[i]`.
pub(super) fn move_bits(bits: u64, to: &[usize]) -> u64 {
    to.iter()
        .enumerate()
        .filter(|(i, _)| bits >> i & 1 == 1)
        .fold(0, |out, (_, &b)| out | 1 << b)
}

impl Compiled {
    /// The same policies at other bits: policy i at `bits[i]`, named as
    /// `slots` says (retired bits keep their names, and select nothing).
    pub fn placed(self, bits: &[usize], slots: &Slots) -> Compiled {
        let width = slots.entries.len();
        let mut scopes = vec![super::scope::Scope::default(); width];
        for (s, &b) in self.scopes.into_iter().zip(bits) {
            scopes[b] = s;
        }
        Compiled {
            names: slots.names(),
            events: self
                .events
                .into_iter()
                .map(|(e, p)| (e, move_bits(p, bits)))
                .collect(),
            scopes,
            filters: self.filters.moved(bits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<Policy> {
        names
            .iter()
            .map(|n| Policy {
                name: n.to_string(),
                ..Policy::from_events(&["openat"])
            })
            .collect()
    }

    #[test]
    fn a_kept_name_keeps_its_bit_and_a_new_one_takes_an_unused_bit() {
        let first = Slots::first(&named(&["a", "b", "c"]));
        let next = named(&["c", "d", "a"]);
        let bits = first.assign(&next);
        assert_eq!(bits, vec![2, 3, 0]);
        let after = first.after(&next, &bits);
        // b is retired: bit 1 still names it, for records made before
        assert_eq!(after.names(), vec!["a", "b", "c", "d"]);
        assert_eq!(first.unchanged(&after), 0b101);
    }

    #[test]
    fn retired_bits_are_reused_only_once_every_bit_has_been_used() {
        let all: Vec<String> = (0..MAX_POLICIES).map(|i| format!("p{i}")).collect();
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let first = Slots::first(&named(&refs));
        let next = named(&["p5", "new"]);
        let bits = first.assign(&next);
        assert_eq!(bits, vec![5, 0]);
    }

    #[test]
    fn a_changed_scope_is_not_unchanged() {
        let mut before = named(&["a"]);
        let first = Slots::first(&before);
        before[0].scope = vec!["comm=cat".into()];
        let after = first.after(&before, &first.assign(&before));
        assert_eq!(first.unchanged(&after), 0);
    }

    #[test]
    fn move_bits_permutes() {
        assert_eq!(move_bits(0b011, &[4, 1, 0]), 0b10010);
    }
}
