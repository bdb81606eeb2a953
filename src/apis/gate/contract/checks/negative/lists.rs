//! List parameters (§1 Lists, §10 Filters): bad limits and bad cursors on every paged
//! list; malformed filter values.

use super::{case, expect_status, invalid, run_cases};
use crate::apis::gate::contract::checks::{Check, Run};
use crate::apis::gate::contract::context::{Ctx, Req};
use crate::apis::gate::contract::discovery::{with_query, Discovery};

pub const BAD_LIMIT: Check = Check::must(
    "negative.bad_limit",
    "§1 Lists",
    "limit outside 1–100 or not an integer gets 400 invalid_request, param limit",
);
pub const BAD_CURSOR: Check = Check::must(
    "negative.bad_cursor",
    "§1 Lists",
    "An unknown or malformed cursor gets 400 invalid_request, param cursor",
);

pub const BAD_FILTERS: Check = Check::must(
    "negative.bad_filters",
    "§10 Filters",
    "A malformed created_from/created_to, currency_code or region_code gets 400 invalid_request naming it",
);

/// Values malformed under any reading of the contract: no RFC 3339 parser takes them (not
/// even a lenient one that rolls day 30 of February over), and no code of the wrong length
/// with a digit is a currency or region code.
const NOT_A_TIME: &str = "gatecheck-not-a-time";
const MONTH_13: &str = "2024-13-01T00:00:00Z";

pub(super) fn paged_lists(ctx: &Ctx<'_>) -> Vec<String> {
    [
        "/product-types",
        "/product-categories",
        "/products",
        "/orders",
        "/deposits",
    ]
    .iter()
    .map(|s| ctx.agent_path(s))
    .collect()
}

pub async fn bad_limit(ctx: &Ctx<'_>) -> Run {
    let mut cases = Vec::new();
    for path in paged_lists(ctx) {
        for bad in ["0", "101", "-1", "abc", "1.5", ""] {
            cases.push(case(
                format!("limit={bad:?}"),
                Req::get(format!("{path}?limit={bad}")),
                invalid("limit"),
            ));
        }
    }
    Ok(run_cases(ctx, &BAD_LIMIT, cases).await)
}

pub async fn bad_cursor(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let mut cases = Vec::new();
    for path in paged_lists(ctx) {
        for bad in ["gatecheck-not-a-cursor", "%%%"] {
            cases.push(case(
                format!("cursor={bad:?}"),
                Req::get(with_query(&path, "cursor", bad)),
                invalid("cursor"),
            ));
        }
    }
    // A cursor of one list is unknown to another (§10: cursors are bound to the list).
    let products = ctx.agent_path("/products");
    if d.products.items.len() > 1 {
        if let Ok(o) = ctx.send(Req::get(format!("{products}?limit=1"))).await {
            if let Some(c) = o.json.as_ref().and_then(|j| j.get("next_cursor")?.as_str()) {
                cases.push(case(
                    "a products cursor on product-categories",
                    Req::get(with_query(
                        &ctx.agent_path("/product-categories"),
                        "cursor",
                        c,
                    )),
                    invalid("cursor"),
                ));
            }
        }
    }
    let mut findings = run_cases(ctx, &BAD_CURSOR, cases).await;
    // An empty cursor means the first page (§10).
    let types = ctx.agent_path("/product-types");
    let first = ctx.send(Req::get(format!("{types}?limit=2"))).await;
    let empty = ctx.send(Req::get(format!("{types}?limit=2&cursor="))).await;
    findings.extend(expect_status(&BAD_CURSOR, "an empty cursor", &empty, 200));
    if let (Ok(a), Ok(b)) = (&first, &empty) {
        if a.status() == 200
            && b.status() == 200
            && a.json.as_ref().map(|j| &j["items"]) != b.json.as_ref().map(|j| &j["items"])
        {
            findings.push(BAD_CURSOR.finding(
                "an empty cursor did not give the first page",
                "the same items as without a cursor",
                "different items",
                Some(b),
            ));
        }
    }
    Ok(findings)
}

pub async fn bad_filters(ctx: &Ctx<'_>) -> Run {
    let bad = |suffix: &str, name: &str, value: &str| {
        case(
            format!("{suffix}?{name}={value}"),
            Req::get(with_query(&ctx.agent_path(suffix), name, value)),
            invalid(name),
        )
    };
    let cases = vec![
        bad("/orders", "created_from", NOT_A_TIME),
        bad("/orders", "created_to", MONTH_13),
        bad("/deposits", "created_from", MONTH_13),
        bad("/deposits", "created_to", NOT_A_TIME),
        bad("/deposits", "currency_code", "U5D"),
        bad("/balance", "currency_code", "US"),
        bad("/products", "region_code", "U5"),
    ];
    Ok(run_cases(ctx, &BAD_FILTERS, cases).await)
}
