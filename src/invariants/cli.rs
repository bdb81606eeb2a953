//! `gatecheck invariants`: flags, the run, the outputs and the exit code.

use std::io::Write;
use std::path::PathBuf;

use super::{persist, run_with_stats, InvariantOptions, RunStats, DEFAULT_CASES};
use crate::model::{Outcome, PhaseReport, RunReport, TargetInfo, Verdict};
use crate::sandbox::SandboxConfig;
use crate::target::{ResolvedTarget, TargetArgs};
use crate::{Exit, GateError};

/// Probe the money invariants: idempotency, reservations, pricing, the ledger.
#[derive(Debug, Clone, clap::Args)]
pub struct InvariantsArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Generated operation sequences of the stateful probe.
    #[arg(long, default_value_t = DEFAULT_CASES, value_name = "N")]
    pub cases: u32,

    /// Run seed (hex, as printed); a failing case's seed with `--cases 1` replays it.
    #[arg(long, value_parser = persist::parse_seed, value_name = "HEX")]
    pub seed: Option<u64>,

    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Print only the verdict line.
    #[arg(long)]
    pub quiet: bool,

    /// Seeds of failing cases: retried first on the next run, appended on failure.
    #[arg(
        long,
        default_value = ".gatecheck/invariants-regressions.txt",
        value_name = "FILE"
    )]
    pub regressions: PathBuf,

    /// Neither read nor write the regressions file.
    #[arg(long)]
    pub no_regressions: bool,
}

impl InvariantsArgs {
    pub fn options(&self) -> InvariantOptions {
        InvariantOptions {
            cases: self.cases,
            seed: self.seed,
            regressions: (!self.no_regressions).then(|| self.regressions.clone()),
            ..InvariantOptions::default()
        }
    }
}

/// Runs the command: resolve the target, probe, write the outputs, map the verdict.
pub async fn run(args: InvariantsArgs) -> Result<Exit, GateError> {
    run_with(args, SandboxConfig::default()).await
}

/// [`run`] with the embedded sandbox's configuration (tests pass a mutant here).
pub async fn run_with(args: InvariantsArgs, sandbox: SandboxConfig) -> Result<Exit, GateError> {
    let started_at = now();
    let resolved = args.target.resolve(sandbox).await?;
    let result = run_with_stats(&args.options(), &resolved).await;
    let report = result.map(|(phase, stats)| (run_report(&resolved, phase, started_at), stats));
    resolved.shutdown().await;
    let (report, stats) = report?;
    write_outputs(&args, &report, &stats)?;
    Ok(match report.verdict() {
        Verdict::Pass => Exit::Pass,
        Verdict::Fail => Exit::Violations,
    })
}

/// Wraps the phase into the run's report.
pub fn run_report(resolved: &ResolvedTarget, phase: PhaseReport, started_at: String) -> RunReport {
    RunReport {
        tool: "gatecheck".to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: String::new(),
        command: "invariants".to_string(),
        target: TargetInfo {
            base_url: resolved.target().base_url.clone(),
            agent_id: resolved.target().agent_id.clone(),
            embedded_sandbox: resolved.embedded.is_some(),
        },
        started_at,
        finished_at: now(),
        phases: vec![phase],
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn write_outputs(
    args: &InvariantsArgs,
    report: &RunReport,
    stats: &RunStats,
) -> Result<(), GateError> {
    if let Some(path) = &args.json {
        let file = std::fs::File::create(path)
            .map_err(|e| GateError::Config(format!("cannot write {}: {e}", path.display())))?;
        serde_json::to_writer_pretty(std::io::BufWriter::new(file), report)
            .map_err(|e| GateError::Config(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.junit {
        let file = std::fs::File::create(path)
            .map_err(|e| GateError::Config(format!("cannot write {}: {e}", path.display())))?;
        write_junit(report, std::io::BufWriter::new(file))
            .map_err(|e| GateError::Config(format!("cannot write {}: {e}", path.display())))?;
    }
    let mut out = std::io::stdout().lock();
    let _ = write_summary(report, stats, args.quiet, &mut out);
    Ok(())
}

/// The console summary (until the shared console writer is merged).
pub fn write_summary(
    report: &RunReport,
    stats: &RunStats,
    quiet: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let counts = report.counts();
    if !quiet {
        for check in report.checks() {
            let mark = match &check.outcome {
                Outcome::Passed => "PASS".to_string(),
                Outcome::Failed => "FAIL".to_string(),
                Outcome::Warned => "WARN".to_string(),
                Outcome::Skipped { reason } => format!("SKIP ({reason})"),
            };
            writeln!(out, "{:<4} {:<45} {}", &mark[..4], check.id, check.section)?;
            if let Outcome::Skipped { reason } = &check.outcome {
                writeln!(out, "       skipped: {reason}")?;
            }
            for f in &check.findings {
                writeln!(out, "       {}", f.message)?;
                writeln!(out, "       expected: {}", f.expected)?;
                writeln!(out, "       got:      {}", f.got)?;
                if let Some(seed) = &f.seed {
                    writeln!(out, "       seed:     {seed}")?;
                }
                for line in &f.reproduction {
                    writeln!(out, "       {line}")?;
                }
            }
        }
        writeln!(
            out,
            "seed {:016x}: {} cases in {:.2} s ({:.1} cases/s), {} requests; concurrency probes {:.2} s",
            stats.seed,
            stats.cases,
            stats.stateful_elapsed.as_secs_f64(),
            stats.cases_per_second(),
            stats.requests,
            stats.concurrency_elapsed.as_secs_f64()
        )?;
        if let Some((from, to)) = stats.shrunk {
            writeln!(
                out,
                "shrunk {from} → {to} operations in {} runs",
                stats.shrink_runs
            )?;
        }
    }
    writeln!(
        out,
        "invariants: {} — {} passed, {} failed, {} skipped",
        match report.verdict() {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
        },
        counts.passed,
        counts.failed,
        counts.skipped
    )
}

/// JUnit via quick-junit (until the shared writer is merged): one test case per check.
fn write_junit(report: &RunReport, out: impl Write) -> std::io::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut junit = Report::new("gatecheck");
    for phase in &report.phases {
        let mut suite = TestSuite::new(phase.name.clone());
        for check in &phase.checks {
            let status = match &check.outcome {
                Outcome::Passed | Outcome::Warned => TestCaseStatus::success(),
                Outcome::Skipped { reason } => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(reason.clone());
                    s
                }
                Outcome::Failed => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    if let Some(f) = check.findings.first() {
                        s.set_message(f.message.clone());
                        let mut text = format!("expected: {}\ngot: {}\n", f.expected, f.got);
                        for l in &f.reproduction {
                            text.push_str(l);
                            text.push('\n');
                        }
                        s.set_description(text);
                    }
                    s
                }
            };
            let mut case = TestCase::new(check.id.clone(), status);
            case.set_classname(format!("{} {}", phase.name, check.section));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit
        .serialize(out)
        .map_err(|e| std::io::Error::other(e.to_string()))
}
