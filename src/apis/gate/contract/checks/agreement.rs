//! List/detail agreement (§4, §5.3): every product and order in a list is JSON-equal to
//! its GET by id. An order seen `pending` in the list and terminal in its detail has
//! merely moved on (§5.3 allows exactly that transition) and is not a disagreement.

use std::time::Instant;

use serde_json::Value;

use super::{excerpt, Check, Run, Skip};
use crate::apis::gate::contract::context::{Ctx, Req};
use crate::apis::gate::contract::discovery::{walk, Discovery, MAX_LIMIT};
use crate::engine::model::{CheckResult, Finding};

pub const PRODUCTS: Check = Check::must(
    "agreement.products_list_detail",
    "§4 Catalog",
    "Every product in the list equals its GET by id",
);
pub const ORDERS: Check = Check::must(
    "agreement.orders_list_detail",
    "§5.3 Order",
    "Every order in the list equals its GET by id",
);

/// The first field (in the list item's order) whose value differs.
fn first_difference(list: &Value, detail: &Value) -> String {
    let (Some(a), Some(b)) = (list.as_object(), detail.as_object()) else {
        return "not both objects".into();
    };
    for (k, v) in a {
        if b.get(k) != Some(v) {
            return format!(
                "{k}: list {} vs detail {}",
                excerpt(v),
                b.get(k).map(excerpt).unwrap_or_else(|| "absent".into())
            );
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            return format!("{k}: absent from the list item");
        }
    }
    "none".into()
}

fn moved_on(list: &Value, detail: &Value) -> bool {
    let status = |v: &Value| v.get("status").and_then(Value::as_str).map(str::to_string);
    status(list).as_deref() == Some("pending")
        && matches!(status(detail).as_deref(), Some("completed" | "failed"))
}

async fn compare_all(
    ctx: &Ctx<'_>,
    check: &Check,
    items: &[Value],
    detail_path: impl Fn(&Value) -> Option<String>,
    tolerate: fn(&Value, &Value) -> bool,
) -> Vec<Finding> {
    let results = futures::future::join_all(items.iter().filter_map(|item| {
        let path = detail_path(item)?;
        Some(async move { (item, ctx.send(Req::get(path)).await) })
    }))
    .await;
    let mut findings = Vec::new();
    for (item, r) in results {
        let o = match r {
            Ok(o) => o,
            Err(e) => {
                findings.push(check.no_response(&e));
                continue;
            }
        };
        let detail = o.json.clone().unwrap_or(Value::Null);
        if o.status() != 200 {
            findings.push(check.finding(
                format!("{}: a listed item is not found by id", o.label()),
                "200 with the same object",
                format!("{} {}", o.status(), o.error_code().unwrap_or("-")),
                Some(&o),
            ));
        } else if &detail != item && !tolerate(item, &detail) {
            findings.push(check.finding(
                format!("{}: differs from the list item", o.label()),
                "JSON-equal to the list item",
                first_difference(item, &detail),
                Some(&o),
            ));
        }
    }
    findings
}

pub async fn products(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    if d.products.items.is_empty() {
        return Err(Skip("the product list is empty".into()));
    }
    let path = |item: &Value| {
        let id = item.get("id")?.as_u64()?;
        Some(ctx.agent_path(&format!("/products/{id}")))
    };
    Ok(compare_all(ctx, &PRODUCTS, &d.products.items, path, |_, _| false).await)
}

pub async fn orders(ctx: &Ctx<'_>) -> Run {
    let list = walk(ctx, ctx.agent_path("/orders"), MAX_LIMIT, 1).await;
    if list.items.is_empty() {
        return Err(Skip("the order list is empty".into()));
    }
    let path = |item: &Value| {
        let id = item.get("id")?.as_str()?;
        Some(ctx.agent_path(&format!("/orders/{id}")))
    };
    Ok(compare_all(ctx, &ORDERS, &list.items, path, moved_on).await)
}

pub async fn run(ctx: &Ctx<'_>, d: &Discovery) -> Vec<CheckResult> {
    let started = Instant::now();
    let (p, o) = futures::join!(products(ctx, d), orders(ctx));
    vec![PRODUCTS.result(p, started), ORDERS.result(o, started)]
}
