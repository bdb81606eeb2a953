//! Each Wallet invariant is proven able to fail: the embedded sandbox runs one deliberate
//! contract violation (a Wallet mutant) and the Wallet invariants must report exactly the
//! check that guards it — and nothing fails on the correct sandbox, run after run.

use std::collections::BTreeSet;
use std::time::Instant;

use gatecheck::apis::wallet::invariants::{self, InvariantOptions};
use gatecheck::apis::ApiName;
use gatecheck::engine::client::Identity;
use gatecheck::engine::model::PhaseReport;
use gatecheck::engine::target::{TargetArgs, TargetError, TargetProfile};
use gatecheck::sandbox::{Launcher, SandboxConfig};

use crate::support::invariants::{assert_caught_only, details, failed_ids, options, seed};

/// The Wallet as a target for these tests: the merchant's key alone names the caller.
struct Wallet;

impl TargetProfile for Wallet {
    fn identity(&self, _: Option<&str>) -> Result<Identity, TargetError> {
        Ok(Identity::new())
    }

    fn health_path(&self) -> &'static str {
        "/health"
    }
}

pub async fn run(mutant: Option<&str>, opts: &InvariantOptions) -> PhaseReport {
    let config = SandboxConfig {
        wallet_mutant: mutant.map(|m| m.parse().expect("a known wallet mutant")),
        ..SandboxConfig::default()
    };
    let launcher = Launcher {
        config,
        api: ApiName::Wallet,
    };
    let resolved = TargetArgs::default()
        .resolve(&Wallet, &launcher)
        .await
        .expect("the sandbox starts");
    let (phase, stats) = invariants::run_with_stats(opts, &resolved)
        .await
        .expect("the probes run");
    eprintln!(
        "{mutant:?}: {} cases, {} requests, stateful {:?}, concurrency {:?}, shrink {:?}",
        stats.cases,
        stats.requests,
        stats.stateful_elapsed,
        stats.concurrency_elapsed,
        stats.shrink_elapsed
    );
    resolved.shutdown().await;
    phase
}

async fn assert_caught(mutant: &str, check: &str) {
    let phase = run(Some(mutant), &options(64, seed())).await;
    assert_caught_only(&phase, mutant, check, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_sandbox_passes() {
    let started = Instant::now();
    let phase = run(None, &options(64, 0x5eed)).await;
    let failed = failed_ids(&phase);
    assert!(
        failed.is_empty(),
        "{}",
        details(&phase, &failed.iter().collect::<Vec<_>>())
    );
    let skipped: BTreeSet<&str> = phase
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, gatecheck::engine::model::Outcome::Skipped { .. }))
        .map(|c| c.id.as_str())
        .collect();
    assert!(skipped.is_empty(), "every check is exercised: {skipped:?}");
    for c in &phase.checks {
        eprintln!("{} {:?}", c.id, c.outcome);
    }
    eprintln!("correct sandbox: {:?}", started.elapsed());
}

macro_rules! caught {
    ($($name:ident: $mutant:literal => $check:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            assert_caught($mutant, $check).await;
        }
    )*};
}

caught! {
    replay_refunds_again: "wallet-replay-refunds-again" => "wallet.idempotency.replay_moves_nothing";
    capture_beyond_hold: "wallet-capture-beyond-hold" => "wallet.exceeds_remaining_rejected";
    capture_race: "wallet-capture-race" => "wallet.concurrency.partial_captures";
    same_key_race: "wallet-same-key-race" => "wallet.concurrency.same_key_moves_once";
    cancel_moves_captured: "wallet-cancel-moves-captured" => "wallet.operation_moves_exactly";
    operates_on_unsettled: "wallet-operates-on-unsettled" => "wallet.invalid_state_rejected";
    replay_rechecks_remaining: "wallet-replay-rechecks-remaining" => "wallet.idempotency.replay_same_answer";
    mismatch_replays: "wallet-mismatch-replays" => "wallet.idempotency.mismatch_rejected";
    error_binds_key: "wallet-error-binds-key" => "wallet.idempotency.error_does_not_bind_key";
    failed_with_totals: "wallet-failed-with-totals" => "wallet.conservation";
}

caught! {
    refund_race: "wallet-refund-race" => "wallet.concurrency.refunds";
    foreign_readable: "wallet-foreign-readable" => "wallet.scope.other_merchant_not_found";
    force_final_again: "wallet-force-final-again" => "wallet.lifecycle.transitions";
    authorize_says_success: "wallet-authorize-says-success" => "wallet.authorize_matches_model";
}

/// No flakes: the correct sandbox passes under several seeds in a row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_sandbox_passes_under_many_seeds() {
    for seed in [1u64, 2, 3, 0xdead, 0xbeef] {
        let phase = run(None, &options(64, seed)).await;
        let failed = failed_ids(&phase);
        assert!(
            failed.is_empty(),
            "seed {seed:x}: {}",
            details(&phase, &failed.iter().collect::<Vec<_>>())
        );
    }
}
