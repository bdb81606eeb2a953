//! Negative inputs (§1, §3, §5.1, §10): each request breaks exactly one rule and must get
//! the exact status, `error.code` and `error.param` the contract names. Expected params
//! are derived from the contract's field names and the discovered product, never from
//! what a server happens to answer. A few positive controls sit beside the negatives
//! (e.g. a 255-character Idempotency-Key is accepted) so a server that refuses
//! everything cannot pass.
//!
//! The family is a table: each check sits next to its function in a submodule and is
//! registered once in [`STAGES`]; each runs and is timed on its own.

use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use futures::FutureExt as _;
use serde_json::{json, Value};

use super::{expect_error, Check, ExpectError, Param, Skip};
use crate::apis::gate::contract::context::{Ctx, NoResponse, Observed, Req};
use crate::apis::gate::contract::discovery::Discovery;
use crate::apis::gate::money::Amount;
use crate::engine::model::{CheckResult, Finding};

mod amounts;
mod body;
mod lists;
mod products;
mod routes;

pub use amounts::{AMOUNT_FORMS, AMOUNT_RANGE};
pub use body::{IDEMPOTENCY_KEY, INVALID_FIELDS, MALFORMED_JSON, MEDIA_TYPE};
pub use lists::{BAD_CURSOR, BAD_FILTERS, BAD_LIMIT};
pub use products::{
    CURRENCY_MISMATCH, CUSTOMER_ACCOUNT, INSUFFICIENT_BALANCE, QUANTITY_RANGE, UNAVAILABLE_PRODUCT,
    UNKNOWN_PRODUCT,
};
pub use routes::{NOT_FOUND, PATH_IDS, UNKNOWN_ROUTE, WRONG_METHOD};

/// What every check of the family may read.
pub struct Args<'a> {
    pub discovery: &'a Discovery,
    /// An order of the agent's own, for the not-found check's control.
    pub own_order: Option<&'a str>,
}

/// One check of the family and the function that runs it.
pub type Entry = (
    Check,
    for<'a> fn(&'a Ctx<'a>, &'a Args<'a>) -> BoxFuture<'a, super::Run>,
);

/// The family, stage by stage: the checks of a stage run concurrently, the stages one
/// after another (the insufficient-balance check creates an agent with no money and runs
/// alone). Results come out in this order.
pub const STAGES: &[&[Entry]] = &[
    &[
        (MALFORMED_JSON, |c, _| body::malformed_json(c).boxed()),
        (MEDIA_TYPE, |c, a| body::media_type(c, a.discovery).boxed()),
        (INVALID_FIELDS, |c, a| {
            body::invalid_fields(c, a.discovery).boxed()
        }),
        (AMOUNT_FORMS, |c, a| {
            amounts::amount_forms(c, a.discovery).boxed()
        }),
        (AMOUNT_RANGE, |c, a| {
            amounts::amount_range(c, a.discovery).boxed()
        }),
        (UNKNOWN_PRODUCT, |c, a| {
            products::unknown_product(c, a.discovery).boxed()
        }),
        (UNAVAILABLE_PRODUCT, |c, a| {
            products::unavailable_product(c, a.discovery).boxed()
        }),
        (CURRENCY_MISMATCH, |c, a| {
            products::currency_mismatch(c, a.discovery).boxed()
        }),
        (QUANTITY_RANGE, |c, a| {
            products::quantity_range(c, a.discovery).boxed()
        }),
        (CUSTOMER_ACCOUNT, |c, a| {
            products::customer_account(c, a.discovery).boxed()
        }),
        (IDEMPOTENCY_KEY, |c, a| {
            body::idempotency_key(c, a.discovery).boxed()
        }),
    ],
    &[(INSUFFICIENT_BALANCE, |c, a| {
        products::insufficient_balance(c, a.discovery).boxed()
    })],
    &[
        (BAD_LIMIT, |c, _| lists::bad_limit(c).boxed()),
        (BAD_CURSOR, |c, a| lists::bad_cursor(c, a.discovery).boxed()),
        (BAD_FILTERS, |c, _| lists::bad_filters(c).boxed()),
        (PATH_IDS, |c, _| routes::path_ids(c).boxed()),
        (NOT_FOUND, |c, a| {
            routes::not_found(c, a.discovery, a.own_order).boxed()
        }),
        (UNKNOWN_ROUTE, |c, _| routes::unknown_route(c).boxed()),
        (WRONG_METHOD, |c, a| {
            routes::wrong_method(c, a.discovery).boxed()
        }),
    ],
];

/// Every check of the family, in report order.
pub fn checks() -> impl Iterator<Item = Check> {
    STAGES
        .iter()
        .flat_map(|s| s.iter().map(|(check, _)| *check))
}

/// Runs the family: each stage concurrently, each check timed from its own start.
pub async fn run(ctx: &Ctx<'_>, d: &Discovery, own_order: Option<&str>) -> Vec<CheckResult> {
    let args = Args {
        discovery: d,
        own_order,
    };
    let mut results = Vec::new();
    for stage in STAGES {
        let runs = stage.iter().map(|(check, f)| {
            let args = &args;
            async move {
                let started = Instant::now();
                let run = f(ctx, args).await;
                check.result(run, started)
            }
        });
        results.extend(futures::future::join_all(runs).await);
    }
    results
}

pub(super) fn invalid(param: &str) -> ExpectError {
    ExpectError::new(400, "invalid_request", Param::is(param))
}

/// One request and the error it must get.
pub(super) struct Case {
    pub what: String,
    pub req: Req,
    pub expect: ExpectError,
}

pub(super) fn case(what: impl Into<String>, req: Req, expect: ExpectError) -> Case {
    Case {
        what: what.into(),
        req,
        expect,
    }
}

pub(super) async fn run_cases(ctx: &Ctx<'_>, check: &Check, cases: Vec<Case>) -> Vec<Finding> {
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
pub(super) fn expect_status(
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
pub(super) fn with(base: &Value, key: &str, value: Value) -> Value {
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

pub(super) fn without(base: &Value, key: &str) -> Value {
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

pub(super) fn order(ctx: &Ctx<'_>, body: &Value) -> Req {
    Req::post(ctx.agent_path("/orders")).json(body)
}

pub(super) fn voucher_base(d: &Discovery) -> Result<Value, Skip> {
    d.voucher()
        .map(|v| json!({"product_id": v.id, "quantity": 1, "test": true}))
        .ok_or_else(|| Skip("the catalog has no available voucher".into()))
}

pub(super) fn topup_base(d: &Discovery) -> Result<(crate::apis::gate::wire::Product, Value), Skip> {
    let t = d
        .topup()
        .ok_or_else(|| Skip("the catalog has no usable available direct top-up".into()))?;
    let min = t.min_amount.unwrap_or(Amount::from_minor(100));
    let body = d.topup_body(&t, min.max(Amount::from_minor(1)), true);
    Ok((t, body))
}
