//! Contract §1, §2, §3, §8, §10: transport conventions, authentication and scope, the error
//! model and the precedence of checks.

use crate::common;

use common::{start, start_with, voucher_body};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn health_needs_no_key() {
    let sb = start().await;
    let r = sb.send(Method::GET, "/health", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    assert!(r.json()["version"].is_string());
    assert!(r.json()["time"].as_str().unwrap().ends_with('Z'));
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let r = sb.send(Method::POST, "/health", &[], None).await;
    r.expect_error(405, "method_not_allowed");
    assert_eq!(r.header("allow").as_deref(), Some("GET"));
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn missing_unknown_revoked_and_bearer_keys_are_401() {
    let sb = start().await;
    let agent = sb.new_agent(&[]).await;
    let path = format!("/agent/{}/balance", agent.id);
    let bearer = format!("Bearer {}", agent.key);
    for headers in [
        vec![],
        vec![("authorization", "nope")],
        vec![("authorization", bearer.as_str())],
    ] {
        let r = sb.send(Method::GET, &path, &headers, None).await;
        r.expect_error(401, "unauthorized")
            .expect_param(Some("Authorization"));
    }
    let r = sb
        .admin(
            Method::DELETE,
            &format!("/_sandbox/keys/{}", agent.key),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    sb.get(&agent, "/balance")
        .await
        .expect_error(401, "unauthorized");
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn another_agents_path_is_403_and_its_orders_404() {
    let sb = start().await;
    let a = sb.new_agent(&[("USD", "100.00")]).await;
    let b = sb.new_agent(&[("USD", "100.00")]).await;
    for path in [
        format!("/agent/{}/balance", b.id),
        format!("/agent/{}/orders", b.id),
        "/agent/not-a-uuid/balance".to_string(),
        format!("/agent/{}/no-such-route", b.id),
    ] {
        let r = sb
            .send(Method::GET, &path, &[("authorization", &a.key)], None)
            .await;
        r.expect_error(403, "forbidden").expect_param(None);
        assert!(
            !r.text.contains("available") && !r.text.contains("USD"),
            "{}",
            r.text
        );
    }
    let v = sb.voucher(&b, "USD").await;
    let o = sb.order(&b, &voucher_body(&v, 1), None).await.json();
    let r = sb
        .get(&a, &format!("/orders/{}", o["id"].as_str().unwrap()))
        .await;
    r.expect_error(404, "not_found");
    // Own path with the agent id in upper case is still the caller's own agent.
    let upper = format!("/agent/{}/balance", a.id.to_uppercase());
    let r = sb
        .send(Method::GET, &upper, &[("authorization", &a.key)], None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn several_keys_work_until_revoked() {
    let sb = start().await;
    let a = sb.new_agent(&[]).await;
    let r = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/agents/{}/keys", a.id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = common::Agent {
        id: a.id.clone(),
        key: r.json()["api_key"].as_str().unwrap().to_string(),
    };
    assert_eq!(sb.get(&a, "/balance").await.status, StatusCode::OK);
    assert_eq!(sb.get(&second, "/balance").await.status, StatusCode::OK);
    let r = sb
        .admin(Method::DELETE, &format!("/_sandbox/keys/{}", a.key), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let again = sb
        .admin(Method::DELETE, &format!("/_sandbox/keys/{}", a.key), None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    sb.admin(Method::DELETE, "/_sandbox/keys/never-issued", None)
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        sb.get(&a, "/balance").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sb.get(&second, "/balance").await.status, StatusCode::OK);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_methods_and_media_types() {
    let sb = start().await;
    let a = sb.default_agent();
    let auth = [("authorization", a.key.as_str())];
    let p = |rest: &str| format!("/agent/{}{rest}", a.id);
    sb.send(Method::GET, "/nope", &[], None)
        .await
        .expect_error(404, "not_found");
    sb.send(Method::GET, &p("/nope"), &auth, None)
        .await
        .expect_error(404, "not_found");
    sb.send(Method::GET, &p("/orders/x/y"), &auth, None)
        .await
        .expect_error(404, "not_found");
    // 401 comes before the unknown route.
    sb.send(Method::GET, &p("/nope"), &[], None)
        .await
        .expect_error(401, "unauthorized");
    for (method, rest, allow) in [
        (Method::DELETE, "/orders", "GET, POST"),
        (Method::PUT, "/products", "GET"),
        (Method::POST, "/balance", "GET"),
        (Method::PATCH, "/products/101", "GET"),
        (Method::OPTIONS, "/orders", "GET, POST"),
    ] {
        let r = sb.send(method.clone(), &p(rest), &auth, None).await;
        r.expect_error(405, "method_not_allowed");
        assert_eq!(r.header("allow").as_deref(), Some(allow), "{method} {rest}");
    }
    let r = sb.send(Method::HEAD, &p("/products"), &auth, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow").as_deref(), Some("GET"));

    let body = serde_json::to_vec(&json!({"product_id": 1})).unwrap();
    let orders = p("/orders");
    let with = |ct: &'static str| vec![("authorization", a.key.as_str()), ("content-type", ct)];
    sb.send(Method::POST, &orders, &auth, Some(body.clone()))
        .await
        .expect_error(415, "unsupported_media_type")
        .expect_param(Some("Content-Type"));
    sb.send(
        Method::POST,
        &orders,
        &with("text/plain"),
        Some(body.clone()),
    )
    .await
    .expect_error(415, "unsupported_media_type");
    sb.send(Method::POST, &orders, &with("text/plain"), None)
        .await
        .expect_error(415, "unsupported_media_type");
    sb.send(Method::POST, &orders, &auth, None)
        .await
        .expect_error(400, "invalid_request");
    sb.send(
        Method::POST,
        &orders,
        &with("application/json"),
        Some(b"{not json".to_vec()),
    )
    .await
    .expect_error(400, "invalid_request");
    sb.send(
        Method::POST,
        &orders,
        &with("application/json"),
        Some(b"[1]".to_vec()),
    )
    .await
    .expect_error(400, "invalid_request");
    let v = sb.voucher(&a, "USD").await;
    let ok = serde_json::to_vec(&voucher_body(&v, 1)).unwrap();
    let r = sb
        .send(
            Method::POST,
            &orders,
            &with("Application/JSON; charset=UTF-8"),
            Some(ok),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn malformed_path_ids_are_400() {
    let sb = start().await;
    let a = sb.default_agent();
    for id in ["abc", "0", "007", "-1", "1.5"] {
        sb.get(&a, &format!("/products/{id}"))
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some("productId"));
    }
    sb.get(&a, "/products/999999")
        .await
        .expect_error(404, "not_found");
    // Well shaped (§10: a positive integer without leading zeros) but beyond 64 bits: a
    // valid id naming no product, as the OpenAPI document (no maximum) says.
    sb.get(&a, "/products/3548445147737547594684754")
        .await
        .expect_error(404, "not_found");
    let r = sb
        .get(&a, "/products?category_id=3548445147737547594684754&=1&=2")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["items"], serde_json::json!([]));
    for id in ["not-a-uuid", "5c1f4f9d8b5a4e8b8c0e1d1c2f3a4b5c"] {
        sb.get(&a, &format!("/orders/{id}"))
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some("orderId"));
    }
    sb.get(&a, "/orders/5C1F4F9D-8B5A-4E8B-8C0E-1D1C2F3A4B5C")
        .await
        .expect_error(404, "not_found");
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let sb = start().await;
    let r = sb
        .send(
            Method::GET,
            "/health",
            &[("x-request-id", "trace-42")],
            None,
        )
        .await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("trace-42"));
    let r = sb.send(Method::GET, "/nope", &[], None).await;
    assert!(r.header("x-request-id").is_some_and(|v| !v.is_empty()));
    let long = "x".repeat(129);
    let r = sb
        .send(
            Method::GET,
            "/health",
            &[("x-request-id", long.as_str())],
            None,
        )
        .await;
    assert_ne!(r.header("x-request-id"), Some(long));
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn every_error_is_json_with_the_error_model() {
    let sb = start().await;
    let r = sb.send(Method::GET, "/agent/x/balance", &[], None).await;
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let e = &r.json()["error"];
    assert!(e["code"].is_string() && e["message"].is_string());
    assert!(e.as_object().unwrap().contains_key("param"));
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn rate_limit_is_per_key_and_spares_health_and_admin() {
    let sb = start_with(SandboxConfig {
        rate_limit: Some(3),
        ..Default::default()
    })
    .await;
    let a = sb.default_agent();
    let b = sb.new_agent(&[]).await;
    let mut limited = None;
    for _ in 0..10 {
        let r = sb.get(&a, "/product-types").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the 4th request within a second is limited");
    r.expect_error(429, "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    // 401 comes before 429; another key has its own window; health and admin are free.
    sb.send(Method::GET, &format!("/agent/{}/balance", a.id), &[], None)
        .await
        .expect_error(401, "unauthorized");
    assert_eq!(sb.get(&b, "/balance").await.status, StatusCode::OK);
    for _ in 0..10 {
        assert_eq!(
            sb.send(Method::GET, "/health", &[], None).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        sb.admin(Method::POST, "/_sandbox/agents", None)
            .await
            .status,
        StatusCode::CREATED
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn precedence_of_checks() {
    let sb = start_with(SandboxConfig {
        rate_limit: Some(1),
        ..Default::default()
    })
    .await;
    let a = sb.new_agent(&[]).await;
    let b = sb.new_agent(&[("USD", "1.00")]).await;
    let own = |rest: &str| format!("/agent/{}{rest}", a.id);
    let key = [("authorization", a.key.as_str())];
    // Use up a's one request this second, then: 403 beats 429, 429 beats 404.
    let mut tries = 0;
    loop {
        tries += 1;
        let first = sb.send(Method::GET, &own("/balance"), &key, None).await;
        let second = sb.send(Method::GET, &own("/nope"), &key, None).await;
        if first.status == StatusCode::OK && second.status == StatusCode::TOO_MANY_REQUESTS {
            second.expect_error(429, "rate_limited");
            let other = sb
                .send(Method::GET, &format!("/agent/{}/nope", b.id), &key, None)
                .await;
            if other.status == StatusCode::FORBIDDEN {
                break;
            }
        }
        assert!(
            tries < 5,
            "could not observe 403 > 429 > 404 within one window"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    sb.handle.shutdown().await;

    let sb = start().await;
    let a = sb.new_agent(&[]).await;
    let b_unavailable = sb.find_product(&a, |p| p["is_available"] == false).await;
    let v = sb.voucher(&a, "USD").await;
    let own = |rest: &str| format!("/agent/{}{rest}", a.id);
    let with = |ct: &'static str| {
        vec![
            ("authorization", a.key.as_str()),
            ("content-type", ct),
            ("idempotency-key", ""),
        ]
    };
    // 404 beats 405; 405 beats 415; 415 beats 400 (bad key header and bad body).
    sb.send(Method::DELETE, &own("/nope"), &with("text/plain"), None)
        .await
        .expect_error(404, "not_found");
    sb.send(
        Method::DELETE,
        &own("/orders"),
        &with("text/plain"),
        Some(b"x".to_vec()),
    )
    .await
    .expect_error(405, "method_not_allowed");
    sb.send(
        Method::POST,
        &own("/orders"),
        &with("text/plain"),
        Some(b"{bad".to_vec()),
    )
    .await
    .expect_error(415, "unsupported_media_type");
    // Header errors come before body errors.
    sb.send(
        Method::POST,
        &own("/orders"),
        &with("application/json"),
        Some(b"{bad".to_vec()),
    )
    .await
    .expect_error(400, "invalid_request")
    .expect_param(Some("Idempotency-Key"));
    // product_unavailable right after the lookup, before the other field rules.
    let body = json!({"product_id": b_unavailable["id"], "quantity": 0});
    sb.order(&a, &body, None)
        .await
        .expect_error(400, "product_unavailable")
        .expect_param(Some("product_id"));
    // Field rules before insufficient_balance (a holds no money at all).
    sb.order(&a, &json!({"product_id": v["id"], "quantity": 500}), None)
        .await
        .expect_error(400, "invalid_request")
        .expect_param(Some("quantity"));
    sb.order(&a, &voucher_body(&v, 1), None)
        .await
        .expect_error(400, "insufficient_balance");
    sb.handle.shutdown().await;
}
