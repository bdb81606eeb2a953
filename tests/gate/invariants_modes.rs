//! The probe's safety modes: without the admin API it works on the given agent relative
//! to its balances and reports admin-only probes as skipped; real orders stay within
//! `--max-spend`; with real orders forbidden (a remote host without `--allow-spend`)
//! every order it creates is a test order and no money moves.

use gatecheck::apis::gate::client::GateClientExt as _;
use std::time::Duration;

use gatecheck::apis::gate::invariants::checks::failed_ids;
use gatecheck::apis::gate::invariants::{self, InvariantOptions};
use gatecheck::apis::gate::sandbox::{self, SandboxConfig, SandboxHandle};
use gatecheck::engine::client::{ApiClient, Secret, Target};
use gatecheck::engine::model::{Outcome, PhaseReport};
use gatecheck::engine::spend::SpendGuard;
use gatecheck::engine::target::ResolvedTarget;
use serde_json::Value;

/// A target on the sandbox's default agent, without the admin token.
fn user_target(sb: &SandboxHandle, real_orders: bool, cap_minor: i64) -> ResolvedTarget {
    let target = Target {
        base_url: sb.base_url().to_string(),
        identity: gatecheck::apis::gate::client::agent_identity(sb.agent_id()),
        api_key: Secret::new(sb.api_key()),
        admin_token: None,
    };
    ResolvedTarget {
        client: ApiClient::new(target, Duration::from_secs(10)).expect("a client"),
        embedded: None,
        spend: SpendGuard::new(real_orders, gatecheck::engine::spend::Minor(cap_minor)),
    }
}

fn options(cases: u32) -> InvariantOptions {
    InvariantOptions {
        cases,
        seed: Some(0xfeed),
        max_ops: 8,
        ..InvariantOptions::default()
    }
}

fn outcome<'a>(phase: &'a PhaseReport, id: &str) -> &'a Outcome {
    &phase
        .checks
        .iter()
        .find(|c| c.id == id)
        .expect("a known check")
        .outcome
}

async fn balances(r: &ResolvedTarget) -> Value {
    let ex = r
        .client
        .get(r.client.agent_path("/balance"))
        .send()
        .await
        .expect("balance");
    let mut v = ex.json().expect("json");
    for item in v["items"].as_array_mut().expect("items") {
        item.as_object_mut().expect("row").remove("updated_at");
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_admin_the_given_agent_is_probed_and_admin_probes_are_skipped() {
    let sb = sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let target = user_target(&sb, true, 2_000);
    let phase = invariants::run(&options(6), &target).await.expect("run");
    assert!(failed_ids(&phase.checks).is_empty(), "{:#?}", phase.checks);
    for id in [
        "reservation.no_overdraw_under_concurrency",
        "idempotency.one_order_under_concurrency",
        "lifecycle.failed_releases_reservation",
    ] {
        match outcome(&phase, id) {
            Outcome::Skipped { reason } => assert!(reason.contains("admin"), "{id}: {reason}"),
            other => panic!("{id} should be skipped without --admin-token, was {other:?}"),
        }
    }
    // The spend cap held, per currency.
    for c in ["USD", "EUR", "KZT"] {
        assert!(
            target.spend.spent(c) <= gatecheck::engine::spend::Minor(2_000),
            "{c}: {}",
            target.spend.spent(c)
        );
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_real_orders_are_forbidden_only_test_orders_are_created_and_no_money_moves() {
    let sb = sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let target = user_target(&sb, false, 10_000);
    let before = balances(&target).await;
    let phase = invariants::run(&options(6), &target).await.expect("run");
    assert!(failed_ids(&phase.checks).is_empty(), "{:#?}", phase.checks);
    assert!(matches!(
        outcome(&phase, "reservation.charge_reserved"),
        Outcome::Skipped { .. }
    ));
    assert_eq!(balances(&target).await, before, "no money moved");
    let ex = target
        .client
        .get(target.client.agent_path("/orders?limit=100"))
        .send()
        .await
        .expect("orders");
    let orders = ex.json().expect("json")["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!orders.is_empty(), "the probe created orders");
    assert!(
        orders.iter().all(|o| o["is_test"] == Value::Bool(true)),
        "only test orders"
    );
    sb.shutdown().await;
}

/// `certify` may spawn the phase on the runtime: its future must be `Send` (checked at
/// compile time; never called).
#[allow(dead_code)]
fn the_invariants_future_is_send(opts: &InvariantOptions, resolved: &ResolvedTarget) {
    fn is_send<T: Send>(_: T) {}
    is_send(invariants::run(opts, resolved));
}
