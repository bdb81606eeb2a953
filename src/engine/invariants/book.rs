//! Invariant ids and the collector that turns violations into `CheckResult`s, for any API.
//!
//! **Invariant:** every finding names exactly one check; a check that was never exercised
//! is reported as skipped with the reason, never as passed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use crate::engine::model::{CheckResult, ExchangeEvidence, Finding, Severity};

/// One API's money invariants: a closed set with a stable id, section and title each.
pub trait InvariantCheck: Copy + Eq + Ord + Debug + Send + Sync + 'static {
    /// Every check, in report order.
    const ALL: &'static [Self];
    fn id(self) -> &'static str;
    fn section(self) -> &'static str;
    fn title(self) -> &'static str;
}

/// A broken invariant, as a probe first sees it (before it becomes a report `Finding`).
#[derive(Debug, Clone)]
pub struct Violation<C> {
    pub check: C,
    pub message: String,
    pub expected: String,
    pub got: String,
    /// Boxed: violations travel in `Result`s and should stay small.
    pub exchange: Option<Box<ExchangeEvidence>>,
}

impl<C: InvariantCheck> Violation<C> {
    pub fn new(
        check: C,
        message: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Violation<C> {
        Violation {
            check,
            message: message.into(),
            expected: expected.into(),
            got: got.into(),
            exchange: None,
        }
    }

    pub fn with_exchange(mut self, exchange: Option<ExchangeEvidence>) -> Violation<C> {
        self.exchange = exchange.map(Box::new);
        self
    }

    pub fn into_finding(self, reproduction: Vec<String>, seed: Option<String>) -> Finding {
        Finding {
            check: self.check.id().to_string(),
            section: self.check.section().to_string(),
            severity: Severity::Must,
            message: self.message,
            expected: self.expected,
            got: self.got,
            exchange: self.exchange.map(|e| *e),
            reproduction,
            seed,
        }
    }
}

/// Collects what every probe found, exercised and skipped; renders the check results.
#[derive(Debug)]
pub struct Ledgerbook<C> {
    findings: BTreeMap<C, Vec<Finding>>,
    exercised: BTreeMap<C, u64>,
    skipped: BTreeMap<C, String>,
    /// Checks whose verdict rested on a request the target kept answering `429`.
    inconclusive: BTreeMap<C, String>,
    durations: BTreeMap<C, u64>,
}

impl<C> Default for Ledgerbook<C> {
    fn default() -> Self {
        Ledgerbook {
            findings: BTreeMap::new(),
            exercised: BTreeMap::new(),
            skipped: BTreeMap::new(),
            inconclusive: BTreeMap::new(),
            durations: BTreeMap::new(),
        }
    }
}

impl<C: InvariantCheck> Ledgerbook<C> {
    pub fn exercised(&mut self, check: C, times: u64) {
        *self.exercised.entry(check).or_default() += times;
    }

    pub fn exercised_all(&mut self, checks: &BTreeMap<C, u64>) {
        for (c, n) in checks {
            self.exercised(*c, *n);
        }
    }

    pub fn finding(&mut self, finding: Finding, check: C) {
        self.exercised(check, 1);
        self.findings.entry(check).or_default().push(finding);
    }

    /// Records why a check could not run (kept only if it never ran anywhere else).
    pub fn skip(&mut self, check: C, reason: impl Into<String>) {
        self.skipped.entry(check).or_insert_with(|| reason.into());
    }

    /// Records that a verdict of `check` could not be reached: a request it rested on was
    /// answered `429` past the pacing budget. Without a finding elsewhere the check is
    /// reported skipped as inconclusive, never passed, never failed.
    pub fn inconclusive(&mut self, check: C, reason: impl Into<String>) {
        self.inconclusive
            .entry(check)
            .or_insert_with(|| reason.into());
    }

    pub fn add_duration(&mut self, check: C, ms: u64) {
        *self.durations.entry(check).or_default() += ms;
    }

    pub fn has_failures(&self) -> bool {
        self.findings.values().any(|f| !f.is_empty())
    }

    pub fn results(&self) -> Vec<CheckResult> {
        C::ALL
            .iter()
            .map(|&check| {
                let findings = self.findings.get(&check).cloned().unwrap_or_default();
                let ran = self.exercised.get(&check).copied().unwrap_or(0);
                let duration = self.durations.get(&check).copied().unwrap_or(0);
                if let (true, Some(reason)) = (findings.is_empty(), self.inconclusive.get(&check)) {
                    return CheckResult::skipped(
                        check.id(),
                        check.section(),
                        check.title(),
                        Severity::Must,
                        format!("inconclusive: {reason}"),
                    );
                }
                if findings.is_empty() && ran == 0 {
                    let reason = self.skipped.get(&check).cloned().unwrap_or_else(|| {
                        "not exercised by the generated cases (raise --cases)".to_string()
                    });
                    return CheckResult::skipped(
                        check.id(),
                        check.section(),
                        check.title(),
                        Severity::Must,
                        reason,
                    );
                }
                CheckResult::from_findings(
                    check.id(),
                    check.section(),
                    check.title(),
                    Severity::Must,
                    findings,
                    duration,
                )
            })
            .collect()
    }
}

/// Which checks a set of results failed, by id (tests and summaries).
pub fn failed_ids(results: &[CheckResult]) -> BTreeSet<String> {
    results
        .iter()
        .filter(|r| r.outcome == crate::engine::model::Outcome::Failed)
        .map(|r| r.id.clone())
        .collect()
}
