//! Contract §5.2 and §10: Idempotency-Key replays, mismatches, in-flight conflicts, only a
//! 201 binding a key, and validation before the key lookup.

use crate::common;

use common::{start, top_up_body, voucher_body};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn replay_returns_the_same_order_and_moves_no_money() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let mut body = voucher_body(&v, 2);
    body["meta"] = json!({"n": 1, "tags": ["a", "b"]});
    let first = sb.order(&agent, &body, Some("order-1")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(first.json()["idempotency_key"], "order-1");
    let after_first = sb.balance(&agent, "USD").await;

    // Same payload in another key order and spelling of numbers: JSON-equal.
    let raw = format!(
        r#"{{ "meta": {{"tags": ["a","b"], "n": 1.0}},  "quantity": 2, "product_id": {} }}"#,
        v["id"]
    );
    let replay = sb
        .send(
            Method::POST,
            &format!("/agent/{}/orders", agent.id),
            &[
                ("authorization", &agent.key),
                ("content-type", "application/json"),
                ("idempotency-key", "order-1"),
            ],
            Some(raw.into_bytes()),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CREATED, "{}", replay.text);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    for field in [
        "id",
        "charged_amount",
        "balance_before",
        "balance_after",
        "created_at",
    ] {
        assert_eq!(replay.json()[field], first.json()[field], "{field}");
    }
    assert_eq!(replay.header("location"), first.header("location"));
    assert_eq!(sb.balance(&agent, "USD").await, after_first);
    assert_eq!(sb.walk(&agent, "/orders", "", 100).await.len(), 1);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn different_payload_is_a_mismatch_and_creates_nothing() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    sb.order(&agent, &json!({"product_id": v["id"]}), Some("k"))
        .await;
    let before = sb.balance(&agent, "USD").await;
    // `{}`-like difference: an explicit default is a different payload.
    let r = sb
        .order(
            &agent,
            &json!({"product_id": v["id"], "quantity": 1}),
            Some("k"),
        )
        .await;
    r.expect_error(422, "idempotency_key_mismatch")
        .expect_param(Some("Idempotency-Key"));
    // Unknown fields count too.
    let r = sb
        .order(
            &agent,
            &json!({"product_id": v["id"], "note": "x"}),
            Some("k"),
        )
        .await;
    r.expect_error(422, "idempotency_key_mismatch");
    // An invalid payload gets its validation error, not 422.
    let r = sb
        .order(
            &agent,
            &json!({"product_id": v["id"], "quantity": 0}),
            Some("k"),
        )
        .await;
    r.expect_error(400, "invalid_request")
        .expect_param(Some("quantity"));
    assert_eq!(sb.balance(&agent, "USD").await, before);
    assert_eq!(sb.walk(&agent, "/orders", "", 100).await.len(), 1);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn keys_are_scoped_to_the_agent() {
    let sb = start().await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let b = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let ra = sb.order(&a, &voucher_body(&v, 1), Some("shared")).await;
    let rb = sb.order(&b, &voucher_body(&v, 2), Some("shared")).await;
    assert_eq!(ra.status, StatusCode::CREATED);
    assert_eq!(rb.status, StatusCode::CREATED, "{}", rb.text);
    assert_ne!(ra.json()["id"], rb.json()["id"]);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn a_failed_request_leaves_the_key_free() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "1.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let body = voucher_body(&v, 1);
    sb.order(&agent, &body, Some("retry-me"))
        .await
        .expect_error(400, "insufficient_balance");
    let d = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/agents/{}/deposits", agent.id),
            Some(&json!({"currency_code": "USD", "amount": "50.00"})),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.text);
    let r = sb.order(&agent, &body, Some("retry-me")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.header("idempotent-replayed"), None);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn key_syntax_is_checked() {
    let sb = start().await;
    let a = sb.default_agent();
    let v = sb.voucher(&a, "USD").await;
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "tab\there"] {
        let r = sb.order(&a, &voucher_body(&v, 1), Some(key)).await;
        r.expect_error(400, "invalid_request")
            .expect_param(Some("Idempotency-Key"));
    }
    let ok = "k".repeat(255);
    let r = sb.order(&a, &voucher_body(&v, 1), Some(&ok)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn without_a_key_every_post_creates_an_order() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let a = sb.order(&agent, &voucher_body(&v, 1), None).await;
    let b = sb.order(&agent, &voucher_body(&v, 1), None).await;
    assert_ne!(a.json()["id"], b.json()["id"]);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn in_flight_key_gets_409_or_the_replay() {
    // Many concurrent same-key POSTs: each answer is the 201 (first or replay) or 409, and
    // exactly one order exists (the full concurrency test is in sandbox_concurrency.rs).
    let sb = start().await;
    let agent = sb.new_agent(&[("EUR", "500.00")]).await;
    let t = sb.top_up(&agent, "EUR").await;
    let body = top_up_body(&t, "10.00");
    let results =
        futures::future::join_all((0..16).map(|_| sb.order(&agent, &body, Some("same")))).await;
    let mut ids = std::collections::HashSet::new();
    for r in &results {
        match r.status.as_u16() {
            201 => {
                ids.insert(r.json()["id"].as_str().unwrap().to_string());
            }
            409 => {
                r.expect_error(409, "idempotency_in_progress")
                    .expect_param(Some("Idempotency-Key"));
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(sb.walk(&agent, "/orders", "", 100).await.len(), 1);
    sb.handle.shutdown().await;
}
