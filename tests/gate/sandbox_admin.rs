//! Contract §9.2 and §9.3: the admin API, its token, forced transitions, the default agent.

use crate::common;

use common::{start, start_with, voucher_body};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn admin_token_is_checked_first() {
    let sb = start().await;
    for headers in [vec![], vec![("x-sandbox-admin", "wrong")]] {
        for (method, path) in [
            (Method::POST, "/_sandbox/agents"),
            (Method::GET, "/_sandbox/nope"),
        ] {
            let r = sb.send(method, path, &headers, None).await;
            r.expect_error(401, "unauthorized")
                .expect_param(Some("Authorization"));
        }
    }
    sb.admin(Method::GET, "/_sandbox/nope", None)
        .await
        .expect_error(404, "not_found");
    let r = sb.admin(Method::GET, "/_sandbox/agents", None).await;
    r.expect_error(405, "method_not_allowed");
    assert_eq!(r.header("allow").as_deref(), Some("POST"));
    let token = sb.handle.admin_token().to_string();
    let r = sb
        .send(
            Method::POST,
            "/_sandbox/agents",
            &[("x-sandbox-admin", &token), ("content-type", "text/plain")],
            Some(b"{}".to_vec()),
        )
        .await;
    r.expect_error(415, "unsupported_media_type");
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn create_agent_with_deposits_and_validation() {
    let sb = start().await;
    let r = sb.admin(Method::POST, "/_sandbox/agents", None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bare = common::Agent {
        id: r.json()["agent_id"].as_str().unwrap().to_string(),
        key: r.json()["api_key"].as_str().unwrap().to_string(),
    };
    assert!(sb.get(&bare, "/balance").await.json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let a = sb.new_agent(&[("USD", "100.00"), ("KZT", "10")]).await;
    assert_eq!(sb.balance(&a, "USD").await, (10_000, 0));
    assert_eq!(sb.balance(&a, "KZT").await, (1_000, 0));
    assert_eq!(
        uuid::Uuid::parse_str(&a.id)
            .unwrap()
            .hyphenated()
            .to_string(),
        a.id
    );
    for (body, param) in [
        (
            json!({"deposits": [{"currency_code": "usd", "amount": "1"}]}),
            "deposits.0.currency_code",
        ),
        (
            json!({"deposits": [{"currency_code": "USD", "amount": 1}]}),
            "deposits.0.amount",
        ),
        (
            json!({"deposits": [{"currency_code": "USD", "amount": "0"}]}),
            "deposits.0.amount",
        ),
        (json!({"deposits": "USD"}), "deposits"),
    ] {
        sb.admin(Method::POST, "/_sandbox/agents", Some(&body))
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some(param));
    }
    let unknown = uuid::Uuid::new_v4();
    let body = json!({"currency_code": "USD", "amount": "1.00"});
    sb.admin(
        Method::POST,
        &format!("/_sandbox/agents/{unknown}/deposits"),
        Some(&body),
    )
    .await
    .expect_error(404, "not_found");
    sb.admin(
        Method::POST,
        &format!("/_sandbox/agents/{unknown}/keys"),
        None,
    )
    .await
    .expect_error(404, "not_found");
    sb.admin(
        Method::POST,
        &format!("/_sandbox/agents/{}/deposits", a.id),
        Some(&json!({"currency_code": "USD", "amount": "1", "status": "done"})),
    )
    .await
    .expect_error(400, "invalid_request")
    .expect_param(Some("status"));
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn forced_transitions_go_through_the_lifecycle() {
    let sb = start_with(SandboxConfig {
        complete_after: std::time::Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    let agent = sb.new_agent(&[("USD", "100.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let o1 = sb.order(&agent, &voucher_body(&v, 1), None).await.json();
    let o2 = sb.order(&agent, &voucher_body(&v, 1), None).await.json();
    let charge = gatecheck::apis::gate::money::Amount::parse_decimal_amount(
        o1["charged_amount"].as_str().unwrap(),
    )
    .unwrap()
    .minor();
    assert_eq!(
        sb.balance(&agent, "USD").await,
        (10_000 - 2 * charge, 2 * charge)
    );

    let r = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/orders/{}/complete", o1["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "completed");
    assert!(r.json()["order_content"]["voucher_code"].is_string());
    let r = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/orders/{}/fail", o2["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "failed");
    assert_eq!(sb.balance(&agent, "USD").await, (10_000 - charge, 0));
    assert!(sb.ledger_identity_holds(&agent, "USD").await);
    for id in [&o1["id"], &o2["id"]] {
        for action in ["complete", "fail"] {
            sb.admin(
                Method::POST,
                &format!("/_sandbox/orders/{}/{action}", id.as_str().unwrap()),
                None,
            )
            .await
            .expect_error(409, "conflict");
        }
    }
    let unknown = uuid::Uuid::new_v4();
    sb.admin(
        Method::POST,
        &format!("/_sandbox/orders/{unknown}/complete"),
        None,
    )
    .await
    .expect_error(404, "not_found");
    sb.admin(Method::POST, "/_sandbox/orders/nope/complete", None)
        .await
        .expect_error(400, "invalid_request")
        .expect_param(Some("orderId"));
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn chosen_identity_is_used() {
    let id = uuid::Uuid::new_v4().to_string();
    let sb = start_with(SandboxConfig {
        agent_id: Some(id.clone()),
        api_key: Some("my-key".into()),
        admin_token: Some("my-admin".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(sb.handle.agent_id(), id);
    assert_eq!(sb.handle.api_key(), "my-key");
    assert_eq!(sb.handle.admin_token(), "my-admin");
    let a = sb.default_agent();
    assert_eq!(sb.balance(&a, "USD").await, (100_000, 0));
    assert_eq!(sb.balance(&a, "EUR").await, (100_000, 0));
    assert_eq!(sb.balance(&a, "KZT").await, (50_000_000, 0));
    sb.handle.shutdown().await;
}
