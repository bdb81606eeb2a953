//! JUnit XML for CI, written with `quick-junit`: one `<testsuite>` per phase, one
//! `<testcase>` per check (classname = phase, name = check id) and per load threshold:
//!
//! ```xml
//! <testsuites name="gatecheck certify" tests="14" failures="3" errors="0" time="62.000">
//!     <testsuite name="contract" tests="5" disabled="1" errors="0" failures="1" time="1.800">
//!         <properties>
//!             <property name="target" value="http://127.0.0.1:8080"/>
//!             …
//!         </properties>
//!         <testcase name="auth.missing_key_unauthorized" classname="contract" time="0.120">
//!         </testcase>
//!         <testcase name="errors.method_not_allowed_has_allow" classname="contract" time="0.310">
//!             <failure message="405 without an Allow header" type="§3 MUST">errors.method_not_allowed_has_allow (§3, MUST): 405 without an Allow header
//!   expected: …</failure>
//!         </testcase>
//!         <testcase name="admin.conflict_on_terminal" classname="contract" time="0.000">
//!             <skipped message="needs --admin-token"/>
//!         </testcase>
//!     </testsuite>
//! </testsuites>
//! ```
//!
//! A failure's text holds every finding's evidence block — the console's text, without
//! colour. A check that only warned passes, its warnings in `<system-out>`. A load suite's
//! `<system-out>` holds the console's transaction table and thresholds.

use std::io::Write;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::baseline::Comparison;
use super::console::load_text;
use super::evidence::{self, severity_word};
use super::ReportError;
use crate::engine::model::{
    CheckResult, Finding, Outcome, PhaseReport, RunReport, Severity, ThresholdResult,
};

/// Writes the JUnit XML document.
pub fn write_junit<W: Write>(run: &RunReport, out: W) -> Result<(), ReportError> {
    write_junit_compared(run, None, out)
}

/// [`write_junit`], plus a `baseline` suite when compared with a baseline.
pub fn write_junit_compared<W: Write>(
    run: &RunReport,
    comparison: Option<&Comparison>,
    out: W,
) -> Result<(), ReportError> {
    let mut report = Report::new(format!("{} {}", run.tool, run.command));
    let total_ms: u64 = run.phases.iter().map(|p| p.duration_ms).sum();
    report.set_time(Duration::from_millis(total_ms));
    report.add_test_suites(run.phases.iter().map(|phase| suite(run, phase)));
    if let Some(comparison) = comparison {
        report.add_test_suite(super::baseline::render::junit_suite(comparison));
    }
    report.serialize(out)?;
    Ok(())
}

fn suite(run: &RunReport, phase: &PhaseReport) -> TestSuite {
    let mut suite = TestSuite::new(phase.name.as_str());
    suite.set_time(Duration::from_millis(phase.duration_ms));
    let identity = run
        .target
        .identity
        .iter()
        .map(|(field, value)| (field.as_str(), value.as_str()));
    suite.add_properties(
        [("target", run.target.base_url.as_str())]
            .into_iter()
            .chain(identity)
            .chain([
                ("tool_version", run.tool_version.as_str()),
                ("schema_version", run.schema_version.as_str()),
                ("started_at", run.started_at.as_str()),
                ("finished_at", run.finished_at.as_str()),
            ]),
    );
    suite.add_test_cases(phase.checks.iter().map(|check| check_case(phase, check)));
    if let Some(load) = &phase.load {
        suite.set_system_out(load_text(load));
        suite.add_test_cases(
            load.thresholds
                .iter()
                .map(|threshold| threshold_case(phase, threshold)),
        );
    }
    // Jenkins and GitLab read `skipped`; quick-junit writes the same count as `disabled`.
    let skipped = suite.disabled.to_string();
    suite.extra.insert("skipped".into(), skipped.into());
    suite
}

fn check_case(phase: &PhaseReport, check: &CheckResult) -> TestCase {
    let status = match &check.outcome {
        Outcome::Passed | Outcome::Warned => TestCaseStatus::success(),
        Outcome::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let message = check
                .findings
                .iter()
                .find(|f| f.severity == Severity::Must)
                .or_else(|| check.findings.first())
                .map_or(check.title.as_str(), |f| f.message.as_str());
            status
                .set_message(message)
                .set_type(format!(
                    "{} {}",
                    check.section,
                    severity_word(check.severity)
                ))
                .set_description(evidence_text(check));
            status
        }
        Outcome::Skipped { reason } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            status
        }
    };
    let mut case = TestCase::new(check.id.as_str(), status);
    case.set_classname(phase.name.as_str())
        .set_time(Duration::from_millis(check.duration_ms));
    if check.outcome == Outcome::Warned {
        case.set_system_out(evidence_text(check));
    }
    case
}

fn threshold_case(phase: &PhaseReport, threshold: &ThresholdResult) -> TestCase {
    let measured = format!("{}: measured {}", threshold.rule, threshold.measured);
    let status = if threshold.passed {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(measured.as_str()).set_type("threshold");
        status
    };
    let mut case = TestCase::new(threshold.rule.as_str(), status);
    case.set_classname(phase.name.as_str());
    if threshold.passed {
        case.set_system_out(measured);
    }
    case
}

/// Every finding's evidence block, separated by a blank line; the check's title when it
/// has none.
fn evidence_text(check: &CheckResult) -> String {
    if check.findings.is_empty() {
        return format!("{} ({}): {}", check.id, check.section, check.title);
    }
    check
        .findings
        .iter()
        .map(|f: &Finding| evidence::block(f))
        .collect::<Vec<_>>()
        .join("\n\n")
}
