//! The Wallet sandbox's field rules and order of checks (WALLET_API.md §1, §3, §5):
//! every refusal with its exact `code` and `param`, and no personal data echoed.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

async fn authorize_with(sb: &Sb, body: &Value) -> Resp {
    sb.post("/v1/wallet/authorize", Some(&fresh_key()), body)
        .await
}

fn with(field: &str, value: Value) -> Value {
    let mut b = auth_body(15_000, "+77001234567", "ORDER-1");
    b[field] = value;
    b
}

#[tokio::test]
async fn authorize_field_rules() {
    let sb = start().await;
    let cases: Vec<(&str, Value)> = vec![
        ("amount", json!(0)),
        ("amount", json!(-1)),
        ("amount", json!(1_000_000_000_001u64)),
        ("amount", json!(150.5)),
        ("amount", json!(150.0)),
        ("amount", json!("150")),
        ("amount", json!(true)),
        ("amount", Value::Null),
        ("phoneNumber", json!("77001234567")),
        ("phoneNumber", json!("+07001234567")),
        ("phoneNumber", json!("+1234567")),
        ("phoneNumber", json!("+1234567890123456")),
        ("phoneNumber", json!("+7700123456a")),
        ("phoneNumber", json!(77001234567u64)),
        ("iin", json!("900101300008")),
        ("iin", json!("901301300007")),
        ("iin", json!("000229300005")),
        ("iin", json!("90010130000")),
        ("iin", json!("9001013000070")),
        ("iin", json!("90010130000x")),
        ("iin", json!("900101700007")),
        ("iin", json!(900101300007u64)),
        ("orderReference", json!("")),
        ("orderReference", json!("x".repeat(65))),
        ("orderReference", json!("café")),
        ("orderReference", json!("tab\there")),
        ("currency", json!("kzt")),
        ("currency", json!("KZ")),
        ("currency", json!("GBP")),
        ("currency", json!(398)),
    ];
    for (field, value) in cases {
        let body = with(field, value.clone());
        let r = authorize_with(&sb, &body).await;
        r.expect(400, "invalid_request", Some(field));
        if let Some(v) = value.as_str() {
            if field == "iin" || field == "phoneNumber" {
                assert!(!r.text.contains(v), "personal data echoed: {}", r.text);
            }
        }
    }
    for x in 0..10 {
        authorize_with(&sb, &with("iin", json!(format!("90010130080{x}"))))
            .await
            .expect(400, "invalid_request", Some("iin"));
    }
    for good in ["900101300007", "900101300811", "000229500008"] {
        authorize_with(&sb, &with("iin", json!(good))).await.ok(201);
    }
    for amount in [1u64, 1_000_000_000_000] {
        authorize_with(&sb, &with("amount", json!(amount)))
            .await
            .ok(201);
    }
    authorize_with(&sb, &with("orderReference", json!("x".repeat(64))))
        .await
        .ok(201);
    authorize_with(&sb, &with("phoneNumber", json!("+123456789012345")))
        .await
        .ok(201);
    // Missing fields, unknown fields ignored.
    for field in ["amount", "phoneNumber", "iin", "orderReference", "currency"] {
        let mut b = auth_body(100, "+77001234567", "M");
        b.as_object_mut().unwrap().remove(field);
        authorize_with(&sb, &b)
            .await
            .expect(400, "invalid_request", Some(field));
    }
    let mut extra = auth_body(100, "+77001234567", "M");
    extra["note"] = json!("ignored");
    authorize_with(&sb, &extra).await.ok(201);
    // No response ever echoes iin or phone, success included.
    let ok = authorize_with(&sb, &auth_body(100, "+77009876543", "PII")).await;
    assert!(!ok.text.contains("900101300007") && !ok.text.contains("+77009876543"));
}

#[tokio::test]
async fn body_field_order_and_check_order() {
    let sb = start().await;
    // Fields in §5's order: amount, phoneNumber, iin, orderReference, currency.
    let all_bad =
        json!({"amount": 0, "phoneNumber": "x", "iin": "x", "orderReference": "", "currency": "x"});
    let order = ["amount", "phoneNumber", "iin", "orderReference", "currency"];
    let mut body = all_bad.clone();
    for field in order {
        authorize_with(&sb, &body)
            .await
            .expect(400, "invalid_request", Some(field));
        body[field] = auth_body(100, "+77001234567", "O")[field].clone();
    }
    // Idempotency-Key before the body; required on authorize; 1-255 printable ASCII.
    sb.post("/v1/wallet/authorize", None, &all_bad)
        .await
        .expect(400, "invalid_request", Some("Idempotency-Key"));
    sb.post("/v1/wallet/authorize", Some(""), &all_bad)
        .await
        .expect(400, "invalid_request", Some("Idempotency-Key"));
    sb.post("/v1/wallet/authorize", Some(&"k".repeat(256)), &all_bad)
        .await
        .expect(400, "invalid_request", Some("Idempotency-Key"));
    // 401 before everything; then 404 route, 405, 415.
    sb.send(Method::POST, "/v1/wallet/nowhere", &[], None)
        .await
        .expect(401, "unauthorized", Some("Authorization"));
    let key = sb.key();
    sb.send(
        Method::POST,
        "/v1/wallet/nowhere",
        &[("authorization", &key)],
        None,
    )
    .await
    .expect(404, "not_found", None);
    let r = sb
        .send(
            Method::DELETE,
            "/v1/wallet/authorize",
            &[("authorization", &key)],
            None,
        )
        .await;
    r.expect(405, "method_not_allowed", None);
    assert_eq!(r.header("allow").as_deref(), Some("POST"));
    for m in [Method::HEAD, Method::OPTIONS] {
        let r = sb
            .send(
                m,
                "/v1/wallet/transactions",
                &[("authorization", &key)],
                None,
            )
            .await;
        assert_eq!(r.status(), 405);
        assert_eq!(r.header("allow").as_deref(), Some("GET"));
    }
    sb.send(
        Method::POST,
        "/v1/wallet/authorize",
        &[("authorization", &key), ("content-type", "text/plain")],
        Some(b"{}".to_vec()),
    )
    .await
    .expect(415, "unsupported_media_type", Some("Content-Type"));
    sb.send(
        Method::POST,
        "/v1/wallet/authorize",
        &[("authorization", &key)],
        Some(b"{}".to_vec()),
    )
    .await
    .expect(415, "unsupported_media_type", Some("Content-Type"));
    // No body, no Content-Type: 400 (the key first, then the body).
    sb.send(
        Method::POST,
        "/v1/wallet/authorize",
        &[("authorization", &key), ("idempotency-key", "x")],
        None,
    )
    .await
    .expect(400, "invalid_request", None);
    for raw in ["{", "[1]", "null", "\"x\""] {
        sb.send(
            Method::POST,
            "/v1/wallet/authorize",
            &[
                ("authorization", &key),
                ("idempotency-key", "x"),
                ("content-type", "application/json"),
            ],
            Some(raw.as_bytes().to_vec()),
        )
        .await
        .expect(400, "invalid_request", None);
    }
    // Path id before the key and the body; 404 only after the key lookup.
    sb.post("/v1/wallet/wt_bad/capture", Some(""), &json!({}))
        .await
        .expect(400, "invalid_request", Some("wallet_transaction_id"));
    sb.get("/v1/wallet/transaction/wt_01jdm3z7v8h8q2x9k0r1abcd12")
        .await
        .expect(400, "invalid_request", Some("wallet_transaction_id"));
    sb.post(
        "/v1/wallet/wt_01KHTPHWP8H8Q2X9K0R1ABCD12/capture",
        Some(""),
        &json!({}),
    )
    .await
    .expect(400, "invalid_request", Some("Idempotency-Key"));
    sb.post(
        "/v1/wallet/wt_01KHTPHWP8H8Q2X9K0R1ABCD12/capture",
        None,
        &json!({"amount": 1.5}),
    )
    .await
    .expect(400, "invalid_request", Some("amount"));
    sb.post(
        "/v1/wallet/wt_01KHTPHWP8H8Q2X9K0R1ABCD12/capture",
        None,
        &json!({"amount": 1}),
    )
    .await
    .expect(404, "not_found", None);
    sb.get("/v1/wallet/transaction/wt_01KHTPHWP8H8Q2X9K0R1ABCD12")
        .await
        .expect(404, "not_found", None);
    // 409 invalid_state before 400 amount_exceeds_remaining.
    let open = sb.authorize(100, "+77001111111").await;
    let id = open["walletTransactionId"].as_str().unwrap();
    sb.op(id, "capture", 1_000, None)
        .await
        .expect(409, "invalid_state", None);
    // Outside /v1/wallet/ and /_sandbox: 404 without a key.
    sb.send(Method::GET, "/v1/other", &[], None)
        .await
        .expect(404, "not_found", None);
}

#[tokio::test]
async fn transport_rules() {
    let sb = start().await;
    let key = sb.key();
    let r = sb
        .send(
            Method::GET,
            "/v1/wallet/transactions",
            &[("authorization", &key), ("x-request-id", "req-42")],
            None,
        )
        .await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("req-42"));
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let e = sb
        .send(Method::GET, "/v1/wallet/transactions", &[], None)
        .await;
    assert!(e
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    // Header values are trimmed of surrounding spaces.
    sb.send(
        Method::GET,
        "/v1/wallet/transactions",
        &[("authorization", &format!(" {key} "))],
        None,
    )
    .await
    .ok(200);
}

#[tokio::test]
async fn rate_limit_is_per_key_with_retry_after_and_spares_the_admin_api() {
    let mut config = fast();
    config.gate.rate_limit = Some(3);
    let sb = start_with(config).await;
    let mut limited = None;
    for _ in 0..10 {
        let r = sb.get("/v1/wallet/transactions").await;
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("a 429 within 10 requests at 3/s");
    r.expect(429, "rate_limited", None);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    sb.admin(Method::POST, "/_sandbox/merchants", None)
        .await
        .ok(201);
}
