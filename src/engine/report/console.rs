//! The human report on the terminal. At normal verbosity, for a failing `certify` run:
//!
//! ```text
//! gatecheck certify · target http://127.0.0.1:8080 (embedded sandbox)
//!   agent   6f1c2a7e-4b1d-4c55-9a43-0d3b5e9f1a20
//!   tool    gatecheck 0.1.0 · schemas 3f2a9c1
//!   run     2026-11-21T12:06:00Z → 2026-11-21T12:06:31Z
//!
//! contract · 4 checks · 1.8 s
//!   ✓ auth.missing_key_unauthorized         §2
//!   ✗ errors.method_not_allowed_has_allow   §3        405 response without an Allow header
//!   ! headers.request_id_echoed             §1        X-Request-Id was not echoed
//!   - catalog.unavailable_product_rejected  §3        skipped: no unavailable product in the catalog
//!
//! load · 21.2 s
//!   scenario checkout · closed model · 20 users · 20.0 s
//!   transaction      count  errors   err%      p50      p90      p99    p99.9      max    req/s
//!   create_order      1190       3   0.3%     48.1     97.0    412.8    530.0    611.2     59.5
//!   latencies in ms
//!   thresholds
//!   ✗ create_order:p99<300ms   measured 412.8ms
//!
//! failures
//!
//! ✗ errors.method_not_allowed_has_allow (§3, MUST): 405 response without an Allow header
//!   expected: an Allow header listing the supported methods (GET, POST)
//!   got:      no Allow header
//!   request:  DELETE /agent/6f1c2a7e-4b1d-4c55-9a43-0d3b5e9f1a20/orders → 405
//!   body:     {"error":{"code":"method_not_allowed","message":"DELETE is not allowed here","param":null}}
//!   curl:     curl -sS -i -X DELETE "http://127.0.0.1:8080/agent/6f1c…/orders" -H "Authorization: $GATECHECK_API_KEY"
//!
//! NOT certified: 1 passed, 1 failed, 1 warning, 1 skipped; thresholds: 0 met, 1 missed
//! ```
//!
//! [`Verbosity`] is ordered and [`Shown::at`] alone decides what each level prints; every
//! colour comes from [`super::style`].

use std::io::Write;

use super::evidence;
use super::style::{no_color_requested, Palette, Role};
use super::summary::{ms, seconds, verdict_line};
use super::ReportError;
use crate::engine::model::{
    CheckResult, Finding, LoadSummary, Outcome, PhaseReport, RunReport, Severity, Verdict,
};

/// How much the console prints; ordered, so `Quiet < Normal < Verbose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    /// Failures' evidence, missed thresholds and the verdict line.
    Quiet,
    /// Plus the header, every check, the load tables and thresholds.
    #[default]
    Normal,
    /// Plus check titles and durations, warnings' evidence, load artifacts.
    Verbose,
}

/// How to print: the default is no colour at normal verbosity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsoleOptions {
    pub color: bool,
    pub verbosity: Verbosity,
}

impl ConsoleOptions {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    pub fn detect(verbosity: Verbosity, stream_is_terminal: bool) -> ConsoleOptions {
        ConsoleOptions {
            color: stream_is_terminal && !no_color_requested(),
            verbosity,
        }
    }
}

/// What one verbosity level prints. The one place that decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub header: bool,
    /// The per-phase check lists, load tables and thresholds.
    pub phases: bool,
    /// A check's title and duration under its line.
    pub check_details: bool,
    /// Evidence blocks of checks that only warned.
    pub warning_evidence: bool,
    /// Files a load phase wrote beside the report.
    pub artifacts: bool,
}

impl Shown {
    pub fn at(verbosity: Verbosity) -> Shown {
        Shown {
            header: verbosity >= Verbosity::Normal,
            phases: verbosity >= Verbosity::Normal,
            check_details: verbosity >= Verbosity::Verbose,
            warning_evidence: verbosity >= Verbosity::Verbose,
            artifacts: verbosity >= Verbosity::Verbose,
        }
    }
}

/// Writes the human report. Failures' evidence and the verdict line are printed at every
/// verbosity.
pub fn write_console<W: Write>(
    run: &RunReport,
    out: &mut W,
    options: &ConsoleOptions,
) -> Result<(), ReportError> {
    let console = Console {
        out,
        paint: Palette::new(options.color),
        shown: Shown::at(options.verbosity),
    };
    console.write(run)
}

/// A load phase's summary, table and thresholds as plain text (JUnit's `<system-out>`
/// of a load suite).
pub fn load_text(load: &LoadSummary) -> String {
    let mut out = Vec::new();
    let mut console = Console {
        out: &mut out,
        paint: Palette::new(false),
        shown: Shown::at(Verbosity::Normal),
    };
    // Writing into a Vec cannot fail.
    let _ = console.load(load);
    String::from_utf8_lossy(&out).into_owned()
}

struct Console<'w, W: Write> {
    out: &'w mut W,
    paint: Palette,
    shown: Shown,
}

impl<W: Write> Console<'_, W> {
    fn write(mut self, run: &RunReport) -> Result<(), ReportError> {
        if self.shown.header {
            self.header(run)?;
        }
        if self.shown.phases {
            for phase in &run.phases {
                self.phase(phase)?;
            }
        }
        self.failures(run)?;
        if self.shown.warning_evidence {
            self.warnings(run)?;
        }
        if let Some(pacing) = run.pacing.as_ref().filter(|p| p.slowed()) {
            writeln!(self.out, "{}", pacing.line())?;
        }
        let line = verdict_line(run);
        let passed = run.verdict() == Verdict::Pass;
        writeln!(self.out, "{}", self.paint.verdict(passed, line))?;
        Ok(())
    }

    fn header(&mut self, run: &RunReport) -> Result<(), ReportError> {
        let sandbox = if run.target.embedded_sandbox {
            " (embedded sandbox)"
        } else {
            ""
        };
        let title = format!("{} {}", run.tool, run.command);
        writeln!(
            self.out,
            "{} · target {}{sandbox}",
            self.paint.paint(Role::Heading, title),
            run.target.base_url
        )?;
        for (field, value) in &run.target.identity {
            writeln!(
                self.out,
                "  {:<7} {value}",
                crate::engine::model::TargetInfo::label(field)
            )?;
        }
        writeln!(
            self.out,
            "  tool    {} {} · schemas {}",
            run.tool, run.tool_version, run.schema_version
        )?;
        writeln!(
            self.out,
            "  run     {} → {}",
            run.started_at, run.finished_at
        )?;
        writeln!(self.out)?;
        Ok(())
    }

    fn phase(&mut self, phase: &PhaseReport) -> Result<(), ReportError> {
        let mut heading = vec![self.paint.paint(Role::Heading, &phase.name)];
        if !phase.checks.is_empty() {
            let noun = if phase.checks.len() == 1 {
                "check"
            } else {
                "checks"
            };
            heading.push(format!("{} {noun}", phase.checks.len()));
        }
        heading.push(seconds(phase.duration_ms));
        writeln!(self.out, "{}", heading.join(" · "))?;

        let id_width = width(phase.checks.iter().map(|c| c.id.as_str()));
        let section_width = width(phase.checks.iter().map(|c| c.section.as_str()));
        for check in &phase.checks {
            self.check_line(check, id_width, section_width)?;
        }
        if let Some(load) = &phase.load {
            self.load(load)?;
        }
        writeln!(self.out)?;
        Ok(())
    }

    fn check_line(
        &mut self,
        check: &CheckResult,
        id_width: usize,
        section_width: usize,
    ) -> Result<(), ReportError> {
        let (symbol, note) = match &check.outcome {
            Outcome::Passed => (self.paint.paint(Role::Pass, "✓"), String::new()),
            Outcome::Failed => (
                self.paint.paint(Role::Fail, "✗"),
                first_message(check, Severity::Must),
            ),
            Outcome::Warned => (
                self.paint.paint(Role::Warn, "!"),
                first_message(check, Severity::Should),
            ),
            Outcome::Skipped { reason } => (
                self.paint.paint(Role::Skip, "-"),
                self.paint.paint(Role::Dim, format!("skipped: {reason}")),
            ),
        };
        // Pad the section only when a note follows, so no line ends in spaces.
        let line = if note.is_empty() {
            let section = self.paint.paint(Role::Dim, &check.section);
            format!("  {symbol} {}  {section}", pad(&check.id, id_width))
        } else {
            let section = self
                .paint
                .paint(Role::Dim, pad(&check.section, section_width));
            format!("  {symbol} {}  {section}  {note}", pad(&check.id, id_width))
        };
        writeln!(self.out, "{line}")?;
        if self.shown.check_details {
            let details = format!("{} · {} ms", check.title, check.duration_ms);
            writeln!(self.out, "      {}", self.paint.paint(Role::Dim, details))?;
        }
        Ok(())
    }

    fn load(&mut self, load: &LoadSummary) -> Result<(), ReportError> {
        let mut about = vec![
            format!("scenario {}", load.scenario),
            format!("{} model", load.model),
            format!("{} users", load.users),
        ];
        if let Some(rate) = load.target_rate_per_s {
            about.push(format!("target {rate:.1}/s"));
        }
        about.push(format!("{:.1} s", load.duration_s));
        writeln!(self.out, "  {}", about.join(" · "))?;

        let name_width =
            width(load.transactions.iter().map(|t| t.name.as_str())).max("transaction".len());
        let header = format!(
            "  {:<name_width$}  {:>7}  {:>6}  {:>5}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}",
            "transaction", "count", "errors", "err%", "p50", "p90", "p99", "p99.9", "max", "req/s"
        );
        writeln!(self.out, "{}", self.paint.paint(Role::Heading, header))?;
        for t in &load.transactions {
            writeln!(
                self.out,
                "  {}  {:>7}  {:>6}  {:>5}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7.1}",
                pad(&t.name, name_width),
                t.count,
                t.errors,
                format!("{:.1}%", t.error_rate * 100.0),
                ms(t.p50_us),
                ms(t.p90_us),
                ms(t.p99_us),
                ms(t.p999_us),
                ms(t.max_us),
                t.throughput_per_s
            )?;
        }
        writeln!(
            self.out,
            "  {}",
            self.paint.paint(Role::Dim, "latencies in ms")
        )?;
        if !load.thresholds.is_empty() {
            writeln!(
                self.out,
                "  {}",
                self.paint.paint(Role::Heading, "thresholds")
            )?;
            let rule_width = width(load.thresholds.iter().map(|t| t.rule.as_str()));
            for threshold in &load.thresholds {
                let symbol = if threshold.passed {
                    self.paint.paint(Role::Pass, "✓")
                } else {
                    self.paint.paint(Role::Fail, "✗")
                };
                writeln!(
                    self.out,
                    "  {symbol} {}  measured {}",
                    pad(&threshold.rule, rule_width),
                    threshold.measured
                )?;
            }
        }
        if self.shown.artifacts && !load.artifacts.is_empty() {
            writeln!(
                self.out,
                "  {} {}",
                self.paint.paint(Role::Dim, "artifacts:"),
                load.artifacts.join(", ")
            )?;
        }
        Ok(())
    }

    /// Every failed check's findings, then (when the phases were not listed) the missed
    /// thresholds.
    fn failures(&mut self, run: &RunReport) -> Result<(), ReportError> {
        let failed: Vec<&CheckResult> = run
            .checks()
            .filter(|c| c.outcome == Outcome::Failed)
            .collect();
        let missed: Vec<(&str, &str)> = run
            .phases
            .iter()
            .filter_map(|p| p.load.as_ref())
            .flat_map(|l| l.thresholds.iter())
            .filter(|t| !t.passed)
            .map(|t| (t.rule.as_str(), t.measured.as_str()))
            .collect();
        let list_missed = !self.shown.phases && !missed.is_empty();
        if failed.is_empty() && !list_missed {
            return Ok(());
        }
        writeln!(self.out, "{}", self.paint.paint(Role::Heading, "failures"))?;
        writeln!(self.out)?;
        for check in failed {
            self.findings_of(check)?;
        }
        if list_missed {
            for (rule, measured) in missed {
                writeln!(
                    self.out,
                    "{} threshold {rule}: measured {measured}",
                    self.paint.paint(Role::Fail, "✗")
                )?;
            }
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn warnings(&mut self, run: &RunReport) -> Result<(), ReportError> {
        let warned: Vec<&CheckResult> = run
            .checks()
            .filter(|c| c.outcome == Outcome::Warned)
            .collect();
        if warned.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "{}", self.paint.paint(Role::Heading, "warnings"))?;
        writeln!(self.out)?;
        for check in warned {
            self.findings_of(check)?;
        }
        Ok(())
    }

    /// A failed check without findings still gets a block naming it.
    fn findings_of(&mut self, check: &CheckResult) -> Result<(), ReportError> {
        if check.findings.is_empty() {
            writeln!(
                self.out,
                "{} {} ({}): {}",
                self.paint.paint(Role::Fail, "✗"),
                check.id,
                check.section,
                check.title
            )?;
            writeln!(self.out)?;
        }
        for finding in &check.findings {
            self.evidence(finding)?;
        }
        Ok(())
    }

    fn evidence(&mut self, finding: &Finding) -> Result<(), ReportError> {
        let symbol = match finding.severity {
            Severity::Must => self.paint.paint(Role::Fail, "✗"),
            Severity::Should => self.paint.paint(Role::Warn, "!"),
        };
        writeln!(
            self.out,
            "{symbol} {}",
            self.paint.paint(Role::Heading, evidence::heading(finding))
        )?;
        for line in evidence::body_lines(finding) {
            writeln!(self.out, "{line}")?;
        }
        writeln!(self.out)?;
        Ok(())
    }
}

/// The message of the first finding of that severity, else of the first finding.
fn first_message(check: &CheckResult, severity: Severity) -> String {
    check
        .findings
        .iter()
        .find(|f| f.severity == severity)
        .or_else(|| check.findings.first())
        .map(|f| f.message.clone())
        .unwrap_or_default()
}

fn width<'a>(texts: impl Iterator<Item = &'a str>) -> usize {
    texts.map(|t| t.chars().count()).max().unwrap_or(0)
}

/// Left-aligns by characters (`format!` pads by `char`s too, but this keeps it explicit
/// for ids holding `§`).
fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_is_ordered_and_each_level_prints_more() {
        assert!(Verbosity::Quiet < Verbosity::Normal && Verbosity::Normal < Verbosity::Verbose);
        let quiet = Shown::at(Verbosity::Quiet);
        let normal = Shown::at(Verbosity::Normal);
        let verbose = Shown::at(Verbosity::Verbose);
        assert!(!quiet.header && !quiet.phases);
        assert!(normal.header && normal.phases && !normal.warning_evidence);
        assert!(verbose.check_details && verbose.warning_evidence && verbose.artifacts);
    }
}
