//! A rate limit is the target's right (§3 Rate limit), never a finding: against the
//! embedded sandbox started with 5 requests per second per key, the Wallet contract suite
//! and the Wallet invariants pass with 0 failures — the client paces, waits out
//! `Retry-After`, and says so. (A few cases keep it bearable; the two share the wall time.)

use std::time::{Duration, Instant};

use crate::support::failures;
use clap::Parser;
use gatecheck::apis::wallet::contract::cli::execute;
use gatecheck::apis::wallet::invariants::{self, InvariantOptions};
use gatecheck::apis::ApiName;
use gatecheck::engine::contract::cli::ContractArgs;
use gatecheck::engine::target::TargetArgs;
use gatecheck::sandbox::{Launcher, SandboxConfig};

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

fn limited() -> Launcher {
    let mut config = SandboxConfig::default();
    config.gate.rate_limit = Some(5);
    Launcher {
        config,
        api: ApiName::Wallet,
    }
}

async fn contract() -> Duration {
    let started = Instant::now();
    let args = Cmd::parse_from(["contract"]).args;
    let report = execute(&args, &limited()).await.expect("contract runs");
    let failed = failures(report.checks());
    assert!(failed.is_empty(), "wallet contract at 5 req/s: {failed:?}");
    let pacing = report.pacing.expect("a pacing summary");
    assert_eq!(pacing.gave_up, 0, "{pacing:?}");
    assert!(pacing.slowed(), "the sandbox limits at 5 req/s: {pacing:?}");
    started.elapsed()
}

async fn invariants() -> Duration {
    let started = Instant::now();
    let resolved = TargetArgs::default()
        .resolve(&gatecheck::apis::wallet::WALLET, &limited())
        .await
        .expect("the sandbox starts");
    let opts = InvariantOptions {
        cases: 6,
        seed: Some(0x5eed),
        ..InvariantOptions::default()
    };
    let phase = invariants::run(&opts, &resolved)
        .await
        .expect("the probes run, no exit 3");
    let slowed = resolved.client.pacer().summary();
    resolved.shutdown().await;
    let failed = failures(phase.checks.iter());
    assert!(
        failed.is_empty(),
        "wallet invariants at 5 req/s: {failed:?}"
    );
    assert!(
        slowed.slowed(),
        "the probes met the limit and waited: {slowed:?}"
    );
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wallet_contract_and_invariants_pass_at_5_requests_per_second() {
    let (c, i) = tokio::join!(contract(), invariants());
    eprintln!(
        "wallet at 5 req/s: contract {:.1} s, invariants (6 cases) {:.1} s",
        c.as_secs_f64(),
        i.as_secs_f64()
    );
}
