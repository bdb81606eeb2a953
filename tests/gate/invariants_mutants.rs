//! Each invariant is proven able to fail: the embedded sandbox runs one deliberate
//! contract violation (a mutant) and `gatecheck invariants` must report exactly the check
//! that guards it — and nothing fails on the correct sandbox.

use std::collections::BTreeSet;

use gatecheck::apis::gate::invariants::checks::failed_ids;
use gatecheck::apis::gate::invariants::{self, InvariantOptions};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::engine::model::PhaseReport;
use gatecheck::engine::target::TargetArgs;

use crate::support::invariants::{details, options, seed};

fn target_args() -> TargetArgs {
    TargetArgs::default()
}

async fn run(mutant: Option<&str>, opts: &InvariantOptions) -> PhaseReport {
    let config = SandboxConfig {
        mutant: mutant.map(|m| m.parse().expect("a known mutant")),
        ..SandboxConfig::default()
    };
    let resolved = target_args()
        .resolve(&gatecheck::apis::gate::GATE, &config)
        .await
        .expect("the sandbox starts");
    let phase = invariants::run(opts, &resolved)
        .await
        .expect("the probes run");
    resolved.shutdown().await;
    phase
}

fn failed(phase: &PhaseReport) -> BTreeSet<String> {
    failed_ids(&phase.checks)
}

async fn assert_caught(mutant: &str, check: &str, also_allowed: &[&str]) {
    let phase = run(Some(mutant), &options(64, seed())).await;
    let failed = failed(&phase);
    assert!(
        failed.contains(check),
        "{mutant}: {check} did not fail; failed: {failed:?}"
    );
    let unexpected: Vec<_> = failed
        .iter()
        .filter(|id| *id != check && !also_allowed.contains(&id.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{mutant}: unexpected failures {unexpected:?}\n{}",
        details(&phase, &unexpected)
    );
    let finding = phase
        .checks
        .iter()
        .find(|c| c.id == check)
        .and_then(|c| c.findings.first())
        .expect("a finding");
    assert!(!finding.message.is_empty());
    eprintln!(
        "{mutant}: {failed:?}\n{}\n{}",
        finding.message,
        finding.reproduction.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_sandbox_passes() {
    let phase = run(None, &options(48, 7)).await;
    assert!(failed(&phase).is_empty(), "{:#?}", phase.checks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_creates_order() {
    assert_caught(
        "replay-creates-order",
        "idempotency.replay_returns_same_order",
        &["idempotency.one_order_under_concurrency"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_charges_again() {
    assert_caught(
        "replay-charges-again",
        "idempotency.replay_moves_no_money",
        &["idempotency.one_order_under_concurrency"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_accepted() {
    assert_caught(
        "mismatch-accepted",
        "idempotency.mismatch_rejected",
        &["idempotency.one_order_under_concurrency"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_race() {
    assert_caught(
        "idempotency-race",
        "idempotency.one_order_under_concurrency",
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdraw_race() {
    // This mutant also checks the balance before the key lookup, so a replay or a
    // mismatch on a short balance is refused with insufficient_balance: a genuine
    // sequential violation the stateful probe may report as well.
    assert_caught(
        "overdraw-race",
        "reservation.no_overdraw_under_concurrency",
        &[
            "idempotency.mismatch_rejected",
            "idempotency.replay_returns_same_order",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_keeps_reservation() {
    assert_caught(
        "failed-keeps-reservation",
        "lifecycle.failed_releases_reservation",
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_rounding() {
    assert_caught("truncate-rounding", "pricing.half_up", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantity_ignored() {
    assert_caught(
        "quantity-ignored",
        "pricing.voucher_price_times_quantity",
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_order_moves_money() {
    assert_caught("test-order-moves-money", "test_orders.move_no_money", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_binds_key() {
    assert_caught(
        "error-binds-key",
        "idempotency.error_does_not_bind_key",
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_drift() {
    assert_caught("ledger-drift", "ledger.identity", &[]).await;
}
