//! The request itself: malformed JSON, the media type, ill-typed or missing order
//! fields, and the Idempotency-Key's length.

use super::{
    case, expect_status, invalid, order, run_cases, topup_base, voucher_base, with, without,
};
use serde_json::{json, Value};

use crate::apis::gate::contract::checks::{Check, ExpectError, Param, Run};
use crate::apis::gate::contract::context::{Ctx, Req};
use crate::apis::gate::contract::discovery::Discovery;

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
pub const IDEMPOTENCY_KEY: Check = Check::must(
    "negative.idempotency_key_length",
    "§5.1 Create",
    "An empty or >255-character Idempotency-Key gets 400, param Idempotency-Key",
);

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
