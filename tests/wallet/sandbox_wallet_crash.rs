//! After `kill -9` and a restart on the same `--db`, every Wallet operation that got its
//! 2xx is still there, the default merchant and its key survive, and open transactions
//! resume. Runs the real binary.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::http::get_json;
use crate::support::process::{s, Running};

/// The sandbox on `db`, orders completing fast, `1111` phone numbers slow.
async fn launch(db: &std::path::Path) -> Running {
    Running::launch(db, &["--complete-after", "50ms", "--slow-after", "1s"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wallet_operations_with_2xx_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sandbox.db");
    let first = launch(&db).await;
    for k in [
        "merchant_id",
        "merchant_api_key",
        "agent_id",
        "api_key",
        "admin_token",
    ] {
        assert!(first.info[k].is_string(), "{k} in {}", first.info);
    }
    let base = s(&first.info, "base_url");
    let key = s(&first.info, "merchant_api_key");
    let http = reqwest::Client::new();
    let auth = |base: String, n: u64| {
        let http = http.clone();
        let key = key.clone();
        async move {
            http.post(format!("{base}/v1/wallet/authorize"))
                .header("authorization", key)
                .header("idempotency-key", format!("crash-{n}"))
                .json(&json!({"amount": 1_000_000, "phoneNumber": "+77001234567",
                              "iin": "900101300007", "orderReference": format!("C-{n}"), "currency": "KZT"}))
                .send()
                .await
        }
    };
    let hold: Value = auth(base.clone(), 0).await.unwrap().json().await.unwrap();
    let id = s(&hold, "walletTransactionId");
    let slow: Value = http
        .post(format!("{base}/v1/wallet/authorize"))
        .header("authorization", &key)
        .header("idempotency-key", "crash-slow")
        .json(
            &json!({"amount": 5, "phoneNumber": "+77001111111", "iin": "900101300007",
                      "orderReference": "SLOW", "currency": "KZT"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Capture 1 at a time in parallel loops until the kill; count the 200s.
    let captured = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = Vec::new();
    for _ in 0..4 {
        let (http, base, key, id) = (http.clone(), base.clone(), key.clone(), id.clone());
        let (captured, stop) = (captured.clone(), stop.clone());
        loops.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = http
                    .post(format!("{base}/v1/wallet/{id}/capture"))
                    .header("authorization", &key)
                    .json(&json!({"amount": 1}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        captured.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(r) => panic!("capture answered {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let first_merchant = first.field("merchant_id");
    first.kill().await;
    stop.store(true, Ordering::Relaxed);
    for l in loops {
        let _ = l.await;
    }
    let acknowledged = captured.load(Ordering::SeqCst);
    assert!(
        acknowledged > 0,
        "some captures got their 200 before the kill"
    );

    let second = launch(&db).await;
    assert_eq!(s(&second.info, "merchant_id"), first_merchant);
    assert_eq!(s(&second.info, "merchant_api_key"), key);
    let base = s(&second.info, "base_url");
    let t = get_json(&http, format!("{base}/v1/wallet/transaction/{id}"), &key).await;
    let kept = t["capturedAmount"].as_i64().unwrap();
    // Every acknowledged capture is kept; at most the in-flight ones beyond.
    assert!(
        kept >= acknowledged && kept <= acknowledged + 4,
        "kept {kept}, acknowledged {acknowledged}"
    );
    // The authorization key still replays the same transaction.
    let replay: Value = auth(base.clone(), 0).await.unwrap().json().await.unwrap();
    assert_eq!(s(&replay, "walletTransactionId"), id);
    // The open 1111 transaction resumes and completes.
    let sid = s(&slow, "walletTransactionId");
    let mut status = String::new();
    for _ in 0..60 {
        let t = get_json(&http, format!("{base}/v1/wallet/transaction/{sid}"), &key).await;
        status = s(&t, "walletTransactionStatus");
        if status == "SUCCESS" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "SUCCESS");
}
