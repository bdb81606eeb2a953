//! `gatecheck load` end to end: outputs written, thresholds drive the exit code, a bad
//! scenario is a configuration error naming file, line and field.

use crate::load_support;
use gatecheck::apis::gate::client::{GateClientExt as _, GateTarget as _};

use std::path::PathBuf;
use std::time::Duration;

use gatecheck::apis::gate::load::cli::{run, LoadArgs};
use gatecheck::{Exit, GateError};
use rust_decimal::Decimal;

fn args(out: PathBuf, scenario: &str) -> LoadArgs {
    LoadArgs {
        scenario: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(scenario),
        users: Some(4),
        ramp: None,
        run_time: Some(Duration::from_secs(2)),
        rate: None,
        validate_sample: 1.0,
        schemas: None,
        thresholds: Vec::new(),
        only: Vec::new(),
        out: Some(out),
        goose_metrics: false,
        no_goose_metrics: false,
        workers: 1,
        worker_index: 0,
        no_progress: true,
        target: load_support::embedded_sandbox(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_scenario_writes_every_output_and_passes_its_thresholds() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    let mut a = args(out.clone(), "scenarios/gate/catalog.toml");
    // Also covers the goose path: every request through goose, its report written.
    a.goose_metrics = true;
    a.thresholds = vec![
        "error_rate<1%".into(),
        "get_product:p99<2s".into(),
        "throughput>=10/s".into(),
    ];
    let exit = run(a).await.expect("run");
    assert_eq!(exit, Exit::Pass);

    for f in [
        "report.json",
        "load.hlog",
        "get_product.hgrm",
        "goose-report.html",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
            .expect("json");
    let load = &report["phases"][0]["load"];
    let rows = load["transactions"].as_array().expect("rows");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "list_product_types",
            "list_categories",
            "list_products",
            "list_products_by_category",
            "get_product",
            "all"
        ]
    );
    for r in rows {
        assert!(r["count"].as_u64().unwrap_or(0) > 0, "{r}");
        assert_eq!(r["errors"], 0, "{r}");
    }
    assert!(load["timeline"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(load["thresholds"].as_array().map(|t| t.len()), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_threshold_exits_1_and_shows_the_measured_value() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    let mut a = args(out.clone(), "scenarios/gate/catalog.toml");
    a.only = vec!["get_product".into()];
    // The default path: goose runs the users, each sends on its own connection.
    a.thresholds = vec!["get_product:p50<1us".into()];
    let exit = run(a).await.expect("run");
    assert_eq!(exit, Exit::Violations);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
            .expect("json");
    let rule = &report["phases"][0]["load"]["thresholds"][0];
    assert_eq!(rule["rule"], "get_product:p50<1us");
    assert_eq!(rule["passed"], false);
    assert!(
        rule["measured"].as_str().is_some_and(|m| m != "no samples"),
        "{rule}"
    );
    assert!(
        !out.join("goose-report.html").exists(),
        "no goose report without its metrics"
    );
    assert!(out.join("get_product.hgrm").exists());
}

#[tokio::test]
async fn a_bad_scenario_is_a_configuration_error_with_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "name = \"bad\"\n\n[[transaction]]\nname = \"x\"\nkind = \"get_product\"\nweight = -2\n",
    )
    .expect("write");
    let mut a = args(dir.path().join("out"), "unused");
    a.scenario = file.clone();
    let err = run(a).await.expect_err("bad scenario");
    let GateError::Scenario(scenario) = &err else {
        panic!("expected a scenario error, got {err:?}");
    };
    let message = scenario.to_string();
    assert!(
        message.contains(&format!("{}:6:", file.display())),
        "{message}"
    );
    assert!(message.contains("transaction[0].weight"), "{message}");
    assert_eq!(err.exit(), Exit::Usage);
}

#[tokio::test]
async fn an_unknown_transaction_in_a_threshold_is_refused_before_the_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut a = args(dir.path().join("out"), "scenarios/gate/mixed.toml");
    a.thresholds = vec!["checkout:p99<1s".into()];
    let err = run(a).await.expect_err("unknown transaction");
    assert!(
        err.to_string().contains("no transaction `checkout`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mixed_scenario_orders_polls_and_replays_without_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    let mut a = args(out.clone(), "scenarios/gate/mixed.toml");
    a.users = Some(6);
    a.run_time = Some(Duration::from_secs(3));
    a.goose_metrics = true;
    let exit = run(a).await.expect("run");
    assert_eq!(exit, Exit::Pass);
    for f in [
        "report.json",
        "report.html",
        "junit.xml",
        "load.hlog",
        "goose-report.html",
        "create_order.hgrm",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read"))
            .expect("json");
    let rows = report["phases"][0]["load"]["transactions"]
        .as_array()
        .expect("rows")
        .clone();
    for name in [
        "create_order",
        "poll_order",
        "replay_order",
        "get_product",
        "list_orders",
    ] {
        let row = rows
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} row"));
        assert!(row["count"].as_u64().unwrap_or(0) > 0, "{row}");
        assert_eq!(row["errors"], 0, "{row}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("<svg"), "the HTML report has inline plots");
}

/// Every order of the agent the load ran as: (is_test, currency, charged_amount).
async fn orders_of(client: &gatecheck::engine::client::ApiClient) -> Vec<(bool, String, Decimal)> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = client.agent_path("/orders?limit=100");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = client
            .get(path)
            .send()
            .await
            .expect("orders")
            .json()
            .expect("json");
        for o in page["items"].as_array().expect("items") {
            out.push((
                o["is_test"].as_bool().expect("is_test"),
                o["currency_code"].as_str().expect("currency").to_string(),
                o["charged_amount"]
                    .as_str()
                    .expect("amount")
                    .parse()
                    .expect("decimal"),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

async fn run_orders(
    max_spend_minor: i64,
) -> (
    gatecheck::apis::gate::load::LoadRun,
    Vec<(bool, String, Decimal)>,
) {
    let mut target = load_support::embedded_sandbox();
    target.max_spend = gatecheck::engine::spend::Minor(max_spend_minor);
    let resolved = target
        .resolve(
            &gatecheck::apis::gate::GATE,
            &gatecheck::apis::gate::sandbox::SandboxConfig::default(),
        )
        .await
        .expect("sandbox");
    let dir = tempfile::tempdir().expect("tmp");
    let mut a = args(dir.path().join("out"), "scenarios/gate/orders.toml");
    a.users = Some(3);
    a.only = vec!["create_voucher_order".into(), "create_topup_order".into()];
    let plan = gatecheck::apis::gate::load::cli::plan(&a.settings(), None).expect("plan");
    let run = gatecheck::apis::gate::load::run(
        plan,
        &resolved,
        gatecheck::apis::gate::load::Progress::Hidden,
    )
    .await
    .expect("run");
    assert_ne!(
        run.client.target().agent_id(),
        resolved.target().agent_id(),
        "the load ran as a dedicated agent"
    );
    let orders = orders_of(&run.client).await;
    resolved.shutdown().await;
    (run, orders)
}

/// Against loopback real orders are allowed, but never past `--max-spend` (per currency);
/// once the cap is near, orders continue as test orders and the run says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_orders_stop_at_the_spend_cap() {
    let cap = Decimal::new(3000, 2); // 30.00
    let (run, orders) = run_orders(3000).await;
    let created: u64 = run
        .summary
        .transactions
        .iter()
        .filter(|t| t.name != "all")
        .map(|t| t.count - t.errors)
        .sum();
    assert!(run.quotes > 0, "real orders were preceded by price quotes");
    assert_eq!(
        orders.len() as u64,
        created,
        "every created order is listed"
    );
    assert!(orders.iter().any(|o| !o.0), "some real orders were made");
    assert!(run.orders_switched_to_test > 0, "the cap was reached");
    assert!(
        run.notes.iter().any(|n| n.contains("spend cap")),
        "{:?}",
        run.notes
    );
    let mut spent: std::collections::BTreeMap<&str, Decimal> = Default::default();
    for (_, currency, amount) in orders.iter().filter(|o| !o.0) {
        *spent.entry(currency).or_default() += *amount;
    }
    for (currency, total) in spent {
        assert!(total <= cap, "{currency}: {total} spent past the cap {cap}");
    }
}

/// A cap below any price: every order is a test order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cap_below_every_price_makes_only_test_orders() {
    let (run, orders) = run_orders(1).await;
    assert!(!orders.is_empty());
    assert!(orders.iter().all(|o| o.0), "only test orders");
    assert_eq!(orders.len() as u64, run.orders_switched_to_test);
}
