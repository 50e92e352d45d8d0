//! The grammar scopes and event filters share: `field op values` with
//! Tracee's operators (`=`, `!=`, `<`, `>`, `<=`, `>=`), values listed with
//! commas, numbers in decimal or 0x hex, and string patterns (`x*`, `*x`,
//! `*x*`).

use crate::catalog;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Op {
    pub(super) fn text(self) -> &'static str {
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
pub(super) fn split_expr(expr: &str) -> Option<(&str, Op, &str)> {
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

pub(super) fn values(raw: &str) -> Vec<&str> {
    raw.split(',').map(str::trim).collect()
}

pub(super) fn parse_int(v: &str) -> Result<i128, String> {
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
pub(super) enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl Pattern {
    pub(super) fn parse(v: &str) -> Result<Pattern, String> {
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

    pub(super) fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Exact(p) => s == p,
            Pattern::Prefix(p) => s.starts_with(p.as_str()),
            Pattern::Suffix(p) => s.ends_with(p.as_str()),
            Pattern::Contains(p) => s.contains(p.as_str()),
        }
    }
}

/// The three nearest of `candidates`, for "did you mean".
pub(super) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    catalog::nearest(name, candidates, 3, usize::MAX).join(", ")
}
