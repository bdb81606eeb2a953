//! Contract §5.1 and §5.3: creating orders, reservation, test orders, the lifecycle, and
//! the `sandbox-fail` / `sandbox-slow` scenarios of §9.1.

use crate::common;

use std::time::Duration;

use common::{start, start_with, top_up_body, voucher_body};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn voucher_order_reserves_then_completes_with_a_code() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let unit = gatecheck::apis::gate::money::Amount::parse_decimal_amount(
        v["agent_price"].as_str().unwrap(),
    )
    .unwrap();
    let r = sb.order(&agent, &voucher_body(&v, 3), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let o = r.json();
    assert_eq!(o["status"], "pending");
    assert_eq!(o["charged_amount"], unit.times(3).unwrap().to_string());
    assert_eq!(o["balance_before"], "100.00");
    assert_eq!(
        o["balance_after"],
        gatecheck::apis::gate::money::Amount::from_minor(10_000)
            .checked_sub(unit.times(3).unwrap())
            .unwrap()
            .to_string()
    );
    assert_eq!(o["is_test"], false);
    assert_eq!(o["currency_code"], "USD");
    assert_eq!(o["region_code"], v["region_code"]);
    assert_eq!(o["external_ref"], json!(null));
    assert_eq!(o["idempotency_key"], json!(null));
    assert_eq!(o["order_content"], json!({}));
    assert!(o["created_at"].as_str().unwrap().ends_with('Z'));
    let id = o["id"].as_str().unwrap();
    assert_eq!(
        r.header("location").unwrap(),
        format!("/agent/{}/orders/{id}", agent.id)
    );
    assert_eq!(id, id.to_lowercase());
    let (available, reserved) = sb.balance(&agent, "USD").await;
    assert_eq!(reserved, unit.times(3).unwrap().minor());
    assert_eq!(available, 10_000 - reserved);

    let done = sb.wait_settled(&agent, id, Duration::from_secs(5)).await;
    assert_eq!(done["status"], "completed");
    assert!(done["order_content"]["voucher_code"].is_string());
    assert!(done["completed_at"].is_string());
    assert_eq!(done["failed_at"], json!(null));
    assert!(done["completed_at"].as_str().unwrap() >= done["created_at"].as_str().unwrap());
    let (available, reserved) = sb.balance(&agent, "USD").await;
    assert_eq!(
        (available, reserved),
        (10_000 - unit.times(3).unwrap().minor(), 0)
    );
    assert!(sb.ledger_identity_holds(&agent, "USD").await);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn top_up_charge_is_rounded_half_up() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let p = sb
        .find_product(&agent, |p| p["agent_rate"] == "1.2500")
        .await;
    let r = sb.order(&agent, &top_up_body(&p, "3.34"), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["charged_amount"], "4.18");
    let done = sb
        .wait_settled(
            &agent,
            r.json()["id"].as_str().unwrap(),
            Duration::from_secs(5),
        )
        .await;
    assert!(done["order_content"]["vendor_order_id"].is_string());
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn insufficient_balance_moves_nothing() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "5.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let r = sb.order(&agent, &voucher_body(&v, 10), None).await;
    r.expect_error(400, "insufficient_balance")
        .expect_param(None);
    assert_eq!(sb.balance(&agent, "USD").await, (500, 0));
    assert!(sb.walk(&agent, "/orders", "", 100).await.is_empty());
    // A currency the agent does not hold at all.
    let e = sb.voucher(&agent, "EUR").await;
    sb.order(&agent, &voucher_body(&e, 1), None)
        .await
        .expect_error(400, "insufficient_balance");
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn test_orders_move_no_money_and_run_the_lifecycle() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "20.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let mut body = voucher_body(&v, 1);
    body["test"] = json!(true);
    let r = sb.order(&agent, &body, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let o = r.json();
    assert_eq!(o["is_test"], true);
    assert_eq!(o["balance_before"], "20.00");
    assert_eq!(o["balance_after"], "20.00");
    assert_eq!(sb.balance(&agent, "USD").await, (2000, 0));
    let done = sb
        .wait_settled(&agent, o["id"].as_str().unwrap(), Duration::from_secs(5))
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(sb.balance(&agent, "USD").await, (2000, 0));
    // Not checked against the balance: a currency the agent does not hold.
    let e = sb.voucher(&agent, "EUR").await;
    let mut body = voucher_body(&e, 2);
    body["test"] = json!(true);
    let r = sb.order(&agent, &body, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["balance_before"], "0.00");
    assert_eq!(r.json()["balance_after"], "0.00");
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn sandbox_fail_releases_and_sandbox_slow_waits() {
    let sb = start_with(SandboxConfig {
        complete_after: Duration::from_millis(30),
        slow_after: Duration::from_millis(600),
        ..Default::default()
    })
    .await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let mut body = voucher_body(&v, 1);
    body["external_ref"] = json!("sandbox-fail-1");
    let r = sb.order(&agent, &body, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["external_ref"], "sandbox-fail-1");
    let done = sb
        .wait_settled(
            &agent,
            r.json()["id"].as_str().unwrap(),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["order_content"], json!({}));
    assert!(done["failed_at"].is_string());
    assert_eq!(done["completed_at"], json!(null));
    assert_eq!(sb.balance(&agent, "USD").await, (10_000, 0));

    body["external_ref"] = json!("sandbox-slow-1");
    let r = sb.order(&agent, &body, None).await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sb.get(&agent, &format!("/orders/{id}")).await.json()["status"],
        "pending"
    );
    let done = sb.wait_settled(&agent, &id, Duration::from_secs(5)).await;
    assert_eq!(done["status"], "completed");
    assert!(sb.ledger_identity_holds(&agent, "USD").await);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn terminal_status_and_timestamps_never_change() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let r = sb.order(&agent, &voucher_body(&v, 1), None).await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let done = sb.wait_settled(&agent, &id, Duration::from_secs(5)).await;
    let r = sb
        .admin(Method::POST, &format!("/_sandbox/orders/{id}/fail"), None)
        .await;
    r.expect_error(409, "conflict");
    let again = sb.get(&agent, &format!("/orders/{id}")).await.json();
    assert_eq!(again, done);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn order_validation_rules() {
    let sb = start().await;
    let a = sb.default_agent();
    let v = sb.voucher(&a, "USD").await;
    let t = sb.find_product(&a, |p| p["agent_rate"] == "1.2500").await;
    let unavailable = sb.find_product(&a, |p| p["is_available"] == false).await;
    let vid = v["id"].clone();
    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (json!({}), "invalid_request", "product_id"),
        (json!({"product_id": "1"}), "invalid_request", "product_id"),
        (json!({"product_id": 1.0}), "invalid_request", "product_id"),
        (json!({"product_id": true}), "invalid_request", "product_id"),
        (
            json!({"product_id": 999_999}),
            "invalid_request",
            "product_id",
        ),
        (
            json!({"product_id": unavailable["id"]}),
            "product_unavailable",
            "product_id",
        ),
        (
            json!({"product_id": vid, "quantity": 0}),
            "invalid_request",
            "quantity",
        ),
        (
            json!({"product_id": vid, "quantity": 101}),
            "invalid_request",
            "quantity",
        ),
        (
            json!({"product_id": vid, "quantity": 2.0}),
            "invalid_request",
            "quantity",
        ),
        (
            json!({"product_id": vid, "quantity": "2"}),
            "invalid_request",
            "quantity",
        ),
        (
            json!({"product_id": vid, "currency_code": "EUR"}),
            "invalid_request",
            "currency_code",
        ),
        (
            json!({"product_id": vid, "external_ref": ""}),
            "invalid_request",
            "external_ref",
        ),
        (
            json!({"product_id": vid, "external_ref": "x".repeat(65)}),
            "invalid_request",
            "external_ref",
        ),
        (
            json!({"product_id": vid, "test": 1}),
            "invalid_request",
            "test",
        ),
        (
            json!({"product_id": vid, "topup_request": {"amount": "1.00"}}),
            "invalid_request",
            "topup_request",
        ),
        (
            json!({"product_id": t["id"]}),
            "invalid_request",
            "topup_request",
        ),
        (
            json!({"product_id": t["id"], "quantity": 2, "topup_request": top_up_body(&t, "5")["topup_request"]}),
            "invalid_request",
            "quantity",
        ),
    ];
    for (body, code, param) in cases {
        let r = sb.order(&a, &body, None).await;
        r.expect_error(400, code).expect_param(Some(param));
    }
    for amount in [
        json!(10),
        json!("-1"),
        json!("0"),
        json!("1.234"),
        json!("1e3"),
        json!(" 1"),
        json!("0.50"),
        json!("500.01"),
    ] {
        let mut body = top_up_body(&t, "1");
        body["topup_request"]["amount"] = amount.clone();
        sb.order(&a, &body, None)
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some("topup_request.amount"));
    }
    let account_cases = [
        (json!(null), "topup_request.customer_account"),
        (json!("x"), "topup_request.customer_account"),
        (json!({}), "topup_request.customer_account.steam_login"),
        (
            json!({"steam_login": "ab"}),
            "topup_request.customer_account.steam_login",
        ),
        (
            json!({"steam_login": "player_1 "}),
            "topup_request.customer_account.steam_login",
        ),
        (
            json!({"steam_login": 12345}),
            "topup_request.customer_account.steam_login",
        ),
        (
            json!({"steam_login": "player_1", "other": 5}),
            "topup_request.customer_account.other",
        ),
    ];
    for (account, param) in account_cases {
        let mut body = top_up_body(&t, "10");
        body["topup_request"]["customer_account"] = account;
        sb.order(&a, &body, None)
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some(param));
    }
    // Explicit null = absent; unknown fields ignored; unlisted account fields allowed.
    let mut ok = top_up_body(&t, "10");
    ok["topup_request"]["customer_account"]["extra"] = json!("fine");
    ok["quantity"] = json!(null);
    ok["external_ref"] = json!(null);
    ok["currency_code"] = json!("USD");
    ok["whatever"] = json!({"nested": [1, 2]});
    let r = sb.order(&a, &ok, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["charged_amount"], "12.50");
    sb.handle.shutdown().await;
}
