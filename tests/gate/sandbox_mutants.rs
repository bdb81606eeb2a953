//! Every mutant really breaks the rule it names (so the harness's tests can rely on it).
//! The conforming behaviour of each rule is asserted in the other `sandbox_*` files.

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use common::{start_with, top_up_body, voucher_body, Sb};
use futures::future::join_all;
use gatecheck::apis::gate::money::Amount;
use gatecheck::apis::gate::sandbox::{Mutant, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn mutant(name: &str) -> Sb {
    let m: Mutant = name.parse().expect("known mutant");
    start_with(SandboxConfig {
        mutant: Some(m),
        complete_after: Duration::from_millis(30),
        ..Default::default()
    })
    .await
}

fn minor(v: &serde_json::Value) -> i64 {
    Amount::parse_decimal_amount(v.as_str().expect("amount string"))
        .expect("amount")
        .minor()
}

#[test]
fn every_mutant_has_a_kebab_case_name() {
    for m in Mutant::ALL {
        assert_eq!(m.to_string().parse::<Mutant>().unwrap(), *m);
        assert!(m
            .to_string()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
}

#[tokio::test]
async fn replay_creates_order() {
    let sb = mutant("replay-creates-order").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let first = sb.order(&a, &voucher_body(&v, 1), Some("k")).await;
    let second = sb.order(&a, &voucher_body(&v, 1), Some("k")).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_ne!(
        first.json()["id"],
        second.json()["id"],
        "a replay created a second order"
    );
    assert_eq!(sb.walk(&a, "/orders", "", 100).await.len(), 2);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn replay_charges_again() {
    let sb = mutant("replay-charges-again").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let first = sb.order(&a, &voucher_body(&v, 1), Some("k")).await;
    let (after_first, _) = sb.balance(&a, "USD").await;
    let replay = sb.order(&a, &voucher_body(&v, 1), Some("k")).await;
    assert_eq!(
        replay.json()["id"],
        first.json()["id"],
        "looks like a proper replay"
    );
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    let (after_replay, _) = sb.balance(&a, "USD").await;
    assert_eq!(
        after_first - after_replay,
        minor(&first.json()["charged_amount"]),
        "but money moved again"
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn mismatch_accepted() {
    let sb = mutant("mismatch-accepted").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let first = sb.order(&a, &voucher_body(&v, 1), Some("k")).await;
    let other = sb.order(&a, &voucher_body(&v, 5), Some("k")).await;
    assert_eq!(
        other.status,
        StatusCode::CREATED,
        "a different payload was accepted"
    );
    assert_eq!(other.json()["id"], first.json()["id"]);
    sb.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_race() {
    let sb = mutant("idempotency-race").await;
    let a = sb.new_agent(&[("USD", "1000.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let body = voucher_body(&v, 1);
    let results = join_all((0..16).map(|_| sb.order(&a, &body, Some("same")))).await;
    let ids: HashSet<String> = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        ids.len() > 1,
        "concurrent same-key POSTs created {} orders",
        ids.len()
    );
    sb.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overdraw_race() {
    let sb = mutant("overdraw-race").await;
    let probe = sb.default_agent();
    let v = sb.voucher(&probe, "USD").await;
    let unit = Amount::parse_decimal_amount(v["agent_price"].as_str().unwrap()).unwrap();
    let a = sb
        .new_agent(&[("USD", &unit.times(2).unwrap().to_string())])
        .await;
    let body = voucher_body(&v, 1);
    let results = join_all((0..20).map(|_| sb.order(&a, &body, None))).await;
    let created = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert!(created > 2, "only {created} orders: no overdraw");
    let (available, _) = sb.balance(&a, "USD").await;
    assert!(available < 0, "available went negative: {available}");
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn failed_keeps_reservation() {
    let sb = mutant("failed-keeps-reservation").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let mut body = voucher_body(&v, 1);
    body["external_ref"] = json!("sandbox-fail-1");
    let o = sb.order(&a, &body, None).await.json();
    let done = sb
        .wait_settled(&a, o["id"].as_str().unwrap(), Duration::from_secs(5))
        .await;
    assert_eq!(done["status"], "failed");
    let charge = minor(&o["charged_amount"]);
    assert_eq!(
        sb.balance(&a, "USD").await,
        (10_000 - charge, charge),
        "the reservation was not released"
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn truncate_rounding() {
    let sb = mutant("truncate-rounding").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let t = sb.find_product(&a, |p| p["agent_rate"] == "1.2500").await;
    let r = sb.order(&a, &top_up_body(&t, "3.34"), None).await;
    assert_eq!(
        r.json()["charged_amount"],
        "4.17",
        "4.175 truncated instead of 4.18"
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn quantity_ignored() {
    let sb = mutant("quantity-ignored").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let r = sb.order(&a, &voucher_body(&v, 3), None).await;
    assert_eq!(r.json()["quantity"], 3);
    assert_eq!(
        r.json()["charged_amount"],
        v["agent_price"],
        "charged for one unit"
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn test_order_moves_money() {
    let sb = mutant("test-order-moves-money").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let mut body = voucher_body(&v, 1);
    body["test"] = json!(true);
    let o = sb.order(&a, &body, None).await.json();
    assert_eq!(o["is_test"], true);
    assert_ne!(o["balance_before"], o["balance_after"]);
    let (available, reserved) = sb.balance(&a, "USD").await;
    assert_eq!(available + reserved, 10_000);
    assert!(available < 10_000, "a test order reserved money");
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn error_binds_key() {
    let sb = mutant("error-binds-key").await;
    let a = sb.new_agent(&[("USD", "1.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let body = voucher_body(&v, 1);
    sb.order(&a, &body, Some("retry"))
        .await
        .expect_error(400, "insufficient_balance");
    let d = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/agents/{}/deposits", a.id),
            Some(&json!({"currency_code": "USD", "amount": "100.00"})),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED);
    let retry = sb.order(&a, &body, Some("retry")).await;
    retry.expect_error(400, "insufficient_balance");
    assert!(
        sb.walk(&a, "/orders", "", 100).await.is_empty(),
        "the retry created no order"
    );
    // Without the key the same order goes through: only the key was poisoned.
    assert_eq!(sb.order(&a, &body, None).await.status, StatusCode::CREATED);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn ledger_drift() {
    let sb = mutant("ledger-drift").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let o = sb.order(&a, &voucher_body(&v, 1), None).await.json();
    let done = sb
        .wait_settled(&a, o["id"].as_str().unwrap(), Duration::from_secs(5))
        .await;
    assert_eq!(done["status"], "completed");
    let (available, reserved) = sb.balance(&a, "USD").await;
    assert_eq!(reserved, 0);
    assert_eq!(
        available,
        10_000 - minor(&o["charged_amount"]) - 1,
        "one cent too many"
    );
    assert!(!sb.ledger_identity_holds(&a, "USD").await);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn money_as_number() {
    let sb = mutant("money-as-number").await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    let r = sb.order(&a, &voucher_body(&v, 1), None).await;
    assert!(r.json()["charged_amount"].is_number(), "{}", r.text);
    assert!(r.json()["balance_after"].is_string());
    let list = sb.get(&a, "/orders").await.json();
    assert!(list["items"][0]["charged_amount"].is_number());
    sb.handle.shutdown().await;
}
