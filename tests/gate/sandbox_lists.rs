//! Contract §1 Lists, §5.3 order lists, §6 balance, §7 deposits: envelopes, limits,
//! cursors bound to list/agent/filter, sorting, filters, walks under concurrent creation.

use crate::common;

use std::collections::HashSet;

use common::{start, voucher_body};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn order_walk_sees_every_item_once_while_orders_are_created() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "1000.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let mut existing = HashSet::new();
    for _ in 0..25 {
        let r = sb.order(&agent, &voucher_body(&v, 1), None).await;
        existing.insert(r.json()["id"].as_str().unwrap().to_string());
    }
    // Walk with limit 4 while creating one new order per page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/orders?limit=4".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = sb.get(&agent, &path).await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 4);
        seen.extend(items.iter().cloned());
        sb.order(&agent, &voucher_body(&v, 1), None).await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let ids: Vec<String> = seen
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates");
    for id in &existing {
        assert!(unique.contains(id), "no gaps: {id}");
    }
    // Sorted by created_at descending, ties by id descending.
    for w in seen.windows(2) {
        let key = |o: &Value| {
            (
                o["created_at"].as_str().unwrap().to_string(),
                o["id"].as_str().unwrap().to_string(),
            )
        };
        assert!(key(&w[0]) > key(&w[1]));
    }
    // List and detail agree.
    let first = &seen[0];
    let detail = sb
        .get(
            &agent,
            &format!("/orders/{}", first["id"].as_str().unwrap()),
        )
        .await
        .json();
    if detail["status"] == first["status"] {
        assert_eq!(&detail, first);
    }
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn cursors_are_bound_to_list_agent_and_filter() {
    let sb = start().await;
    let a = sb.new_agent(&[("USD", "1000.00")]).await;
    let b = sb.new_agent(&[("USD", "1000.00")]).await;
    let v = sb.voucher(&a, "USD").await;
    for _ in 0..3 {
        sb.order(&a, &voucher_body(&v, 1), None).await;
        sb.order(&b, &voucher_body(&v, 1), None).await;
    }
    let page = sb.get(&a, "/orders?limit=1").await.json();
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(
        sb.get(&a, &format!("/orders?limit=1&cursor={cursor}"))
            .await
            .status,
        StatusCode::OK
    );
    for (who, path) in [
        (&b, format!("/orders?limit=1&cursor={cursor}")),
        (&a, format!("/deposits?limit=1&cursor={cursor}")),
        (
            &a,
            format!("/orders?limit=1&status=pending&cursor={cursor}"),
        ),
        (&a, format!("/products?cursor={cursor}")),
        (&a, format!("/orders?cursor={}x", &cursor)),
    ] {
        sb.get(who, &path)
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some("cursor"));
    }
    // Empty cursor = first page.
    assert_eq!(
        sb.get(&a, "/orders?cursor=").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn order_filters() {
    let sb = start().await;
    let agent = sb.new_agent(&[("USD", "1000.00")]).await;
    let v = sb.voucher(&agent, "USD").await;
    let mut body = voucher_body(&v, 1);
    body["external_ref"] = json!("INV-1");
    let first = sb.order(&agent, &body, None).await.json();
    body["external_ref"] = json!("sandbox-fail-x");
    let failing = sb.order(&agent, &body, None).await.json();
    sb.wait_settled(
        &agent,
        failing["id"].as_str().unwrap(),
        std::time::Duration::from_secs(5),
    )
    .await;
    sb.wait_settled(
        &agent,
        first["id"].as_str().unwrap(),
        std::time::Duration::from_secs(5),
    )
    .await;
    let by_ref = sb.walk(&agent, "/orders", "external_ref=INV-1", 10).await;
    assert_eq!(by_ref.len(), 1);
    assert_eq!(by_ref[0]["id"], first["id"]);
    let failed = sb.walk(&agent, "/orders", "status=failed", 10).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["id"], failing["id"]);
    // Inclusive time bounds, any offset.
    let created = first["created_at"].as_str().unwrap();
    let exact = sb
        .walk(
            &agent,
            "/orders",
            &format!("created_from={created}&created_to={created}"),
            10,
        )
        .await;
    assert!(exact.iter().any(|o| o["id"] == first["id"]));
    let far = sb
        .walk(
            &agent,
            "/orders",
            "created_to=2000-01-01T01:00:00%2B01:00",
            10,
        )
        .await;
    assert!(far.is_empty());
    for (q, param) in [
        ("status=done", "status"),
        ("created_from=yesterday", "created_from"),
        ("created_to=2024-13-01T00:00:00Z", "created_to"),
        ("limit=101", "limit"),
        ("limit=1.5", "limit"),
    ] {
        sb.get(&agent, &format!("/orders?{q}"))
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some(param));
    }
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn balance_and_deposits() {
    let sb = start().await;
    let a = sb.default_agent();
    let r = sb.get(&a, "/balance").await;
    let items = r.json()["items"].as_array().unwrap().clone();
    let currencies: Vec<&str> = items
        .iter()
        .map(|b| b["currency_code"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, vec!["EUR", "KZT", "USD"]);
    assert_eq!(r.json()["next_cursor"], Value::Null);
    let usd = items.iter().find(|b| b["currency_code"] == "USD").unwrap();
    assert_eq!(usd["available"], "1000.00");
    assert_eq!(usd["available_minor"], 100_000);
    assert_eq!(usd["reserved"], "0.00");
    let kzt = items.iter().find(|b| b["currency_code"] == "KZT").unwrap();
    assert_eq!(kzt["available"], "500000.00");
    let only = sb.get(&a, "/balance?currency_code=EUR").await.json();
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    sb.get(&a, "/balance?currency_code=eur")
        .await
        .expect_error(400, "invalid_request")
        .expect_param(Some("currency_code"));

    // A pending or rejected deposit does not count and creates no balance row.
    let agent = sb.new_agent(&[]).await;
    for status in ["pending", "rejected"] {
        let d = sb
            .admin(
                Method::POST,
                &format!("/_sandbox/agents/{}/deposits", agent.id),
                Some(&json!({"currency_code": "EUR", "amount": "5", "status": status, "reference": "r"})),
            )
            .await;
        assert_eq!(d.status, StatusCode::CREATED, "{}", d.text);
        assert_eq!(d.json()["posted_at"], Value::Null);
        assert_eq!(d.json()["amount"], "5.00");
        assert_eq!(d.json()["amount_minor"], 500);
    }
    assert!(sb.get(&agent, "/balance").await.json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let d = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/agents/{}/deposits", agent.id),
            Some(&json!({"currency_code": "EUR", "amount": "7.5"})),
        )
        .await;
    assert_eq!(d.json()["status"], "completed");
    assert!(d.json()["posted_at"].is_string());
    assert_eq!(sb.balance(&agent, "EUR").await, (750, 0));
    let all = sb.walk(&agent, "/deposits", "", 1).await;
    assert_eq!(all.len(), 3);
    assert_eq!(
        sb.walk(&agent, "/deposits", "status=completed", 10)
            .await
            .len(),
        1
    );
    assert_eq!(
        sb.walk(&agent, "/deposits", "currency_code=USD", 10)
            .await
            .len(),
        0
    );
    sb.get(&agent, "/deposits?status=ok")
        .await
        .expect_error(400, "invalid_request")
        .expect_param(Some("status"));
    sb.handle.shutdown().await;
}
