//! A `429` the pacer gave up on is no evidence (issue 10): against a sandbox that allows
//! one request per second per key, with a pacing budget of zero (every `429` is handed
//! straight back), `gatecheck invariants` fails no check and does not stop: each check
//! whose verdict rested on such a `429` is skipped as inconclusive.

use std::time::Duration;

use gatecheck::apis::gate::invariants::{self, InvariantOptions};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::engine::client::{ApiClient, PaceConfig};
use gatecheck::engine::model::Outcome;
use gatecheck::engine::target::{ResolvedTarget, TargetArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_up_429_makes_checks_inconclusive_never_failed() {
    let config = SandboxConfig {
        rate_limit: Some(1),
        ..SandboxConfig::default()
    };
    let resolved = TargetArgs::default()
        .resolve(&gatecheck::apis::gate::GATE, &config)
        .await
        .expect("the sandbox starts");
    let impatient = PaceConfig {
        max_rps: None,
        request_budget: Duration::ZERO,
        run_budget: Duration::ZERO,
    };
    let client = ApiClient::paced(resolved.target().clone(), Duration::from_secs(5), impatient)
        .expect("a client");
    let target = ResolvedTarget {
        client: client.clone(),
        embedded: None,
        spend: resolved.spend.clone(),
    };
    let opts = InvariantOptions {
        cases: 8,
        seed: Some(0x5eed),
        concurrency_rounds: 1,
        ..InvariantOptions::default()
    };
    let phase = invariants::run(&opts, &target)
        .await
        .expect("a 429 never stops the run");
    resolved.shutdown().await;
    let failed: Vec<String> = phase
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| format!("{}: {:?}", c.id, c.findings.first().map(|f| &f.message)))
        .collect();
    assert!(failed.is_empty(), "429s judged as violations: {failed:?}");
    assert!(
        client.pacer().gave_up() > 0,
        "the sandbox at 1 req/s must have answered 429s that were given up"
    );
    let inconclusive: Vec<&str> = phase
        .checks
        .iter()
        .filter(|c| {
            matches!(&c.outcome, Outcome::Skipped { reason } if reason.starts_with("inconclusive:"))
        })
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        !inconclusive.is_empty(),
        "some check rested on a given-up 429: {:#?}",
        phase.checks
    );
}
