//! Atomic operations (WALLET_API.md §5): under concurrency the totals equal the sum of the
//! operations that got a 200, conservation holds, and one key moves money at most once.

use futures::future::join_all;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_captures_of_1000_against_15000_exactly_15_succeed() {
    let sb = start().await;
    let id = sb.settled(15_000).await;
    let results = join_all((0..20).map(|_| sb.op(&id, "capture", 1_000, None))).await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    for r in results.iter().filter(|r| r.status() != 200) {
        r.expect(400, "amount_exceeds_remaining", Some("amount"));
    }
    assert_eq!(ok, 15);
    let t = sb.tx(&id).await;
    assert_eq!(totals(&t), (15_000, 15_000, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_parallel_operations_conserve() {
    let sb = start().await;
    let id = sb.settled(10_000).await;
    sb.op(&id, "capture", 4_000, None).await.ok(200);
    let ops = (0..30).map(|i| {
        let op = ["capture", "cancel", "refund"][i % 3];
        sb.op(&id, op, 700, None)
    });
    let results = join_all(ops).await;
    let mut moved = [0i64; 3];
    for (i, r) in results.iter().enumerate() {
        if r.status() == 200 {
            moved[i % 3] += 700;
        }
    }
    let t = sb.tx(&id).await;
    assert_conserved(&t);
    assert_eq!(totals(&t), (10_000, 4_000 + moved[0], moved[1], moved[2]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_same_key_captures_move_money_once() {
    let sb = start().await;
    let id = sb.settled(15_000).await;
    let key = fresh_key();
    let results = join_all((0..10).map(|_| sb.op(&id, "capture", 1_000, Some(&key)))).await;
    for r in &results {
        assert!(
            r.status() == 200 || r.code().as_deref() == Some("idempotency_in_progress"),
            "{} {}",
            r.status(),
            r.text
        );
    }
    assert!(results.iter().any(|r| r.status() == 200));
    assert_eq!(totals(&sb.tx(&id).await), (15_000, 1_000, 0, 0));
    // Same-key authorizations: one transaction.
    let ak = fresh_key();
    let body = auth_body(500, "+77001234567", "SAME");
    let auths = join_all((0..10).map(|_| sb.post("/v1/wallet/authorize", Some(&ak), &body))).await;
    let ids: std::collections::HashSet<String> = auths
        .iter()
        .filter(|r| r.status() == 201)
        .map(|r| {
            r.json()["walletTransactionId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
}
