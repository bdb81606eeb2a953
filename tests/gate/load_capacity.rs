//! `gatecheck capacity` finds a known capacity: the embedded sandbox started with
//! `--capacity 2:20ms` serves at most 100 requests/s; past that its queue (and the latency
//! counted from each intended send time) grows. The search must land within its precision
//! of 100/s, report every step, and draw the curve in the HTML report.

use crate::load_support;

use std::path::PathBuf;
use std::time::Duration;

use gatecheck::apis::gate::load::capacity::{run_with, CapacityArgs};
use gatecheck::apis::gate::sandbox::{CapacityFault, Faults, SandboxConfig};
use gatecheck::Exit;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_finds_the_sandboxs_artificial_capacity_within_its_precision() {
    let fault = CapacityFault {
        concurrency: 2,
        service: Duration::from_millis(20),
    };
    let known = fault.rate();
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("capacity");
    let precision = 0.15;
    let args = CapacityArgs {
        scenario: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/gate/catalog.toml"),
        thresholds: vec!["get_product:p99<250ms".into(), "error_rate<1%".into()],
        start_rate: 40.0,
        growth: 2.0,
        max_rate: 2_000.0,
        precision,
        warmup: Duration::from_secs(1),
        window: Duration::from_secs(2),
        max_steps: 12,
        users: None,
        validate_sample: 0.0,
        only: vec!["get_product".into()],
        out: Some(out.clone()),
        no_progress: true,
        target: load_support::embedded_sandbox(),
    };
    let sandbox = SandboxConfig {
        faults: Faults {
            capacity: Some(fault),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    let exit = run_with(args, &sandbox).await.expect("capacity run");
    let report_text = std::fs::read_to_string(out.join("report.json")).unwrap_or_default();
    assert_eq!(
        exit,
        Exit::Pass,
        "a capacity was found, its step passed: {report_text}"
    );

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
            .expect("json");
    let cap = &report["phases"][0]["load"]["capacity"];
    assert_eq!(cap["ending"], "converged", "{cap}");
    let found = cap["capacity_rate"].as_f64().expect("a rate held");
    let failed = cap["failed_rate"].as_f64().expect("a rate failed");
    assert!(
        found >= known * (1.0 - precision) && found <= known * (1.0 + precision),
        "found {found}/s, the sandbox holds {known}/s; steps: {}",
        cap["steps"]
    );
    assert!(
        failed > found && failed <= found * (1.0 + precision) + 1e-9,
        "{cap}"
    );
    let steps = cap["steps"].as_array().expect("steps");
    assert!(steps.len() >= 4, "ramp then bisection: {steps:?}");
    for s in steps {
        assert!(s["offered_rate"].as_f64().is_some() && s["achieved_rate"].as_f64().is_some());
        assert!(s["p50_us"].as_u64().is_some() && s["p99_us"].as_u64().is_some());
        assert_ne!(s["verdict"], "generator_limit", "{s}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("Capacity: latency and errors against offered rate"));
    assert!(html.contains(&format!("knee {found:.0}/s")));
}
