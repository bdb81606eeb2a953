//! `gatecheck load --api wallet`: the whole flow (authorize → poll → capture → refund,
//! transaction and list reads) runs on the embedded sandbox without an error; a threshold
//! that cannot hold fails the run (exit 1); a body that breaks its schema is an error with
//! its reason; authorizations are refused outside loopback without `--allow-spend` and
//! stop at `--max-spend` (counted from the sandbox itself).

use std::path::PathBuf;
use std::time::Duration;

use gatecheck::apis::wallet::load::{self, cli::plan};
use gatecheck::apis::ApiName;
use gatecheck::engine::client::{ApiClient, Identity, Secret, Target};
use gatecheck::engine::load::plan::LoadArgs;
use gatecheck::engine::load::run::Progress;
use gatecheck::engine::model::TransactionStats;
use gatecheck::engine::spend::{Minor, SpendGuard};
use gatecheck::engine::target::{ResolvedTarget, TargetArgs};
use gatecheck::sandbox::{Launcher, SandboxConfig, WalletMutant};
use gatecheck::{Exit, GateError};
use reqwest::Method;

use super::common;

fn args(only: &[&str], thresholds: &[&str]) -> LoadArgs {
    LoadArgs {
        scenario: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/wallet.toml"),
        users: Some(4),
        ramp: None,
        run_time: Some(Duration::from_secs(2)),
        rate: None,
        validate_sample: 1.0,
        schemas: None,
        thresholds: thresholds.iter().map(|s| s.to_string()).collect(),
        only: only.iter().map(|s| s.to_string()).collect(),
        out: None,
        goose_metrics: false,
        no_goose_metrics: false,
        workers: 1,
        worker_index: 0,
        no_progress: true,
        target: TargetArgs::default(),
    }
}

fn launcher(config: SandboxConfig) -> Launcher {
    Launcher {
        config,
        api: ApiName::Wallet,
    }
}

async fn run_embedded(config: SandboxConfig, a: &LoadArgs) -> load::LoadRun {
    let resolved = a
        .target
        .resolve(&gatecheck::apis::wallet::WALLET, &launcher(config))
        .await
        .expect("sandbox");
    let run = load::run(
        plan(&a.settings(), None).expect("plan"),
        &resolved,
        Progress::Hidden,
    )
    .await
    .expect("run");
    resolved.shutdown().await;
    run
}

fn row<'a>(run: &'a load::LoadRun, name: &str) -> &'a TransactionStats {
    run.summary
        .transactions
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

/// A target on a sandbox's default merchant, not the embedded one, with the spend policy
/// a remote host would get.
fn merchant_target(sb: &common::Sb, real_money: bool, cap: i64) -> ResolvedTarget {
    let target = Target {
        base_url: sb.handle.base_url().to_string(),
        identity: Identity::new(),
        api_key: Secret::new(sb.key()),
        admin_token: None,
    };
    ResolvedTarget {
        client: ApiClient::new(target, Duration::from_secs(10)).expect("a client"),
        embedded: None,
        spend: SpendGuard::new(real_money, Minor(cap)),
    }
}

/// The merchant's transactions, walked from the sandbox itself.
async fn authorized(sb: &common::Sb) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/wallet/transactions/?limit=100&cursor={c}"),
            None => "/v1/wallet/transactions/?limit=100".to_string(),
        };
        let page = sb
            .send(Method::GET, &path, &[("Authorization", &sb.key())], None)
            .await
            .ok(200);
        all.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return all,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_flow_runs_on_the_embedded_sandbox_without_an_error() {
    let run = run_embedded(
        common::fast(),
        &args(&[], &["error_rate<0.1%", "authorize:p99<2s"]),
    )
    .await;
    for name in [
        "authorize",
        "poll_transaction",
        "capture",
        "refund",
        "get_transaction",
        "list_transactions",
    ] {
        let r = row(&run, name);
        assert!(r.count > 0, "{name} ran: {:?}", run.summary.transactions);
        assert_eq!(r.errors, 0, "{name}: {:?}", run.notes);
    }
    assert!(
        run.summary.thresholds.iter().all(|t| t.passed),
        "{:?}",
        run.summary.thresholds
    );
    assert_eq!(run.refused_by_cap, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threshold_that_cannot_hold_fails_the_run() {
    let out = tempfile::tempdir().expect("tempdir");
    let mut a = args(&["authorize", "list_transactions"], &["authorize:p50<1us"]);
    a.run_time = Some(Duration::from_secs(1));
    a.out = Some(out.path().to_path_buf());
    let exit = gatecheck::apis::wallet::load::cli::run(a, &launcher(common::fast()))
        .await
        .expect("runs");
    assert_eq!(exit, Exit::Violations);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).expect("report"))
            .expect("json");
    let thresholds = &report["phases"][0]["load"]["thresholds"];
    assert_eq!(thresholds[0]["rule"], "authorize:p50<1us", "{thresholds}");
    assert_eq!(thresholds[0]["passed"], false, "{thresholds}");
    assert!(out.path().join("authorize.hgrm").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_breaks_its_schema_is_an_error_with_its_reason() {
    let config = SandboxConfig {
        wallet_mutant: Some(WalletMutant::AmountAsString),
        ..common::fast()
    };
    let run = run_embedded(config, &args(&["authorize"], &["error_rate<0.1%"])).await;
    let authorize = row(&run, "authorize");
    assert!(authorize.count > 0);
    assert_eq!(
        authorize.errors, authorize.count,
        "every sampled authorize body breaks the WalletTransaction schema"
    );
    assert!(
        run.notes
            .iter()
            .any(|n| n.starts_with("authorize errors: schema violation")),
        "{:?}",
        run.notes
    );
    assert!(
        run.notes.iter().any(|n| n.contains("/amount")),
        "the note names the field: {:?}",
        run.notes
    );
    assert!(run.summary.thresholds.iter().any(|t| !t.passed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_loopback_without_allow_spend_nothing_is_authorized() {
    let sb = common::start().await;
    let resolved = merchant_target(&sb, false, 1_000_000);
    let a = args(&[], &[]);
    let refused = load::run(
        plan(&a.settings(), None).expect("plan"),
        &resolved,
        Progress::Hidden,
    )
    .await;
    match refused {
        Err(e @ GateError::Layer(_)) => {
            assert_eq!(e.exit(), gatecheck::Exit::Usage);
            assert!(e.to_string().contains("--allow-spend"), "{e}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|r| r.summary)),
    }
    assert!(authorized(&sb).await.is_empty(), "no hold was made");
    // Reads alone are fine.
    let reads = args(&["list_transactions"], &["error_rate<0.1%"]);
    let run = load::run(
        plan(&reads.settings(), None).expect("plan"),
        &resolved,
        Progress::Hidden,
    )
    .await
    .expect("reads run");
    assert!(row(&run, "list_transactions").count > 0);
    assert!(authorized(&sb).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizations_stop_at_the_spend_cap() {
    let sb = common::start().await;
    // 50.00 KZT: five authorizations of 10.00.
    let resolved = merchant_target(&sb, true, 5_000);
    let run = load::run(
        plan(&args(&["authorize"], &[]).settings(), None).expect("plan"),
        &resolved,
        Progress::Hidden,
    )
    .await
    .expect("run");
    let held: u64 = authorized(&sb)
        .await
        .iter()
        .map(|t| t["authorizedAmount"].as_u64().expect("an integer"))
        .sum();
    assert_eq!(held, 5_000, "the cap, exactly: {:?}", run.notes);
    assert_eq!(row(&run, "authorize").count, 5);
    assert!(run.refused_by_cap > 0);
    assert!(
        run.notes.iter().any(|n| n.contains("spend cap")),
        "{:?}",
        run.notes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certify_reports_wallet_load_skipped_when_real_money_is_not_allowed() {
    use clap::Parser;
    let sb = common::start().await;
    let key = sb.key();
    let out = tempfile::tempdir().expect("tempdir");
    let argv = [
        "gatecheck",
        "certify",
        "--quiet",
        "--api",
        "wallet",
        "--base-url",
        sb.handle.base_url(),
        "--merchant-api-key",
        &key,
        "--read-only",
        "--phases",
        "load",
        "--run-time",
        "1s",
        "--out",
        out.path().to_str().expect("utf-8"),
    ];
    let args = match gatecheck::cli::Cli::try_parse_from(argv)
        .expect("valid flags")
        .command
    {
        gatecheck::cli::Command::Certify(args) => *args,
        other => panic!("parsed as {other:?}"),
    };
    let plan = args.plan(&|_: &str| None).expect("plan");
    let outcome = gatecheck::certify::certify(&plan, Default::default())
        .await
        .expect("certify runs");
    let phase = outcome
        .report
        .phases
        .iter()
        .find(|p| p.name == "wallet load")
        .expect("a wallet load phase");
    match &phase.checks[0].outcome {
        gatecheck::engine::model::Outcome::Skipped { reason } => {
            assert!(reason.contains("--allow-spend"), "{reason}")
        }
        other => panic!("expected skipped, got {other:?}"),
    }
    assert!(authorized(&sb).await.is_empty(), "no hold was made");
}
