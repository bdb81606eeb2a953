//! Product rules of §4 on the whole catalog: `type` is a known type code, `category_id`
//! names an existing category, voucher and top-up fields follow their type, `region_code`
//! is GLOBAL or an ISO alpha-2 code. (The list filters are judged in `filters`.)

use std::collections::HashSet;
use std::time::Instant;

use serde_json::Value;

use super::{excerpt, Check, Run, Skip};
use crate::apis::gate::contract::discovery::{Discovery, Walk};
use crate::apis::gate::money::{Amount, Rate};
use crate::engine::model::CheckResult;

pub const TYPE_KNOWN: Check = Check::must(
    "products.type_is_known_code",
    "§4 Catalog",
    "A product's type is the code of a listed ProductType",
);
pub const CATEGORY_EXISTS: Check = Check::must(
    "products.category_exists",
    "§4 Catalog",
    "A product's category_id names a listed category",
);
pub const FIELDS_BY_TYPE: Check = Check::must(
    "products.fields_by_type",
    "§4 Catalog",
    "Vouchers carry price/agent_price; top-ups agent_rate and min ≤ max; the others null",
);
pub const REGION_CODE: Check = Check::must(
    "products.region_code",
    "§4 Catalog",
    "region_code is GLOBAL or an ISO 3166-1 alpha-2 code",
);
fn codes(w: &Walk, field: &str) -> HashSet<String> {
    w.items
        .iter()
        .filter_map(|i| i.get(field).map(|v| v.to_string()))
        .collect()
}

fn per_product(
    d: &Discovery,
    check: &Check,
    prerequisite: Option<&Walk>,
    rule: impl Fn(&Value) -> Option<(String, String)>,
) -> Run {
    if let Some(w) = prerequisite {
        if !w.is_complete() {
            return Err(Skip(format!("{} could not be listed", w.path)));
        }
    }
    if d.products.items.is_empty() {
        return Err(Skip("the product list is empty".into()));
    }
    let id_null = Value::Null;
    Ok(d.products
        .items
        .iter()
        .filter_map(|p| {
            let (expected, got) = rule(p)?;
            let id = p.get("id").unwrap_or(&id_null);
            Some(check.finding(
                format!("product {id}: {}", check.title),
                expected,
                got,
                d.products.page_holding(|i| i.get("id") == Some(id)),
            ))
        })
        .collect())
}

pub fn type_known(d: &Discovery) -> Run {
    let types: HashSet<String> = codes(&d.types, "code");
    per_product(d, &TYPE_KNOWN, Some(&d.types), |p| {
        let t = p.get("type")?;
        (!types.contains(&t.to_string())).then(|| {
            (
                format!(
                    "one of {}",
                    types.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
                format!("type {t}"),
            )
        })
    })
}

pub fn category_exists(d: &Discovery) -> Run {
    let ids: HashSet<String> = codes(&d.categories, "id");
    per_product(d, &CATEGORY_EXISTS, Some(&d.categories), |p| {
        let c = p.get("category_id")?;
        (!ids.contains(&c.to_string())).then(|| {
            (
                "a listed category id".to_string(),
                format!("category_id {c}"),
            )
        })
    })
}

fn amount(v: Option<&Value>) -> Option<Amount> {
    Amount::parse_decimal_amount(v?.as_str()?).ok()
}

fn shape_problem(p: &Value) -> Option<(String, String)> {
    let null = |k: &str| p.get(k).is_none_or(Value::is_null);
    let problem = |want: &str, k: &str| {
        Some((
            want.to_string(),
            format!(
                "{k}: {}",
                p.get(k).map(excerpt).unwrap_or_else(|| "absent".into())
            ),
        ))
    };
    match p.get("type").and_then(Value::as_str) {
        Some("voucher") => {
            for k in ["price", "agent_price"] {
                if amount(p.get(k)).is_none() {
                    return problem("a voucher's price/agent_price are DecimalAmounts", k);
                }
            }
            for k in ["agent_rate", "min_amount", "max_amount"] {
                if !null(k) {
                    return problem("a voucher's agent_rate/min_amount/max_amount are null", k);
                }
            }
            let fields_empty = p
                .get("customer_account_fields")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty);
            if !fields_empty {
                return problem(
                    "a voucher's customer_account_fields is []",
                    "customer_account_fields",
                );
            }
            None
        }
        Some("direct_top_up") => {
            for k in ["price", "agent_price"] {
                if !null(k) {
                    return problem("a direct top-up's price/agent_price are null", k);
                }
            }
            let rate_ok = p
                .get("agent_rate")
                .and_then(Value::as_str)
                .is_some_and(|s| Rate::parse(s).is_ok());
            if !rate_ok {
                return problem(
                    "agent_rate a 4-decimal string like \"1.2500\"",
                    "agent_rate",
                );
            }
            match (amount(p.get("min_amount")), amount(p.get("max_amount"))) {
                (Some(min), Some(max)) if min <= max => None,
                (Some(_), Some(_)) => Some((
                    "min_amount ≤ max_amount".into(),
                    format!(
                        "min_amount {} > max_amount {}",
                        excerpt(&p["min_amount"]),
                        excerpt(&p["max_amount"])
                    ),
                )),
                _ => problem("min_amount and max_amount DecimalAmounts", "min_amount"),
            }
        }
        _ => None, // other codes may appear later (§4)
    }
}

pub fn fields_by_type(d: &Discovery) -> Run {
    per_product(d, &FIELDS_BY_TYPE, None, shape_problem)
}

pub fn is_region_code(s: &str) -> bool {
    s == "GLOBAL" || (s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()))
}

pub fn region_code(d: &Discovery) -> Run {
    per_product(d, &REGION_CODE, None, |p| {
        let r = p.get("region_code")?;
        (!r.as_str().is_some_and(is_region_code)).then(|| {
            (
                "GLOBAL or two capital letters".to_string(),
                format!("region_code {r}"),
            )
        })
    })
}

pub fn run(d: &Discovery) -> Vec<CheckResult> {
    let started = Instant::now();
    vec![
        TYPE_KNOWN.result(type_known(d), started),
        CATEGORY_EXISTS.result(category_exists(d), started),
        FIELDS_BY_TYPE.result(fields_by_type(d), started),
        REGION_CODE.result(region_code(d), started),
    ]
}
