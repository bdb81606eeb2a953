//! §1 and §4 on every observed WalletTransaction and WalletOperation: amounts are
//! integers ≥ 0, timestamps RFC 3339 UTC with milliseconds, ids `wt_` + ULID whose time is
//! within 2 s of `createdAt`, conservation at every read, and the lifecycle (allowed
//! status moves, totals only grow, `updatedAt` strictly increases on a change).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::operations::is_replay;
use super::{excerpt, Check, Run};
use crate::apis::wallet::contract::context::WObserved;
use crate::apis::wallet::schemas::WalletSchema;
use crate::apis::wallet::wire::WalletTransaction;
use crate::engine::model::Finding;

pub const AMOUNTS: Check = Check::must(
    "wallet.objects.amounts",
    "§1 Money",
    "Every amount in a response is a JSON integer ≥ 0 (minor units)",
);
pub const TIMESTAMPS: Check = Check::must(
    "wallet.objects.timestamps",
    "§1 Transport",
    "Timestamps are RFC 3339 UTC with Z and at least millisecond precision; updatedAt ≥ createdAt",
);
pub const IDS: Check = Check::must(
    "wallet.objects.ids",
    "§1 Transport",
    "walletTransactionId is wt_ + a ULID whose time is within 2 s of createdAt",
);
pub const CONSERVATION: Check = Check::must("wallet.objects.conservation", "§4 WalletTransaction", "captured + cancelled ≤ authorized, refunded ≤ captured, totals 0 unless SUCCESS, amount = authorizedAmount");
pub const LIFECYCLE: Check = Check::must("wallet.objects.lifecycle", "§4 WalletTransaction", "Only NEW → PROCESSING → SUCCESS | FAILED; totals only grow; updatedAt strictly increases when anything changes");

const AMOUNT_FIELDS: [&str; 5] = [
    "amount",
    "authorizedAmount",
    "capturedAmount",
    "cancelledAmount",
    "refundedAmount",
];

/// Wallet objects in our own successful responses, as the document names each
/// operation's success body (a transaction, a list's items, or an operation), with whether
/// each is a full transaction.
fn objects(o: &WObserved) -> Vec<(&Value, bool)> {
    if !o.is_success() {
        return Vec::new();
    }
    let Some(j) = &o.json else { return Vec::new() };
    o.op.objects_in(j)
        .into_iter()
        .filter_map(|(schema, v)| match schema {
            WalletSchema::WalletTransaction => Some((v, true)),
            WalletSchema::WalletOperation => Some((v, false)),
            _ => None,
        })
        .collect()
}

pub fn amounts(all: &[Arc<WObserved>]) -> Run {
    let mut findings = Vec::new();
    for o in all {
        for (obj, _) in objects(o) {
            if let Some(bad) = AMOUNT_FIELDS
                .iter()
                .find(|f| obj.get(**f).is_some_and(|v| v.as_u64().is_none()))
            {
                findings.push(AMOUNTS.finding(
                    format!("{} {bad} is not an integer ≥ 0", o.label()),
                    "a JSON integer ≥ 0",
                    excerpt(&obj[*bad]),
                    Some(o),
                ));
                break;
            }
        }
    }
    Ok(findings)
}

/// RFC 3339 in UTC with `Z` (§1): `YYYY-MM-DDTHH:MM:SS[.f…]Z`, a real instant. The
/// fraction's length is judged across all values by [`timestamps`], not here.
pub fn is_utc_z(s: &str) -> bool {
    regex_utc_z().is_match(s)
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// Fraction digits of a timestamp (0 when it has none).
pub fn fraction_digits(s: &str) -> usize {
    s.split_once('.')
        .map_or(0, |(_, f)| f.trim_end_matches(['Z', 'z']).len())
}

fn regex_utc_z() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$")
            .expect("a regex")
    })
}

fn instant(v: &Value) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(v.as_str()?, &time::format_description::well_known::Rfc3339).ok()
}

/// Each timestamp is RFC 3339 UTC with `Z` and `updatedAt ≥ createdAt`; and the target
/// keeps at least millisecond precision (§1). Precision is a property of the target, not
/// of one spelling: a correct server that trims trailing zeros (Java's `Instant`, Go's
/// `RFC3339Nano`) writes `…:58Z` for `…:58.000` and `…:58.12Z` for `…:58.120`, so a short
/// fraction is a finding only when *no* observed timestamp carries three or more digits.
pub fn timestamps(all: &[Arc<WObserved>]) -> Run {
    let mut findings = Vec::new();
    let mut precise = false;
    let mut coarse: Option<(&WObserved, Value)> = None;
    'all: for o in all {
        for (obj, full) in objects(o) {
            if !full {
                continue;
            }
            for f in ["createdAt", "updatedAt"] {
                if let Some(v) = obj.get(f) {
                    let Some(text) = v.as_str().filter(|t| is_utc_z(t)) else {
                        findings.push(TIMESTAMPS.finding(
                            format!("{} {f} is not RFC 3339 UTC with Z", o.label()),
                            "e.g. 2026-02-19T10:18:58.123Z",
                            excerpt(v),
                            Some(o),
                        ));
                        continue 'all;
                    };
                    if fraction_digits(text) >= 3 {
                        precise = true;
                    } else if coarse.is_none() {
                        coarse = Some((o, v.clone()));
                    }
                }
            }
            if let (Some(c), Some(u)) = (instant(&obj["createdAt"]), instant(&obj["updatedAt"])) {
                if u < c {
                    findings.push(TIMESTAMPS.finding(
                        format!("{} updatedAt is before createdAt", o.label()),
                        "updatedAt ≥ createdAt",
                        format!("{} < {}", obj["updatedAt"], obj["createdAt"]),
                        Some(o),
                    ));
                    continue 'all;
                }
            }
        }
    }
    if let (false, Some((o, v))) = (precise, coarse) {
        findings.push(TIMESTAMPS.finding(
            format!(
                "no timestamp shows millisecond precision (first: {} {})",
                o.label(),
                excerpt(&v)
            ),
            "at least millisecond precision, e.g. 2026-02-19T10:18:58.123Z",
            excerpt(&v),
            Some(o),
        ));
    }
    Ok(findings)
}

const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The ULID time (ms since the epoch) of a `wt_` id of the right shape.
pub fn ulid_millis(id: &str) -> Option<u64> {
    let ulid = id.strip_prefix("wt_")?;
    if ulid.len() != 26 || !ulid.chars().all(|c| CROCKFORD.contains(c)) {
        return None;
    }
    // The first character carries 3 bits: a time above 2^48 − 1 is not a ULID.
    let mut t: u64 = 0;
    for c in ulid[..10].chars() {
        t = t * 32 + CROCKFORD.find(c)? as u64;
    }
    (ulid.as_bytes()[0] <= b'7').then_some(t)
}

pub fn ids(all: &[Arc<WObserved>]) -> Run {
    let mut findings = Vec::new();
    for o in all {
        for (obj, full) in objects(o) {
            let Some(v) = obj.get("walletTransactionId") else {
                continue;
            };
            let Some(ms) = v.as_str().and_then(ulid_millis) else {
                findings.push(IDS.finding(
                    format!("{} walletTransactionId has the wrong form", o.label()),
                    "^wt_[0-9A-HJKMNP-TV-Z]{26}$",
                    excerpt(v),
                    Some(o),
                ));
                break;
            };
            if !full {
                continue;
            }
            if let Some(created) = instant(&obj["createdAt"]) {
                let created_ms = created.unix_timestamp_nanos() / 1_000_000;
                if (created_ms - ms as i128).abs() > 2000 {
                    findings.push(IDS.finding(
                        format!("{} the id's ULID time is far from createdAt", o.label()),
                        "within 2 s of createdAt",
                        format!("{ms} ms vs createdAt {}", obj["createdAt"]),
                        Some(o),
                    ));
                    break;
                }
            }
        }
    }
    Ok(findings)
}

pub fn conservation(all: &[Arc<WObserved>]) -> Run {
    let mut findings = Vec::new();
    for o in all {
        for (obj, full) in objects(o) {
            if !full {
                continue;
            }
            let Ok(t) = serde_json::from_value::<WalletTransaction>(obj.clone()) else {
                continue;
            };
            if !t.conserves() || t.amount != t.authorized_amount {
                findings.push(CONSERVATION.finding(format!("{} breaks conservation", o.label()), "captured + cancelled ≤ authorized, refunded ≤ captured, totals 0 unless SUCCESS, amount = authorizedAmount", excerpt(obj), Some(o)));
                break;
            }
        }
    }
    Ok(findings)
}

struct Seen<'a> {
    o: &'a WObserved,
    t: WalletTransaction,
}

pub fn lifecycle(all: &[Arc<WObserved>]) -> Run {
    let mut by_id: BTreeMap<String, Vec<Seen<'_>>> = BTreeMap::new();
    // A replay may show the state of the first answer (§5: status, totals and updatedAt
    // *may* show the current state), so it is no later read of the transaction.
    for o in all.iter().filter(|o| !o.foreign && !is_replay(o)) {
        for (obj, full) in objects(o) {
            if !full {
                continue;
            }
            if let Ok(t) = serde_json::from_value::<WalletTransaction>(obj.clone()) {
                by_id
                    .entry(t.wallet_transaction_id.clone())
                    .or_default()
                    .push(Seen { o, t });
            }
        }
    }
    let mut findings: Vec<Finding> = Vec::new();
    for seen in by_id.values() {
        // Pairs where the first answer arrived before the second request left.
        'pairs: for a in seen {
            for b in seen.iter().filter(|b| a.o.received_at <= b.o.sent_at) {
                let (x, y) = (&a.t, &b.t);
                let why = if !x
                    .wallet_transaction_status
                    .may_become(y.wallet_transaction_status)
                {
                    Some(format!(
                        "status {} then {}",
                        x.wallet_transaction_status, y.wallet_transaction_status
                    ))
                } else if y.captured_amount < x.captured_amount
                    || y.cancelled_amount < x.cancelled_amount
                    || y.refunded_amount < x.refunded_amount
                {
                    Some("a total went down".to_string())
                } else {
                    let changed = x.wallet_transaction_status != y.wallet_transaction_status
                        || (x.captured_amount, x.cancelled_amount, x.refunded_amount)
                            != (y.captured_amount, y.cancelled_amount, y.refunded_amount);
                    let later = match (
                        instant(&Value::from(x.updated_at.clone())),
                        instant(&Value::from(y.updated_at.clone())),
                    ) {
                        (Some(p), Some(q)) => q > p,
                        _ => true,
                    };
                    (changed && !later).then(|| {
                        format!(
                            "changed without updatedAt increasing ({} then {})",
                            x.updated_at, y.updated_at
                        )
                    })
                };
                if let Some(why) = why {
                    findings.push(LIFECYCLE.finding(
                        format!("{} broke the lifecycle: {why}", x.wallet_transaction_id),
                        "§4's moves",
                        why.clone(),
                        Some(b.o),
                    ));
                    break 'pairs;
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
    fn forms() {
        assert!(is_utc_z("2026-02-19T10:18:58.123Z"));
        assert!(is_utc_z("2026-02-19T10:18:58.123456Z"));
        assert!(is_utc_z("2026-02-19T10:18:58.123456789Z"));
        // Trimmed trailing zeros are one spelling of a millisecond-precise instant.
        assert!(is_utc_z("2026-02-19T10:18:58Z"));
        assert!(is_utc_z("2026-02-19T10:18:58.12Z"));
        assert_eq!(fraction_digits("2026-02-19T10:18:58.12Z"), 2);
        assert_eq!(fraction_digits("2026-02-19T10:18:58Z"), 0);
        assert!(!is_utc_z("2026-02-19T10:18:58.123+00:00"));
        assert!(!is_utc_z("2026-02-19 10:18:58.123Z"));
        assert!(!is_utc_z("2026-02-30T10:18:58.123Z"));
        // The contract's example: 01KHTPHWP8 is 2026-02-19T10:18:58.120Z.
        let ms = ulid_millis("wt_01KHTPHWP8H8Q2X9K0R1ABCD12").unwrap();
        let at = time::OffsetDateTime::parse(
            "2026-02-19T10:18:58.120Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(ms as i128, at.unix_timestamp_nanos() / 1_000_000);
        assert!(ulid_millis("wt_01khtphwp8h8q2x9k0r1abcd12").is_none());
        assert!(ulid_millis("wt_01KHTPHWP8H8Q2X9K0R1ABCDI2").is_none());
        assert!(ulid_millis("wt_81KHTPHWP8H8Q2X9K0R1ABCD12").is_none());
    }
}
