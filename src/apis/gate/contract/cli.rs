//! `gatecheck contract` arguments and the command: resolve the target (or start the
//! embedded sandbox), run the suite, render the console summary, write `--json` and
//! `--junit`, and map the verdict onto the exit code (0 pass, 1 violations, 2 usage,
//! 3 unreachable). SHOULD findings are warnings and never change the exit code.

use crate::apis::gate::sandbox::SandboxConfig;
use crate::engine::model::RunReport;
use crate::engine::schema::SchemaSet;
use crate::{Exit, GateError};

pub use crate::engine::contract::cli::{exit_of, now, render, ContractArgs};

use super::ContractOptions;

/// Runs the command, printing to stdout.
pub async fn run(args: ContractArgs) -> Result<Exit, GateError> {
    let report = execute(&args, SandboxConfig::default()).await?;
    let mut stdout = crate::engine::output::stdout();
    render(&args, &report, &mut stdout)
}

/// Runs the suite and returns the report; the embedded sandbox (when no `--base-url`)
/// starts with `sandbox` (tests pass a mutant here). Writes nothing.
pub async fn execute(args: &ContractArgs, sandbox: SandboxConfig) -> Result<RunReport, GateError> {
    let schemas = SchemaSet::load(&crate::apis::gate::schemas::BUNDLE, args.schemas.as_deref())?;
    let openapi = crate::apis::gate::openapi(args.schemas.as_deref())?;
    let started_at = now();
    let target = args
        .target
        .resolve(&crate::apis::gate::GATE, &sandbox)
        .await?;
    let opts = ContractOptions {
        settle: args.settle,
        ..ContractOptions::default()
    };
    let phase = super::run(&opts, &target, &schemas, &openapi).await;
    let info = target.info();
    let pacing = target.client.pacer().summary();
    target.shutdown().await;
    let phase = phase?;
    let mut report = RunReport::new("contract", info, started_at, vec![phase]);
    report.schema_version = schemas.version().to_string();
    report.pacing = Some(pacing);
    Ok(report)
}
