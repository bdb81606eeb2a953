//! Negative inputs (§1, §3, §5.1, §10): each request breaks exactly one rule and must get
//! the exact status, `error.code` and `error.param` the contract names. Expected params
//! are derived from the contract's field names and the discovered product, never from
//! what a server happens to answer. A few positive controls sit beside the negatives
//! (e.g. a 255-character Idempotency-Key is accepted) so a server that refuses
//! everything cannot pass.

use crate::apis::gate::client::GateClientExt as _;
use std::sync::Arc;
use std::time::Instant;

use reqwest::Method;
use serde_json::{json, Value};

use super::{expect_error, Check, ExpectError, Param, Run, Skip};
use crate::apis::gate::contract::context::{Ctx, NoResponse, Observed, Req};
use crate::apis::gate::contract::discovery::{
    patterned_field, topup_body, value_against, with_query, Discovery,
};
use crate::apis::gate::money::Amount;
use crate::engine::client::Auth;
use crate::engine::model::{CheckResult, Finding};

pub const MALFORMED_JSON: Check = Check::must(
    "negative.malformed_json",
    "§3 Errors",
    "Malformed JSON and a missing body get 400 invalid_request",
);
pub const MEDIA_TYPE: Check = Check::must(
    "negative.unsupported_media_type",
    "§1 Transport",
    "A body that is not application/json gets 415 unsupported_media_type (param Content-Type)",
);
pub const INVALID_FIELDS: Check = Check::must(
    "negative.invalid_fields",
    "§5.1 Create",
    "Missing or ill-typed order fields get 400 invalid_request naming the field",
);
pub const AMOUNT_FORMS: Check = Check::must(
    "negative.amount_forms",
    "§1 Money",
    "Every bad request-amount form gets 400 invalid_request, param topup_request.amount",
);
pub const AMOUNT_RANGE: Check = Check::must(
    "negative.amount_out_of_range",
    "§5.1 Create",
    "An amount outside [min_amount, max_amount] gets 400, param topup_request.amount",
);
pub const UNKNOWN_PRODUCT: Check = Check::must(
    "negative.unknown_product",
    "§5.1 Create",
    "An order for an unknown product gets 400 invalid_request, param product_id",
);
pub const UNAVAILABLE_PRODUCT: Check = Check::must(
    "negative.unavailable_product",
    "§3 Errors",
    "An order for an unavailable product gets 400 product_unavailable, param product_id",
);
pub const CURRENCY_MISMATCH: Check = Check::must(
    "negative.currency_mismatch",
    "§5.1 Create",
    "A currency_code other than the product's gets 400, param currency_code",
);
pub const QUANTITY_RANGE: Check = Check::must(
    "negative.quantity_out_of_range",
    "§5.1 Create",
    "quantity outside 1–100 (or not 1 on a direct top-up) gets 400, param quantity",
);
pub const CUSTOMER_ACCOUNT: Check = Check::must(
    "negative.customer_account",
    "§5.1 Create",
    "A missing or pattern-breaking customer_account field gets 400 naming the field",
);
pub const INSUFFICIENT_BALANCE: Check = Check::must(
    "negative.insufficient_balance",
    "§5.1 Create",
    "A real order above the available balance gets 400 insufficient_balance and moves nothing",
);
pub const IDEMPOTENCY_KEY: Check = Check::must(
    "negative.idempotency_key_length",
    "§5.1 Create",
    "An empty or >255-character Idempotency-Key gets 400, param Idempotency-Key",
);
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
pub const PATH_IDS: Check = Check::must(
    "negative.malformed_path_ids",
    "§3 Errors",
    "A path id of the wrong shape gets 400 invalid_request naming productId/orderId",
);
pub const NOT_FOUND: Check = Check::must(
    "negative.unknown_ids_not_found",
    "§3 Errors",
    "A well-formed but unknown product or order id gets 404 not_found",
);
pub const UNKNOWN_ROUTE: Check = Check::must(
    "negative.unknown_route",
    "§3 Errors",
    "An unknown route gets 404 not_found",
);
pub const WRONG_METHOD: Check = Check::must(
    "negative.wrong_method",
    "§3 Errors",
    "An unsupported method on a known path gets 405 method_not_allowed with an Allow header",
);

fn invalid(param: &str) -> ExpectError {
    ExpectError::new(400, "invalid_request", Param::is(param))
}

/// One request and the error it must get.
struct Case {
    what: String,
    req: Req,
    expect: ExpectError,
}

fn case(what: impl Into<String>, req: Req, expect: ExpectError) -> Case {
    Case {
        what: what.into(),
        req,
        expect,
    }
}

async fn run_cases(ctx: &Ctx<'_>, check: &Check, cases: Vec<Case>) -> Vec<Finding> {
    let results = futures::future::join_all(cases.into_iter().map(|c| async move {
        let r = ctx.send(c.req).await;
        (c.what, r, c.expect)
    }))
    .await;
    results
        .iter()
        .filter_map(|(what, r, expect)| expect_error(check, what, r, expect))
        .collect()
}

/// A positive control: the request must succeed with `status`.
fn expect_status(
    check: &Check,
    what: &str,
    r: &Result<Arc<Observed>, NoResponse>,
    status: u16,
) -> Option<Finding> {
    match r {
        Err(e) => Some(check.no_response(e)),
        Ok(o) if o.status() == status => None,
        Ok(o) => Some(check.finding(
            format!("{what}: refused a valid request"),
            status.to_string(),
            format!("{} {}", o.status(), o.error_code().unwrap_or("-")),
            Some(o),
        )),
    }
}

/// `base` with `key` set to `value` (a top-level or `topup_request.` field).
fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut v = base.clone();
    match key.split_once('.') {
        Some((outer, inner)) => {
            if let Some(obj) = v.get_mut(outer).and_then(Value::as_object_mut) {
                obj.insert(inner.to_string(), value);
            }
        }
        None => {
            if let Some(obj) = v.as_object_mut() {
                obj.insert(key.to_string(), value);
            }
        }
    }
    v
}

fn without(base: &Value, key: &str) -> Value {
    let mut v = base.clone();
    match key.split_once('.') {
        Some((outer, inner)) => {
            if let Some(obj) = v.get_mut(outer).and_then(Value::as_object_mut) {
                obj.remove(inner);
            }
        }
        None => {
            if let Some(obj) = v.as_object_mut() {
                obj.remove(key);
            }
        }
    }
    v
}

fn order(ctx: &Ctx<'_>, body: &Value) -> Req {
    Req::post(ctx.agent_path("/orders")).json(body)
}

fn voucher_base(d: &Discovery) -> Result<Value, Skip> {
    d.voucher()
        .map(|v| json!({"product_id": v.id, "quantity": 1, "test": true}))
        .ok_or_else(|| Skip("the catalog has no available voucher".into()))
}

fn topup_base(d: &Discovery) -> Result<(crate::apis::gate::wire::Product, Value), Skip> {
    let t = d
        .topup()
        .ok_or_else(|| Skip("the catalog has no usable available direct top-up".into()))?;
    let min = t.min_amount.unwrap_or(Amount::from_minor(100));
    let body = topup_body(&t, min.max(Amount::from_minor(1)), true);
    Ok((t, body))
}

pub async fn malformed_json(ctx: &Ctx<'_>) -> Run {
    let any = ExpectError::new(400, "invalid_request", Param::Any);
    let raw = |body: &'static str| {
        Req::post(ctx.agent_path("/orders"))
            .header("Content-Type", "application/json")
            .raw_body(body)
    };
    let cases = vec![
        case("truncated JSON", raw("{\"product_id\": "), any.clone()),
        case("trailing comma", raw("{\"product_id\": 1,}"), any.clone()),
        case("not JSON at all", raw("product_id=1"), any.clone()),
        case("a JSON array body", raw("[]"), any.clone()),
        case("an empty JSON body", raw(""), any.clone()),
        case(
            "no body, no Content-Type",
            Req::post(ctx.agent_path("/orders")),
            any,
        ),
    ];
    Ok(run_cases(ctx, &MALFORMED_JSON, cases).await)
}

pub async fn media_type(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let body = voucher_base(d)?;
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let e415 = ExpectError::new(415, "unsupported_media_type", Param::is("Content-Type"));
    let path = ctx.agent_path("/orders");
    let cases = vec![
        case(
            "JSON sent as text/plain",
            Req::post(&path)
                .header("Content-Type", "text/plain")
                .raw_body(bytes.clone()),
            e415.clone(),
        ),
        case(
            "JSON sent as a form",
            Req::post(&path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .raw_body(bytes.clone()),
            e415.clone(),
        ),
        case(
            "a body without Content-Type",
            Req::post(&path).raw_body(bytes.clone()),
            e415.clone(),
        ),
        case(
            "text/plain with an empty body",
            Req::post(&path)
                .header("Content-Type", "text/plain")
                .raw_body(""),
            e415,
        ),
    ];
    let mut findings = run_cases(ctx, &MEDIA_TYPE, cases).await;
    // The media type is matched case-insensitively, parameters ignored (§10).
    let positive = ctx
        .send(
            Req::post(&path)
                .header("Content-Type", "Application/JSON; charset=utf-8")
                .raw_body(bytes),
        )
        .await;
    findings.extend(expect_status(
        &MEDIA_TYPE,
        "Content-Type: Application/JSON; charset=utf-8",
        &positive,
        201,
    ));
    Ok(findings)
}

pub async fn invalid_fields(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let v = voucher_base(d)?;
    let mut cases = vec![
        case(
            "product_id missing",
            order(ctx, &without(&v, "product_id")),
            invalid("product_id"),
        ),
        case(
            "product_id null",
            order(ctx, &with(&v, "product_id", Value::Null)),
            invalid("product_id"),
        ),
        case(
            "product_id as a string",
            order(
                ctx,
                &with(&v, "product_id", json!(v["product_id"].to_string())),
            ),
            invalid("product_id"),
        ),
        case(
            "product_id fractional",
            order(ctx, &with(&v, "product_id", json!(1.5))),
            invalid("product_id"),
        ),
        case(
            "product_id boolean",
            order(ctx, &with(&v, "product_id", json!(true))),
            invalid("product_id"),
        ),
        case(
            "quantity as a string",
            order(ctx, &with(&v, "quantity", json!("1"))),
            invalid("quantity"),
        ),
        case(
            "quantity 1.0",
            order(ctx, &with(&v, "quantity", json!(1.0))),
            invalid("quantity"),
        ),
        case(
            "quantity boolean",
            order(ctx, &with(&v, "quantity", json!(true))),
            invalid("quantity"),
        ),
        case(
            "currency_code a number",
            order(ctx, &with(&v, "currency_code", json!(840))),
            invalid("currency_code"),
        ),
        case(
            "external_ref empty",
            order(ctx, &with(&v, "external_ref", json!(""))),
            invalid("external_ref"),
        ),
        case(
            "external_ref 65 characters",
            order(ctx, &with(&v, "external_ref", json!("r".repeat(65)))),
            invalid("external_ref"),
        ),
        case(
            "external_ref a number",
            order(ctx, &with(&v, "external_ref", json!(1001))),
            invalid("external_ref"),
        ),
        case(
            "test as a string",
            order(ctx, &with(&v, "test", json!("yes"))),
            invalid("test"),
        ),
        case(
            "test as 1",
            order(ctx, &with(&v, "test", json!(1))),
            invalid("test"),
        ),
        case(
            "topup_request on a voucher",
            order(
                ctx,
                &with(
                    &v,
                    "topup_request",
                    json!({"amount": "10.00", "customer_account": {}}),
                ),
            ),
            invalid("topup_request"),
        ),
    ];
    if let Ok((_, t)) = topup_base(d) {
        cases.push(case(
            "topup_request missing on a top-up",
            order(ctx, &without(&t, "topup_request")),
            invalid("topup_request"),
        ));
        cases.push(case(
            "topup_request not an object",
            order(ctx, &with(&t, "topup_request", json!("10.00"))),
            invalid("topup_request"),
        ));
        cases.push(case(
            "topup_request.amount missing",
            order(ctx, &without(&t, "topup_request.amount")),
            invalid("topup_request.amount"),
        ));
    }
    Ok(run_cases(ctx, &INVALID_FIELDS, cases).await)
}

pub async fn amount_forms(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let (_, t) = topup_base(d)?;
    let param = "topup_request.amount";
    let bad: Vec<(String, Value)> = vec![
        ("a JSON number".into(), json!(10)),
        ("a fractional JSON number".into(), json!(10.5)),
        ("negative".into(), json!("-5.00")),
        ("zero".into(), json!("0")),
        ("zero with decimals".into(), json!("0.00")),
        ("three decimals".into(), json!("10.123")),
        ("exponent notation".into(), json!("1e1")),
        ("leading white space".into(), json!(" 10")),
        ("trailing white space".into(), json!("10 ")),
        ("a leading zero".into(), json!("010")),
        ("a trailing dot".into(), json!("10.")),
        ("no integer part".into(), json!(".50")),
        ("a plus sign".into(), json!("+10")),
        ("a decimal comma".into(), json!("10,50")),
        ("empty".into(), json!("")),
        ("null".into(), Value::Null),
    ];
    let cases = bad
        .into_iter()
        .map(|(what, amount)| {
            case(
                format!("amount {what} ({amount})"),
                order(ctx, &with(&t, param, amount)),
                invalid(param),
            )
        })
        .collect();
    let mut findings = run_cases(ctx, &AMOUNT_FORMS, cases).await;
    // Positive control: "10", "10.5" and "10.50" forms are all accepted when in range.
    if let Some(form) = short_form(d) {
        let r = ctx.send(order(ctx, &with(&t, param, json!(form)))).await;
        findings.extend(expect_status(
            &AMOUNT_FORMS,
            &format!("amount \"{form}\""),
            &r,
            201,
        ));
    }
    Ok(findings)
}

/// A one-decimal or integer form of an in-range amount of the top-up (e.g. "10.5").
fn short_form(d: &Discovery) -> Option<String> {
    let t = d.topup()?;
    let (min, max) = (t.min_amount?, t.max_amount?);
    (min.minor()..=max.minor().min(min.minor() + 1000))
        .find(|m| m % 10 == 0)
        .map(|m| {
            if m % 100 == 0 {
                (m / 100).to_string()
            } else {
                format!("{}.{}", m / 100, (m % 100) / 10)
            }
        })
}

pub async fn amount_range(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let (t, body) = topup_base(d)?;
    let (Some(min), Some(max)) = (t.min_amount, t.max_amount) else {
        return Err(Skip("the top-up has no min/max".into()));
    };
    let param = "topup_request.amount";
    let mut cases = vec![case(
        format!(
            "amount {} above max_amount {max}",
            max + Amount::from_minor(1)
        ),
        order(
            ctx,
            &with(
                &body,
                param,
                json!((max + Amount::from_minor(1)).to_string()),
            ),
        ),
        invalid(param),
    )];
    if min > Amount::from_minor(1) {
        let below = min - Amount::from_minor(1);
        cases.push(case(
            format!("amount {below} below min_amount {min}"),
            order(ctx, &with(&body, param, json!(below.to_string()))),
            invalid(param),
        ));
    }
    let mut findings = run_cases(ctx, &AMOUNT_RANGE, cases).await;
    // Both bounds are inclusive.
    for bound in [min, max] {
        let r = ctx
            .send(order(ctx, &with(&body, param, json!(bound.to_string()))))
            .await;
        findings.extend(expect_status(
            &AMOUNT_RANGE,
            &format!("amount at the bound {bound}"),
            &r,
            201,
        ));
    }
    Ok(findings)
}

pub async fn unknown_product(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let id = d.unknown_product_id();
    let cases = vec![case(
        format!("product_id {id} (not in the catalog)"),
        order(ctx, &json!({"product_id": id, "test": true})),
        invalid("product_id"),
    )];
    Ok(run_cases(ctx, &UNKNOWN_PRODUCT, cases).await)
}

pub async fn unavailable_product(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let p = d
        .unavailable()
        .ok_or_else(|| Skip("the catalog has no unavailable product".into()))?;
    let mut body = json!({"product_id": p.id, "test": true});
    if p.is_direct_top_up() {
        let amount = p.min_amount.unwrap_or(Amount::from_minor(100));
        body = topup_body(&p, amount, true);
    }
    let cases = vec![case(
        format!("product {} is unavailable", p.id),
        order(ctx, &body),
        ExpectError::new(400, "product_unavailable", Param::is("product_id")),
    )];
    Ok(run_cases(ctx, &UNAVAILABLE_PRODUCT, cases).await)
}

pub async fn currency_mismatch(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let v = d
        .voucher()
        .ok_or_else(|| Skip("the catalog has no available voucher".into()))?;
    let other = d.other_currency(&v.currency_code);
    let base = json!({"product_id": v.id, "test": true});
    let cases = vec![
        case(
            format!("currency_code {other} for a {} product", v.currency_code),
            order(ctx, &with(&base, "currency_code", json!(other))),
            invalid("currency_code"),
        ),
        case(
            "currency_code in lowercase",
            order(
                ctx,
                &with(
                    &base,
                    "currency_code",
                    json!(v.currency_code.to_ascii_lowercase()),
                ),
            ),
            invalid("currency_code"),
        ),
    ];
    let mut findings = run_cases(ctx, &CURRENCY_MISMATCH, cases).await;
    let r = ctx
        .send(order(
            ctx,
            &with(&base, "currency_code", json!(v.currency_code)),
        ))
        .await;
    findings.extend(expect_status(
        &CURRENCY_MISMATCH,
        "the product's own currency_code",
        &r,
        201,
    ));
    Ok(findings)
}

pub async fn quantity_range(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let v = voucher_base(d)?;
    let mut cases = vec![
        case(
            "quantity 0",
            order(ctx, &with(&v, "quantity", json!(0))),
            invalid("quantity"),
        ),
        case(
            "quantity -1",
            order(ctx, &with(&v, "quantity", json!(-1))),
            invalid("quantity"),
        ),
        case(
            "quantity 101",
            order(ctx, &with(&v, "quantity", json!(101))),
            invalid("quantity"),
        ),
    ];
    if let Ok((_, t)) = topup_base(d) {
        cases.push(case(
            "quantity 2 on a direct top-up",
            order(ctx, &with(&t, "quantity", json!(2))),
            invalid("quantity"),
        ));
    }
    let mut findings = run_cases(ctx, &QUANTITY_RANGE, cases).await;
    let r = ctx
        .send(order(ctx, &with(&v, "quantity", json!(100))))
        .await;
    findings.extend(expect_status(
        &QUANTITY_RANGE,
        "quantity 100 (test order)",
        &r,
        201,
    ));
    Ok(findings)
}

pub async fn customer_account(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let (t, body) = topup_base(d)?;
    let ca = "topup_request.customer_account";
    let mut cases = vec![
        case(
            "customer_account missing",
            order(ctx, &without(&body, ca)),
            invalid(ca),
        ),
        case(
            "customer_account not an object",
            order(ctx, &with(&body, ca, json!("player123"))),
            invalid(ca),
        ),
    ];
    let required = t.customer_account_fields.iter().find(|f| f.required);
    if let Some(field) = required {
        let mut account = body["topup_request"]["customer_account"].clone();
        if let Some(obj) = account.as_object_mut() {
            obj.remove(&field.name);
        }
        let param = format!("{ca}.{}", field.name);
        cases.push(case(
            format!("required field {} missing", field.name),
            order(ctx, &with(&body, ca, account.clone())),
            invalid(&param),
        ));
        let mut non_string = body["topup_request"]["customer_account"].clone();
        if let Some(obj) = non_string.as_object_mut() {
            obj.insert(field.name.clone(), json!(12345));
        }
        cases.push(case(
            format!("field {} not a string", field.name),
            order(ctx, &with(&body, ca, non_string)),
            invalid(&param),
        ));
    }
    let mut pattern_tested = false;
    if let Some(field) = patterned_field(&t) {
        if let Some(bad) = value_against(field) {
            let mut account = body["topup_request"]["customer_account"].clone();
            if let Some(obj) = account.as_object_mut() {
                obj.insert(field.name.clone(), json!(bad));
            }
            cases.push(case(
                format!("field {} = {bad:?} breaks its pattern", field.name),
                order(ctx, &with(&body, ca, account)),
                invalid(&format!("{ca}.{}", field.name)),
            ));
            pattern_tested = true;
        }
    }
    if required.is_none() && !pattern_tested {
        return Err(Skip(format!(
            "top-up {} has no required or patterned customer_account field",
            t.id
        )));
    }
    Ok(run_cases(ctx, &CUSTOMER_ACCOUNT, cases).await)
}

/// An agent with no money (created through the admin API) orders a real voucher: the
/// charge exceeds its available balance ("0.00"), so §5.1 requires `insufficient_balance`,
/// no order, no movement.
pub async fn insufficient_balance(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    if !ctx.has_admin() {
        return Err(Skip(
            "needs --admin-token to create an agent without money (§9.2)".into(),
        ));
    }
    if !ctx.spend.real_orders_allowed() {
        return Err(Skip(
            "real orders are not allowed (use --allow-spend)".into(),
        ));
    }
    let v = d
        .voucher()
        .ok_or_else(|| Skip("the catalog has no available voucher".into()))?;
    let created = ctx
        .send(
            Req::post("/_sandbox/agents")
                .auth(Auth::Admin)
                .json(&json!({})),
        )
        .await
        .map_err(|e| Skip(format!("the admin API gave no answer: {}", e.reason)))?;
    let body = created.json.as_ref().filter(|_| created.status() == 201);
    let who = body.and_then(|b| Some((b.get("agent_id")?.as_str()?, b.get("api_key")?.as_str()?)));
    let Some((agent_id, key)) = who else {
        return Err(Skip(format!(
            "the admin API did not create an agent ({})",
            created.status()
        )));
    };
    let poor = ctx.client.as_agent(agent_id, key);
    let r = ctx
        .send_as(
            &poor,
            Req::post(poor.agent_path("/orders")).json(&json!({"product_id": v.id})),
        )
        .await;
    let expected = ExpectError::new(400, "insufficient_balance", Param::Null);
    let mut findings: Vec<Finding> = expect_error(
        &INSUFFICIENT_BALANCE,
        "a real order without money",
        &r,
        &expected,
    )
    .into_iter()
    .collect();
    if let Ok(list) = ctx
        .send_as(&poor, Req::get(poor.agent_path("/orders")))
        .await
    {
        let n = list
            .json
            .as_ref()
            .and_then(|j| j.get("items")?.as_array().map(Vec::len));
        if n != Some(0) {
            findings.push(INSUFFICIENT_BALANCE.finding(
                "the refused order exists",
                "no order for an agent whose only order was refused",
                format!(
                    "{} orders",
                    n.map(|n| n.to_string()).unwrap_or_else(|| "?".into())
                ),
                Some(&list),
            ));
        }
    }
    Ok(findings)
}

pub async fn idempotency_key(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let v = voucher_base(d)?;
    let p = invalid("Idempotency-Key");
    let cases = vec![
        case(
            "Idempotency-Key of 256 characters",
            order(ctx, &v).header("Idempotency-Key", "k".repeat(256)),
            p.clone(),
        ),
        case(
            "an empty Idempotency-Key",
            order(ctx, &v).header("Idempotency-Key", ""),
            p,
        ),
    ];
    let mut findings = run_cases(ctx, &IDEMPOTENCY_KEY, cases).await;
    let mut key = format!("gatecheck-{}-", uuid::Uuid::new_v4().simple());
    while key.len() < 255 {
        key.push('k');
    }
    let r = ctx
        .send(order(ctx, &v).header("Idempotency-Key", key))
        .await;
    findings.extend(expect_status(
        &IDEMPOTENCY_KEY,
        "Idempotency-Key of 255 characters",
        &r,
        201,
    ));
    Ok(findings)
}

fn paged_lists(ctx: &Ctx<'_>) -> Vec<String> {
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

pub async fn path_ids(ctx: &Ctx<'_>) -> Run {
    let mut cases = Vec::new();
    for bad in ["abc", "0", "007", "-1", "1.5", "1e3"] {
        cases.push(case(
            format!("product id {bad:?}"),
            Req::get(ctx.agent_path(&format!("/products/{bad}"))),
            invalid("productId"),
        ));
    }
    for bad in ["not-a-uuid", "12345", "5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5"] {
        cases.push(case(
            format!("order id {bad:?}"),
            Req::get(ctx.agent_path(&format!("/orders/{bad}"))),
            invalid("orderId"),
        ));
    }
    Ok(run_cases(ctx, &PATH_IDS, cases).await)
}

pub async fn not_found(ctx: &Ctx<'_>, d: &Discovery, own_order: Option<&str>) -> Run {
    let nf = ExpectError::new(404, "not_found", Param::Any);
    let cases = vec![
        case(
            "an unknown product id",
            Req::get(ctx.agent_path(&format!("/products/{}", d.unknown_product_id()))),
            nf.clone(),
        ),
        case(
            "an unknown order id",
            Req::get(ctx.agent_path(&format!("/orders/{}", uuid::Uuid::new_v4()))),
            nf,
        ),
    ];
    let mut findings = run_cases(ctx, &NOT_FOUND, cases).await;
    // An order id is a UUID in either case (§10): the upper-case form finds the order.
    if let Some(id) = own_order {
        let r = ctx
            .send(Req::get(
                ctx.agent_path(&format!("/orders/{}", id.to_ascii_uppercase())),
            ))
            .await;
        findings.extend(expect_status(
            &NOT_FOUND,
            "an existing order id in upper case",
            &r,
            200,
        ));
    }
    Ok(findings)
}

pub async fn unknown_route(ctx: &Ctx<'_>) -> Run {
    let nf = ExpectError::new(404, "not_found", Param::Any);
    let cases = vec![
        case(
            "GET an unknown agent route",
            Req::get(ctx.agent_path("/gatecheck-nowhere")),
            nf.clone(),
        ),
        case(
            "POST an unknown agent route",
            Req::post(ctx.agent_path("/gatecheck-nowhere")).json(&json!({})),
            nf.clone(),
        ),
        case(
            "GET below an order",
            Req::get(ctx.agent_path(&format!("/orders/{}/gatecheck", uuid::Uuid::new_v4()))),
            nf.clone(),
        ),
        case(
            "GET an unknown top-level route",
            Req::get("/gatecheck-nowhere"),
            nf,
        ),
    ];
    Ok(run_cases(ctx, &UNKNOWN_ROUTE, cases).await)
}

pub async fn wrong_method(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let product = d.catalog.first().map(|p| p.id).unwrap_or(1);
    let order_id = uuid::Uuid::new_v4();
    let calls: Vec<(Method, String, &[&str])> = vec![
        (Method::DELETE, ctx.agent_path("/products"), &["GET"]),
        (Method::PUT, ctx.agent_path("/orders"), &["GET", "POST"]),
        (
            Method::PATCH,
            ctx.agent_path(&format!("/orders/{order_id}")),
            &["GET"],
        ),
        (
            Method::PUT,
            ctx.agent_path(&format!("/products/{product}")),
            &["GET"],
        ),
        (Method::DELETE, ctx.agent_path("/balance"), &["GET"]),
        (Method::POST, ctx.agent_path("/deposits"), &["GET"]),
        (Method::POST, ctx.agent_path("/product-types"), &["GET"]),
        (
            Method::POST,
            ctx.agent_path("/product-categories"),
            &["GET"],
        ),
        (Method::POST, "/health".to_string(), &["GET"]),
        (Method::HEAD, ctx.agent_path("/products"), &["GET"]),
        (Method::OPTIONS, ctx.agent_path("/orders"), &["GET", "POST"]),
    ];
    let results =
        futures::future::join_all(calls.into_iter().map(|(method, path, allow)| async move {
            let is_head = method == Method::HEAD;
            let r = ctx.send(Req::new(method, path)).await;
            (r, allow, is_head)
        }))
        .await;
    let expected = ExpectError::new(405, "method_not_allowed", Param::Any);
    let mut findings = Vec::new();
    for (r, allow, is_head) in &results {
        let o = match r {
            Ok(o) => o,
            Err(e) => {
                findings.push(WRONG_METHOD.no_response(e));
                continue;
            }
        };
        let label = o.label();
        if *is_head {
            if o.status() != 405 {
                findings.push(WRONG_METHOD.finding(
                    format!("{label}: wrong status"),
                    "405",
                    o.status().to_string(),
                    Some(o),
                ));
                continue;
            }
        } else if let Some(f) = expect_error(&WRONG_METHOD, &label, r, &expected) {
            findings.push(f);
            continue;
        }
        let listed: Vec<String> = o
            .exchange
            .header("allow")
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect();
        let missing: Vec<&&str> = allow
            .iter()
            .filter(|a| !listed.iter().any(|l| l == *a))
            .collect();
        if !missing.is_empty() {
            findings.push(
                WRONG_METHOD.finding(
                    format!("{label}: the Allow header does not list the supported methods"),
                    format!("Allow: {}", allow.join(", ")),
                    o.exchange
                        .header("allow")
                        .map(|a| format!("Allow: {a}"))
                        .unwrap_or_else(|| "no Allow header".into()),
                    Some(o),
                ),
            );
        }
    }
    Ok(findings)
}

/// Runs the family concurrently.
pub async fn run(ctx: &Ctx<'_>, d: &Discovery, own_order: Option<&str>) -> Vec<CheckResult> {
    let started = Instant::now();
    let (a, b, c, e, f, g, h, i, j, k, l) = futures::join!(
        malformed_json(ctx),
        media_type(ctx, d),
        invalid_fields(ctx, d),
        amount_forms(ctx, d),
        amount_range(ctx, d),
        unknown_product(ctx, d),
        unavailable_product(ctx, d),
        currency_mismatch(ctx, d),
        quantity_range(ctx, d),
        customer_account(ctx, d),
        idempotency_key(ctx, d),
    );
    let insufficient = insufficient_balance(ctx, d).await;
    let (m, n, o, p, q, r) = futures::join!(
        bad_limit(ctx),
        bad_cursor(ctx, d),
        path_ids(ctx),
        not_found(ctx, d, own_order),
        unknown_route(ctx),
        wrong_method(ctx, d),
    );
    vec![
        MALFORMED_JSON.result(a, started),
        MEDIA_TYPE.result(b, started),
        INVALID_FIELDS.result(c, started),
        AMOUNT_FORMS.result(e, started),
        AMOUNT_RANGE.result(f, started),
        UNKNOWN_PRODUCT.result(g, started),
        UNAVAILABLE_PRODUCT.result(h, started),
        CURRENCY_MISMATCH.result(i, started),
        QUANTITY_RANGE.result(j, started),
        CUSTOMER_ACCOUNT.result(k, started),
        IDEMPOTENCY_KEY.result(l, started),
        INSUFFICIENT_BALANCE.result(insufficient, started),
        BAD_LIMIT.result(m, started),
        BAD_CURSOR.result(n, started),
        PATH_IDS.result(o, started),
        NOT_FOUND.result(p, started),
        UNKNOWN_ROUTE.result(q, started),
        WRONG_METHOD.result(r, started),
    ]
}
