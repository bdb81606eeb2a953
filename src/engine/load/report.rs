//! A load run's report, the same for every API: one `load` phase holding the summary and
//! the run's remarks (as one SHOULD-level check), written as JSON, JUnit and HTML under the
//! output folder, printed on the console, its verdict the exit code (0 pass, 1 a threshold
//! failed).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use crate::engine::exit::{Exit, GateError};
use crate::engine::model::{
    CheckResult, Finding, LoadSummary, PhaseReport, RunReport, Severity, TargetInfo,
};

/// A report of one `load` phase.
pub fn run_report(
    command: &str,
    target: TargetInfo,
    started_at: String,
    took: Duration,
    summary: &LoadSummary,
    notes: &[String],
) -> RunReport {
    let phase = PhaseReport {
        name: "load".into(),
        checks: vec![remarks(notes)],
        load: Some(summary.clone()),
        duration_ms: took.as_millis() as u64,
    };
    RunReport::new(command, target, started_at, vec![phase])
}

/// A `gatecheck load` run's report: written under `out`, printed, its exit code. A run
/// the target broke (it answered, then failed the catalog or the run) is a report with
/// one failed `load.completed` check and its reason, exit 1; other errors pass through.
pub fn load_command(
    out: &Path,
    target: TargetInfo,
    started_at: String,
    took: Duration,
    run: Result<(LoadSummary, Vec<String>), GateError>,
    schema_version: String,
) -> Result<Exit, GateError> {
    let (summary, notes) = match run {
        Err(e @ GateError::Target(_)) => {
            return load_stopped(out, target, started_at, &e, schema_version)
        }
        other => other?,
    };
    let mut report = run_report("load", target, started_at, took, &summary, &notes);
    report.schema_version = schema_version;
    finish(out, &report)
}

/// The report of a load run the target broke: one failed `load.completed` check.
fn load_stopped(
    out: &Path,
    target: TargetInfo,
    started_at: String,
    error: &GateError,
    schema_version: String,
) -> Result<Exit, GateError> {
    let mut report = RunReport::new(
        "load",
        target,
        started_at,
        vec![PhaseReport::stopped("load", error)],
    );
    report.schema_version = schema_version;
    finish(out, &report)
}

/// Report files (JSON, JUnit, HTML via `crate::engine::report`), the console report, exit code.
pub fn finish(out: &Path, report: &RunReport) -> Result<Exit, GateError> {
    let files =
        crate::engine::report::write_files(report, out, &crate::engine::report::Format::ALL)
            .map_err(GateError::Other)?;
    let stdout = std::io::stdout();
    let options = crate::engine::report::ConsoleOptions::detect(
        crate::engine::report::Verbosity::Normal,
        stdout.is_terminal(),
    );
    let mut w = crate::engine::output::stdout();
    crate::engine::report::write_console(report, &mut w, &options)
        .map_err(|e| GateError::Other(anyhow::anyhow!("{e}")))?;
    let _ = writeln!(w, "written to {}:", out.display());
    let artifacts = report
        .phases
        .iter()
        .filter_map(|p| p.load.as_ref())
        .flat_map(|l| l.artifacts.iter());
    for f in files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|f| f.to_string_lossy().into_owned())
        .chain(artifacts.cloned())
    {
        let _ = writeln!(w, "  {f}");
    }
    Ok(report.verdict().into())
}

/// The run's remarks as one SHOULD-level check, so every report format shows them and
/// none changes the verdict.
pub fn remarks(notes: &[String]) -> CheckResult {
    let findings = notes
        .iter()
        .map(|n| Finding {
            check: "load.remarks".into(),
            section: "load".into(),
            severity: Severity::Should,
            message: n.clone(),
            expected: String::new(),
            got: String::new(),
            exchange: None,
            reproduction: Vec::new(),
            seed: None,
        })
        .collect();
    CheckResult::from_findings(
        "load.remarks",
        "load",
        "Remarks from the load run (schedule kept, spend cap, catalog, sampled body checks)",
        Severity::Should,
        findings,
        0,
    )
}

pub use crate::engine::model::now_rfc3339;
