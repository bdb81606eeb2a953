//! The JUnit report: a stable snapshot, and the XML parsed back to check suites, cases,
//! failures and skips.

use crate::report_fixture;

use gatecheck::engine::report::write_junit;
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};

fn render() -> String {
    let mut out = Vec::new();
    write_junit(&report_fixture::failing_run(), &mut out).expect("junit renders");
    String::from_utf8(out).expect("junit is UTF-8")
}

#[test]
fn junit_snapshot_of_a_failing_certify_run() {
    insta::with_settings!({ snapshot_path => "../../snapshots" }, {
        insta::assert_snapshot!("junit_failing_certify", render());
    });
}

#[test]
fn parsed_back_the_counts_match_the_run() {
    let report = Report::deserialize_from_str(&render()).expect("valid JUnit XML");
    assert_eq!(report.name.as_str(), "gatecheck certify");
    // 11 checks + 3 load thresholds; 3 failed checks + 1 missed threshold.
    assert_eq!(report.tests, 14);
    assert_eq!(report.failures, 4);
    assert_eq!(report.errors, 0);

    let suites: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(suites, ["health", "contract", "invariants", "load"]);

    let skipped: usize = report
        .test_suites
        .iter()
        .flat_map(|s| s.test_cases.iter())
        .filter(|c| matches!(c.status, TestCaseStatus::Skipped { .. }))
        .count();
    assert_eq!(skipped, 1);

    let contract = &report.test_suites[1];
    assert_eq!(
        (contract.tests, contract.failures, contract.disabled),
        (7, 2, 1)
    );
    assert!(contract
        .test_cases
        .iter()
        .all(|c| c.classname.as_ref().map(|n| n.as_str()) == Some("contract")));
    let load = &report.test_suites[3];
    assert_eq!((load.tests, load.failures), (3, 1));
}

#[test]
fn a_failure_carries_the_first_message_and_every_finding_s_evidence() {
    let report = Report::deserialize_from_str(&render()).expect("valid JUnit XML");
    let case = report.test_suites[2]
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "idempotency.replay_moves_no_money")
        .expect("the failing invariant is a test case");
    let TestCaseStatus::NonSuccess {
        kind: NonSuccessKind::Failure,
        message,
        description,
        ..
    } = &case.status
    else {
        panic!("expected a failure, got {:?}", case.status);
    };
    assert_eq!(
        message.as_ref().map(|m| m.as_str()),
        Some("a replayed order reserved its charge a second time")
    );
    let finding = report_fixture::replay_finding();
    let text = description.as_ref().expect("evidence text").as_str();
    assert_eq!(text, gatecheck::engine::report::evidence::block(&finding));
    assert!(text.contains("reproduction (seed 7f3a9c1e5b2d4f60):"));
    assert_eq!(case.time, Some(std::time::Duration::from_millis(1_460)));
}

#[test]
fn warnings_pass_with_their_text_in_system_out_and_skips_carry_the_reason() {
    let report = Report::deserialize_from_str(&render()).expect("valid JUnit XML");
    let cases: Vec<_> = report.test_suites[1].test_cases.iter().collect();
    let warned = cases
        .iter()
        .find(|c| c.name.as_str() == "headers.request_id_echoed")
        .expect("warned check present");
    assert!(matches!(warned.status, TestCaseStatus::Success { .. }));
    assert!(warned
        .system_out
        .as_ref()
        .is_some_and(|o| o.as_str().contains("X-Request-Id was not echoed")));
    let skipped = cases
        .iter()
        .find(|c| c.name.as_str() == "catalog.unavailable_product_rejected")
        .expect("skipped check present");
    let TestCaseStatus::Skipped { message, .. } = &skipped.status else {
        panic!("expected a skip");
    };
    assert_eq!(
        message.as_ref().map(|m| m.as_str()),
        Some("no unavailable product in the catalog")
    );
}
