//! No false alarm from an assumption the contract does not make: a merchant may accept
//! any set of currencies (§1 Money) — without the admin API the Wallet invariants run as
//! the target's own merchant, here one accepting only USD, and must find its currency;
//! and a target may show its timestamps in milliseconds of a finer clock.

use gatecheck::apis::wallet::invariants::{self, InvariantOptions};
use gatecheck::engine::invariants::book::failed_ids;
use gatecheck::engine::model::{Outcome, PhaseReport};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::common;
use super::contract_alternatives::alternative;
use super::hostile::{forward, Hostile};

/// The Wallet invariants (a few cases, one round of each race) against `base_url` as the
/// merchant with `key`; asserts that nothing failed and returns the phase.
async fn assert_no_alarm(
    base_url: String,
    key: String,
    admin_token: Option<String>,
    cases: u32,
) -> PhaseReport {
    let resolved = common::resolve(base_url, key, admin_token).await;
    let opts = InvariantOptions {
        cases,
        seed: Some(u64::from(cases)),
        concurrency_rounds: 1,
        max_shrink_iters: 8,
        ..InvariantOptions::default()
    };
    let (phase, _) = invariants::run_with_stats(&opts, &resolved)
        .await
        .expect("the probes run");
    resolved.shutdown().await;
    let failed = failed_ids(&phase.checks);
    let first: Vec<_> = phase
        .checks
        .iter()
        .flat_map(|c| c.findings.first())
        .collect();
    assert!(failed.is_empty(), "false alarms: {failed:?}\n{first:#?}");
    phase
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_without_kzt_raises_no_alarm() {
    let sb = common::start().await;
    let (_, key) = sb.merchant(Some(json!(["USD"]))).await;
    let phase = assert_no_alarm(sb.url(""), key, None, 6).await;
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
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let proxy = Hostile::start(move |req| alternative(forward(port, req), &seen));
    let admin = Some(sb.handle.admin_token().to_string());
    assert_no_alarm(proxy.url(), sb.key(), admin, 16).await;
    assert!(
        count.load(Ordering::Relaxed) > 10,
        "the proxy respelled timestamps"
    );
}
