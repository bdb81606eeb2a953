//! What every API's `gatecheck contract` shares: its flags (target, schemas, report files,
//! settle time), the console summary with the `--json`/`--junit` files, and the verdict's
//! exit code (0 pass, 1 violations; SHOULD findings are warnings and never change it).

use std::io::IsTerminal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::exit::{Exit, FileError, GateError};
use crate::engine::model::RunReport;
use crate::engine::report::{self, ConsoleOptions, Verbosity};
use crate::engine::target::TargetArgs;

/// Check a target against its API's contract (schemas, auth, errors, lists, money).
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

    /// How long to wait for the suite's own orders or transactions to settle.
    #[arg(long, default_value = "3s", value_parser = crate::engine::bounds::wait, value_name = "DURATION")]
    pub settle: Duration,
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
    report.verdict().into()
}

fn write_file(
    path: &Path,
    write: impl FnOnce(crate::engine::output::MaskedFile) -> Result<(), GateError>,
) -> Result<(), GateError> {
    let file = crate::engine::output::create_file(path).map_err(|e| FileError::write(path, e))?;
    write(file)
}

fn anyhow_error(e: impl Into<anyhow::Error>) -> GateError {
    GateError::Other(e.into())
}

/// Now, RFC 3339.
pub use crate::engine::model::now_rfc3339 as now;
