//! A rate limit is the target's right (§10), never a finding: against the embedded sandbox
//! started with 5 requests per second per key, `contract`, `invariants` and `certify`
//! all pass with 0 failures and no exit 3 — the client paces, waits out `Retry-After`,
//! and says so. (A few cases keep it bearable; the three runs share the wall time.)

use std::time::{Duration, Instant};

use crate::support::failures;
use clap::Parser;
use gatecheck::apis::gate::contract::cli::{execute, ContractArgs};
use gatecheck::apis::gate::invariants::{self, InvariantOptions};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::certify::{self, CertifyArgs};
use gatecheck::cli::{Cli, Command};
use gatecheck::engine::target::TargetArgs;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

fn limited() -> SandboxConfig {
    SandboxConfig {
        rate_limit: Some(5),
        ..SandboxConfig::default()
    }
}

async fn contract() -> Duration {
    let started = Instant::now();
    let args = Cmd::parse_from(["contract", "--settle", "2s"]).args;
    let report = execute(&args, limited()).await.expect("contract runs");
    let failed = failures(report.checks());
    assert!(failed.is_empty(), "contract at 5 req/s: {failed:?}");
    let pacing = report.pacing.expect("a pacing summary");
    assert_eq!(pacing.gave_up, 0, "{pacing:?}");
    assert!(pacing.slowed(), "the sandbox limits at 5 req/s: {pacing:?}");
    started.elapsed()
}

async fn invariants() -> Duration {
    let started = Instant::now();
    let resolved = TargetArgs::default()
        .resolve(&gatecheck::apis::gate::GATE, &limited())
        .await
        .expect("the sandbox starts");
    let opts = InvariantOptions {
        cases: 8,
        seed: Some(0x5eed),
        ..InvariantOptions::default()
    };
    let phase = invariants::run(&opts, &resolved)
        .await
        .expect("the probes run, no exit 3");
    resolved.shutdown().await;
    let failed = failures(phase.checks.iter());
    assert!(failed.is_empty(), "invariants at 5 req/s: {failed:?}");
    started.elapsed()
}

async fn certify_run() -> Duration {
    let started = Instant::now();
    let argv = [
        "gatecheck",
        "certify",
        "--quiet",
        "--phases",
        "health,contract,invariants",
        "--cases",
        "8",
    ];
    let args: CertifyArgs = match Cli::try_parse_from(argv).expect("valid flags").command {
        Command::Certify(args) => *args,
        other => panic!("parsed as {other:?}"),
    };
    let plan = args.plan(&|_: &str| None).expect("plan");
    let outcome = certify::certify(&plan, limited())
        .await
        .expect("certify runs");
    // Exit 3 is only for a target that never answered: certify's outcome is its report.
    let failed = failures(outcome.report.checks());
    assert!(failed.is_empty(), "certify at 5 req/s: {failed:?}");
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contract_invariants_and_certify_pass_at_5_requests_per_second() {
    let (c, i, k) = tokio::join!(contract(), invariants(), certify_run());
    eprintln!(
        "at 5 req/s: contract {:.1} s, invariants (8 cases) {:.1} s, certify {:.1} s",
        c.as_secs_f64(),
        i.as_secs_f64(),
        k.as_secs_f64()
    );
}
