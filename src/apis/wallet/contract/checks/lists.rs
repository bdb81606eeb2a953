//! §1 Lists: walking our own transactions page by page (exactly once, pages within
//! `limit`, sort order), filters, `limit` and `cursor` errors, cursor binding, the
//! trailing-slash twin, and list/detail agreement.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::{expect_status, invalid, rate_limited, Check, Run, Skip};
use crate::apis::wallet::contract::context::{Ctx, WObserved};
use crate::apis::wallet::wire::{self, WalletStatus};
use crate::engine::contract::Req;
use crate::engine::model::Finding;

pub const WALK: Check = Check::must("wallet.lists.walk", "§1 Lists", "Walking the pages yields every matching transaction exactly once, no page beyond limit, nextCursor null at the end");
pub const SORT: Check = Check::must(
    "wallet.lists.sort",
    "§1 Lists",
    "Items are sorted by createdAt descending, ties by walletTransactionId descending",
);
pub const FILTERS: Check = Check::must("wallet.lists.filters", "§1 Lists", "orderReference is an exact match (empty matches nothing); status filters, and an unknown status is 400 (param status)");
pub const LIMIT: Check = Check::must(
    "wallet.lists.limit",
    "§1 Lists",
    "limit outside 1–100 or not an integer is 400 (param limit)",
);
pub const CURSOR: Check = Check::must(
    "wallet.lists.cursor",
    "§1 Lists",
    "A malformed cursor, or one used under other filters, is 400 (param cursor)",
);
pub const TRAILING_SLASH: Check = Check::must(
    "wallet.lists.trailing_slash",
    "§1 Lists",
    "/v1/wallet/transactions answers exactly as /v1/wallet/transactions/",
);
pub const AGREEMENT: Check = Check::must(
    "wallet.lists.agreement",
    "§1 Lists",
    "Every listed transaction equals its GET by id (or an older state of it)",
);

fn list_path(query: &str) -> String {
    format!("{}?{query}", wire::LIST_PATH)
}

fn items(o: &WObserved) -> Vec<Value> {
    o.json
        .as_ref()
        .and_then(|j| j["items"].as_array())
        .cloned()
        .unwrap_or_default()
}

fn next_cursor(o: &WObserved) -> Option<String> {
    o.json
        .as_ref()
        .and_then(|j| j["nextCursor"].as_str())
        .map(str::to_string)
}

fn id_of(v: &Value) -> String {
    v["walletTransactionId"].as_str().unwrap_or("").to_string()
}

/// Percent-encodes a query value.
pub fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// Walks `query` with `limit`; the pages, or a finding when a page is not 200.
async fn walk(ctx: &Ctx<'_>, query: &str, limit: usize) -> Result<Vec<Arc<WObserved>>, Finding> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let mut q = format!("{query}&limit={limit}");
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={}", enc(c)));
        }
        let sent = ctx.send(Req::get(list_path(&q))).await;
        let o = match sent {
            Err(e) => return Err(WALK.no_response(&e)),
            Ok(o) if o.status() != 200 => {
                return Err(WALK.finding(
                    "a list page was not 200",
                    "200",
                    format!("{} {}", o.status(), o.exchange.body_excerpt()),
                    Some(&o),
                ))
            }
            Ok(o) => o,
        };
        cursor = next_cursor(&o);
        pages.push(o);
        if cursor.is_none() {
            break;
        }
    }
    Ok(pages)
}

/// The walk over our run's transactions (orderReference = `reference`), which `expected`
/// holds: (walk, sort) results.
pub async fn walk_and_sort(ctx: &Ctx<'_>, reference: &str, expected: &[String]) -> (Run, Run) {
    if expected.len() < 3 {
        let s = Skip("fewer than three transactions under one orderReference".into());
        return (Err(s.clone()), Err(s));
    }
    let pages = match walk(ctx, &format!("orderReference={}", enc(reference)), 2).await {
        Ok(p) => p,
        Err(f) => return (Ok(vec![f]), Err(Skip("the walk failed".into()))),
    };
    let mut walk_findings = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut all: Vec<Value> = Vec::new();
    for page in &pages {
        let its = items(page);
        if its.len() > 2 {
            walk_findings.push(WALK.finding(
                "a page holds more than limit items",
                "at most 2 items",
                its.len().to_string(),
                Some(page),
            ));
        }
        for it in its {
            seen.push(id_of(&it));
            all.push(it);
        }
    }
    let last = pages.last().expect("one page at least");
    let unique: HashSet<&String> = seen.iter().collect();
    if unique.len() != seen.len() {
        walk_findings.push(WALK.finding(
            "the walk listed a transaction twice",
            "every transaction once",
            format!("{} items, {} distinct", seen.len(), unique.len()),
            Some(last),
        ));
    }
    let missing: Vec<&String> = expected.iter().filter(|id| !unique.contains(id)).collect();
    if !missing.is_empty() {
        walk_findings.push(WALK.finding(
            "the walk missed transactions",
            format!("all {} transactions of this orderReference", expected.len()),
            format!("missing {missing:?}"),
            Some(last),
        ));
    }
    let mut sort = Vec::new();
    for pair in all.windows(2) {
        let key = |v: &Value| (v["createdAt"].as_str().unwrap_or("").to_string(), id_of(v));
        // RFC 3339 UTC with the same precision compares as text; parse to be safe.
        let t = |v: &Value| {
            time::OffsetDateTime::parse(
                v["createdAt"].as_str().unwrap_or(""),
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
        };
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        let ordered = match (t(&pair[0]), t(&pair[1])) {
            (Some(ta), Some(tb)) => ta > tb || (ta == tb && a.1 > b.1),
            _ => continue,
        };
        if !ordered {
            sort.push(SORT.finding(
                "two items out of order",
                "createdAt descending, ties by walletTransactionId descending",
                format!("{} {} before {} {}", a.0, a.1, b.0, b.1),
                Some(last),
            ));
            break;
        }
    }
    (Ok(walk_findings), Ok(sort))
}

pub async fn filters(ctx: &Ctx<'_>, reference: &str, expected: &[String]) -> Run {
    let mut findings = Vec::new();
    // Exact match: a prefix of our reference lists none of ours.
    let prefix = &reference[..reference.len() - 1];
    if let Ok(o) = ctx
        .send(Req::get(list_path(&format!(
            "orderReference={}&limit=100",
            enc(prefix)
        ))))
        .await
    {
        if o.status() == 200 && items(&o).iter().any(|i| expected.contains(&id_of(i))) {
            findings.push(FILTERS.finding(
                "orderReference matched a prefix",
                "an exact match only",
                "our transactions listed under a prefix of their reference",
                Some(&o),
            ));
        }
        findings.extend(expect_status(
            &FILTERS,
            "orderReference of a prefix",
            &Ok(o),
            200,
        ));
    }
    let empty = ctx.send(Req::get(list_path("orderReference="))).await;
    if let Ok(o) = &empty {
        if o.status() == 200 && !items(o).is_empty() {
            findings.push(FILTERS.finding(
                "an empty orderReference= matched items",
                "no items",
                format!("{} items", items(o).len()),
                Some(o),
            ));
        }
    }
    findings.extend(expect_status(&FILTERS, "orderReference=", &empty, 200));
    for status in ["NEW", "PROCESSING", "SUCCESS", "FAILED"] {
        let sent = ctx
            .send(Req::get(list_path(&format!("status={status}&limit=100"))))
            .await;
        if let Ok(o) = &sent {
            // A pending item may have ended between the server's filter and its
            // rendering: a later status (§4's moves) is no evidence against the filter.
            let wanted = WalletStatus::parse(status).expect("one of the four");
            if let Some(bad) = items(o).iter().find(|i| {
                !i["walletTransactionStatus"]
                    .as_str()
                    .and_then(WalletStatus::parse)
                    .is_some_and(|s| wanted.may_become(s))
            }) {
                findings.push(FILTERS.finding(
                    format!("status={status} listed another status"),
                    status,
                    bad["walletTransactionStatus"].to_string(),
                    Some(o),
                ));
            }
        }
        findings.extend(expect_status(
            &FILTERS,
            &format!("status={status}"),
            &sent,
            200,
        ));
    }
    for bad in ["success", "DONE", ""] {
        let sent = ctx
            .send(Req::get(list_path(&format!("status={bad}"))))
            .await;
        findings.extend(invalid(&FILTERS, &format!("status={bad}"), &sent, "status"));
    }
    Ok(findings)
}

pub async fn limit(ctx: &Ctx<'_>) -> Run {
    let mut findings = Vec::new();
    for bad in ["0", "101", "-1", "abc", "1.5", ""] {
        let sent = ctx.send(Req::get(list_path(&format!("limit={bad}")))).await;
        findings.extend(invalid(&LIMIT, &format!("limit={bad}"), &sent, "limit"));
    }
    for ok in ["1", "100"] {
        let sent = ctx.send(Req::get(list_path(&format!("limit={ok}")))).await;
        findings.extend(expect_status(&LIMIT, &format!("limit={ok}"), &sent, 200));
        if let Ok(o) = &sent {
            let n: usize = ok.parse().unwrap_or(0);
            if o.status() == 200 && items(o).len() > n {
                findings.push(LIMIT.finding(
                    format!("limit={ok} returned more"),
                    format!("at most {n}"),
                    items(o).len().to_string(),
                    Some(o),
                ));
            }
        }
    }
    Ok(findings)
}

pub async fn cursor(ctx: &Ctx<'_>, reference: &str) -> Run {
    let mut findings = Vec::new();
    // Forged, not hostile: a NUL byte (`%00`) may be refused by infrastructure before the
    // application can name the parameter, so the malformed cursors are plain text, short
    // base64 and base64 of a JSON object no server issued.
    for bad in ["garbage", "AAAA", "eyJ4IjoxfQ"] {
        let sent = ctx
            .send(Req::get(list_path(&format!("cursor={bad}"))))
            .await;
        findings.extend(invalid(&CURSOR, &format!("cursor={bad}"), &sent, "cursor"));
    }
    let first = ctx
        .send(Req::get(list_path(&format!(
            "orderReference={}&limit=1",
            enc(reference)
        ))))
        .await;
    let Some(c) = first.as_ref().ok().and_then(|o| next_cursor(o)) else {
        return if findings.is_empty() {
            Err(Skip("no second page to take a cursor from".into()))
        } else {
            Ok(findings)
        };
    };
    // The cursor of one filter under another filter, and under none.
    for other in [
        format!("orderReference={}x", enc(reference)),
        "status=SUCCESS".to_string(),
        String::new(),
    ] {
        let query = [other.as_str(), "limit=1", &format!("cursor={}", enc(&c))]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        let sent = ctx.send(Req::get(list_path(&query))).await;
        findings.extend(invalid(
            &CURSOR,
            &format!("a cursor of orderReference={reference} used with `{other}`"),
            &sent,
            "cursor",
        ));
    }
    if ctx.has_admin() {
        if let Ok((_, key)) = ctx.new_merchant(None).await {
            let other = ctx.as_merchant(&key);
            let sent = ctx
                .send_as(
                    &other,
                    Req::get(list_path(&format!(
                        "orderReference={}&limit=1&cursor={}",
                        enc(reference),
                        enc(&c)
                    ))),
                )
                .await;
            findings.extend(invalid(
                &CURSOR,
                "our cursor used by another merchant",
                &sent,
                "cursor",
            ));
        }
    }
    Ok(findings)
}

/// The slash-less twin answers the same status and the same items as the list path.
pub async fn trailing_slash(ctx: &Ctx<'_>, reference: &str) -> Run {
    let mut findings = Vec::new();
    for q in [
        format!("orderReference={}&limit=100", enc(reference)),
        "limit=0".to_string(),
        "status=nope".to_string(),
    ] {
        let with = ctx.send(Req::get(list_path(&q))).await;
        let without = ctx
            .send(Req::get(format!("/v1/wallet/transactions?{q}")))
            .await;
        let (Ok(a), Ok(b)) = (&with, &without) else {
            continue;
        };
        if let Some(f) =
            rate_limited(&TRAILING_SLASH, &q, a).or(rate_limited(&TRAILING_SLASH, &q, b))
        {
            findings.push(f);
            continue;
        }
        let ids = |o: &WObserved| items(o).iter().map(id_of).collect::<Vec<_>>();
        let code = |o: &WObserved| o.error_code().map(str::to_string);
        if a.status() != b.status() || ids(a) != ids(b) || code(a) != code(b) {
            findings.push(TRAILING_SLASH.finding(
                format!("GET /v1/wallet/transactions?{q} differs from its slash twin"),
                format!("{} {:?}", a.status(), ids(a)),
                format!("{} {:?}", b.status(), ids(b)),
                Some(b),
            ));
        }
    }
    Ok(findings)
}

/// Equal JSON values, timestamps as instants (`…58.120Z` and `…58.120000Z` are one
/// moment: the contract fixes a minimum precision, not one spelling).
fn same_value(a: &Value, b: &Value) -> bool {
    let instant = |v: &Value| {
        time::OffsetDateTime::parse(v.as_str()?, &time::format_description::well_known::Rfc3339)
            .ok()
    };
    a == b || matches!((instant(a), instant(b)), (Some(x), Some(y)) if x == y)
}

/// Every listed transaction of ours agrees with its GET: equal when `updatedAt` is the
/// same, else the detail is the newer state (immutable fields equal).
pub async fn agreement(ctx: &Ctx<'_>, reference: &str) -> Run {
    let o = ctx
        .send(Req::get(list_path(&format!(
            "orderReference={}&limit=100",
            enc(reference)
        ))))
        .await
        .map_err(|e| Skip(e.reason))?;
    if o.status() != 200 {
        return Err(Skip(format!("the list answered {}", o.status())));
    }
    let mut findings = Vec::new();
    for item in items(&o) {
        let id = id_of(&item);
        let Ok(detail) = ctx.get(&id).await else {
            continue;
        };
        if let Some(f) = rate_limited(&AGREEMENT, "a listed transaction's GET", &detail) {
            findings.push(f);
            continue;
        }
        let Some(d) = detail.json.clone() else {
            continue;
        };
        if detail.status() != 200 {
            findings.push(AGREEMENT.finding(
                format!("a listed transaction's GET answered {}", detail.status()),
                "200",
                detail.status().to_string(),
                Some(&detail),
            ));
            continue;
        }
        let immutable = [
            "walletTransactionId",
            "orderReference",
            "amount",
            "currency",
            "authorizedAmount",
            "createdAt",
        ];
        let mut differ: Vec<&str> = immutable
            .iter()
            .copied()
            .filter(|f| !same_value(&item[*f], &d[*f]))
            .collect();
        if same_value(&item["updatedAt"], &d["updatedAt"]) {
            let fields = [
                "walletTransactionStatus",
                "capturedAmount",
                "cancelledAmount",
                "refundedAmount",
            ];
            differ.extend(
                fields
                    .iter()
                    .copied()
                    .filter(|f| !same_value(&item[*f], &d[*f])),
            );
        }
        if !differ.is_empty() {
            findings.push(AGREEMENT.finding(
                format!("list and detail of {id} disagree on {differ:?}"),
                super::excerpt(&item),
                super::excerpt(&d),
                Some(&detail),
            ));
        }
    }
    Ok(findings)
}
