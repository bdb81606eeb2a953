//! Orders (§5.1, §5.3). The creation phase places a few orders — test orders unless real
//! ones are allowed and needed — and follows them to a terminal status; the checks then
//! judge the creation responses and *every* order object observed during the whole run:
//! lifecycle fields, balance fields, and that a terminal status never changes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::money::ExpectedCharge;
use super::{excerpt, Check, Run, Skip};
use crate::apis::gate::contract::context::{Ctx, Observed, Req};
use crate::apis::gate::contract::discovery::Discovery;
use crate::apis::gate::money::Amount;
use crate::apis::gate::pricing;
use crate::apis::gate::pricing::half_up_amount;
use crate::apis::gate::schemas::SchemaName;
use crate::apis::gate::wire::Product;
use crate::engine::model::Finding;

pub const CREATE: Check = Check::must(
    "orders.create_response",
    "§5.1 Create",
    "Creating an order answers 201 with a pending Order echoing the request",
);
pub const LOCATION: Check = Check::should(
    "orders.location_header",
    "§5.1 Create",
    "201 carries Location: /agent/{agent_id}/orders/{id}",
);
pub const BALANCE_FIELDS: Check = Check::must(
    "orders.balance_fields",
    "§5.1 Create",
    "balance_after = balance_before − charged_amount; a test order moves nothing",
);
pub const LIFECYCLE: Check = Check::must(
    "orders.lifecycle_fields",
    "§5.3 Order",
    "Status, timestamps, order_content, currency and region agree on every observed order",
);
pub const TERMINAL_FINAL: Check = Check::must(
    "orders.terminal_is_final",
    "§5.3 Order",
    "A terminal status and its timestamp never change",
);

/// One order the suite created.
#[derive(Debug, Clone)]
pub struct Created {
    pub observed: Arc<Observed>,
    pub body: Value,
    pub idempotency_key: Option<String>,
    pub product: Product,
    /// Available balance in the product's currency just before and just after, when read.
    pub available_around: Option<(Amount, Amount)>,
}

/// What the creation phase produced.
#[derive(Debug, Default)]
pub struct CreationPhase {
    pub created: Vec<Created>,
    pub charges: Vec<ExpectedCharge>,
    /// Requests that failed to create an order the suite needed (evidence for CREATE).
    pub refused: Vec<Finding>,
    pub skipped: Vec<String>,
}

impl CreationPhase {
    /// An order id of the agent's own, for checks that need one.
    pub fn any_order_id(&self) -> Option<String> {
        self.created.iter().find_map(|c| {
            c.observed
                .json
                .as_ref()
                .filter(|_| c.observed.status() == 201)?
                .get("id")?
                .as_str()
                .map(str::to_string)
        })
    }
}

async fn available(ctx: &Ctx<'_>, currency: &str) -> Option<Amount> {
    let path = format!("{}?currency_code={currency}", ctx.agent_path("/balance"));
    let o = ctx.send(Req::get(path)).await.ok()?;
    let items = o.json.as_ref()?.get("items")?.as_array()?.clone();
    let found = items
        .iter()
        .find(|b| b.get("currency_code").and_then(Value::as_str) == Some(currency));
    match found {
        Some(b) => Amount::parse_decimal_amount(b.get("available")?.as_str()?).ok(),
        None => Some(Amount::ZERO),
    }
}

async fn create(
    ctx: &Ctx<'_>,
    phase: &mut CreationPhase,
    product: &Product,
    body: Value,
    charge: Option<(Amount, String)>,
    with_key: bool,
    spend: Option<crate::engine::spend::Reservation>,
) {
    let key = with_key.then(|| format!("gatecheck-{}", uuid::Uuid::new_v4()));
    let mut req = Req::post(ctx.agent_path("/orders")).json(&body);
    if let Some(k) = &key {
        req = req.header("Idempotency-Key", k.clone());
    }
    let before = available(ctx, &product.currency_code).await;
    let sent = ctx.send(req).await;
    let after = available(ctx, &product.currency_code).await;
    if let Some(reservation) = spend {
        use crate::apis::gate::charge::{settle, CreateOutcome};
        let outcome = CreateOutcome {
            status: sent.as_ref().ok().map(|o| o.status()),
            body: sent.as_ref().ok().and_then(|o| o.json.as_ref()),
            balance_moved: before.zip(after).and_then(|(b, a)| b.checked_sub(a)),
        };
        settle(reservation, &outcome);
    } else if let (Ok(o), Some((claimed, _))) = (&sent, &charge) {
        // A test order is a quote: a server that charges more than its catalog shows is
        // believed so before the real order is reserved.
        if o.status() == 201 && body.get("test") == Some(&Value::Bool(true)) {
            crate::apis::gate::charge::learn_quote(
                &ctx.spend,
                &product.currency_code,
                *claimed,
                o.json.as_ref(),
            );
        }
    }
    match sent {
        Ok(o) => {
            if o.status() != 201 {
                phase.refused.push(CREATE.finding(
                    format!("{}: a valid order was refused", o.label()),
                    "201 Created",
                    format!("{} {}", o.status(), o.error_code().unwrap_or("-")),
                    Some(&o),
                ));
                return;
            }
            if let Some((charge, how)) = charge {
                phase.charges.push(ExpectedCharge {
                    observed: o.clone(),
                    charge,
                    how,
                });
            }
            phase.created.push(Created {
                observed: o,
                body,
                idempotency_key: key,
                product: product.clone(),
                available_around: before.zip(after),
            });
        }
        Err(e) => phase.refused.push(CREATE.no_response(&e)),
    }
}

/// Places the suite's orders, then follows each to a terminal status (up to `settle`).
pub async fn creation_phase(ctx: &Ctx<'_>, d: &Discovery, settle: Duration) -> CreationPhase {
    let mut phase = CreationPhase::default();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let tag = &tag[..8];
    match d.voucher() {
        Some(v) => {
            let price = v.agent_price.unwrap_or(Amount::ZERO);
            let body = json!({
                "product_id": v.id, "quantity": 2, "currency_code": v.currency_code,
                "external_ref": format!("gatecheck-{tag}-voucher"), "test": true,
            });
            let charge =
                pricing::voucher(price, 2).map(|c| (c, pricing::voucher_formula(price, 2)));
            create(ctx, &mut phase, &v, body, charge, true, None).await;
            if ctx.has_admin() {
                // §9.1: the sandbox fails orders whose external_ref starts `sandbox-fail`.
                let body = json!({"product_id": v.id, "external_ref": format!("sandbox-fail-{tag}"), "test": true});
                create(
                    ctx,
                    &mut phase,
                    &v,
                    body,
                    Some((price, pricing::voucher_formula(price, 1))),
                    false,
                    None,
                )
                .await;
            }
            let affordable = d.available_in(&v.currency_code).is_some_and(|a| a >= price);
            if !ctx.spend.real_orders_allowed() {
                phase
                    .skipped
                    .push("real orders are not allowed (use --allow-spend)".into());
            } else if !affordable {
                phase.skipped.push(format!(
                    "no balance in {} for a real order",
                    v.currency_code
                ));
            } else if let Ok(reservation) = ctx.spend.reserve(&v.currency_code, price.into()) {
                // The price is the catalog's claim: the reservation holds the worst case
                // and is settled with what the server charged and the balance moved.
                let body = json!({"product_id": v.id});
                create(
                    ctx,
                    &mut phase,
                    &v,
                    body,
                    Some((price, pricing::voucher_formula(price, 1))),
                    false,
                    Some(reservation),
                )
                .await;
            } else {
                phase
                    .skipped
                    .push("the spend cap leaves no room for a real order".into());
            }
        }
        None => phase
            .skipped
            .push("the catalog has no available voucher".into()),
    }
    match d.topup() {
        Some(t) => {
            if let (Some(min), Some(max), Some(rate)) = (t.min_amount, t.max_amount, t.agent_rate) {
                let amount = half_up_amount(min, max, rate);
                let body = d.topup_body(&t, amount, true);
                let charge =
                    pricing::topup(amount, rate).map(|c| (c, pricing::topup_formula(amount, rate)));
                create(ctx, &mut phase, &t, body, charge, true, None).await;
            }
        }
        None => phase
            .skipped
            .push("the catalog has no usable direct top-up".into()),
    }
    settle_orders(ctx, &phase, settle).await;
    phase
}

/// Polls the created orders until none is pending or `settle` has passed.
async fn settle_orders(ctx: &Ctx<'_>, phase: &CreationPhase, settle: Duration) {
    let deadline = Instant::now() + settle;
    let mut pending: Vec<String> = phase
        .created
        .iter()
        .filter_map(|c| {
            c.observed
                .json
                .as_ref()?
                .get("id")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    while !pending.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let polls = futures::future::join_all(pending.iter().map(|id| async move {
            let o = ctx
                .send(Req::get(ctx.agent_path(&format!("/orders/{id}"))))
                .await;
            let done = o.ok().and_then(|o| {
                let s = o.json.as_ref()?.get("status")?.as_str()?.to_string();
                Some(s != "pending")
            });
            (id.clone(), done.unwrap_or(true))
        }))
        .await;
        pending = polls
            .into_iter()
            .filter(|(_, done)| !done)
            .map(|(id, _)| id)
            .collect();
    }
}

pub fn create_response(ctx: &Ctx<'_>, phase: &CreationPhase) -> Run {
    if phase.created.is_empty() && phase.refused.is_empty() {
        return Err(Skip(phase.skipped.join("; ")));
    }
    let mut findings = phase.refused.clone();
    for c in &phase.created {
        let Some(order) = &c.observed.json else {
            continue;
        };
        let quantity = c.body.get("quantity").cloned().unwrap_or(json!(1));
        let test = c.body.get("test").cloned().unwrap_or(json!(false));
        let echo = |k: &str| c.body.get(k).cloned().unwrap_or(Value::Null);
        let expectations: Vec<(&str, Value)> = vec![
            ("status", json!("pending")),
            ("product_id", json!(c.product.id)),
            ("quantity", quantity),
            ("external_ref", echo("external_ref")),
            ("idempotency_key", json!(c.idempotency_key)),
            ("currency_code", json!(c.product.currency_code)),
            ("region_code", json!(c.product.region_code)),
            ("is_test", test),
        ];
        for (field, want) in expectations {
            let got = order.get(field).cloned().unwrap_or(Value::Null);
            if got != want {
                findings.push(CREATE.finding(
                    format!("{}: {field} does not match the request", c.observed.label()),
                    format!("{field}: {}", excerpt(&want)),
                    format!("{field}: {}", excerpt(&got)),
                    Some(&c.observed),
                ));
            }
        }
    }
    let _ = ctx;
    Ok(findings)
}

pub fn location_header(ctx: &Ctx<'_>, phase: &CreationPhase) -> Run {
    if phase.created.is_empty() {
        return Err(Skip("no order was created".into()));
    }
    let mut findings = Vec::new();
    for c in &phase.created {
        let Some(id) = c.observed.json.as_ref().and_then(|j| j.get("id")?.as_str()) else {
            continue;
        };
        let want = ctx.agent_path(&format!("/orders/{id}"));
        let got = c.observed.exchange.header("location");
        if !got.is_some_and(|l| l == want || l.ends_with(&want) && l.contains("://")) {
            findings.push(
                LOCATION.finding(
                    format!("{}: no Location for the new order", c.observed.label()),
                    format!("Location: {want}"),
                    got.map(|l| format!("Location: {l}"))
                        .unwrap_or_else(|| "no Location header".into()),
                    Some(&c.observed),
                ),
            );
        }
    }
    Ok(findings)
}

fn amount_of(order: &Value, k: &str) -> Option<Amount> {
    Amount::parse_decimal_amount(order.get(k)?.as_str()?).ok()
}

pub fn balance_fields(all: &[Arc<Observed>], phase: &CreationPhase) -> Run {
    let mut findings = Vec::new();
    for (o, order) in orders_observed(all) {
        let (Some(before), Some(after), Some(charge)) = (
            amount_of(order, "balance_before"),
            amount_of(order, "balance_after"),
            amount_of(order, "charged_amount"),
        ) else {
            continue; // malformed amounts are money.decimal_amounts' findings
        };
        let is_test = order.get("is_test").and_then(Value::as_bool);
        let want = match is_test {
            Some(true) => before,
            Some(false) => match before.checked_sub(charge) {
                Some(w) => w,
                None => continue,
            },
            None => continue,
        };
        if after != want {
            findings.push(BALANCE_FIELDS.finding(
                format!(
                    "{}: order {} balance fields disagree",
                    o.label(),
                    excerpt(&order["id"])
                ),
                format!(
                    "balance_after {want} (before {before}, charge {charge}, is_test {})",
                    is_test.unwrap_or(false)
                ),
                format!("balance_after {after}"),
                Some(o),
            ));
        }
    }
    // A test order reports the current available balance (§5.1, §10) — judged only when
    // nothing moved around it.
    for c in &phase.created {
        let Some(order) = &c.observed.json else {
            continue;
        };
        if order.get("is_test") != Some(&json!(true)) {
            continue;
        }
        if let Some((b, a)) = c.available_around {
            let got = amount_of(order, "balance_before");
            if b == a && got.is_some_and(|g| g != b) {
                findings.push(BALANCE_FIELDS.finding(
                    format!(
                        "{}: a test order does not report the available balance",
                        c.observed.label()
                    ),
                    format!("balance_before = balance_after = available {b}"),
                    format!("balance_before {}", excerpt(&order["balance_before"])),
                    Some(&c.observed),
                ));
            }
        }
    }
    Ok(findings)
}

/// Every order object in a success body, in arrival order.
fn orders_observed(all: &[Arc<Observed>]) -> Vec<(&Observed, &Value)> {
    let mut out = Vec::new();
    for o in all.iter().filter(|o| o.is_success()) {
        let Some(json) = &o.json else { continue };
        for (kind, obj) in o.op.objects_in(json) {
            if kind == SchemaName::Order {
                out.push((o.as_ref(), obj));
            }
        }
    }
    out
}

fn ts(order: &Value, k: &str) -> Option<time::OffsetDateTime> {
    let s = order.get(k)?.as_str()?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// What is wrong with one order object, if anything.
fn lifecycle_problem(order: &Value, catalog: &HashMap<u64, &Product>) -> Option<(String, String)> {
    let status = order.get("status").and_then(Value::as_str).unwrap_or("");
    let has = |k: &str| order.get(k).is_some_and(|v| !v.is_null());
    let bad = |want: &str, got: String| Some((want.to_string(), got));
    if !matches!(status, "pending" | "completed" | "failed") {
        return bad(
            "status pending, completed or failed",
            format!("status {status:?}"),
        );
    }
    if has("completed_at") != (status == "completed") {
        return bad(
            "completed_at non-null iff status is completed",
            format!(
                "status {status}, completed_at {}",
                excerpt(&order["completed_at"])
            ),
        );
    }
    if has("failed_at") != (status == "failed") {
        return bad(
            "failed_at non-null iff status is failed",
            format!(
                "status {status}, failed_at {}",
                excerpt(&order["failed_at"])
            ),
        );
    }
    if let Some(created) = ts(order, "created_at") {
        for k in ["completed_at", "failed_at"] {
            if ts(order, k).is_some_and(|t| t < created) {
                return bad(
                    &format!("{k} ≥ created_at"),
                    format!(
                        "{k} {} < created_at {}",
                        excerpt(&order[k]),
                        excerpt(&order["created_at"])
                    ),
                );
            }
        }
    }
    let content = order.get("order_content");
    let Some(content) = content.and_then(Value::as_object) else {
        return bad(
            "order_content an object",
            format!("order_content {}", content.map(excerpt).unwrap_or_default()),
        );
    };
    if !content.values().all(Value::is_string) {
        return bad(
            "order_content an object of strings",
            excerpt(&order["order_content"]),
        );
    }
    let product = order
        .get("product_id")
        .and_then(Value::as_u64)
        .and_then(|id| catalog.get(&id));
    if status == "completed" {
        let need = match product.map(|p| p.product_type.as_str()) {
            Some("voucher") => Some("voucher_code"),
            Some("direct_top_up") => Some("vendor_order_id"),
            _ => None,
        };
        if let Some(need) = need {
            if content
                .get(need)
                .is_none_or(|v| v.as_str().is_none_or(str::is_empty))
            {
                return bad(
                    &format!("a completed order's order_content has {need}"),
                    format!("order_content {}", excerpt(&order["order_content"])),
                );
            }
        }
    }
    if status == "failed" && !content.is_empty() {
        return bad(
            "a failed order's order_content is {}",
            excerpt(&order["order_content"]),
        );
    }
    if let Some(p) = product {
        for (k, want) in [
            ("currency_code", &p.currency_code),
            ("region_code", &p.region_code),
        ] {
            if order.get(k).and_then(Value::as_str) != Some(want.as_str()) {
                return bad(
                    &format!("{k} {want} (the product's)"),
                    format!("{k} {}", excerpt(&order[k])),
                );
            }
        }
    }
    None
}

pub fn lifecycle(all: &[Arc<Observed>], d: &Discovery) -> Run {
    let catalog: HashMap<u64, &Product> = d.catalog.iter().map(|p| (p.id, p)).collect();
    let observed = orders_observed(all);
    if observed.is_empty() {
        return Err(Skip("no order was observed".into()));
    }
    let mut findings = Vec::new();
    let mut reported = std::collections::HashSet::new();
    for (o, order) in observed {
        if let Some((want, got)) = lifecycle_problem(order, &catalog) {
            let id = order.get("id").map(excerpt).unwrap_or_default();
            if reported.insert((id.clone(), want.clone())) {
                findings.push(LIFECYCLE.finding(
                    format!("{}: order {id}", o.label()),
                    want,
                    got,
                    Some(o),
                ));
            }
        }
    }
    Ok(findings)
}

pub fn terminal_final(all: &[Arc<Observed>]) -> Run {
    // Per order: every observation, with when its request left and its answer arrived.
    let mut by_id: HashMap<String, Vec<(&Observed, &Value)>> = HashMap::new();
    for (o, order) in orders_observed(all) {
        if let Some(id) = order.get("id").and_then(Value::as_str) {
            by_id.entry(id.to_string()).or_default().push((o, order));
        }
    }
    let status = |v: &Value| {
        v.get("status")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let stamp = |v: &Value, s: &str| match s {
        "completed" => v.get("completed_at").cloned().unwrap_or(Value::Null),
        "failed" => v.get("failed_at").cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let mut findings = Vec::new();
    let mut terminal_seen = false;
    let mut ids: Vec<&String> = by_id.keys().collect();
    ids.sort();
    for id in ids {
        let seen = &by_id[id];
        // The earliest-arriving terminal observation binds every observation whose
        // request left after it arrived (requests in flight together may cross).
        let first = seen
            .iter()
            .filter(|(_, v)| matches!(status(v).as_str(), "completed" | "failed"))
            .min_by_key(|(o, _)| o.received_at);
        let Some((first_o, first_v)) = first else {
            continue;
        };
        terminal_seen = true;
        let (s, t) = (status(first_v), stamp(first_v, &status(first_v)));
        let changed = seen.iter().find(|(o, v)| {
            o.sent_at > first_o.received_at && (status(v) != s || stamp(v, &s) != t)
        });
        if let Some((o, v)) = changed {
            findings.push(TERMINAL_FINAL.finding(
                format!("{}: order {id} changed after reaching {s}", o.label()),
                format!(
                    "status {s}, timestamp {} (as at {})",
                    excerpt(&t),
                    first_o.label()
                ),
                format!("status {}, timestamp {}", status(v), excerpt(&stamp(v, &s))),
                Some(o),
            ));
        }
    }
    if !terminal_seen {
        return Err(Skip(
            "no order reached a terminal status while observed".into(),
        ));
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(status: &str, completed_at: Value, failed_at: Value, content: Value) -> Value {
        json!({
            "id": "5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c", "product_id": 7, "quantity": 1,
            "status": status, "order_content": content, "currency_code": "USD",
            "region_code": "GLOBAL", "created_at": "2024-11-01T10:00:00Z",
            "completed_at": completed_at, "failed_at": failed_at,
        })
    }

    #[test]
    fn lifecycle_rules() {
        let p: Product = serde_json::from_value(json!({
            "id": 7, "name": "v", "type": "voucher", "category_id": 1, "currency_code": "USD",
            "region_code": "GLOBAL", "is_available": true, "price": "5.00", "agent_price": "4.50",
            "agent_rate": null, "min_amount": null, "max_amount": null,
            "customer_account_fields": [], "updated_at": "2024-10-01T00:00:00Z"
        }))
        .unwrap();
        let catalog: HashMap<u64, &Product> = [(7, &p)].into_iter().collect();
        let t = json!("2024-11-01T10:00:01Z");
        let good = order(
            "completed",
            t.clone(),
            Value::Null,
            json!({"voucher_code": "X"}),
        );
        assert!(lifecycle_problem(&good, &catalog).is_none());
        let empty = order("completed", t.clone(), Value::Null, json!({}));
        assert!(lifecycle_problem(&empty, &catalog).is_some());
        let early = order(
            "completed",
            json!("2024-11-01T09:00:00Z"),
            Value::Null,
            json!({"voucher_code": "X"}),
        );
        assert!(lifecycle_problem(&early, &catalog).is_some());
        let pending_stamped = order("pending", t.clone(), Value::Null, json!({}));
        assert!(lifecycle_problem(&pending_stamped, &catalog).is_some());
        let failed = order("failed", Value::Null, t, json!({"voucher_code": "X"}));
        assert!(lifecycle_problem(&failed, &catalog).is_some());
    }
}
