//! Field formats of §1 on every observed object: timestamps are RFC 3339 in UTC with a
//! `Z` suffix; order and deposit ids are lowercase hyphenated UUIDs; product, type and
//! category ids are positive integers.

use std::sync::Arc;

use serde_json::Value;

use super::{excerpt, Check, Run};
use crate::apis::gate::contract::context::Observed;
use crate::apis::gate::schemas::SchemaName;

pub const TIMESTAMPS_UTC: Check = Check::must(
    "format.timestamps_utc",
    "§1 Transport",
    "Timestamps are RFC 3339 in UTC with a Z suffix",
);
pub const IDS: Check = Check::must(
    "format.ids",
    "§1 Transport",
    "Order/deposit ids are lowercase UUIDs; product, type and category ids positive integers",
);

/// `YYYY-MM-DDTHH:MM:SS[.frac]Z` and a real date-time.
pub fn is_utc_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return false;
    }
    let shape = |i: usize, c: u8| b.get(i) == Some(&c);
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let head_ok = digits(0..4)
        && shape(4, b'-')
        && digits(5..7)
        && shape(7, b'-')
        && digits(8..10)
        && shape(10, b'T')
        && digits(11..13)
        && shape(13, b':')
        && digits(14..16)
        && shape(16, b':')
        && digits(17..19);
    let tail = &b[19..b.len() - 1];
    let frac_ok = tail.is_empty()
        || (tail.len() >= 2 && tail[0] == b'.' && tail[1..].iter().all(u8::is_ascii_digit));
    head_ok
        && frac_ok
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// Lowercase, hyphenated 8-4-4-4-12 hex.
pub fn is_lowercase_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

fn timestamp_fields(kind: SchemaName) -> &'static [&'static str] {
    match kind {
        SchemaName::Product | SchemaName::AgentBalance => &["updated_at"],
        SchemaName::Order => &["created_at", "completed_at", "failed_at"],
        SchemaName::AgentDeposit => &["created_at", "posted_at"],
        SchemaName::Health => &["time"],
        _ => &[],
    }
}

/// (field, must be a UUID) — the others are positive integers; `nullable` may be null.
fn id_fields(kind: SchemaName) -> &'static [(&'static str, bool, bool)] {
    match kind {
        SchemaName::Order => &[("id", true, false), ("product_id", false, false)],
        SchemaName::AgentDeposit => &[("id", true, false)],
        SchemaName::Product => &[("id", false, false), ("category_id", false, false)],
        SchemaName::ProductType => &[("id", false, false)],
        SchemaName::ProductCategory => &[("id", false, false), ("parent_id", false, true)],
        _ => &[],
    }
}

pub fn timestamps_utc(all: &[Arc<Observed>]) -> Run {
    let mut findings = Vec::new();
    for o in all.iter().filter(|o| o.is_success()) {
        let Some(json) = &o.json else { continue };
        for (kind, obj) in o.op.objects_in(json) {
            for field in timestamp_fields(kind) {
                match obj.get(*field) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if is_utc_timestamp(s) => {}
                    Some(other) => {
                        findings.push(TIMESTAMPS_UTC.finding(
                            format!(
                                "{} {kind:?}.{field} is not a UTC RFC 3339 timestamp",
                                o.label()
                            ),
                            "e.g. \"2024-11-01T10:00:00Z\"",
                            excerpt(other),
                            Some(o),
                        ));
                        break;
                    }
                }
            }
        }
    }
    Ok(findings)
}

pub fn ids(all: &[Arc<Observed>]) -> Run {
    let mut findings = Vec::new();
    for o in all.iter().filter(|o| o.is_success()) {
        let Some(json) = &o.json else { continue };
        'objects: for (kind, obj) in o.op.objects_in(json) {
            for (field, uuid, nullable) in id_fields(kind) {
                let v = obj.get(*field);
                let ok = match v {
                    None => true, // a missing field is the schema check's finding
                    Some(Value::Null) => *nullable,
                    Some(Value::String(s)) if *uuid => is_lowercase_uuid(s),
                    Some(Value::Number(n)) if !*uuid => n.as_u64().is_some_and(|n| n >= 1),
                    _ => false,
                };
                if !ok {
                    let want = if *uuid {
                        "a lowercase hyphenated UUID"
                    } else {
                        "a positive integer"
                    };
                    findings.push(IDS.finding(
                        format!("{} {kind:?}.{field} has the wrong form", o.label()),
                        want,
                        v.map(excerpt).unwrap_or_default(),
                        Some(o),
                    ));
                    break 'objects;
                }
            }
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_and_uuid_forms() {
        assert!(is_utc_timestamp("2024-11-01T10:00:00Z"));
        assert!(is_utc_timestamp("2024-11-01T10:00:00.123456Z"));
        assert!(!is_utc_timestamp("2024-11-01T10:00:00+00:00"));
        assert!(!is_utc_timestamp("2024-11-01 10:00:00Z"));
        assert!(!is_utc_timestamp("2024-13-01T10:00:00Z"));
        assert!(is_lowercase_uuid("5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c"));
        assert!(!is_lowercase_uuid("5C1F4F9D-8B5A-4E8B-8C0E-1D1C2F3A4B5C"));
        assert!(!is_lowercase_uuid("5c1f4f9d8b5a4e8b8c0e1d1c2f3a4b5c"));
    }
}
