//! One self-contained HTML page (inline CSS and SVG, no script, no font, no network):
//!
//! ```html
//! <section class="banner fail" id="verdict">
//!   <p class="verdict">NOT certified</p>
//!   <div class="counts">9 passed, 2 failed, 1 warning, 1 skipped; thresholds: 2 met, 1 missed</div>
//!   <ul class="failed"><li><a href="#check-contract-errors-method-not-allowed-has-allow">errors.method_not_allowed_has_allow</a> …</li></ul>
//! </section>
//! <section class="phase" id="phase-contract"> <table class="checks">…</table>
//!   <details class="must" open><summary>…</summary> … <pre class="curl">curl -sS -i …</pre></details>
//! </section>
//! <section class="phase" id="phase-load"> … <figure><svg class="plot" …>…</svg></figure> …
//! ```
//!
//! The page is `templates/report.html`, rendered by minijinja with HTML auto-escaping; the
//! only unescaped values are the SVG plots, which plotters drew and escaped itself. This
//! file only turns the `RunReport` into the template's view.

use std::io::Write;

use minijinja::Environment;
use serde::Serialize;

use super::baseline::{render, Comparison, DiffVerdict};
use super::evidence::{request_line, severity_word};
use super::plots;
use super::summary::{counts_text, ms, seconds, verdict_word, Summary};
use super::ReportError;
use crate::engine::model::{
    CheckResult, Finding, LoadSummary, Outcome, PhaseReport, RunReport, Severity, Verdict,
};

const TEMPLATE_NAME: &str = "report.html";
const TEMPLATE: &str = include_str!("templates/report.html");

/// Renders the page and writes it.
pub fn write_html<W: Write>(run: &RunReport, out: W) -> Result<(), ReportError> {
    write_html_compared(run, None, out)
}

/// [`write_html`], with a "compared with" section under the verdict when compared with a
/// baseline.
pub fn write_html_compared<W: Write>(
    run: &RunReport,
    comparison: Option<&Comparison>,
    mut out: W,
) -> Result<(), ReportError> {
    let mut page = Page::of(run)?;
    page.comparison = comparison.map(ComparisonView::of);
    let mut env = Environment::new();
    // The `.html` name turns HTML auto-escaping on.
    env.add_template(TEMPLATE_NAME, TEMPLATE)?;
    let html = env.get_template(TEMPLATE_NAME)?.render(&page)?;
    out.write_all(html.as_bytes())?;
    out.flush()?;
    Ok(())
}

#[derive(Serialize)]
struct Page<'a> {
    title: String,
    tool: &'a str,
    tool_version: &'a str,
    schema_version: &'a str,
    command: &'a str,
    target: &'a str,
    started_at: &'a str,
    finished_at: &'a str,
    passed: bool,
    verdict_word: &'static str,
    counts_text: String,
    failed_checks: Vec<FailedCheck<'a>>,
    /// Every MUST finding, right under the banner, evidence open: what broke and how to
    /// reproduce it, on the first screen.
    failures: Vec<FindingView<'a>>,
    failures_meta: String,
    missed_thresholds: Vec<ThresholdView<'a>>,
    environment: Vec<EnvItem<'a>>,
    phases: Vec<PhaseView<'a>>,
    comparison: Option<ComparisonView>,
}

#[derive(Serialize)]
struct ComparisonView {
    baseline: String,
    heading: String,
    passed: bool,
    verdict_line: String,
    rows: Vec<ChangeRow>,
}

#[derive(Serialize)]
struct ChangeRow {
    class: &'static str,
    kind: String,
    what: String,
}

impl ComparisonView {
    fn of(comparison: &Comparison) -> ComparisonView {
        ComparisonView {
            baseline: comparison.baseline.clone(),
            heading: render::heading(comparison),
            passed: comparison.verdict == DiffVerdict::NoRegressions,
            verdict_line: render::verdict_line(comparison),
            rows: render::rows(comparison)
                .into_iter()
                .map(|(class, kind, what)| ChangeRow { class, kind, what })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct FailedCheck<'a> {
    id: &'a str,
    anchor: String,
    phase: &'a str,
    section: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct EnvItem<'a> {
    label: std::borrow::Cow<'a, str>,
    value: std::borrow::Cow<'a, str>,
}

#[derive(Serialize)]
struct PhaseView<'a> {
    name: &'a str,
    anchor: String,
    meta: String,
    checks: Vec<CheckView<'a>>,
    findings: Vec<FindingView<'a>>,
    load: Option<LoadView<'a>>,
}

#[derive(Serialize)]
struct CheckView<'a> {
    id: &'a str,
    anchor: String,
    section: &'a str,
    title: &'a str,
    severity: &'static str,
    status: &'static str,
    status_text: &'static str,
    note: String,
    duration: String,
}

#[derive(Serialize)]
struct FindingView<'a> {
    /// The phase, for findings shown outside their phase (the failures on top).
    phase: &'a str,
    anchor: Option<String>,
    check: &'a str,
    section: &'a str,
    severity: &'static str,
    severity_class: &'static str,
    /// MUST findings open by default; SHOULD findings start folded.
    open: bool,
    message: &'a str,
    expected: &'a str,
    got: &'a str,
    request: Option<String>,
    body: Option<&'a str>,
    curl: Option<&'a str>,
    /// The exchange's entry in `exchanges.har`.
    har_entry: Option<usize>,
    har_file: &'static str,
    /// The producer's numbered script, lines joined, shown verbatim.
    reproduction: String,
    seed: Option<&'a str>,
}

#[derive(Serialize)]
struct LoadView<'a> {
    meta: String,
    transactions: Vec<TransactionRow<'a>>,
    thresholds: Vec<ThresholdView<'a>>,
    plots: Vec<PlotView>,
    artifacts: &'a [String],
}

#[derive(Serialize)]
struct TransactionRow<'a> {
    name: &'a str,
    count: u64,
    errors: u64,
    error_rate: String,
    mean: String,
    p50: String,
    p90: String,
    p99: String,
    p999: String,
    max: String,
    throughput: String,
}

#[derive(Serialize)]
struct ThresholdView<'a> {
    rule: &'a str,
    measured: &'a str,
    passed: bool,
    anchor: String,
}

#[derive(Serialize)]
struct PlotView {
    class: &'static str,
    /// Trusted: drawn by plotters, which escapes its text.
    svg: String,
}

impl<'a> Page<'a> {
    fn of(run: &'a RunReport) -> Result<Page<'a>, ReportError> {
        let summary = Summary::of(run);
        let word = verdict_word(&run.command, summary.verdict);
        let failed_checks = run
            .phases
            .iter()
            .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
            .filter(|(_, c)| c.outcome == Outcome::Failed)
            .map(|(p, c)| FailedCheck {
                id: &c.id,
                anchor: failure_anchor(p, c),
                phase: &p.name,
                section: &c.section,
                message: first_message(c),
            })
            .collect();
        let missed_thresholds = run
            .phases
            .iter()
            .filter_map(|p| p.load.as_ref().map(|l| (p, l)))
            .flat_map(|(p, l)| l.thresholds.iter().map(move |t| (p, t)))
            .filter(|(_, t)| !t.passed)
            .map(|(p, t)| ThresholdView {
                rule: &t.rule,
                measured: &t.measured,
                passed: t.passed,
                anchor: threshold_anchor(p, &t.rule),
            })
            .collect();
        let page = Page {
            title: format!("{} {} — {}", run.tool, run.command, word),
            tool: &run.tool,
            tool_version: &run.tool_version,
            schema_version: &run.schema_version,
            command: &run.command,
            target: &run.target.base_url,
            started_at: &run.started_at,
            finished_at: &run.finished_at,
            passed: summary.verdict == Verdict::Pass,
            verdict_word: word,
            counts_text: counts_text(&summary),
            failures_meta: String::new(),
            failed_checks,
            failures: run
                .phases
                .iter()
                .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
                .flat_map(|(p, c)| {
                    let anchor = failure_anchor(p, c);
                    c.findings
                        .iter()
                        .filter(|f| f.severity == Severity::Must)
                        .enumerate()
                        .map(move |(i, f)| {
                            let mut view = FindingView::of(f);
                            view.phase = &p.name;
                            // The banner links to the check's first failure, which is
                            // open; the check's further findings start folded so the
                            // first screen shows different checks, not one repeated.
                            view.anchor = (i == 0).then(|| anchor.clone());
                            view.open = i == 0;
                            view
                        })
                })
                .collect(),
            missed_thresholds,
            environment: environment(run),
            phases: run
                .phases
                .iter()
                .map(PhaseView::of)
                .collect::<Result<_, _>>()?,
            comparison: None,
        };
        let checks = page.failed_checks.len();
        let findings = page.failures.len();
        Ok(Page {
            failures_meta: format!(
                "{checks} {} · {findings} {} · the first of each open, with a curl to reproduce it",
                if checks == 1 { "check" } else { "checks" },
                if findings == 1 { "finding" } else { "findings" },
            ),
            ..page
        })
    }
}

fn environment(run: &RunReport) -> Vec<EnvItem<'_>> {
    let target_kind = if run.target.embedded_sandbox {
        "embedded sandbox"
    } else {
        "external"
    };
    let identity = run.target.identity.iter().map(|(field, value)| EnvItem {
        label: identity_label(field).into(),
        value: value.as_str().into(),
    });
    let mut items = vec![
        EnvItem {
            label: "Target URL".into(),
            value: run.target.base_url.as_str().into(),
        },
        EnvItem {
            label: "Target kind".into(),
            value: target_kind.into(),
        },
        EnvItem {
            label: "Command".into(),
            value: format!("{} {}", run.tool, run.command).into(),
        },
        EnvItem {
            label: "Started".into(),
            value: run.started_at.as_str().into(),
        },
        EnvItem {
            label: "Finished".into(),
            value: run.finished_at.as_str().into(),
        },
        EnvItem {
            label: "Tool version".into(),
            value: format!("{} {}", run.tool, run.tool_version).into(),
        },
        EnvItem {
            label: "Schema version".into(),
            value: run.schema_version.as_str().into(),
        },
    ];
    items.splice(2..2, identity);
    items
}

/// `agent_id` → `Agent id`.
fn identity_label(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl<'a> PhaseView<'a> {
    fn of(phase: &'a PhaseReport) -> Result<PhaseView<'a>, ReportError> {
        let mut meta = Vec::new();
        if !phase.checks.is_empty() {
            let noun = if phase.checks.len() == 1 {
                "check"
            } else {
                "checks"
            };
            meta.push(format!("{} {noun}", phase.checks.len()));
        }
        meta.push(seconds(phase.duration_ms));
        Ok(PhaseView {
            name: &phase.name,
            anchor: format!("phase-{}", slug(&phase.name)),
            meta: meta.join(" · "),
            checks: {
                // Failed first, then warnings, skips, passes; in run order within each.
                let mut checks: Vec<&CheckResult> = phase.checks.iter().collect();
                checks.sort_by_key(|c| match c.outcome {
                    Outcome::Failed => 0,
                    Outcome::Warned => 1,
                    Outcome::Skipped { .. } => 2,
                    Outcome::Passed => 3,
                });
                checks
                    .into_iter()
                    .map(|c| CheckView::of(phase, c))
                    .collect()
            },
            // MUST findings are shown on top, under the banner; warnings stay here.
            findings: phase
                .checks
                .iter()
                .flat_map(|c| c.findings.iter())
                .filter(|f| f.severity == Severity::Should)
                .map(FindingView::of)
                .collect(),
            load: phase
                .load
                .as_ref()
                .map(|l| LoadView::of(phase, l))
                .transpose()?,
        })
    }
}

impl<'a> CheckView<'a> {
    fn of(phase: &PhaseReport, check: &'a CheckResult) -> CheckView<'a> {
        let (status, status_text, note) = match &check.outcome {
            Outcome::Passed => ("passed", "passed", String::new()),
            Outcome::Failed => ("failed", "failed", first_message(check).to_string()),
            Outcome::Warned => ("warned", "warning", first_message(check).to_string()),
            Outcome::Skipped { reason } => ("skipped", "skipped", reason.clone()),
        };
        CheckView {
            id: &check.id,
            anchor: check_anchor(phase, check),
            section: &check.section,
            title: &check.title,
            severity: severity_word(check.severity),
            status,
            status_text,
            note,
            duration: format!("{} ms", check.duration_ms),
        }
    }
}

impl<'a> FindingView<'a> {
    fn of(finding: &'a Finding) -> FindingView<'a> {
        let exchange = finding.exchange.as_ref();
        FindingView {
            phase: "",
            anchor: None,
            check: &finding.check,
            section: &finding.section,
            severity: severity_word(finding.severity),
            severity_class: match finding.severity {
                Severity::Must => "must",
                Severity::Should => "should",
            },
            open: finding.severity == Severity::Must,
            message: &finding.message,
            expected: &finding.expected,
            got: &finding.got,
            request: exchange.map(request_line),
            body: exchange
                .map(|e| e.body_excerpt.as_str())
                .filter(|b| !b.is_empty()),
            curl: exchange.map(|e| e.curl.as_str()),
            har_entry: exchange.and_then(|e| e.har_entry),
            har_file: super::har::HAR_FILE,
            reproduction: finding.reproduction.join("\n"),
            seed: finding.seed.as_deref(),
        }
    }
}

impl<'a> LoadView<'a> {
    fn of(phase: &PhaseReport, load: &'a LoadSummary) -> Result<LoadView<'a>, ReportError> {
        let mut meta = vec![
            format!("scenario {}", load.scenario),
            format!("{} model", load.model),
            format!("{} users", load.users),
        ];
        if let Some(rate) = load.target_rate_per_s {
            meta.push(format!("target {rate:.1}/s"));
        }
        meta.push(format!("{:.1} s", load.duration_s));

        let mut plots = Vec::new();
        for (svg, class) in [
            (plots::throughput_svg(&load.timeline)?, ""),
            (plots::latency_svg(&load.timeline)?, ""),
            (plots::distribution_svg(&load.transactions)?, "wide"),
            (
                load.capacity
                    .as_ref()
                    .map(super::knee::knee_svg)
                    .transpose()?
                    .flatten(),
                "wide",
            ),
        ] {
            if let Some(svg) = svg {
                plots.push(PlotView { class, svg });
            }
        }
        Ok(LoadView {
            meta: meta.join(" · "),
            transactions: load
                .transactions
                .iter()
                .map(|t| TransactionRow {
                    name: &t.name,
                    count: t.count,
                    errors: t.errors,
                    error_rate: format!("{:.2}%", t.error_rate * 100.0),
                    mean: format!("{:.1}", t.mean_us / 1000.0),
                    p50: ms(t.p50_us),
                    p90: ms(t.p90_us),
                    p99: ms(t.p99_us),
                    p999: ms(t.p999_us),
                    max: ms(t.max_us),
                    throughput: format!("{:.1}", t.throughput_per_s),
                })
                .collect(),
            thresholds: load
                .thresholds
                .iter()
                .map(|t| ThresholdView {
                    rule: &t.rule,
                    measured: &t.measured,
                    passed: t.passed,
                    anchor: threshold_anchor(phase, &t.rule),
                })
                .collect(),
            plots,
            artifacts: &load.artifacts,
        })
    }
}

/// The message of the first MUST finding, else of the first finding, else nothing.
fn first_message(check: &CheckResult) -> &str {
    check
        .findings
        .iter()
        .find(|f| f.severity == Severity::Must)
        .or_else(|| check.findings.first())
        .map_or("", |f| f.message.as_str())
}

fn check_anchor(phase: &PhaseReport, check: &CheckResult) -> String {
    format!("check-{}-{}", slug(&phase.name), slug(&check.id))
}

fn failure_anchor(phase: &PhaseReport, check: &CheckResult) -> String {
    format!("failure-{}-{}", slug(&phase.name), slug(&check.id))
}

fn threshold_anchor(phase: &PhaseReport, rule: &str) -> String {
    format!("threshold-{}-{}", slug(&phase.name), slug(rule))
}

/// Lowercase ASCII letters and digits, everything else one `-`: a safe HTML id.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_are_safe_html_ids() {
        assert_eq!(
            slug("errors.method_not_allowed"),
            "errors-method-not-allowed"
        );
        assert_eq!(slug("create_order:p99<300ms"), "create-order-p99-300ms");
    }
}
