//! The words every format uses for the verdict and the counts, e.g.
//!
//! ```text
//! certified: 84 passed, 0 failed, 2 warnings, 3 skipped
//! NOT certified: 9 passed, 2 failed, 1 warning, 1 skipped; thresholds: 2 met, 1 missed
//! PASS: 12 passed, 0 failed, 0 warnings, 0 skipped
//! ```
//!
//! **Invariant:** nothing here decides the verdict; it names what `RunReport::verdict()`
//! and `RunReport::counts()` say.

use serde::Serialize;

use crate::engine::model::{Counts, RunReport, ThresholdResult, Verdict};

/// What a run concluded, read from the report: the verdict, the check counts and the
/// threshold counts of every load phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub verdict: Verdict,
    pub counts: Counts,
    pub thresholds: ThresholdCounts,
}

/// Load thresholds met and missed, over every load phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ThresholdCounts {
    pub passed: usize,
    pub failed: usize,
}

impl Summary {
    pub fn of(run: &RunReport) -> Summary {
        let mut thresholds = ThresholdCounts::default();
        for threshold in thresholds_of(run) {
            if threshold.passed {
                thresholds.passed += 1;
            } else {
                thresholds.failed += 1;
            }
        }
        Summary {
            verdict: run.verdict(),
            counts: run.counts(),
            thresholds,
        }
    }
}

/// Every load threshold of the run, in phase order.
pub fn thresholds_of(run: &RunReport) -> impl Iterator<Item = &ThresholdResult> {
    run.phases
        .iter()
        .filter_map(|p| p.load.as_ref())
        .flat_map(|l| l.thresholds.iter())
}

/// The verdict in the command's own words: `certify` certifies, the single-phase commands
/// (`contract`, `invariants`, `load`) pass or fail.
pub fn verdict_word(command: &str, verdict: Verdict) -> &'static str {
    match (command == "certify", verdict) {
        (true, Verdict::Pass) => "certified",
        (true, Verdict::Fail) => "NOT certified",
        (false, Verdict::Pass) => "PASS",
        (false, Verdict::Fail) => "FAIL",
    }
}

/// `9 passed, 2 failed, 1 warning, 1 skipped` (+ `; thresholds: 2 met, 1 missed` when the
/// run had load thresholds).
pub fn counts_text(summary: &Summary) -> String {
    let c = summary.counts;
    let warnings = if c.warned == 1 { "warning" } else { "warnings" };
    let mut text = format!(
        "{} passed, {} failed, {} {warnings}, {} skipped",
        c.passed, c.failed, c.warned, c.skipped
    );
    let t = summary.thresholds;
    if t.passed + t.failed > 0 {
        text.push_str(&format!(
            "; thresholds: {} met, {} missed",
            t.passed, t.failed
        ));
    }
    text
}

/// The last line of the console output, and the HTML banner's text.
pub fn verdict_line(run: &RunReport) -> String {
    let summary = Summary::of(run);
    format!(
        "{}: {}",
        verdict_word(&run.command, summary.verdict),
        counts_text(&summary)
    )
}

/// Microseconds as milliseconds for tables: `12.3`, `0.4`, `1204.0`.
pub fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

/// Milliseconds as seconds for phase headers: `1.8 s`.
pub fn seconds(duration_ms: u64) -> String {
    format!("{:.1} s", duration_ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certify_speaks_of_certification_and_other_commands_of_pass_and_fail() {
        assert_eq!(verdict_word("certify", Verdict::Pass), "certified");
        assert_eq!(verdict_word("certify", Verdict::Fail), "NOT certified");
        assert_eq!(verdict_word("contract", Verdict::Pass), "PASS");
        assert_eq!(verdict_word("load", Verdict::Fail), "FAIL");
    }

    #[test]
    fn counts_text_uses_singular_for_one_warning_and_mentions_thresholds_only_when_present() {
        let mut summary = Summary {
            verdict: Verdict::Pass,
            counts: Counts {
                passed: 84,
                failed: 0,
                warned: 1,
                skipped: 3,
            },
            thresholds: ThresholdCounts::default(),
        };
        assert_eq!(
            counts_text(&summary),
            "84 passed, 0 failed, 1 warning, 3 skipped"
        );
        summary.counts.warned = 2;
        summary.thresholds = ThresholdCounts {
            passed: 2,
            failed: 1,
        };
        assert_eq!(
            counts_text(&summary),
            "84 passed, 0 failed, 2 warnings, 3 skipped; thresholds: 2 met, 1 missed"
        );
    }

    #[test]
    fn durations_are_rendered_with_one_decimal() {
        assert_eq!(ms(12_345), "12.3");
        assert_eq!(ms(400), "0.4");
        assert_eq!(seconds(1_800), "1.8 s");
    }
}
