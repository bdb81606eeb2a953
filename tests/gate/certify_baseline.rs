//! `certify --baseline`: gating on regressions only. A fault the baseline did not have
//! fails the run (exit 1, "regressed" in every format); the same fault in the baseline and
//! now is no regression (exit 0) though the run is NOT certified; a baseline from a newer
//! gatecheck is refused before any request (exit 2).

use gatecheck::apis::gate::sandbox::{Mutant, SandboxConfig};
use gatecheck::certify::{self, CertifyArgs};
use gatecheck::Exit;
use serde_json::Value;

fn args(out: &std::path::Path, extra: &[&str]) -> CertifyArgs {
    let mut argv = vec![
        "--quiet",
        "--phases",
        "health,contract",
        "--no-har",
        "--out",
        out.to_str().unwrap(),
    ];
    argv.extend_from_slice(extra);
    super::common::certify_args(&argv)
}

fn mutant(m: Mutant) -> SandboxConfig {
    SandboxConfig {
        mutant: Some(m),
        ..SandboxConfig::default()
    }
}

fn json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path.join("report.json")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn certify_with_a_baseline_fails_only_on_regressions() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let exit = certify::run_with(args(&good, &[]), SandboxConfig::default())
        .await
        .unwrap();
    assert_eq!(exit, Exit::Pass);
    let good_report = good.join("report.json");
    let good_report = good_report.to_str().unwrap();

    // A new fault against the good baseline: regressed.
    let broken = dir.path().join("broken");
    let exit = certify::run_with(
        args(&broken, &["--baseline", good_report]),
        mutant(Mutant::AcceptsBearerPrefix),
    )
    .await
    .unwrap();
    assert_eq!(exit, Exit::Violations);
    let report = json(&broken);
    assert_eq!(report["format_version"], 2);
    assert_eq!(report["comparison"]["verdict"], "regressed");
    let change = &report["comparison"]["checks"][0];
    assert_eq!(change["change"], "newly_failing");
    assert_eq!(change["phase"], "contract");
    let html = std::fs::read_to_string(broken.join("report.html")).unwrap();
    assert!(html.contains("id=\"comparison\"") && html.contains("newly failing"));
    let junit = std::fs::read_to_string(broken.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"baseline\""));

    // The same fault in the baseline and now: no regressions, exit 0, still NOT certified.
    let again = dir.path().join("again");
    let broken_report = broken.join("report.json");
    let exit = certify::run_with(
        args(&again, &["--baseline", broken_report.to_str().unwrap()]),
        mutant(Mutant::AcceptsBearerPrefix),
    )
    .await
    .unwrap();
    assert_eq!(exit, Exit::Pass);
    let report = json(&again);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["comparison"]["verdict"], "no_regressions");
    assert_eq!(report["comparison"]["regressions"], 0);
}

#[tokio::test]
async fn a_baseline_from_a_newer_gatecheck_is_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("future.json");
    std::fs::write(
        &baseline,
        r#"{"format_version": 7, "tool": "gatecheck", "phases": []}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let error = certify::run_with(
        args(&out, &["--baseline", baseline.to_str().unwrap()]),
        SandboxConfig::default(),
    )
    .await
    .expect_err("refused");
    assert_eq!(error.exit(), Exit::Usage);
    assert!(error.to_string().contains("report format 7"), "{error}");
    assert!(!out.exists(), "nothing ran");
}
