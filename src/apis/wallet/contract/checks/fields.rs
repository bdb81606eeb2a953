//! §1 Money and §5 field rules: each invalid value of each field, alone in an otherwise
//! valid request, is `400 invalid_request` naming exactly that field; valid edge values
//! are accepted. Body shape and media type (§1, §3), and the Idempotency-Key rules (§5).

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::{expect, expect_status, invalid, Check, Param, Run, Skip};
use crate::apis::wallet::contract::context::Ctx;
use crate::apis::wallet::contract::iin;
use crate::apis::wallet::wire::{self, OperationKind, MAX_AMOUNT};
use crate::engine::contract::Req;
use crate::engine::model::Finding;

pub const AMOUNT: Check = Check::must(
    "wallet.fields.amount",
    "§1 Money",
    "amount is a JSON integer 1–1,000,000,000,000: anything else is 400 (param amount)",
);
pub const CURRENCY: Check = Check::must(
    "wallet.fields.currency",
    "§1 Money",
    "currency is ^[A-Z]{3}$ and accepted by the merchant, else 400 (param currency)",
);
pub const PHONE: Check = Check::must(
    "wallet.fields.phone_number",
    "§5 Operations",
    "phoneNumber is E.164 ^\\+[1-9][0-9]{7,14}$, else 400 (param phoneNumber)",
);
pub const IIN: Check = Check::must("wallet.fields.iin", "§5 Operations", "iin is 12 digits with a real date, century digit 1–6 and the check digit, else 400 (param iin)");
pub const ORDER_REFERENCE: Check = Check::must(
    "wallet.fields.order_reference",
    "§5 Operations",
    "orderReference is 1–64 printable ASCII characters, else 400 (param orderReference)",
);
pub const IDEMPOTENCY_KEY: Check = Check::must("wallet.fields.idempotency_key", "§5 Idempotency", "Idempotency-Key is required on authorize and 1–255 printable ASCII wherever sent, else 400 (param Idempotency-Key)");
pub const BODY_SHAPE: Check = Check::must(
    "wallet.fields.body_shape",
    "§3 Errors",
    "Malformed JSON or a body that is not an object is 400 invalid_request (param null)",
);
pub const MEDIA_TYPE: Check = Check::must(
    "wallet.fields.media_type",
    "§1 Transport",
    "A body that is not application/json is 415 unsupported_media_type (param Content-Type)",
);
pub const OPERATION_AMOUNT: Check = Check::must(
    "wallet.fields.operation_amount",
    "§5 Operations",
    "capture, cancel and refund take an integer amount ≥ 1, else 400 (param amount)",
);

/// How many probes run at once (kind to rate-limited targets).
const PARALLEL: usize = 4;

/// Authorize `body` (raw JSON text) with a fresh key; `expect` 400 naming `param`.
async fn authorize_invalid(
    ctx: &Ctx<'_>,
    check: &Check,
    what: String,
    body: String,
    param: &str,
) -> Vec<Finding> {
    match ctx.authorize_raw(10, body, Some(&ctx.key())).await {
        Ok(sent) => invalid(check, &what, &sent, param).into_iter().collect(),
        Err(_) => Vec::new(),
    }
}

/// The valid body with `field` replaced by raw JSON `value` (`None`: removed).
fn with_field(ctx: &Ctx<'_>, field: &str, value: Option<&str>) -> String {
    let mut body = ctx.body(10, &ctx.reference("field"));
    let obj = body.as_object_mut().expect("an object");
    obj.shift_remove(field);
    let mut text = Value::Object(obj.clone()).to_string();
    if let Some(raw) = value {
        // Raw text so that `150.0` and `1e3` reach the server as written.
        text.pop();
        text.push_str(&format!(",\"{field}\":{raw}}}"));
    }
    text
}

/// The control of a field's probes: the very body they send, with the field holding the
/// valid body's own value, answered `201`. Without it a refusal could be another rule's
/// (a currency the merchant does not take, a spend limit): the check is a skip, not a
/// failure.
async fn control(ctx: &Ctx<'_>, field: &str) -> Result<(), Skip> {
    let valid = ctx.body(10, &ctx.reference("field"))[field].to_string();
    let body = with_field(ctx, field, Some(&valid));
    let sent = ctx.authorize_raw(10, body, Some(&ctx.key())).await?;
    match &sent {
        Ok(o) if o.status() == 201 => Ok(()),
        Ok(o) => Err(Skip(format!(
            "the control (the same body with a valid {field}) answered {}: {}",
            o.status(),
            o.exchange.body_excerpt()
        ))),
        Err(e) => Err(Skip(format!("the control got no response: {}", e.reason))),
    }
}

async fn field_cases(
    ctx: &Ctx<'_>,
    check: &Check,
    field: &str,
    cases: Vec<(String, Option<String>)>,
) -> Run {
    if let Err(reason) = ctx.may_spend(0) {
        return Err(reason.into());
    }
    control(ctx, field).await?;
    let findings: Vec<Vec<Finding>> = stream::iter(cases)
        .map(|(what, raw)| {
            let body = with_field(ctx, field, raw.as_deref());
            authorize_invalid(ctx, check, format!("{field} {what}"), body, field)
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    Ok(findings.into_iter().flatten().collect())
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Valid values of `field` are accepted (201); the control that the invalid ones are
/// refused for their own sake.
async fn accepted(
    ctx: &Ctx<'_>,
    check: &Check,
    field: &str,
    values: Vec<(String, Value)>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (what, value) in values {
        let mut body = ctx.body(1, &ctx.reference("valid"));
        body[field] = value;
        let amount = body["amount"].as_u64().unwrap_or(1);
        if let Ok(sent) = ctx
            .authorize_raw(amount, body.to_string(), Some(&ctx.key()))
            .await
        {
            findings.extend(expect_status(
                check,
                &format!("valid {field} ({what})"),
                &sent,
                201,
            ));
        }
    }
    findings
}

pub async fn amount(ctx: &Ctx<'_>) -> Run {
    let mut cases: Vec<(String, Option<String>)> = [
        "0", "-1", "-15000", "150.5", "150.0", "1e3", "\"150\"", "true", "null", "[150]", "{}",
    ]
    .iter()
    .map(|v| (format!("= {v}"), s(v)))
    .collect();
    cases.push(("missing".into(), None));
    if ctx.is_loopback() {
        // Were a broken server to accept it, it would hold this much: loopback only.
        cases.push((
            "= 1,000,000,000,001".into(),
            s(&(MAX_AMOUNT + 1).to_string()),
        ));
    }
    let mut findings = field_cases(ctx, &AMOUNT, "amount", cases).await?;
    findings.extend(accepted(ctx, &AMOUNT, "amount", vec![("1".into(), json!(1))]).await);
    Ok(findings)
}

pub async fn currency(ctx: &Ctx<'_>) -> Run {
    let own = ctx.currency();
    let cases: Vec<(String, Option<String>)> = vec![
        (
            format!("lower case {:?}", own.to_lowercase()),
            s(&format!("\"{}\"", own.to_lowercase())),
        ),
        ("\"KZ\"".into(), s("\"KZ\"")),
        ("\"KZTT\"".into(), s("\"KZTT\"")),
        ("\"K1T\"".into(), s("\"K1T\"")),
        ("\"\"".into(), s("\"\"")),
        ("398 (a number)".into(), s("398")),
        ("null".into(), s("null")),
        ("missing".into(), None),
    ];
    let mut findings = field_cases(ctx, &CURRENCY, "currency", cases).await?;
    if ctx.has_admin() {
        // Acceptance: a merchant of KZT alone refuses a well-formed USD, accepts KZT.
        if let Ok((_, key)) = ctx.new_merchant(Some(&["KZT"])).await {
            let other = ctx.as_merchant(&key);
            // KZT first: the control that this merchant authorizes at all.
            for (cur, want) in [("KZT", 201u16), ("USD", 400)] {
                if ctx.may_spend(1).is_err() {
                    break;
                }
                let mut body = ctx.body(1, &ctx.reference("currency"));
                body["currency"] = json!(cur);
                let req = Req::post(wire::AUTHORIZE_PATH)
                    .header("Idempotency-Key", ctx.key())
                    .json(&body);
                let sent = ctx.send_as(&other, req).await;
                let what = format!("{cur} for a merchant accepting only KZT");
                if want == 201 {
                    let refused = expect_status(&CURRENCY, &what, &sent, 201);
                    if refused.is_some() {
                        findings.extend(refused);
                        break;
                    }
                } else {
                    findings.extend(invalid(&CURRENCY, &what, &sent, "currency"));
                }
            }
        }
    }
    Ok(findings)
}

pub async fn phone(ctx: &Ctx<'_>) -> Run {
    let cases: Vec<(String, Option<String>)> = [
        ("\"+1234567\"", "7 digits"),
        ("\"+1234567890123456\"", "16 digits"),
        ("\"+0123456789\"", "leading 0"),
        ("\"77011234567\"", "no +"),
        ("\"+7 701 123 4567\"", "spaces"),
        ("\"+7-701-123-4567\"", "dashes"),
        ("\"+7701123456a\"", "a letter"),
        ("\"++77011234567\"", "two +"),
        ("\"\"", "empty"),
        ("77011234567", "a number"),
        ("null", "null"),
    ]
    .iter()
    .map(|(v, what)| (format!("{what} ({v})"), s(v)))
    .chain(std::iter::once(("missing".to_string(), None)))
    .collect();
    let mut findings = field_cases(ctx, &PHONE, "phoneNumber", cases).await?;
    findings.extend(
        accepted(
            ctx,
            &PHONE,
            "phoneNumber",
            vec![
                ("8 digits, the shortest".into(), json!("+12345678")),
                ("15 digits, the longest".into(), json!("+123456789012345")),
            ],
        )
        .await,
    );
    Ok(findings)
}

pub async fn iin_rule(ctx: &Ctx<'_>, seed: u32) -> Run {
    let cases: Vec<(String, Option<String>)> = iin::invalid(seed)
        .into_iter()
        .map(|(what, v)| (format!("{what} ({v:?})"), Some(Value::from(v).to_string())))
        .chain([
            ("a number".to_string(), s("900101300007")),
            ("null".to_string(), s("null")),
            ("missing".to_string(), None),
        ])
        .collect();
    let mut findings = field_cases(ctx, &IIN, "iin", cases).await?;
    let valid = iin::valid(seed)
        .into_iter()
        .map(|(what, v)| (format!("{what}: {v}"), json!(v)))
        .collect();
    findings.extend(accepted(ctx, &IIN, "iin", valid).await);
    Ok(findings)
}

pub async fn order_reference(ctx: &Ctx<'_>) -> Run {
    let long = "R".repeat(65);
    let cases: Vec<(String, Option<String>)> = vec![
        ("empty".into(), s("\"\"")),
        ("65 characters".into(), Some(Value::from(long).to_string())),
        ("a tab".into(), s("\"ORDER\\t1\"")),
        ("a non-ASCII letter".into(), s("\"ORDER-\\u00e9\"")),
        ("a control character".into(), s("\"ORDER\\u0001\"")),
        ("a number".into(), s("100045")),
        ("null".into(), s("null")),
        ("missing".into(), None),
    ];
    let mut findings = field_cases(ctx, &ORDER_REFERENCE, "orderReference", cases).await?;
    let max = format!("{}-{}", ctx.tag, "x".repeat(63 - ctx.tag.len()));
    findings.extend(
        accepted(
            ctx,
            &ORDER_REFERENCE,
            "orderReference",
            vec![
                ("64 characters".into(), json!(max)),
                ("1 character".into(), json!("Z")),
                ("punctuation".into(), json!(format!("{}:#/~!", ctx.tag))),
            ],
        )
        .await,
    );
    Ok(findings)
}

pub async fn idempotency_key(ctx: &Ctx<'_>, id: &str) -> Run {
    if let Err(reason) = ctx.may_spend(0) {
        return Err(reason.into());
    }
    let mut findings = Vec::new();
    let body = ctx.body(10, &ctx.reference("key")).to_string();
    // The control: this very body with a valid key is created.
    match ctx.authorize_raw(10, body.clone(), Some(&ctx.key())).await {
        Ok(Ok(o)) if o.status() == 201 => {}
        Ok(Ok(o)) => {
            return Err(Skip(format!(
                "the control (the same body with a valid key) answered {}: {}",
                o.status(),
                o.exchange.body_excerpt()
            )))
        }
        Ok(Err(e)) => return Err(Skip(format!("the control got no response: {}", e.reason))),
        Err(reason) => return Err(reason.into()),
    }
    for (what, key) in [
        ("missing", None),
        ("empty", Some(String::new())),
        ("256 characters", Some("k".repeat(256))),
    ] {
        if let Ok(sent) = ctx.authorize_raw(10, body.clone(), key.as_deref()).await {
            findings.extend(invalid(
                &IDEMPOTENCY_KEY,
                &format!("authorize with the key {what}"),
                &sent,
                "Idempotency-Key",
            ));
        }
    }
    for op in OperationKind::ALL {
        for (what, key) in [
            ("empty", String::new()),
            ("256 characters", "k".repeat(256)),
        ] {
            let sent = ctx
                .send(
                    Req::post(op.path(id))
                        .header("Idempotency-Key", key)
                        .json(&json!({"amount": 1})),
                )
                .await;
            findings.extend(invalid(
                &IDEMPOTENCY_KEY,
                &format!("{} with the key {what}", op.as_str()),
                &sent,
                "Idempotency-Key",
            ));
        }
    }
    // 255 printable characters are a valid key.
    if let Ok(sent) = ctx
        .authorize_raw(
            1,
            ctx.body(1, &ctx.reference("key255")).to_string(),
            Some(&format!("{}{}", ctx.tag, "K".repeat(255 - ctx.tag.len()))),
        )
        .await
    {
        findings.extend(expect_status(
            &IDEMPOTENCY_KEY,
            "authorize with a 255-character key",
            &sent,
            201,
        ));
    }
    Ok(findings)
}

/// Malformed JSON and bodies that are not objects, on authorize and on an operation.
pub async fn body_shape(ctx: &Ctx<'_>, id: &str) -> Run {
    let mut findings = Vec::new();
    for raw in ["{\"amount\": 1,", "[]", "\"text\"", "42", "null"] {
        if let Ok(sent) = ctx
            .authorize_raw(0, raw.to_string(), Some(&ctx.key()))
            .await
        {
            findings.extend(expect(
                &BODY_SHAPE,
                &format!("authorize with body {raw}"),
                &sent,
                400,
                "invalid_request",
                Param::Null,
            ));
        }
        let sent = ctx
            .send(
                Req::post(OperationKind::Capture.path(id))
                    .header("Content-Type", "application/json")
                    .raw_body(raw.to_string()),
            )
            .await;
        findings.extend(expect(
            &BODY_SHAPE,
            &format!("capture with body {raw}"),
            &sent,
            400,
            "invalid_request",
            Param::Null,
        ));
    }
    Ok(findings)
}

/// 415 for a body that is not JSON, with or without a Content-Type; media type matched
/// case-insensitively with parameters ignored (the control: accepted).
pub async fn media_type(ctx: &Ctx<'_>, id: &str) -> Run {
    let mut findings = Vec::new();
    let body = json!({"amount": 1}).to_string();
    let path = OperationKind::Capture.path(id);
    for (what, ct) in [
        ("text/plain", Some("text/plain")),
        ("no Content-Type", None),
        ("application/xml", Some("application/xml")),
    ] {
        let mut req = Req::post(&path).raw_body(body.clone());
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        let sent = ctx.send(req).await;
        findings.extend(expect(
            &MEDIA_TYPE,
            &format!("capture with {what}"),
            &sent,
            415,
            "unsupported_media_type",
            Param::is("Content-Type"),
        ));
    }
    let sent = ctx
        .send(
            Req::post(wire::AUTHORIZE_PATH)
                .header("Idempotency-Key", ctx.key())
                .header("Content-Type", "text/plain")
                .raw_body(""),
        )
        .await;
    findings.extend(expect(
        &MEDIA_TYPE,
        "authorize with text/plain and an empty body",
        &sent,
        415,
        "unsupported_media_type",
        Param::is("Content-Type"),
    ));
    // `Application/JSON; charset=utf-8` is JSON: an invalid amount then gets 400, not 415.
    let sent = ctx
        .send(
            Req::post(&path)
                .header("Content-Type", "Application/JSON; charset=utf-8")
                .raw_body(json!({"amount": 0}).to_string()),
        )
        .await;
    findings.extend(invalid(
        &MEDIA_TYPE,
        "capture as Application/JSON; charset=utf-8 (amount 0)",
        &sent,
        "amount",
    ));
    Ok(findings)
}

/// Invalid amounts on every operation, against our own transaction (validation comes
/// before the transaction is looked up, so nothing can move).
pub async fn operation_amount(ctx: &Ctx<'_>, id: &str) -> Run {
    let mut findings = Vec::new();
    for op in OperationKind::ALL {
        for raw in ["0", "-1", "1.5", "1.0", "\"1\"", "true", "null"] {
            let sent = ctx
                .send(
                    Req::post(op.path(id))
                        .header("Content-Type", "application/json")
                        .raw_body(format!("{{\"amount\":{raw}}}")),
                )
                .await;
            findings.extend(invalid(
                &OPERATION_AMOUNT,
                &format!("{} amount {raw}", op.as_str()),
                &sent,
                "amount",
            ));
        }
        let sent = ctx.send(Req::post(op.path(id)).json(&json!({}))).await;
        findings.extend(invalid(
            &OPERATION_AMOUNT,
            &format!("{} without amount", op.as_str()),
            &sent,
            "amount",
        ));
    }
    Ok(findings)
}
