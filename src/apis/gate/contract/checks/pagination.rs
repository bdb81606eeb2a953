//! Pagination soundness (§1 Lists) on every list: each list is walked with several
//! limits and compared with one walk of the largest pages. Pages never exceed `limit`;
//! the walk yields each item exactly once (no duplicates, no gaps); items come in the
//! order §1 prescribes; the page holding the last item carries `next_cursor: null`.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::Value;

use super::{excerpt, Check, Run};
use crate::apis::gate::contract::context::Ctx;
use crate::apis::gate::contract::discovery::{walk, Walk, WalkEnd, MAX_LIMIT, MAX_PAGES};
use crate::engine::model::{CheckResult, Finding};

pub const PAGE_WITHIN_LIMIT: Check = Check::must(
    "pagination.page_within_limit",
    "§1 Lists",
    "A page never holds more than limit items",
);
pub const EXACTLY_ONCE: Check = Check::must(
    "pagination.walk_exactly_once",
    "§1 Lists",
    "Walking all pages yields every item exactly once (no duplicates, no gaps)",
);
pub const SORT_ORDER: Check = Check::must(
    "pagination.sort_order",
    "§1 Lists",
    "Orders/deposits by created_at then id descending; catalog lists by id ascending",
);
pub const LAST_PAGE: Check = Check::must(
    "pagination.last_page_cursor_null",
    "§1 Lists",
    "next_cursor is null on the last page, and the walk ends",
);

/// How a list is sorted (§1 Lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortRule {
    IdAscending,
    NewestFirst,
}

/// One list endpoint to walk.
#[derive(Debug, Clone)]
pub struct ListSpec {
    pub path: String,
    pub sort: SortRule,
}

pub fn lists(ctx: &Ctx<'_>) -> Vec<ListSpec> {
    let spec = |s: &str, sort| ListSpec {
        path: ctx.agent_path(s),
        sort,
    };
    vec![
        spec("/product-types", SortRule::IdAscending),
        spec("/product-categories", SortRule::IdAscending),
        spec("/products", SortRule::IdAscending),
        spec("/products?type=voucher", SortRule::IdAscending),
        spec("/orders", SortRule::NewestFirst),
        spec("/deposits", SortRule::NewestFirst),
    ]
}

fn item_key(item: &Value) -> String {
    item.get("id")
        .map(Value::to_string)
        .unwrap_or_else(|| item.to_string())
}

fn created(item: &Value) -> Option<time::OffsetDateTime> {
    let s = item.get("created_at")?.as_str()?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// `Less` when `a` may come before `b`.
fn compare(rule: SortRule, a: &Value, b: &Value) -> Option<Ordering> {
    match rule {
        SortRule::IdAscending => {
            let (x, y) = (a.get("id")?.as_u64()?, b.get("id")?.as_u64()?);
            Some(x.cmp(&y))
        }
        SortRule::NewestFirst => {
            let (ta, tb) = (created(a)?, created(b)?);
            let (ia, ib) = (a.get("id")?.as_str()?, b.get("id")?.as_str()?);
            Some(tb.cmp(&ta).then_with(|| ib.cmp(ia)))
        }
    }
}

/// Limits to walk with: small ones while the page count stays reasonable.
fn limits_for(total: usize) -> Vec<u32> {
    let mut out: Vec<u32> = [1u32, 2, 3, 7, 25]
        .into_iter()
        .filter(|l| total.div_ceil(*l as usize) <= 60)
        .collect();
    if out.len() < 2 {
        out.push(MAX_LIMIT / 2);
    }
    out
}

#[derive(Default)]
struct Findings {
    within: Vec<Finding>,
    once: Vec<Finding>,
    sorted: Vec<Finding>,
    last: Vec<Finding>,
}

fn judge_walk(spec: &ListSpec, w: &Walk, reference: Option<&Walk>, out: &mut Findings) {
    // Page sizes.
    for page in &w.pages {
        let n = page
            .json
            .as_ref()
            .and_then(|j| j.get("items")?.as_array().map(Vec::len))
            .unwrap_or(0);
        if n > w.limit as usize {
            out.within.push(PAGE_WITHIN_LIMIT.finding(
                format!("{} holds {n} items", page.label()),
                format!("at most {}", w.limit),
                n.to_string(),
                Some(page),
            ));
            break;
        }
    }
    // The end of the walk.
    match &w.end {
        WalkEnd::Complete => {}
        WalkEnd::Endless => {
            let last = w.pages.last();
            out.last.push(LAST_PAGE.finding(
                format!("walking {} with limit {} never ended", spec.path, w.limit),
                "next_cursor null on the last page",
                format!("{} pages, the last still with a cursor", w.pages.len()),
                last.map(|o| o.as_ref()),
            ));
        }
        WalkEnd::BadPage(o) => out.once.push(EXACTLY_ONCE.finding(
            format!(
                "walking {} with limit {}: a page was refused",
                spec.path, w.limit
            ),
            "200 with the list envelope for a next_cursor the server issued",
            format!("{} {}", o.status(), o.error_code().unwrap_or("-")),
            Some(o),
        )),
        WalkEnd::NoResponse(e) => out.once.push(EXACTLY_ONCE.no_response(e)),
    }
    // An empty page after a page with items: the earlier page was the last one.
    for pair in w.pages.windows(2) {
        let count = |o: &crate::apis::gate::contract::context::Observed| {
            o.json
                .as_ref()
                .and_then(|j| j.get("items")?.as_array().map(Vec::len))
        };
        if count(&pair[0]).unwrap_or(0) > 0 && count(&pair[1]) == Some(0) {
            out.last.push(LAST_PAGE.finding(
                format!(
                    "{} held the last item but carried a next_cursor",
                    pair[0].label()
                ),
                "next_cursor: null",
                format!("a cursor leading to an empty page ({})", pair[1].label()),
                Some(&pair[0]),
            ));
            break;
        }
    }
    // Exactly once.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in &w.items {
        *seen.entry(item_key(item)).or_default() += 1;
    }
    if let Some((dup, n)) = seen.iter().find(|(_, n)| **n > 1) {
        out.once.push(EXACTLY_ONCE.finding(
            format!(
                "walking {} with limit {} repeated an item",
                spec.path, w.limit
            ),
            "each item once",
            format!("id {dup} seen {n} times"),
            w.pages.last().map(|o| o.as_ref()),
        ));
    }
    if let Some(reference) = reference.filter(|r| r.is_complete() && w.is_complete()) {
        let missing: Vec<String> = reference
            .items
            .iter()
            .map(item_key)
            .filter(|k| !seen.contains_key(k))
            .collect();
        if !missing.is_empty() {
            out.once.push(EXACTLY_ONCE.finding(
                format!("walking {} with limit {} skipped items", spec.path, w.limit),
                format!(
                    "all {} items of the limit={} walk",
                    reference.items.len(),
                    reference.limit
                ),
                format!(
                        "missing ids {}",
                        missing
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                w.pages.first().map(|o| o.as_ref()),
            ));
        }
    }
    // Order.
    for pair in w.items.windows(2) {
        if compare(spec.sort, &pair[0], &pair[1]) == Some(Ordering::Greater) {
            out.sorted.push(SORT_ORDER.finding(
                format!(
                    "walking {} with limit {}: items out of order",
                    spec.path, w.limit
                ),
                match spec.sort {
                    SortRule::IdAscending => "id ascending",
                    SortRule::NewestFirst => "created_at descending, then id descending",
                },
                format!(
                    "{} before {}",
                    excerpt(&key_view(&pair[0])),
                    excerpt(&key_view(&pair[1]))
                ),
                w.pages.first().map(|o| o.as_ref()),
            ));
            break;
        }
    }
}

fn key_view(item: &Value) -> Value {
    serde_json::json!({"id": item.get("id"), "created_at": item.get("created_at")})
}

/// Walks every list with the largest limit and several small ones, judging each walk.
pub async fn run(ctx: &Ctx<'_>) -> Vec<CheckResult> {
    let started = Instant::now();
    let mut out = Findings::default();
    let specs = lists(ctx);
    let per_list = futures::future::join_all(specs.iter().map(|spec| async move {
        let reference = walk(ctx, spec.path.clone(), MAX_LIMIT, MAX_PAGES).await;
        let mut walks = Vec::new();
        for limit in limits_for(reference.items.len()) {
            let pages = reference.items.len() / limit as usize + 3;
            walks.push(walk(ctx, spec.path.clone(), limit, pages.min(MAX_PAGES)).await);
        }
        (spec, reference, walks)
    }))
    .await;
    let mut seen_ids: HashSet<String> = HashSet::new();
    for (spec, reference, walks) in &per_list {
        judge_walk(spec, reference, None, &mut out);
        for w in walks {
            judge_walk(spec, w, Some(reference), &mut out);
        }
        seen_ids.insert(spec.path.clone());
    }
    let run = |f: Vec<Finding>| -> Run { Ok(dedupe(f)) };
    vec![
        PAGE_WITHIN_LIMIT.result(run(out.within), started),
        EXACTLY_ONCE.result(run(out.once), started),
        SORT_ORDER.result(run(out.sorted), started),
        LAST_PAGE.result(run(out.last), started),
    ]
}

/// One finding per message is enough evidence.
fn dedupe(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = HashSet::new();
    findings
        .into_iter()
        .filter(|f| seen.insert(f.message.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn newest_first_breaks_ties_by_id_descending() {
        let a = json!({"id": "b", "created_at": "2024-01-01T00:00:00Z"});
        let b = json!({"id": "a", "created_at": "2024-01-01T00:00:00Z"});
        let c = json!({"id": "z", "created_at": "2023-01-01T00:00:00Z"});
        assert_eq!(compare(SortRule::NewestFirst, &a, &b), Some(Ordering::Less));
        assert_eq!(
            compare(SortRule::NewestFirst, &b, &a),
            Some(Ordering::Greater)
        );
        assert_eq!(compare(SortRule::NewestFirst, &b, &c), Some(Ordering::Less));
        assert_eq!(limits_for(10), vec![1, 2, 3, 7, 25]);
        assert_eq!(limits_for(1000), vec![25, 50]);
    }
}
