//! Issue 2 part 3: no overdraw and at most one order per Idempotency-Key under any number
//! of concurrent requests; the ledger identity holds throughout.

use crate::common;

use std::collections::HashSet;

use common::{start, top_up_body, voucher_body};
use futures::future::join_all;
use gatecheck::apis::gate::money::Amount;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_parallel_same_key_posts_make_one_order() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "1000.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let body = voucher_body(&v, 3);
    for round in 0..3 {
        let key = format!("same-key-{round}");
        let results = join_all((0..32).map(|_| sb.order(&agent, &body, Some(&key)))).await;
        let mut ids = HashSet::new();
        for r in &results {
            match r.status.as_u16() {
                201 => {
                    ids.insert(r.json()["id"].as_str().unwrap().to_string());
                }
                409 => assert_eq!(r.code().as_deref(), Some("idempotency_in_progress")),
                s => panic!("unexpected {s}: {}", r.text),
            }
        }
        assert_eq!(ids.len(), 1, "one order per key");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let orders = sb.walk(&agent, "/orders", "", 100).await;
    assert_eq!(orders.len(), 3);
    let unit = Amount::parse_decimal_amount(v["agent_price"].as_str().unwrap()).unwrap();
    let (available, reserved) = sb.balance(&agent, "USD").await;
    assert_eq!(available + reserved, 100_000 - completed_minor(&orders));
    assert_eq!(
        100_000 - available,
        3 * unit.times(3).unwrap().minor(),
        "three reservations, not more"
    );
    sb.handle.shutdown().await;
}

fn completed_minor(orders: &[serde_json::Value]) -> i64 {
    orders
        .iter()
        .filter(|o| o["status"] == "completed")
        .map(|o| {
            Amount::parse_decimal_amount(o["charged_amount"].as_str().unwrap())
                .unwrap()
                .minor()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_parallel_orders_against_a_balance_for_ten() {
    let sb = start().await;
    let probe = sb.default_agent();
    let v = sb.voucher(&probe, "USD").await;
    let unit = Amount::parse_decimal_amount(v["agent_price"].as_str().unwrap()).unwrap();
    // Ten units fit, the eleventh misses by a cent.
    let deposit = Amount::from_minor(unit.times(11).unwrap().minor() - 1);
    let agent = sb.new_agent(&[("USD", &deposit.to_string())]).await;
    let body = voucher_body(&v, 1);
    let results = join_all((0..64).map(|_| sb.order(&agent, &body, None))).await;
    let created = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let refused = results
        .iter()
        .filter(|r| {
            r.status == StatusCode::BAD_REQUEST
                && r.code().as_deref() == Some("insufficient_balance")
        })
        .count();
    assert_eq!((created, refused), (10, 54));
    for r in results.iter().filter(|r| r.status == StatusCode::CREATED) {
        let after =
            Amount::parse_decimal_amount(r.json()["balance_after"].as_str().unwrap()).unwrap();
        assert!(!after.is_negative());
    }
    let (available, _) = sb.balance(&agent, "USD").await;
    assert!(available >= 0);
    // Once every order has settled, the ledger identity holds.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (available, reserved) = sb.balance(&agent, "USD").await;
    assert_eq!(reserved, 0);
    assert_eq!(
        available + reserved,
        deposit.minor() - completed_minor(&sb.walk(&agent, "/orders", "", 100).await)
    );
    sb.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ledger_identity_holds_under_mixed_concurrent_traffic() {
    let sb = start().await;
    let agent = sb.new_agent(&[("EUR", "300.00")]).await;
    let v = sb.voucher(&agent, "EUR").await;
    let t = sb.top_up(&agent, "EUR").await;
    let bodies: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            let mut b = if i % 2 == 0 {
                voucher_body(&v, 1 + i % 3)
            } else {
                top_up_body(&t, "7.77")
            };
            if i % 5 == 0 {
                b["external_ref"] = serde_json::json!(format!("sandbox-fail-{i}"));
            }
            if i % 7 == 0 {
                b["test"] = serde_json::json!(true);
            }
            b
        })
        .collect();
    let (sbr, agentr) = (&sb, &agent);
    let results = join_all(bodies.iter().enumerate().map(|(i, b)| {
        let key = (i % 3 == 0).then(|| format!("k{}", i % 9));
        async move { sbr.order(agentr, b, key.as_deref()).await }
    }))
    .await;
    for r in &results {
        assert!(
            r.status.is_client_error() || r.status == StatusCode::CREATED,
            "{}",
            r.text
        );
    }
    let (available, _) = sb.balance(&agent, "EUR").await;
    assert!(available >= 0);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(sb.ledger_identity_holds(&agent, "EUR").await);
    sb.handle.shutdown().await;
}
