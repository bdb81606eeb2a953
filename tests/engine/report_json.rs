//! The JSON report: a stable snapshot, the verdict and counts at top level, and a document
//! that reads back into the same `RunReport`.

use crate::report_fixture;

use gatecheck::engine::model::RunReport;
use gatecheck::engine::report::write_json;
use serde_json::Value;

fn render(run: &RunReport) -> String {
    let mut out = Vec::new();
    write_json(run, &mut out).expect("json renders");
    String::from_utf8(out).expect("json is UTF-8")
}

#[test]
fn json_snapshot_of_a_failing_certify_run() {
    let json = render(&report_fixture::failing_run());
    insta::with_settings!({ snapshot_path => "../../snapshots" }, {
        insta::assert_snapshot!("json_failing_certify", json);
    });
}

#[test]
fn verdict_and_counts_come_first() {
    let json: Value = serde_json::from_str(&render(&report_fixture::failing_run())).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys[..6],
        [
            "format_version",
            "verdict",
            "verdict_text",
            "counts",
            "thresholds",
            "tool"
        ]
    );
    assert_eq!(json["verdict"], "fail");
    assert_eq!(json["verdict_text"], "NOT certified");
    assert_eq!(
        json["counts"],
        serde_json::json!({"passed": 6, "failed": 3, "warned": 1, "skipped": 1})
    );
    assert_eq!(
        json["thresholds"],
        serde_json::json!({"passed": 2, "failed": 1})
    );
}

#[test]
fn the_document_reads_back_into_the_same_run_report() {
    let run = report_fixture::failing_run();
    let back: RunReport = serde_json::from_str(&render(&run)).expect("reads back");
    assert_eq!(back, run);
}

#[test]
fn a_passing_contract_run_says_pass() {
    let json: Value =
        serde_json::from_str(&render(&report_fixture::passing_contract_run())).unwrap();
    assert_eq!(json["verdict"], "pass");
    assert_eq!(json["verdict_text"], "PASS");
    assert_eq!(
        json["thresholds"],
        serde_json::json!({"passed": 0, "failed": 0})
    );
}
