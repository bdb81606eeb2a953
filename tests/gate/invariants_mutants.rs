//! Each invariant is proven able to fail: the embedded sandbox runs one deliberate
//! contract violation (a mutant) and `gatecheck invariants` must report exactly the check
//! that guards it — and nothing fails on the correct sandbox.

use std::collections::BTreeSet;

use gatecheck::apis::gate::invariants::{self, InvariantOptions};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::engine::model::PhaseReport;
use gatecheck::engine::target::TargetArgs;

use crate::support::invariants::{assert_caught_only, failed_ids, options, seed};

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

async fn assert_caught(mutant: &str, check: &str, also_allowed: &[&str]) {
    let phase = run(Some(mutant), &options(64, seed())).await;
    assert_caught_only(&phase, mutant, check, also_allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_sandbox_passes() {
    let phase = run(None, &options(48, 7)).await;
    assert!(failed_ids(&phase).is_empty(), "{:#?}", phase.checks);
}

/// Each invariant's proof: the mutant that breaks it and the knock-on checks that same
/// fault may also fail.
const PROOFS: &[(&str, &str, &[&str])] = &[
    (
        "idempotency.replay_returns_same_order",
        "replay-creates-order",
        &["idempotency.one_order_under_concurrency"],
    ),
    (
        "idempotency.replay_moves_no_money",
        "replay-charges-again",
        &["idempotency.one_order_under_concurrency"],
    ),
    (
        "idempotency.mismatch_rejected",
        "mismatch-accepted",
        &["idempotency.one_order_under_concurrency"],
    ),
    (
        "idempotency.one_order_under_concurrency",
        "idempotency-race",
        &[],
    ),
    // This mutant also checks the balance before the key lookup, so a replay or a
    // mismatch on a short balance is refused with insufficient_balance: a genuine
    // sequential violation the stateful probe may report as well.
    (
        "reservation.no_overdraw_under_concurrency",
        "overdraw-race",
        &[
            "idempotency.mismatch_rejected",
            "idempotency.replay_returns_same_order",
        ],
    ),
    (
        "lifecycle.failed_releases_reservation",
        "failed-keeps-reservation",
        &[],
    ),
    ("pricing.half_up", "truncate-rounding", &[]),
    (
        "pricing.voucher_price_times_quantity",
        "quantity-ignored",
        &[],
    ),
    ("test_orders.move_no_money", "test-order-moves-money", &[]),
    (
        "idempotency.error_does_not_bind_key",
        "error-binds-key",
        &[],
    ),
    ("ledger.identity", "ledger-drift", &[]),
    ("reservation.charge_reserved", "balance-after-unmoved", &[]),
    (
        "reservation.insufficient_balance_rejected",
        "insufficient-balance-402",
        &[],
    ),
    ("lifecycle.transitions_allowed", "completed-at-drifts", &[]),
    ("orders.match_model", "external-ref-not-echoed", &[]),
    ("validation.near_valid_rejected", "wrong-error-param", &[]),
    (
        "validation.valid_accepted",
        "refuses-digits-in-account",
        &[],
    ),
];

/// Runs the proof of `check` from [`PROOFS`].
async fn prove(check: &str) {
    let (_, mutant, also) = PROOFS
        .iter()
        .find(|(c, _, _)| *c == check)
        .expect("a proof for the check");
    assert_caught(mutant, check, also).await;
}

#[test]
fn every_invariant_has_a_mutant() {
    use gatecheck::engine::invariants::book::InvariantCheck as _;
    let all: BTreeSet<&str> = gatecheck::apis::gate::invariants::checks::CheckId::ALL
        .iter()
        .map(|c| c.id())
        .collect();
    let proven: BTreeSet<&str> = PROOFS.iter().map(|(c, _, _)| *c).collect();
    assert_eq!(all, proven, "every invariant needs exactly one proof");
    assert_eq!(proven.len(), PROOFS.len(), "a check is proven twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_creates_order() {
    prove("idempotency.replay_returns_same_order").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_charges_again() {
    prove("idempotency.replay_moves_no_money").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_accepted() {
    prove("idempotency.mismatch_rejected").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_race() {
    prove("idempotency.one_order_under_concurrency").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdraw_race() {
    prove("reservation.no_overdraw_under_concurrency").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_keeps_reservation() {
    prove("lifecycle.failed_releases_reservation").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_rounding() {
    prove("pricing.half_up").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantity_ignored() {
    prove("pricing.voucher_price_times_quantity").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_order_moves_money() {
    prove("test_orders.move_no_money").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_binds_key() {
    prove("idempotency.error_does_not_bind_key").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_drift() {
    prove("ledger.identity").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_after_unmoved() {
    prove("reservation.charge_reserved").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_balance_402() {
    prove("reservation.insufficient_balance_rejected").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_at_drifts() {
    prove("lifecycle.transitions_allowed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_ref_not_echoed() {
    prove("orders.match_model").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_error_param() {
    prove("validation.near_valid_rejected").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_digits_in_account() {
    prove("validation.valid_accepted").await;
}
