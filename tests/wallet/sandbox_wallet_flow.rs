//! The Wallet sandbox's behaviour (WALLET_API.md §2, §4–§6): authorize, capture, cancel,
//! refund, replays, scenarios, lists, scope and the admin calls.

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn authorize_then_capture_cancel_refund_keeps_conservation() {
    let sb = start().await;
    let key = fresh_key();
    let r = sb
        .post(
            "/v1/wallet/authorize",
            Some(&key),
            &auth_body(15_000, "+77001234567", "ORDER-100045"),
        )
        .await;
    let t = r.ok(201);
    let id = t["walletTransactionId"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/wallet/transaction/{id}"))
    );
    assert_eq!(t["walletTransactionStatus"], "NEW");
    assert_eq!(totals(&t), (15_000, 0, 0, 0));
    assert_eq!(t["amount"], 15_000);
    assert_eq!(t["orderReference"], "ORDER-100045");
    // Not yet SUCCESS: every operation is 409 invalid_state and moves nothing.
    sb.op(&id, "capture", 1, None)
        .await
        .expect(409, "invalid_state", None);
    sb.wait_status(&id, "SUCCESS").await;
    let c = sb.op(&id, "capture", 10_000, None).await.ok(200);
    assert_eq!(
        c,
        json!({"walletTransactionId": id, "walletTransactionStatus": "SUCCESS",
               "orderReference": "ORDER-100045", "amount": 10_000, "currency": "KZT",
               "operation": "capture"})
    );
    sb.op(&id, "cancel", 5_001, None)
        .await
        .expect(400, "amount_exceeds_remaining", Some("amount"));
    sb.op(&id, "cancel", 5_000, None).await.ok(200);
    sb.op(&id, "capture", 1, None)
        .await
        .expect(400, "amount_exceeds_remaining", Some("amount"));
    sb.op(&id, "refund", 10_001, None).await.expect(
        400,
        "amount_exceeds_remaining",
        Some("amount"),
    );
    sb.op(&id, "refund", 2_000, None).await.ok(200);
    let t = sb.tx(&id).await;
    assert_eq!(totals(&t), (15_000, 10_000, 5_000, 2_000));
    assert_conserved(&t);
    assert!(t["updatedAt"].as_str() > t["createdAt"].as_str());
}

#[tokio::test]
async fn ids_are_ulids_of_the_creation_millisecond() {
    let sb = start().await;
    let t = sb.authorize(100, "+77001234567").await;
    let id = t["walletTransactionId"].as_str().unwrap();
    assert!(
        gatecheck::apis::wallet::sandbox::ids::is_transaction_id(id),
        "{id}"
    );
    let ms = gatecheck::apis::wallet::sandbox::ids::time_ms(id).unwrap();
    let created = time::OffsetDateTime::parse(
        t["createdAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let created_ms = (created.unix_timestamp_nanos() / 1_000_000) as i64;
    assert!((ms - created_ms).abs() <= 2_000, "{ms} vs {created_ms}");
    assert!(t["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn phone_suffix_scenarios_and_forced_outcomes() {
    let sb = start().await;
    let failed = sb.authorize(500, "+77000000000").await;
    let slow = sb.authorize(500, "+77001111111").await;
    assert_eq!(slow["walletTransactionStatus"], "PROCESSING");
    let fid = failed["walletTransactionId"].as_str().unwrap();
    let t = sb.wait_status(fid, "FAILED").await;
    assert_eq!(totals(&t), (500, 0, 0, 0));
    sb.op(fid, "refund", 1, None)
        .await
        .expect(409, "invalid_state", None);
    let sid = slow["walletTransactionId"].as_str().unwrap();
    sb.wait_status(sid, "SUCCESS").await;
    // Admin: force on an open one, 409 conflict on a final one, 404 on an unknown one.
    let open = sb.authorize(500, "+77001111111").await;
    let oid = open["walletTransactionId"].as_str().unwrap();
    let forced = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/wallet/transactions/{oid}/fail"),
            None,
        )
        .await
        .ok(200);
    assert_eq!(forced["walletTransactionStatus"], "FAILED");
    sb.admin(
        Method::POST,
        &format!("/_sandbox/wallet/transactions/{oid}/succeed"),
        None,
    )
    .await
    .expect(409, "conflict", None);
    sb.admin(
        Method::POST,
        "/_sandbox/wallet/transactions/wt_01KHTPHWP8H8Q2X9K0R1ABCD12/succeed",
        None,
    )
    .await
    .expect(404, "not_found", None);
    // The scheduler does not overturn a forced outcome.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(sb.tx(oid).await["walletTransactionStatus"], "FAILED");
}

#[tokio::test]
async fn replays_answer_the_same_and_move_nothing() {
    let sb = start().await;
    let key = fresh_key();
    let body = auth_body(15_000, "+77001234567", "R-1");
    let first = sb
        .post("/v1/wallet/authorize", Some(&key), &body)
        .await
        .ok(201);
    let id = first["walletTransactionId"].as_str().unwrap().to_string();
    // Same payload, keys in another order: a replay.
    let reordered = json!({"currency": "KZT", "orderReference": "R-1", "iin": "900101300007",
                           "phoneNumber": "+77001234567", "amount": 15_000});
    let again = sb
        .post("/v1/wallet/authorize", Some(&key), &reordered)
        .await;
    assert_eq!(again.ok(201)["walletTransactionId"], id.as_str());
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    // Another payload: 422, nothing created.
    sb.post(
        "/v1/wallet/authorize",
        Some(&key),
        &auth_body(15_001, "+77001234567", "R-1"),
    )
    .await
    .expect(422, "idempotency_key_mismatch", Some("Idempotency-Key"));
    sb.wait_status(&id, "SUCCESS").await;
    let ck = fresh_key();
    sb.op(&id, "capture", 10_000, Some(&ck)).await.ok(200);
    // The same key on another path is a mismatch — even on an unknown transaction.
    sb.op(&id, "cancel", 10_000, Some(&ck)).await.expect(
        422,
        "idempotency_key_mismatch",
        Some("Idempotency-Key"),
    );
    sb.op(
        "wt_01KHTPHWP8H8Q2X9K0R1ABCD12",
        "capture",
        10_000,
        Some(&ck),
    )
    .await
    .expect(422, "idempotency_key_mismatch", Some("Idempotency-Key"));
    // Remaining drops below the capture's amount; its replay is still a 200.
    sb.op(&id, "cancel", 5_000, None).await.ok(200);
    let replay = sb.op(&id, "capture", 10_000, Some(&ck)).await;
    assert_eq!(replay.ok(200)["amount"], 10_000);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    // A refund replayed refunds once.
    let rk = fresh_key();
    sb.op(&id, "refund", 3_000, Some(&rk)).await.ok(200);
    sb.op(&id, "refund", 3_000, Some(&rk)).await.ok(200);
    assert_eq!(totals(&sb.tx(&id).await), (15_000, 10_000, 5_000, 3_000));
    // Only a 2xx binds: after a 400 the key is free for a request that fits.
    let free = fresh_key();
    sb.op(&id, "refund", 8_000, Some(&free)).await.expect(
        400,
        "amount_exceeds_remaining",
        Some("amount"),
    );
    sb.op(&id, "refund", 7_000, Some(&free)).await.ok(200);
    // After a 409 invalid_state the key is free too.
    let open = sb.authorize(100, "+77001111111").await;
    let oid = open["walletTransactionId"].as_str().unwrap();
    let k409 = fresh_key();
    sb.op(oid, "capture", 100, Some(&k409))
        .await
        .expect(409, "invalid_state", None);
    sb.op(&id, "refund", 1, Some(&k409)).await.expect(
        400,
        "amount_exceeds_remaining",
        Some("amount"),
    );
}

#[tokio::test]
async fn keys_are_scoped_to_the_merchant_and_shared_by_its_keys() {
    let sb = start().await;
    let (mid, k1) = sb.merchant(None).await;
    let k2 = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/merchants/{mid}/keys"),
            None,
        )
        .await
        .ok(201)["api_key"]
        .as_str()
        .unwrap()
        .to_string();
    let idem = fresh_key();
    let body = auth_body(700, "+77001234567", "SCOPE");
    let a = sb
        .post_as(&k1, "/v1/wallet/authorize", Some(&idem), &body)
        .await
        .ok(201);
    let b = sb
        .post_as(&k2, "/v1/wallet/authorize", Some(&idem), &body)
        .await
        .ok(201);
    assert_eq!(a["walletTransactionId"], b["walletTransactionId"]);
    // Another merchant, same key: its own transaction.
    let c = sb
        .post("/v1/wallet/authorize", Some(&idem), &body)
        .await
        .ok(201);
    assert_ne!(a["walletTransactionId"], c["walletTransactionId"]);
}

#[tokio::test]
async fn another_merchants_transaction_is_not_found_and_unchanged() {
    let sb = start().await;
    let id = sb.settled(1_000).await;
    let (_, other) = sb.merchant(None).await;
    sb.get_as(&other, &format!("/v1/wallet/transaction/{id}"))
        .await
        .expect(404, "not_found", None);
    for op in ["capture", "cancel", "refund"] {
        sb.post_as(
            &other,
            &format!("/v1/wallet/{id}/{op}"),
            None,
            &json!({"amount": 1}),
        )
        .await
        .expect(404, "not_found", None);
    }
    let listed = sb.get_as(&other, "/v1/wallet/transactions/").await.ok(200);
    assert_eq!(listed["items"], json!([]));
    assert_eq!(totals(&sb.tx(&id).await), (1_000, 0, 0, 0));
}

#[tokio::test]
async fn keys_rotate_and_revoke_and_bearer_is_refused() {
    let sb = start().await;
    let (mid, k1) = sb.merchant(Some(json!(["KZT"]))).await;
    let k2 = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/merchants/{mid}/keys"),
            None,
        )
        .await
        .ok(201)["api_key"]
        .as_str()
        .unwrap()
        .to_string();
    sb.get_as(&k1, "/v1/wallet/transactions").await.ok(200);
    sb.get_as(&k2, "/v1/wallet/transactions").await.ok(200);
    sb.get_as(&format!("Bearer {k1}"), "/v1/wallet/transactions")
        .await
        .expect(401, "unauthorized", Some("Authorization"));
    sb.admin(Method::DELETE, &format!("/_sandbox/keys/{k1}"), None)
        .await
        .ok(204);
    sb.admin(Method::DELETE, &format!("/_sandbox/keys/{k1}"), None)
        .await
        .ok(204);
    sb.get_as(&k1, "/v1/wallet/transactions").await.expect(
        401,
        "unauthorized",
        Some("Authorization"),
    );
    sb.get_as(&k2, "/v1/wallet/transactions").await.ok(200);
    // The Gate's keys are revoked through the same call; an unknown key is 404.
    let agent_key = sb.handle.api_key().to_string();
    sb.admin(Method::DELETE, &format!("/_sandbox/keys/{agent_key}"), None)
        .await
        .ok(204);
    sb.admin(Method::DELETE, "/_sandbox/keys/nope", None)
        .await
        .expect(404, "not_found", None);
    // A merchant key is no agent key and an agent key no merchant key.
    let agent = sb.handle.agent_id().to_string();
    sb.get_as(&k2, &format!("/agent/{agent}/balance"))
        .await
        .expect(401, "unauthorized", Some("Authorization"));
    // Unknown merchant; merchant currencies are checked.
    sb.admin(
        Method::POST,
        "/_sandbox/merchants/5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c/keys",
        None,
    )
    .await
    .expect(404, "not_found", None);
    sb.admin(
        Method::POST,
        "/_sandbox/merchants",
        Some(json!({"currencies": ["kzt"]})),
    )
    .await
    .expect(400, "invalid_request", Some("currencies"));
    // A KZT-only merchant refuses USD.
    let mut usd = auth_body(100, "+77001234567", "C");
    usd["currency"] = json!("USD");
    sb.post_as(&k2, "/v1/wallet/authorize", Some(&fresh_key()), &usd)
        .await
        .expect(400, "invalid_request", Some("currency"));
    // Admin token required.
    sb.send(Method::POST, "/_sandbox/merchants", &[], None)
        .await
        .expect(401, "unauthorized", Some("Authorization"));
}

#[tokio::test]
async fn the_default_merchant_accepts_kzt_usd_eur() {
    let sb = start().await;
    for c in ["KZT", "USD", "EUR"] {
        let mut b = auth_body(100, "+77001234567", "D");
        b["currency"] = json!(c);
        assert_eq!(
            sb.post("/v1/wallet/authorize", Some(&fresh_key()), &b)
                .await
                .ok(201)["currency"],
            c
        );
    }
    let mut b = auth_body(100, "+77001234567", "D");
    b["currency"] = json!("GBP");
    sb.post("/v1/wallet/authorize", Some(&fresh_key()), &b)
        .await
        .expect(400, "invalid_request", Some("currency"));
}

#[tokio::test]
async fn lists_walk_sorted_filtered_and_bound() {
    let sb = start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let r = if i % 2 == 0 { "EVEN" } else { "ODD" };
        let t = sb
            .post(
                "/v1/wallet/authorize",
                Some(&fresh_key()),
                &auth_body(100 + i, "+77001234567", r),
            )
            .await
            .ok(201);
        ids.push(t["walletTransactionId"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut path = "/v1/wallet/transactions/?limit=3".to_string();
    loop {
        let page = sb.get(&path).await.ok(200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(
            items
                .iter()
                .map(|t| t["walletTransactionId"].as_str().unwrap().to_string()),
        );
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/v1/wallet/transactions/?limit=3&cursor={c}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");
    let bare = sb.get("/v1/wallet/transactions?limit=100").await.ok(200);
    let slash = sb.get("/v1/wallet/transactions/?limit=100").await.ok(200);
    assert_eq!(bare["items"], slash["items"]);
    let even = sb
        .get("/v1/wallet/transactions?orderReference=EVEN")
        .await
        .ok(200);
    assert_eq!(even["items"].as_array().unwrap().len(), 4);
    let none = sb
        .get("/v1/wallet/transactions?orderReference=")
        .await
        .ok(200);
    assert_eq!(none["items"], json!([]));
    let first = sb
        .get("/v1/wallet/transactions?limit=1&orderReference=EVEN")
        .await
        .ok(200);
    let cursor = first["nextCursor"].as_str().unwrap().to_string();
    sb.get(&format!("/v1/wallet/transactions?limit=1&cursor={cursor}"))
        .await
        .expect(400, "invalid_request", Some("cursor"));
    sb.get("/v1/wallet/transactions?status=DONE").await.expect(
        400,
        "invalid_request",
        Some("status"),
    );
    sb.get("/v1/wallet/transactions?limit=0")
        .await
        .expect(400, "invalid_request", Some("limit"));
    sb.get("/v1/wallet/transactions?limit=101")
        .await
        .expect(400, "invalid_request", Some("limit"));
    sb.get("/v1/wallet/transactions?cursor=garbage")
        .await
        .expect(400, "invalid_request", Some("cursor"));
    // No other path has a trailing-slash twin.
    sb.get(&format!("/v1/wallet/transaction/{}/", ids[0]))
        .await
        .expect(404, "not_found", None);
    // The list agrees with the detail (once nothing changes any more).
    sb.wait_status(&ids[0], "SUCCESS").await;
    let listed = &sb.get("/v1/wallet/transactions?limit=1").await.ok(200)["items"][0];
    let id = listed["walletTransactionId"].as_str().unwrap();
    assert_eq!(listed, &sb.tx(id).await);
}
