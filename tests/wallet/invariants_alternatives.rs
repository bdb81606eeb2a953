//! No false alarm from an assumption the contract does not make: a merchant may accept
//! any set of currencies (§1 Money) — without the admin API the Wallet invariants run as
//! the target's own merchant, here one accepting only USD, and must find its currency;
//! and a target may show its timestamps in milliseconds of a finer clock.

use gatecheck::apis::wallet::invariants::{self, InvariantOptions};
use gatecheck::apis::wallet::WALLET;
use gatecheck::engine::invariants::book::failed_ids;
use gatecheck::engine::model::Outcome;
use gatecheck::engine::target::TargetArgs;
use gatecheck::sandbox::{Launcher, SandboxConfig};
use serde_json::json;

use super::common;
use super::contract_alternatives::alternative;
use super::hostile::{forward, Hostile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_without_kzt_raises_no_alarm() {
    let sb = common::start().await;
    let (_, key) = sb.merchant(Some(json!(["USD"]))).await;
    let args = TargetArgs {
        base_url: Some(sb.url("")),
        merchant_api_key: Some(key),
        admin_token: None,
        ..TargetArgs::default()
    };
    let launcher = Launcher {
        config: SandboxConfig::default(),
        api: gatecheck::apis::ApiName::Wallet,
    };
    let resolved = args.resolve(&WALLET, &launcher).await.expect("resolves");
    let opts = InvariantOptions {
        cases: 6,
        seed: Some(7),
        concurrency_rounds: 1,
        max_shrink_iters: 8,
        ..InvariantOptions::default()
    };
    let (phase, _) = invariants::run_with_stats(&opts, &resolved)
        .await
        .expect("the probes run");
    resolved.shutdown().await;
    let failed = failed_ids(&phase.checks);
    assert!(
        failed.is_empty(),
        "false alarms: {failed:?}\n{:#?}",
        phase
            .checks
            .iter()
            .flat_map(|c| c.findings.first())
            .collect::<Vec<_>>()
    );
    let authorize = phase
        .checks
        .iter()
        .find(|c| c.id == "wallet.authorize_matches_model")
        .expect("the check is reported");
    assert!(
        matches!(authorize.outcome, Outcome::Passed),
        "authorizations ran in the merchant's currency: {:?}",
        authorize.outcome
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn millisecond_timestamps_raise_no_alarm() {
    let sb = common::start().await;
    let port: u16 = sb
        .url("")
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("a port");
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    let proxy = Hostile::start(move |req| alternative(forward(port, req), &seen));
    let args = TargetArgs {
        base_url: Some(proxy.url()),
        merchant_api_key: Some(sb.key()),
        admin_token: Some(sb.handle.admin_token().to_string()),
        ..TargetArgs::default()
    };
    let launcher = Launcher {
        config: SandboxConfig::default(),
        api: gatecheck::apis::ApiName::Wallet,
    };
    let resolved = args.resolve(&WALLET, &launcher).await.expect("resolves");
    let opts = InvariantOptions {
        cases: 16,
        seed: Some(11),
        concurrency_rounds: 1,
        max_shrink_iters: 8,
        ..InvariantOptions::default()
    };
    let (phase, _) = invariants::run_with_stats(&opts, &resolved)
        .await
        .expect("the probes run");
    resolved.shutdown().await;
    let failed = failed_ids(&phase.checks);
    assert!(
        failed.is_empty(),
        "false alarms: {failed:?}\n{:#?}",
        phase
            .checks
            .iter()
            .flat_map(|c| c.findings.first())
            .collect::<Vec<_>>()
    );
    assert!(count.load(std::sync::atomic::Ordering::Relaxed) > 10);
}
