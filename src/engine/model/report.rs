//! The result data of a run. Checks, probes and load phases *produce* it; every report
//! format (console, JSON, JUnit, HTML) only *reads* it. Nothing here decides anything
//! beyond the verdict arithmetic.

use serde::{Deserialize, Serialize};

/// How binding a contract rule is (contract, "Words").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Broken → a violation: the run fails.
    Must,
    /// Broken → a warning: never changes the exit code.
    Should,
}

/// One observed HTTP exchange, trimmed for evidence. The API key never appears here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeEvidence {
    pub method: String,
    /// Path and query, relative to the base URL.
    pub path: String,
    /// `None` when no response arrived (timeout, connection error).
    pub status: Option<u16>,
    /// The first bytes of the response body (≤ 1 KiB), lossily decoded.
    pub body_excerpt: String,
    /// A copy-pasteable reproduction with the key masked (`$GATECHECK_API_KEY`).
    pub curl: String,
    /// Index of this exchange in the run's `exchanges.har` (`log.entries[i]`), when the
    /// run kept one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub har_entry: Option<usize>,
}

/// One broken rule, with the evidence a reviewer needs to believe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The check that found it, e.g. `auth.bearer_prefix_rejected`.
    pub check: String,
    /// Contract section, e.g. `§2`.
    pub section: String,
    pub severity: Severity,
    /// One line: what is wrong.
    pub message: String,
    pub expected: String,
    pub got: String,
    /// The offending exchange, when one request shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeEvidence>,
    /// A numbered script reproducing a multi-step failure (invariant probes), key masked.
    /// The producer numbers and comments it; writers show the lines verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reproduction: Vec<String>,
    /// The seed that replays a generated failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
}

/// The outcome of one named check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    /// At least one MUST finding.
    Failed,
    /// Only SHOULD findings.
    Warned,
    /// Not run, and why (e.g. "needs --admin-token").
    Skipped {
        reason: String,
    },
}

/// One named check (a JUnit test case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable id, e.g. `pagination.walk_has_no_duplicates`.
    pub id: String,
    /// Contract section the check enforces, e.g. `§1 Lists`.
    pub section: String,
    /// Human description of the rule.
    pub title: String,
    pub severity: Severity,
    pub outcome: Outcome,
    pub findings: Vec<Finding>,
    pub duration_ms: u64,
}

impl CheckResult {
    /// Derives the outcome from the findings: any MUST finding fails, SHOULD-only warns.
    pub fn from_findings(
        id: impl Into<String>,
        section: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
        findings: Vec<Finding>,
        duration_ms: u64,
    ) -> CheckResult {
        let outcome = if findings.iter().any(|f| f.severity == Severity::Must) {
            Outcome::Failed
        } else if findings.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Warned
        };
        CheckResult {
            id: id.into(),
            section: section.into(),
            title: title.into(),
            severity,
            outcome,
            findings,
            duration_ms,
        }
    }

    pub fn skipped(
        id: impl Into<String>,
        section: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            id: id.into(),
            section: section.into(),
            title: title.into(),
            severity,
            outcome: Outcome::Skipped {
                reason: reason.into(),
            },
            findings: Vec::new(),
            duration_ms: 0,
        }
    }
}

/// Latency and volume of one load transaction, all times in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionStats {
    pub name: String,
    pub count: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub throughput_per_s: f64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    /// Percentile distribution `(percentile, value_us)` for plots, the percentile on the
    /// 0–100 scale (e.g. `(99.9, 41_200)`), ascending.
    #[serde(default)]
    pub distribution: Vec<(f64, u64)>,
}

/// One threshold rule and what was measured against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// The rule as the user wrote it, e.g. `create_order:p99<300ms`.
    pub rule: String,
    /// The measured value, human readable, e.g. `212ms`.
    pub measured: String,
    pub passed: bool,
}

/// One second of a load run, for the over-time plots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadInterval {
    /// Seconds since the run started.
    pub second: u64,
    pub requests: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// The result of a load phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    pub scenario: String,
    /// `closed` (users loop) or `open` (`--rate` arrivals, CO-corrected).
    pub model: String,
    pub users: u64,
    pub target_rate_per_s: Option<f64>,
    pub duration_s: f64,
    pub transactions: Vec<TransactionStats>,
    pub thresholds: Vec<ThresholdResult>,
    pub timeline: Vec<LoadInterval>,
    /// Files written beside the report (`.hgrm`, interval log, goose report), relative names.
    #[serde(default)]
    pub artifacts: Vec<String>,
    /// `gatecheck capacity`: every step of the search and its answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<crate::engine::load::capacity::Capacity>,
}

/// One phase of a run (health, contract, invariants, load).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    pub name: String,
    pub checks: Vec<CheckResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadSummary>,
    pub duration_ms: u64,
}

impl PhaseReport {
    /// A phase that could not run to its end: one failed check `<name>.completed` with
    /// the reason (the run's other phases and its report go on).
    pub fn stopped(name: &str, reason: &impl std::fmt::Display) -> PhaseReport {
        let id = format!("{name}.completed");
        let finding = Finding {
            check: id.clone(),
            section: "—".to_string(),
            severity: Severity::Must,
            message: format!("the {name} phase stopped: {reason}"),
            expected: "the phase runs to its end".to_string(),
            got: reason.to_string(),
            exchange: None,
            reproduction: Vec::new(),
            seed: None,
        };
        PhaseReport {
            name: name.to_string(),
            checks: vec![CheckResult::from_findings(
                id,
                "—",
                format!("the {name} phase runs to its end"),
                Severity::Must,
                vec![finding],
                0,
            )],
            load: None,
            duration_ms: 0,
        }
    }
}

/// What was tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    pub base_url: String,
    /// Who the harness acted as, beyond its key (the Gate's `agent_id`); flattened into
    /// the JSON object, one field each.
    #[serde(flatten)]
    pub identity: std::collections::BTreeMap<String, String>,
    /// True when gatecheck started its embedded sandbox as the target.
    pub embedded_sandbox: bool,
}

impl TargetInfo {
    /// A human label for an identity field: `agent_id` → `agent`.
    pub fn label(field: &str) -> &str {
        field.strip_suffix("_id").unwrap_or(field)
    }
}

/// The whole run: the one value every report writer renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub tool: String,
    pub tool_version: String,
    pub schema_version: String,
    pub command: String,
    pub target: TargetInfo,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    pub phases: Vec<PhaseReport>,
    /// What client-side pacing did (429s waited out, requests held back), when anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacing: Option<crate::engine::client::PacingSummary>,
}

/// Now, RFC 3339 (UTC): the clock of every report's `started_at`/`finished_at`.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The verdict of a run, and its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

impl RunReport {
    /// The report of `command` on `target`, begun at `started_at` and finished now, by
    /// this build of gatecheck. `schema_version` and `pacing` are the caller's to add.
    pub fn new(
        command: &str,
        target: TargetInfo,
        started_at: String,
        phases: Vec<PhaseReport>,
    ) -> RunReport {
        RunReport {
            tool: "gatecheck".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            schema_version: String::new(),
            command: command.into(),
            target,
            started_at,
            finished_at: now_rfc3339(),
            phases,
            pacing: None,
        }
    }

    pub fn checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.phases.iter().flat_map(|p| p.checks.iter())
    }

    /// Failed when any check failed or any load threshold failed.
    pub fn verdict(&self) -> Verdict {
        let check_failed = self.checks().any(|c| c.outcome == Outcome::Failed);
        let threshold_failed = self
            .phases
            .iter()
            .filter_map(|p| p.load.as_ref())
            .any(|l| l.thresholds.iter().any(|t| !t.passed));
        if check_failed || threshold_failed {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for check in self.checks() {
            match check.outcome {
                Outcome::Passed => c.passed += 1,
                Outcome::Failed => c.failed += 1,
                Outcome::Warned => c.warned += 1,
                Outcome::Skipped { .. } => c.skipped += 1,
            }
        }
        c
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
}

/// A client target's identity as the report keeps it.
pub fn identity_of(
    identity: &std::collections::BTreeMap<&'static str, String>,
) -> std::collections::BTreeMap<String, String> {
    identity
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}
