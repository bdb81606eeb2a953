//! Every response is checked: a wrong status, a body that breaks its schema (sampled) or
//! a replay that is not one counts as an error, with its reason. Proven against sandbox
//! mutants that break exactly that.

use crate::load_support;

use std::path::PathBuf;
use std::time::Duration;

use gatecheck::apis::gate::load::cli::{plan, LoadArgs};
use gatecheck::apis::gate::load::{self, Progress};
use gatecheck::apis::gate::sandbox::SandboxConfig;

fn args(only: &[&str]) -> LoadArgs {
    LoadArgs {
        scenario: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/gate/orders.toml"),
        users: Some(3),
        ramp: None,
        run_time: Some(Duration::from_secs(2)),
        rate: None,
        validate_sample: 1.0,
        schemas: None,
        thresholds: vec!["error_rate<0.1%".into()],
        only: only.iter().map(|s| s.to_string()).collect(),
        out: None,
        goose_metrics: false,
        no_goose_metrics: false,
        workers: 1,
        worker_index: 0,
        no_progress: true,
        target: load_support::embedded_sandbox(),
    }
}

async fn run_against(mutant: &str, a: &LoadArgs) -> load::LoadRun {
    let config = SandboxConfig {
        mutant: Some(mutant.parse().expect("a known mutant")),
        ..SandboxConfig::default()
    };
    let resolved = a
        .target
        .resolve(&gatecheck::apis::gate::GATE, &config)
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

fn row<'a>(run: &'a load::LoadRun, name: &str) -> &'a gatecheck::engine::model::TransactionStats {
    run.summary
        .transactions
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_breaks_its_schema_is_an_error_with_its_reason() {
    let run = run_against("money-as-number", &args(&["create_voucher_order"])).await;
    let create = row(&run, "create_voucher_order");
    assert!(create.count > 0);
    assert_eq!(
        create.errors, create.count,
        "every sampled order body breaks the Order schema"
    );
    assert!(
        run.notes
            .iter()
            .any(|n| n.starts_with("create_voucher_order errors: schema violation")),
        "{:?}",
        run.notes
    );
    assert!(
        run.notes.iter().any(|n| n.contains("charged_amount")),
        "{:?}",
        run.notes
    );
    assert!(!run.summary.thresholds[0].passed, "error_rate<0.1% fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_that_creates_a_second_order_is_an_error() {
    let run = run_against(
        "replay-creates-order",
        &args(&["create_voucher_order", "replay_order"]),
    )
    .await;
    let replay = row(&run, "replay_order");
    assert!(replay.count > 0);
    assert_eq!(replay.errors, replay.count);
    assert_eq!(row(&run, "create_voucher_order").errors, 0);
    assert!(
        run.notes
            .iter()
            .any(|n| n.starts_with("replay_order errors: replay mismatch")),
        "{:?}",
        run.notes
    );
}
