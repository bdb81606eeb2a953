//! What changed between a baseline run and the current one: checks that newly fail, newly
//! warn, newly skip or got fixed; load thresholds newly missed or met; load percentiles
//! and throughput that moved beyond the tolerance. Only new failures, new warnings, newly
//! missed thresholds, slower percentiles and lost throughput are *regressions*.
//!
//! Checks are matched by phase and check id; a check whose phase was renamed (reports name
//! phases per API) is matched by its id alone when that id is unique on both sides. Load
//! transactions are matched the same way by phase and name.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::model::{
    CheckResult, LoadSummary, Outcome, RunReport, ThresholdResult, TransactionStats,
};

/// How far a load number may move before it counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Relative change allowed, e.g. `0.10` for 10 %.
    pub relative: f64,
    /// A latency change smaller than this is never a regression (sub-millisecond
    /// percentiles jitter by more than 10 % from run to run).
    pub latency_floor_us: u64,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance {
            relative: 0.10,
            latency_floor_us: Duration::from_millis(1).as_micros() as u64,
        }
    }
}

/// The comparison's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffVerdict {
    NoRegressions,
    Regressed,
}

impl DiffVerdict {
    pub fn words(self) -> &'static str {
        match self {
            DiffVerdict::NoRegressions => "no regressions",
            DiffVerdict::Regressed => "regressed",
        }
    }
}

/// How a check moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckChangeKind {
    NewlyFailing,
    NewlyWarning,
    NewlySkipped,
    Fixed,
    /// In the baseline, not run now.
    NoLongerRun,
}

impl CheckChangeKind {
    pub fn is_regression(self) -> bool {
        matches!(
            self,
            CheckChangeKind::NewlyFailing | CheckChangeKind::NewlyWarning
        )
    }

    pub fn words(self) -> &'static str {
        match self {
            CheckChangeKind::NewlyFailing => "newly failing",
            CheckChangeKind::NewlyWarning => "newly warning",
            CheckChangeKind::NewlySkipped => "newly skipped",
            CheckChangeKind::Fixed => "fixed",
            CheckChangeKind::NoLongerRun => "no longer run",
        }
    }
}

/// One check that moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckChange {
    pub change: CheckChangeKind,
    pub regression: bool,
    pub phase: String,
    pub check: String,
    pub section: String,
    /// `passed`, `failed`, `warned`, `skipped`, or `absent`.
    pub before: String,
    pub after: String,
    /// The first finding's message, or the skip reason, of the side that moved.
    pub detail: String,
}

/// One load threshold that moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChange {
    pub regression: bool,
    pub phase: String,
    pub rule: String,
    /// `met`, `missed` or `absent`.
    pub before: String,
    pub after: String,
    pub measured: String,
}

/// One load number that moved beyond the tolerance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    pub regression: bool,
    pub phase: String,
    pub transaction: String,
    /// `p50`, `p90`, `p99`, `p99.9` (microseconds) or `throughput` (per second).
    pub metric: String,
    pub before: f64,
    pub after: f64,
    /// `(after − before) / before`.
    pub change: f64,
}

/// Everything that moved between a baseline and the current run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub verdict: DiffVerdict,
    /// The baseline as the user named it (a path).
    pub baseline: String,
    pub baseline_started_at: String,
    pub baseline_tool_version: String,
    pub tolerance: Tolerance,
    pub regressions: usize,
    pub checks: Vec<CheckChange>,
    pub thresholds: Vec<ThresholdChange>,
    pub load: Vec<MetricChange>,
}

impl Comparison {
    /// Compares `current` with `baseline` (named `label` in every output).
    pub fn of(
        label: &str,
        baseline: &RunReport,
        current: &RunReport,
        tolerance: Tolerance,
    ) -> Comparison {
        let checks = compare_checks(baseline, current);
        let thresholds = compare_thresholds(baseline, current);
        let load = compare_load(baseline, current, tolerance);
        let regressions = checks.iter().filter(|c| c.regression).count()
            + thresholds.iter().filter(|t| t.regression).count()
            + load.iter().filter(|m| m.regression).count();
        Comparison {
            verdict: if regressions == 0 {
                DiffVerdict::NoRegressions
            } else {
                DiffVerdict::Regressed
            },
            baseline: label.to_string(),
            baseline_started_at: baseline.started_at.clone(),
            baseline_tool_version: baseline.tool_version.clone(),
            tolerance,
            regressions,
            checks,
            thresholds,
            load,
        }
    }

    /// Nothing moved at all.
    pub fn is_unchanged(&self) -> bool {
        self.checks.is_empty() && self.thresholds.is_empty() && self.load.is_empty()
    }
}

/// One item of either run and its counterpart in the other, if any.
struct Paired<'a, T> {
    before: Option<&'a T>,
    after: Option<&'a T>,
    /// The current run's phase (the baseline's when the item is gone).
    phase: &'a str,
    name: &'a str,
}

/// Pairs items of two runs keyed `(phase, name)`: exact keys first, then by name alone
/// where the name is unique among the unmatched on both sides (a renamed phase).
fn pair<'a, T>(
    before: Vec<(&'a str, &'a str, &'a T)>,
    after: Vec<(&'a str, &'a str, &'a T)>,
) -> Vec<Paired<'a, T>> {
    let paired = |before, after, phase, name| Paired {
        before,
        after,
        phase,
        name,
    };
    let mut left: BTreeMap<(&str, &str), &T> =
        before.iter().map(|(p, n, t)| ((*p, *n), *t)).collect();
    let mut out = Vec::new();
    let mut unmatched_after = Vec::new();
    for (phase, name, item) in &after {
        match left.remove(&(*phase, *name)) {
            Some(old) => out.push(paired(Some(old), Some(*item), *phase, *name)),
            None => unmatched_after.push((*phase, *name, *item)),
        }
    }
    let unique = |names: Vec<&'a str>| -> BTreeSet<&'a str> {
        let mut seen = BTreeMap::new();
        for name in names {
            *seen.entry(name).or_insert(0) += 1;
        }
        seen.into_iter()
            .filter(|(_, n)| *n == 1)
            .map(|(k, _)| k)
            .collect()
    };
    let unique_before = unique(left.keys().map(|(_, n)| *n).collect());
    let unique_after = unique(unmatched_after.iter().map(|(_, n, _)| *n).collect());
    for (phase, name, item) in unmatched_after {
        let renamed = (unique_before.contains(name) && unique_after.contains(name))
            .then(|| left.keys().find(|(_, n)| *n == name).copied())
            .flatten();
        let old = renamed.and_then(|key| left.remove(&key));
        out.push(paired(old, Some(item), phase, name));
    }
    for ((phase, name), old) in left {
        out.push(paired(Some(old), None, phase, name));
    }
    out
}

fn outcome_word(outcome: Option<&Outcome>) -> &'static str {
    match outcome {
        None => "absent",
        Some(Outcome::Passed) => "passed",
        Some(Outcome::Failed) => "failed",
        Some(Outcome::Warned) => "warned",
        Some(Outcome::Skipped { .. }) => "skipped",
    }
}

fn compare_checks(baseline: &RunReport, current: &RunReport) -> Vec<CheckChange> {
    fn keyed(run: &RunReport) -> Vec<(&str, &str, &CheckResult)> {
        run.phases
            .iter()
            .flat_map(|p| p.checks.iter().map(move |c| (&*p.name, &*c.id, c)))
            .collect()
    }
    let mut changes = Vec::new();
    for Paired {
        before: old,
        after: new,
        phase,
        name: id,
    } in pair(keyed(baseline), keyed(current))
    {
        let before = old.map(|c| &c.outcome);
        let after = new.map(|c| &c.outcome);
        let kind = match (before, after) {
            (Some(Outcome::Failed), Some(Outcome::Failed)) => None,
            (_, Some(Outcome::Failed)) => Some(CheckChangeKind::NewlyFailing),
            (Some(Outcome::Warned), Some(Outcome::Warned)) => None,
            (_, Some(Outcome::Warned)) => Some(CheckChangeKind::NewlyWarning),
            (Some(Outcome::Skipped { .. }), Some(Outcome::Skipped { .. })) | (None, _) => None,
            (_, Some(Outcome::Skipped { .. })) => Some(CheckChangeKind::NewlySkipped),
            (Some(Outcome::Failed | Outcome::Warned), Some(Outcome::Passed)) => {
                Some(CheckChangeKind::Fixed)
            }
            (Some(_), Some(Outcome::Passed)) => None,
            (Some(_), None) => Some(CheckChangeKind::NoLongerRun),
        };
        let Some(kind) = kind else { continue };
        let shown = new.or(old).expect("one side exists");
        let detail = match &shown.outcome {
            Outcome::Skipped { reason } => reason.clone(),
            _ => first_message(shown),
        };
        changes.push(CheckChange {
            change: kind,
            regression: kind.is_regression(),
            phase: phase.to_string(),
            check: id.to_string(),
            section: shown.section.clone(),
            before: outcome_word(before).to_string(),
            after: outcome_word(after).to_string(),
            detail,
        });
    }
    changes.sort_by_key(|c| (!c.regression, c.change as u8));
    changes
}

fn first_message(check: &CheckResult) -> String {
    check
        .findings
        .iter()
        .find(|f| f.severity == crate::engine::model::Severity::Must)
        .or_else(|| check.findings.first())
        .map_or_else(String::new, |f| f.message.clone())
}

fn loads(run: &RunReport) -> impl Iterator<Item = (&str, &LoadSummary)> {
    run.phases
        .iter()
        .filter_map(|p| p.load.as_ref().map(|l| (&*p.name, l)))
}

fn compare_thresholds(baseline: &RunReport, current: &RunReport) -> Vec<ThresholdChange> {
    fn keyed(run: &RunReport) -> Vec<(&str, &str, &ThresholdResult)> {
        loads(run)
            .flat_map(|(p, l)| l.thresholds.iter().map(move |t| (p, &*t.rule, t)))
            .collect()
    }
    let mut changes = Vec::new();
    for Paired {
        before: old,
        after: new,
        phase,
        name: rule,
    } in pair(keyed(baseline), keyed(current))
    {
        let Some(new) = new else { continue };
        let before = old.map(|t| t.passed);
        if before == Some(new.passed) || (before.is_none() && new.passed) {
            continue;
        }
        let word = |passed: bool| if passed { "met" } else { "missed" };
        changes.push(ThresholdChange {
            regression: !new.passed,
            phase: phase.to_string(),
            rule: rule.to_string(),
            before: before.map_or("absent", word).to_string(),
            after: word(new.passed).to_string(),
            measured: new.measured.clone(),
        });
    }
    changes.sort_by_key(|t| !t.regression);
    changes
}

fn compare_load(
    baseline: &RunReport,
    current: &RunReport,
    tolerance: Tolerance,
) -> Vec<MetricChange> {
    fn keyed(run: &RunReport) -> Vec<(&str, &str, &TransactionStats)> {
        loads(run)
            .flat_map(|(p, l)| l.transactions.iter().map(move |t| (p, &*t.name, t)))
            .collect()
    }
    let mut changes = Vec::new();
    for Paired {
        before,
        after,
        phase,
        name,
    } in pair(keyed(baseline), keyed(current))
    {
        let (Some(old), Some(new)) = (before, after) else {
            continue;
        };
        let latencies = [
            ("p50", old.p50_us, new.p50_us),
            ("p90", old.p90_us, new.p90_us),
            ("p99", old.p99_us, new.p99_us),
            ("p99.9", old.p999_us, new.p999_us),
        ];
        for (metric, before, after) in latencies {
            let (before, after) = (before as f64, after as f64);
            if before <= 0.0 || (after - before).abs() < tolerance.latency_floor_us as f64 {
                continue;
            }
            let change = (after - before) / before;
            if change.abs() > tolerance.relative {
                changes.push(metric_change(
                    phase,
                    name,
                    metric,
                    before,
                    after,
                    change > 0.0,
                ));
            }
        }
        let (before, after) = (old.throughput_per_s, new.throughput_per_s);
        if before > 0.0 {
            let change = (after - before) / before;
            if change.abs() > tolerance.relative {
                changes.push(metric_change(
                    phase,
                    name,
                    "throughput",
                    before,
                    after,
                    change < 0.0,
                ));
            }
        }
    }
    changes.sort_by_key(|m| !m.regression);
    changes
}

fn metric_change(
    phase: &str,
    transaction: &str,
    metric: &str,
    before: f64,
    after: f64,
    regression: bool,
) -> MetricChange {
    MetricChange {
        regression,
        phase: phase.to_string(),
        transaction: transaction.to_string(),
        metric: metric.to_string(),
        before,
        after,
        change: (after - before) / before,
    }
}
