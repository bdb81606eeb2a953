//! What every API's `gatecheck contract` shares: its flags (target, schemas, report files,
//! settle time), the console summary with the `--json`/`--junit` files, and the verdict's
//! exit code (0 pass, 1 violations; SHOULD findings are warnings and never change it).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::engine::exit::{Exit, GateError};
use crate::engine::model::RunReport;
use crate::engine::report::emit::OutputArgs;
use crate::engine::target::TargetArgs;

/// Check a target against its API's contract (schemas, auth, errors, lists, money).
#[derive(Debug, Clone, clap::Args)]
pub struct ContractArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Directory of JSON Schemas to validate against (default: the embedded ones).
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// How long to wait for the suite's own orders or transactions to settle.
    #[arg(long, default_value = "3s", value_parser = crate::engine::bounds::wait, value_name = "DURATION")]
    pub settle: Duration,
}

/// Console summary plus the requested files; the verdict's exit code.
pub fn render(
    args: &ContractArgs,
    report: &RunReport,
    out: &mut impl Write,
) -> Result<Exit, GateError> {
    crate::engine::report::emit::emit(report, &args.output, out)
}

pub fn exit_of(report: &RunReport) -> Exit {
    report.verdict().into()
}

/// Now, RFC 3339.
pub use crate::engine::model::now_rfc3339 as now;
