//! Issue 2 part 3: after `kill -9` and a restart on the same `--db`, every order that got a
//! 201 is still there, balances satisfy the ledger identity, and pending orders resume.
//! Runs the real binary.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::http::get_json;
use crate::support::process::{s, Running};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_with_201_survive_kill_9_and_pending_orders_resume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sandbox.db");
    let first = Running::launch(&db, &["--complete-after", "1500ms"]).await;
    for key in ["base_url", "agent_id", "api_key", "admin_token"] {
        assert!(first.info[key].is_string(), "{key} in {}", first.info);
    }
    let base = s(&first.info, "base_url");
    let default_agent = s(&first.info, "agent_id");
    let default_key = s(&first.info, "api_key");
    let http = reqwest::Client::new();
    // A fresh agent with enough money that orders keep succeeding until the kill.
    let fresh: Value = http
        .post(format!("{base}/_sandbox/agents"))
        .header("x-sandbox-admin", s(&first.info, "admin_token"))
        .json(&json!({"deposits": [{"currency_code": "USD", "amount": "1000000.00"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent = s(&fresh, "agent_id");
    let key = s(&fresh, "api_key");
    let products: Value = http
        .get(format!(
            "{base}/agent/{agent}/products?type=voucher&is_available=true"
        ))
        .header("authorization", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let product = products["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["currency_code"] == "USD")
        .expect("a USD voucher")["id"]
        .clone();

    // Fire orders from several tasks; kill the process while they are in flight.
    let mut tasks = Vec::new();
    for t in 0..8 {
        let (http, base, agent, key, product) = (
            http.clone(),
            base.clone(),
            agent.clone(),
            key.clone(),
            product.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            for i in 0..100_000 {
                let r = http
                    .post(format!("{base}/agent/{agent}/orders"))
                    .header("authorization", &key)
                    .header("idempotency-key", format!("crash-{t}-{i}"))
                    .json(&json!({"product_id": product}))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status().as_u16() != 201 {
                    continue;
                }
                let Ok(body) = r.json::<Value>().await else {
                    break;
                };
                ok.push((format!("crash-{t}-{i}"), body));
            }
            ok
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    first.kill().await;
    let mut created = Vec::new();
    for t in tasks {
        created.extend(t.await.unwrap());
    }
    assert!(
        created.len() > 10,
        "orders were created before the kill ({})",
        created.len()
    );

    let second = Running::launch(&db, &["--complete-after", "1500ms"]).await;
    assert_eq!(
        s(&second.info, "agent_id"),
        default_agent,
        "same default agent"
    );
    assert_eq!(s(&second.info, "api_key"), default_key, "same key");
    let base = s(&second.info, "base_url");
    let get = |path: String| get_json(&http, path, &key);
    for (_, o) in &created {
        let got = get(format!("{base}/agent/{agent}/orders/{}", s(o, "id"))).await;
        assert_eq!(got["id"], o["id"], "order with a 201 survives: {got}");
        assert_eq!(got["charged_amount"], o["charged_amount"]);
    }
    // A replay after restart returns the same order (the key binding survived too).
    let (k, o) = &created[0];
    let replay = http
        .post(format!("{base}/agent/{agent}/orders"))
        .header("authorization", &key)
        .header("idempotency-key", k)
        .json(&json!({"product_id": product}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status().as_u16(), 201);
    assert_eq!(replay.json::<Value>().await.unwrap()["id"], o["id"]);

    // Pending orders resume and complete; then the ledger identity holds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let pending = get(format!(
            "{base}/agent/{agent}/orders?status=pending&limit=1"
        ))
        .await;
        if pending["items"].as_array().is_some_and(|a| a.is_empty()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pending orders never resumed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut completed = 0i64;
    let mut cursor = String::new();
    loop {
        let page = get(format!(
            "{base}/agent/{agent}/orders?limit=100&cursor={cursor}"
        ))
        .await;
        for o in page["items"].as_array().unwrap() {
            assert_eq!(o["status"], "completed");
            completed += gatecheck::apis::gate::money::Amount::parse_decimal_amount(
                o["charged_amount"].as_str().unwrap(),
            )
            .unwrap()
            .minor();
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let balance = get(format!("{base}/agent/{agent}/balance?currency_code=USD")).await;
    let usd = &balance["items"][0];
    assert_eq!(usd["reserved_minor"], 0);
    assert_eq!(
        usd["available_minor"].as_i64().unwrap(),
        100_000_000 - completed
    );
    second.kill().await;
}
