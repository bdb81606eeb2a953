//! Each Wallet mutant breaks the rule it names (and the correct sandbox does not: the
//! other tests of this binary run it).

use futures::future::join_all;
use gatecheck::sandbox::WalletMutant;
use serde_json::json;
use strum::VariantArray;

use crate::common::*;

#[test]
fn every_mutant_has_a_name_that_parses_back() {
    for m in WalletMutant::VARIANTS {
        assert_eq!(m.name().parse::<WalletMutant>().ok(), Some(*m));
    }
}

#[tokio::test]
async fn replay_refunds_again() {
    let sb = start_mutant(WalletMutant::ReplayRefundsAgain).await;
    let id = sb.settled(10_000).await;
    sb.op(&id, "capture", 10_000, None).await.ok(200);
    let k = fresh_key();
    sb.op(&id, "refund", 3_000, Some(&k)).await.ok(200);
    sb.op(&id, "refund", 3_000, Some(&k)).await.ok(200);
    assert_eq!(
        totals(&sb.tx(&id).await).3,
        6_000,
        "the replay refunded again"
    );
}

#[tokio::test]
async fn capture_beyond_hold() {
    let sb = start_mutant(WalletMutant::CaptureBeyondHold).await;
    let id = sb.settled(1_000).await;
    sb.op(&id, "capture", 1_500, None).await.ok(200);
    let (a, c, _, _) = totals(&sb.tx(&id).await);
    assert!(c > a, "captured {c} of {a}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capture_race() {
    let sb = start_mutant(WalletMutant::CaptureRace).await;
    let id = sb.settled(15_000).await;
    let results = join_all((0..20).map(|_| sb.op(&id, "capture", 1_000, None))).await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert!(ok > 15, "{ok} of 20 captures succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_key_race() {
    let sb = start_mutant(WalletMutant::SameKeyRace).await;
    let id = sb.settled(15_000).await;
    let k = fresh_key();
    join_all((0..20).map(|_| sb.op(&id, "capture", 500, Some(&k)))).await;
    assert!(
        totals(&sb.tx(&id).await).1 > 1_000,
        "one key moved money more than once"
    );
}

#[tokio::test]
async fn cancel_moves_captured() {
    let sb = start_mutant(WalletMutant::CancelMovesCaptured).await;
    let id = sb.settled(1_000).await;
    sb.op(&id, "cancel", 400, None).await.ok(200);
    assert_eq!(totals(&sb.tx(&id).await), (1_000, 400, 0, 0));
}

#[tokio::test]
async fn operates_on_unsettled() {
    let sb = start_mutant(WalletMutant::OperatesOnUnsettled).await;
    let t = sb.authorize(1_000, "+77001111111").await;
    let id = t["walletTransactionId"].as_str().unwrap();
    sb.op(id, "capture", 100, None).await.ok(200);
}

#[tokio::test]
async fn replay_rechecks_remaining() {
    let sb = start_mutant(WalletMutant::ReplayRechecksRemaining).await;
    let id = sb.settled(1_000).await;
    let k = fresh_key();
    sb.op(&id, "capture", 600, Some(&k)).await.ok(200);
    sb.op(&id, "cancel", 400, None).await.ok(200);
    sb.op(&id, "capture", 600, Some(&k)).await.expect(
        400,
        "amount_exceeds_remaining",
        Some("amount"),
    );
}

#[tokio::test]
async fn mismatch_replays() {
    let sb = start_mutant(WalletMutant::MismatchReplays).await;
    let k = fresh_key();
    sb.post(
        "/v1/wallet/authorize",
        Some(&k),
        &auth_body(100, "+77001234567", "A"),
    )
    .await
    .ok(201);
    sb.post(
        "/v1/wallet/authorize",
        Some(&k),
        &auth_body(200, "+77001234567", "A"),
    )
    .await
    .ok(201);
}

#[tokio::test]
async fn error_binds_key() {
    let sb = start_mutant(WalletMutant::ErrorBindsKey).await;
    let id = sb.settled(1_000).await;
    let k = fresh_key();
    sb.op(&id, "capture", 2_000, Some(&k)).await.expect(
        400,
        "amount_exceeds_remaining",
        Some("amount"),
    );
    let again = sb.op(&id, "capture", 2_000, Some(&k)).await;
    assert_eq!(
        again.status(),
        200,
        "the failed request bound its key: {}",
        again.text
    );
}

#[tokio::test]
async fn failed_with_totals() {
    let sb = start_mutant(WalletMutant::FailedWithTotals).await;
    let t = sb.authorize(700, "+77000000000").await;
    let id = t["walletTransactionId"].as_str().unwrap();
    let t = sb.wait_status(id, "FAILED").await;
    assert_eq!(t["capturedAmount"], 700);
}

#[tokio::test]
async fn amount_as_string() {
    let sb = start_mutant(WalletMutant::AmountAsString).await;
    let t = sb.authorize(700, "+77001234567").await;
    assert_eq!(t["amount"], json!("700"));
}
