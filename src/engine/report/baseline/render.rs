//! A [`Comparison`] in words: the console block (also JUnit's text) and the JUnit suite.
//!
//! ```text
//! compared with base/report.json (run 2026-11-21T12:06:00Z, gatecheck 0.1.0; load tolerance 10%, floor 1.0 ms)
//!   ✗ newly failing    contract auth.bearer_prefix_rejected (§2): a Bearer-prefixed key was accepted
//!   ✗ slower           load create_order p99: 12.0 ms → 15.5 ms (+29.2%)
//!   ✓ fixed            contract pagination.walk_has_no_duplicates (§1 Lists)
//!   - newly skipped    invariants admin.revoked_key (§9): needs --admin-token
//! regressed: 2 regressions against base/report.json
//! ```

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::compare::{CheckChange, Comparison, DiffVerdict, MetricChange, ThresholdChange};
use crate::engine::report::style::{Palette, Role};
use crate::engine::report::summary::ms;

/// One line of the comparison: a mark, what moved, and its words.
struct Line {
    regression: bool,
    /// `fixed` / `faster`: better than the baseline.
    improved: bool,
    kind: String,
    what: String,
}

impl Line {
    fn mark(&self) -> (&'static str, Role) {
        if self.regression {
            ("✗", Role::Fail)
        } else if self.improved {
            ("✓", Role::Pass)
        } else {
            ("-", Role::Skip)
        }
    }
}

fn check_line(c: &CheckChange) -> Line {
    let mut what = format!("{} {} ({})", c.phase, c.check, c.section);
    if !c.detail.is_empty() {
        what.push_str(&format!(": {}", c.detail));
    }
    Line {
        regression: c.regression,
        improved: c.change == super::compare::CheckChangeKind::Fixed,
        kind: c.change.words().to_string(),
        what,
    }
}

fn threshold_line(t: &ThresholdChange) -> Line {
    Line {
        regression: t.regression,
        improved: !t.regression,
        kind: format!("threshold {}", t.after),
        what: format!(
            "{} {}: measured {} (was {})",
            t.phase, t.rule, t.measured, t.before
        ),
    }
}

fn metric_line(m: &MetricChange) -> Line {
    let (kind, before, after) = if m.metric == "throughput" {
        let kind = if m.regression {
            "less throughput"
        } else {
            "more throughput"
        };
        (
            kind,
            format!("{:.1}/s", m.before),
            format!("{:.1}/s", m.after),
        )
    } else {
        let kind = if m.regression { "slower" } else { "faster" };
        (
            kind,
            format!("{} ms", ms(m.before as u64)),
            format!("{} ms", ms(m.after as u64)),
        )
    };
    Line {
        regression: m.regression,
        improved: !m.regression,
        kind: kind.to_string(),
        what: format!(
            "{} {} {}: {before} → {after} ({:+.1}%)",
            m.phase,
            m.transaction,
            m.metric,
            m.change * 100.0
        ),
    }
}

fn lines(comparison: &Comparison) -> Vec<Line> {
    let mut lines: Vec<Line> = comparison
        .checks
        .iter()
        .map(check_line)
        .chain(comparison.thresholds.iter().map(threshold_line))
        .chain(comparison.load.iter().map(metric_line))
        .collect();
    // Regressions first, then improvements, then the rest; stable within each.
    lines.sort_by_key(|l| (!l.regression, !l.improved));
    lines
}

/// `compared with FILE (run …, gatecheck …; load tolerance 10%, floor 1.0 ms)`.
pub fn heading(comparison: &Comparison) -> String {
    format!(
        "compared with {} (run {}, gatecheck {}; load tolerance {}%, floor {} ms)",
        comparison.baseline,
        comparison.baseline_started_at,
        comparison.baseline_tool_version,
        comparison.tolerance.relative * 100.0,
        ms(comparison.tolerance.latency_floor_us)
    )
}

/// `regressed: 2 regressions against FILE` / `no regressions against FILE (1 fixed)`.
pub fn verdict_line(comparison: &Comparison) -> String {
    let noun = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match comparison.verdict {
        DiffVerdict::Regressed => format!(
            "regressed: {} against {}",
            noun(comparison.regressions, "regression"),
            comparison.baseline
        ),
        DiffVerdict::NoRegressions => {
            let others = lines(comparison).len();
            let tail = if others == 0 {
                " (nothing changed)".to_string()
            } else {
                format!(" ({} other)", noun(others, "change"))
            };
            format!("no regressions against {}{tail}", comparison.baseline)
        }
    }
}

/// The whole block, one line per change, coloured by `paint`.
pub fn text(comparison: &Comparison, paint: &Palette) -> String {
    let mut out = vec![paint.paint(Role::Heading, heading(comparison))];
    for line in lines(comparison) {
        let (mark, role) = line.mark();
        out.push(format!(
            "  {} {:<16} {}",
            paint.paint(role, mark),
            line.kind,
            line.what
        ));
    }
    out.push(paint.verdict(
        comparison.verdict == DiffVerdict::NoRegressions,
        verdict_line(comparison),
    ));
    out.join("\n")
}

/// The comparison as rows for the HTML page: `(css class, kind, what)`.
pub fn rows(comparison: &Comparison) -> Vec<(&'static str, String, String)> {
    lines(comparison)
        .into_iter()
        .map(|l| {
            let class = if l.regression {
                "failed"
            } else if l.improved {
                "passed"
            } else {
                "skipped"
            };
            (class, l.kind, l.what)
        })
        .collect()
}

/// A JUnit suite `baseline`: one failing case per regression, one passing case per other
/// change (its words in `<system-out>`), and one passing `no regressions` case when
/// nothing regressed.
pub fn junit_suite(comparison: &Comparison) -> TestSuite {
    let mut suite = TestSuite::new("baseline");
    suite.add_property(("baseline", comparison.baseline.as_str()));
    for line in lines(comparison) {
        let name = format!("{}: {}", line.kind, line.what);
        let status = if line.regression {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(line.what.as_str())
                .set_type(line.kind.as_str());
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(name, status);
        case.set_classname("baseline");
        suite.add_test_case(case);
    }
    if comparison.verdict == DiffVerdict::NoRegressions {
        let mut case = TestCase::new("no regressions", TestCaseStatus::success());
        case.set_classname("baseline")
            .set_system_out(verdict_line(comparison));
        suite.add_test_case(case);
    }
    suite
}
