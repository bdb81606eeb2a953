//! Money rules of §1 on every observed object: DecimalAmounts are JSON strings of the
//! form `12.50`, never negative; `*_minor` integers equal the paired amount × 100; and
//! the charge of each order the suite created is computed as §5.1 says (half-up rounding).

use std::sync::Arc;

use serde_json::Value;

use super::{excerpt, Check, Run, Skip};
use crate::apis::gate::contract::context::Observed;
use crate::apis::gate::money::Amount;
use crate::apis::gate::schemas::SchemaName;
use crate::engine::model::Finding;

pub const DECIMAL_AMOUNTS: Check = Check::must(
    "money.decimal_amounts",
    "§1 Money",
    "Amounts are strings like \"12.50\" (never numbers, never negative)",
);
pub const MINOR_UNITS: Check = Check::must(
    "money.minor_units",
    "§1 Money",
    "Every *_minor integer equals its DecimalAmount × 100",
);
pub const CHARGE_COMPUTED: Check = Check::must(
    "money.charge_computed",
    "§5.1 Create",
    "charged_amount is agent_price × quantity, or amount × agent_rate rounded half up",
);

fn amount_fields(kind: SchemaName) -> &'static [&'static str] {
    match kind {
        SchemaName::Product => &["price", "agent_price", "min_amount", "max_amount"],
        SchemaName::Order => &["charged_amount", "balance_before", "balance_after"],
        SchemaName::AgentBalance => &["available", "reserved"],
        SchemaName::AgentDeposit => &["amount"],
        _ => &[],
    }
}

fn minor_pairs(kind: SchemaName) -> &'static [(&'static str, &'static str)] {
    match kind {
        SchemaName::AgentBalance => &[
            ("available", "available_minor"),
            ("reserved", "reserved_minor"),
        ],
        SchemaName::AgentDeposit => &[("amount", "amount_minor")],
        _ => &[],
    }
}

pub fn decimal_amounts(all: &[Arc<Observed>]) -> Run {
    let mut findings = Vec::new();
    for o in all.iter().filter(|o| o.is_success()) {
        let Some(json) = &o.json else { continue };
        'objects: for (kind, obj) in o.op.objects_in(json) {
            for field in amount_fields(kind) {
                let ok = match obj.get(*field) {
                    None | Some(Value::Null) => true, // presence/nullability: schema check
                    Some(Value::String(s)) => Amount::parse_decimal_amount(s).is_ok(),
                    Some(_) => false,
                };
                if !ok {
                    findings.push(DECIMAL_AMOUNTS.finding(
                        format!("{} {kind:?}.{field} is not a DecimalAmount", o.label()),
                        "a non-negative string like \"12.50\"",
                        obj.get(*field).map(excerpt).unwrap_or_default(),
                        Some(o),
                    ));
                    break 'objects;
                }
            }
        }
    }
    Ok(findings)
}

pub fn minor_units(all: &[Arc<Observed>]) -> Run {
    let mut findings = Vec::new();
    for o in all.iter().filter(|o| o.is_success()) {
        let Some(json) = &o.json else { continue };
        'objects: for (kind, obj) in o.op.objects_in(json) {
            for (major, minor) in minor_pairs(kind) {
                let amount = obj
                    .get(*major)
                    .and_then(Value::as_str)
                    .and_then(|s| Amount::parse_decimal_amount(s).ok());
                let Some(amount) = amount else { continue };
                let got = obj.get(*minor);
                if got.and_then(Value::as_i64) != Some(amount.minor()) {
                    findings.push(MINOR_UNITS.finding(
                        format!("{} {kind:?}.{minor} disagrees with {major}", o.label()),
                        format!("{minor}: {} ({major} \"{amount}\")", amount.minor()),
                        format!(
                            "{minor}: {}",
                            got.map(excerpt).unwrap_or_else(|| "absent".into())
                        ),
                        Some(o),
                    ));
                    break 'objects;
                }
            }
        }
    }
    Ok(findings)
}

/// One order the suite created and the charge §5.1 predicts for it.
#[derive(Debug, Clone)]
pub struct ExpectedCharge {
    pub observed: Arc<Observed>,
    pub charge: Amount,
    pub how: String,
}

pub fn charge_computed(created: &[ExpectedCharge]) -> Run {
    if created.is_empty() {
        return Err(Skip(
            "no order could be created to compare its charge".into(),
        ));
    }
    let findings: Vec<Finding> = created
        .iter()
        .filter_map(|c| {
            let got = c
                .observed
                .json
                .as_ref()
                .and_then(|j| j.get("charged_amount"))
                .cloned()
                .unwrap_or(Value::Null);
            let matches = got
                .as_str()
                .and_then(|s| Amount::parse_decimal_amount(s).ok())
                .is_some_and(|a| a == c.charge);
            (!matches).then(|| {
                CHARGE_COMPUTED.finding(
                    format!("{} charged the wrong amount", c.observed.label()),
                    format!("\"{}\" ({})", c.charge, c.how),
                    excerpt(&got),
                    Some(&c.observed),
                )
            })
        })
        .collect();
    Ok(findings)
}
