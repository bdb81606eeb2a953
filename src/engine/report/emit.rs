//! The one epilogue of a single-phase command (`contract`, `invariants`): its output flags
//! ([`OutputArgs`]) and [`emit`], which writes the console summary and the `--json` /
//! `--junit` files through the masking choke point and turns the verdict into the exit
//! code (0 pass, 1 violations; SHOULD findings are warnings and never change it).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::engine::exit::{Exit, FileError, GateError};
use crate::engine::model::RunReport;
use crate::engine::report::{self, ConsoleOptions, ReportError, Verbosity};

/// Where a single-phase command writes its report, and how much it prints.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OutputArgs {
    /// Write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the report as JUnit XML to FILE (one testcase per check).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Print only failures' evidence and the verdict line.
    #[arg(long)]
    pub quiet: bool,
}

impl OutputArgs {
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else {
            Verbosity::Normal
        }
    }
}

/// The console summary on `out`, the requested files, and the report's exit code.
pub fn emit(
    report: &RunReport,
    output: &OutputArgs,
    out: &mut impl std::io::Write,
) -> Result<Exit, GateError> {
    let options = ConsoleOptions::detect(output.verbosity(), std::io::stdout().is_terminal());
    report::write_console(report, out, &options).map_err(|e| GateError::Other(e.into()))?;
    if let Some(path) = &output.json {
        write_file(path, |f| report::write_json(report, f))?;
    }
    if let Some(path) = &output.junit {
        write_file(path, |f| report::write_junit(report, f))?;
    }
    Ok(report.verdict().into())
}

fn write_file(
    path: &Path,
    write: impl FnOnce(crate::engine::output::MaskedFile) -> Result<(), ReportError>,
) -> Result<(), GateError> {
    let file = crate::engine::output::create_file(path).map_err(|e| FileError::write(path, e))?;
    write(file).map_err(|e| FileError::write(path, e).into())
}
