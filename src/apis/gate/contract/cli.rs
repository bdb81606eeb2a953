//! `gatecheck contract` arguments and the command: resolve the target (or start the
//! embedded sandbox), run the suite, render the console summary, write `--json` and
//! `--junit`, and map the verdict onto the exit code (0 pass, 1 violations, 2 usage,
//! 3 unreachable). SHOULD findings are warnings and never change the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::io::IsTerminal;

use crate::apis::gate::sandbox::SandboxConfig;
use crate::engine::model::{RunReport, TargetInfo, Verdict};
use crate::engine::report::{self, ConsoleOptions, Verbosity};
use crate::engine::schema::SchemaSet;
use crate::engine::target::TargetArgs;
use crate::{Exit, GateError};

use super::ContractOptions;

/// Check a Gate API target against the contract (schemas, auth, errors, pagination, money).
#[derive(Debug, Clone, clap::Args)]
pub struct ContractArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Directory of JSON Schemas to validate against (default: the embedded ones).
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    /// Write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the report as JUnit XML to FILE (one testcase per check).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Print only failures' evidence and the verdict line.
    #[arg(long)]
    pub quiet: bool,

    /// How long to wait for the suite's own orders to leave `pending`.
    #[arg(long, default_value = "3s", value_parser = crate::engine::bounds::wait, value_name = "DURATION")]
    pub settle: Duration,
}

/// Runs the command, printing to stdout.
pub async fn run(args: ContractArgs) -> Result<Exit, GateError> {
    let report = execute(&args, SandboxConfig::default()).await?;
    let mut stdout = crate::engine::output::stdout();
    render(&args, &report, &mut stdout)?;
    Ok(exit_of(&report))
}

/// Runs the suite and returns the report; the embedded sandbox (when no `--base-url`)
/// starts with `sandbox` (tests pass a mutant here). Writes nothing.
pub async fn execute(args: &ContractArgs, sandbox: SandboxConfig) -> Result<RunReport, GateError> {
    let schemas = SchemaSet::load(&crate::apis::gate::schemas::BUNDLE, args.schemas.as_deref())
        .map_err(|e| GateError::Config(format!("schemas: {e}")))?;
    let started_at = now();
    let target = args
        .target
        .resolve(&crate::apis::gate::GATE, &sandbox)
        .await?;
    let opts = ContractOptions {
        settle: args.settle,
        ..ContractOptions::default()
    };
    let phase = super::run(&opts, &target, &schemas).await;
    let info = TargetInfo {
        base_url: target.target().base_url.clone(),
        identity: crate::engine::model::identity_of(&target.target().identity),
        embedded_sandbox: target.embedded.is_some(),
    };
    let pacing = target.client.pacer().summary();
    target.shutdown().await;
    let phase = phase?;
    Ok(RunReport {
        tool: "gatecheck".to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: schemas.version().to_string(),
        command: "contract".to_string(),
        target: info,
        started_at,
        finished_at: now(),
        phases: vec![phase],
        pacing: Some(pacing),
    })
}

/// Console summary plus the requested files.
pub fn render(
    args: &ContractArgs,
    report: &RunReport,
    out: &mut impl Write,
) -> Result<(), GateError> {
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else {
        Verbosity::Normal
    };
    let options = ConsoleOptions::detect(verbosity, std::io::stdout().is_terminal());
    report::write_console(report, out, &options).map_err(anyhow_error)?;
    if let Some(path) = &args.json {
        write_file(path, |f| {
            report::write_json(report, f).map_err(anyhow_error)
        })?;
    }
    if let Some(path) = &args.junit {
        write_file(path, |f| {
            report::write_junit(report, f).map_err(anyhow_error)
        })?;
    }
    Ok(())
}

pub fn exit_of(report: &RunReport) -> Exit {
    match report.verdict() {
        Verdict::Pass => Exit::Pass,
        Verdict::Fail => Exit::Violations,
    }
}

fn write_file(
    path: &Path,
    write: impl FnOnce(crate::engine::output::MaskedFile) -> Result<(), GateError>,
) -> Result<(), GateError> {
    let file = crate::engine::output::create_file(path)
        .map_err(|e| GateError::Config(format!("cannot write {}: {e}", path.display())))?;
    write(file)
}

fn anyhow_error(e: impl Into<anyhow::Error>) -> GateError {
    GateError::Other(e.into())
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
