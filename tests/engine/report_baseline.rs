//! The baseline comparison (`gatecheck diff`, `certify --baseline`): what counts as a
//! regression, the tolerance, phases renamed per API, the format version, and the words
//! in the console, JSON, JUnit and HTML.

use clap::Parser;
use gatecheck::cli::Cli;
use gatecheck::engine::model::{Outcome, RunReport};
use gatecheck::engine::report::baseline::{
    self, BaselineError, Comparison, DiffVerdict, Tolerance,
};
use gatecheck::engine::report::{self, Format};
use gatecheck::Exit;

use super::report_fixture::failing_run;

fn compare(before: &RunReport, after: &RunReport) -> Comparison {
    Comparison::of("base.json", before, after, Tolerance::default())
}

fn check_mut<'a>(
    run: &'a mut RunReport,
    id: &str,
) -> &'a mut gatecheck::engine::model::CheckResult {
    run.phases
        .iter_mut()
        .flat_map(|p| p.checks.iter_mut())
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn create_order(run: &mut RunReport) -> &mut gatecheck::engine::model::TransactionStats {
    run.phases
        .iter_mut()
        .filter_map(|p| p.load.as_mut())
        .flat_map(|l| l.transactions.iter_mut())
        .find(|t| t.name == "create_order")
        .expect("create_order")
}

#[test]
fn the_same_run_has_no_regressions_and_nothing_changed() {
    let run = failing_run();
    let comparison = compare(&run, &run);
    assert_eq!(comparison.verdict, DiffVerdict::NoRegressions);
    assert!(comparison.is_unchanged(), "{comparison:#?}");
    // A failure the baseline had too is not a regression.
    assert!(run.checks().any(|c| c.outcome == Outcome::Failed));
}

#[test]
fn newly_failing_and_newly_warning_checks_regress_while_fixed_and_skipped_do_not() {
    let before = failing_run();
    let mut after = failing_run();
    // Passed → failed; failed → passed; passed → skipped; warned stays warned.
    let bearer = check_mut(&mut after, "auth.bearer_prefix_rejected");
    *bearer = gatecheck::engine::model::CheckResult::from_findings(
        bearer.id.clone(),
        bearer.section.clone(),
        bearer.title.clone(),
        bearer.severity,
        vec![super::report_fixture::method_not_allowed_finding()],
        1,
    );
    let allow = check_mut(&mut after, "errors.method_not_allowed_has_allow");
    allow.outcome = Outcome::Passed;
    allow.findings.clear();
    check_mut(&mut after, "auth.missing_key_unauthorized").outcome = Outcome::Skipped {
        reason: "needs --admin-token".into(),
    };
    let comparison = compare(&before, &after);
    let kinds: Vec<(&str, &str, bool)> = comparison
        .checks
        .iter()
        .map(|c| (c.check.as_str(), c.change.words(), c.regression))
        .collect();
    assert_eq!(
        kinds,
        [
            ("auth.bearer_prefix_rejected", "newly failing", true),
            ("auth.missing_key_unauthorized", "newly skipped", false),
            ("errors.method_not_allowed_has_allow", "fixed", false),
        ]
    );
    assert_eq!(comparison.verdict, DiffVerdict::Regressed);
    assert_eq!(comparison.regressions, 1);
    assert_eq!(baseline::cli::exit_of(&comparison), Exit::Violations);

    // Only the fix and the skip: no regressions, exit 0.
    let mut only_better = after.clone();
    *check_mut(&mut only_better, "auth.bearer_prefix_rejected") = before
        .checks()
        .find(|c| c.id == "auth.bearer_prefix_rejected")
        .cloned()
        .unwrap();
    let comparison = compare(&before, &only_better);
    assert_eq!(comparison.verdict, DiffVerdict::NoRegressions);
    assert_eq!(baseline::cli::exit_of(&comparison), Exit::Pass);
    assert_eq!(comparison.checks.len(), 2);
}

#[test]
fn a_new_warning_is_a_regression() {
    let mut before = failing_run();
    let request_id = check_mut(&mut before, "headers.request_id_echoed");
    request_id.outcome = Outcome::Passed;
    request_id.findings.clear();
    let comparison = compare(&before, &failing_run());
    assert_eq!(comparison.regressions, 1);
    assert_eq!(comparison.checks[0].change.words(), "newly warning");
}

#[test]
fn load_moves_count_only_beyond_the_tolerance_and_the_floor() {
    let before = failing_run();
    let mut after = failing_run();
    let tx = create_order(&mut after);
    tx.p99_us = tx.p99_us * 105 / 100; // +5 %: within 10 %
    tx.p50_us = tx.p50_us * 130 / 100; // +30 %: slower
    tx.throughput_per_s *= 0.5; // −50 %: less throughput
    tx.p90_us = tx.p90_us * 80 / 100; // −20 %: faster, not a regression
    let comparison = compare(&before, &after);
    let moved: Vec<(&str, bool)> = comparison
        .load
        .iter()
        .map(|m| (m.metric.as_str(), m.regression))
        .collect();
    assert_eq!(
        moved,
        [("p50", true), ("throughput", true), ("p90", false)],
        "{comparison:#?}"
    );
    assert_eq!(comparison.verdict, DiffVerdict::Regressed);

    // A wider tolerance lets them all pass.
    let wide = Comparison::of(
        "base.json",
        &before,
        &after,
        Tolerance {
            relative: 0.6,
            ..Tolerance::default()
        },
    );
    assert_eq!(wide.verdict, DiffVerdict::NoRegressions);

    // Sub-millisecond jitter never counts, however large in percent.
    let mut fast_before = failing_run();
    let mut fast_after = failing_run();
    create_order(&mut fast_before).p50_us = 300;
    create_order(&mut fast_after).p50_us = 600;
    assert!(compare(&fast_before, &fast_after).load.is_empty());
}

#[test]
fn a_newly_missed_threshold_regresses() {
    let mut before = failing_run();
    for phase in &mut before.phases {
        if let Some(load) = &mut phase.load {
            load.thresholds.iter_mut().for_each(|t| t.passed = true);
        }
    }
    let comparison = compare(&before, &failing_run());
    assert_eq!(comparison.thresholds.len(), 1);
    assert!(comparison.thresholds[0].regression);
    assert_eq!(comparison.thresholds[0].rule, "create_order:p99<300ms");
}

#[test]
fn checks_of_a_phase_renamed_per_api_are_matched_by_id() {
    let before = failing_run();
    let mut after = failing_run();
    for phase in &mut after.phases {
        phase.name = format!("gate {}", phase.name);
    }
    let comparison = compare(&before, &after);
    assert!(comparison.is_unchanged(), "{comparison:#?}");
}

#[test]
fn old_reports_are_read_and_newer_ones_refused_by_name() {
    let mut document = serde_json::to_value(failing_run()).unwrap();
    // Format 1 had no format_version: read as is.
    let old = baseline::read::parse_report("old.json", document.clone()).expect("format 1");
    assert_eq!(old, failing_run());
    document["format_version"] = 99.into();
    let error = baseline::read::parse_report("new.json", document).unwrap_err();
    assert!(matches!(error, BaselineError::TooNew { found: 99, .. }));
    assert!(error.to_string().contains("new.json has report format 99"));
    let junk = serde_json::json!({"tool": "k6", "phases": []});
    let error = baseline::read::parse_report("k6.json", junk).unwrap_err();
    assert!(
        error.to_string().contains("not a gatecheck report.json"),
        "{error}"
    );
}

#[tokio::test]
async fn diff_compares_report_files_and_exits_1_only_on_regressions() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, run: &RunReport| {
        let folder = dir.path().join(name);
        report::write_files(run, &folder, &[Format::Json]).unwrap();
        folder.join("report.json")
    };
    let before = failing_run();
    let mut worse = failing_run();
    let slow = create_order(&mut worse);
    slow.p99_us *= 2;
    let base = write("base", &before);
    let same = write("same", &before);
    let regressed = write("worse", &worse);
    let run = |a: &std::path::Path, b: &std::path::Path, extra: &[&str]| {
        let junit = dir.path().join("diff.xml");
        let json = dir.path().join("diff.json");
        let mut argv = vec![
            "gatecheck".to_string(),
            "diff".into(),
            a.display().to_string(),
            b.display().to_string(),
            "--junit".into(),
            junit.display().to_string(),
            "--json".into(),
            json.display().to_string(),
        ];
        argv.extend(extra.iter().map(|s| s.to_string()));
        let cli = Cli::try_parse_from(argv).expect("valid flags");
        async move {
            let exit = gatecheck::run(cli).await;
            (
                exit,
                std::fs::read_to_string(junit).unwrap_or_default(),
                std::fs::read_to_string(json).unwrap_or_default(),
            )
        }
    };
    let (exit, junit, json) = run(&base, &same, &[]).await;
    assert_eq!(exit.unwrap(), Exit::Pass);
    assert!(junit.contains("no regressions"), "{junit}");
    assert!(json.contains("\"verdict\": \"no_regressions\""), "{json}");

    let (exit, junit, json) = run(&base, &regressed, &[]).await;
    assert_eq!(exit.unwrap(), Exit::Violations);
    assert!(junit.contains("<failure"), "{junit}");
    assert!(junit.contains("create_order p99"), "{junit}");
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(document["verdict"], "regressed");
    assert_eq!(document["load"][0]["metric"], "p99");

    let (exit, ..) = run(&base, &regressed, &["--latency-tolerance", "150%"]).await;
    assert_eq!(exit.unwrap(), Exit::Pass);

    let missing = dir.path().join("missing.json");
    let (exit, ..) = run(&base, &missing, &[]).await;
    let error = exit.expect_err("a missing file is refused");
    assert_eq!(error.exit(), Exit::Usage, "{error}");
}

#[test]
fn every_format_shows_the_comparison() {
    let before = failing_run();
    let mut after = failing_run();
    create_order(&mut after).p99_us *= 2;
    let comparison = compare(&before, &after);
    let text = baseline::render::text(&comparison, &report::style::Palette::new(false));
    assert!(text.starts_with("compared with base.json"), "{text}");
    assert!(
        text.contains("✗ slower           load create_order p99: 412.8 ms → 825.6 ms (+100.0%)"),
        "{text}"
    );
    assert!(
        text.ends_with("regressed: 1 regression against base.json"),
        "{text}"
    );

    let mut html = Vec::new();
    report::write_html_compared(&after, Some(&comparison), &mut html).unwrap();
    let html = String::from_utf8(html).unwrap();
    let section = html
        .find("id=\"comparison\"")
        .expect("a compared-with section");
    assert!(
        section < html.find("<h2>Environment").unwrap(),
        "under the verdict"
    );
    assert!(html.contains("regressed: 1 regression against base.json"));

    let mut json = Vec::new();
    report::write_json_compared(&after, Some(&comparison), &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["format_version"], 2);
    assert_eq!(json["comparison"]["verdict"], "regressed");

    let mut junit = Vec::new();
    report::write_junit_compared(&after, Some(&comparison), &mut junit).unwrap();
    let junit = String::from_utf8(junit).unwrap();
    assert!(junit.contains("<testsuite name=\"baseline\""), "{junit}");
}
