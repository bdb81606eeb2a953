//! `gatecheck contract --api wallet`: resolve the target (or start the embedded sandbox),
//! run the Wallet suite, render it like every contract report.

use crate::engine::contract::cli::{now, render, ContractArgs};
use crate::engine::model::RunReport;
use crate::engine::schema::openapi::OpenApi;
use crate::engine::target::EmbeddedLauncher;
use crate::{Exit, GateError};
use std::sync::Arc;

use super::WalletContractOptions;

/// Runs the command, printing to stdout.
pub async fn run(args: ContractArgs, launcher: &dyn EmbeddedLauncher) -> Result<Exit, GateError> {
    let report = execute(&args, launcher).await?;
    let mut stdout = std::io::stdout().lock();
    render(&args, &report, &mut stdout)
}

/// The Wallet's OpenAPI document: `--schemas DIR`, else the embedded one.
pub fn openapi(args: &ContractArgs) -> Result<Arc<OpenApi>, GateError> {
    crate::apis::wallet::openapi(args.schemas.as_deref())
}

/// Runs the suite and returns the report; with no `--base-url` the embedded sandbox
/// starts through `launcher` (tests pass one with a mutant). Writes nothing.
pub async fn execute(
    args: &ContractArgs,
    launcher: &dyn EmbeddedLauncher,
) -> Result<RunReport, GateError> {
    let openapi = openapi(args)?;
    let started_at = now();
    let target = args
        .target
        .resolve(&crate::apis::wallet::WALLET, launcher)
        .await?;
    let opts = WalletContractOptions {
        settle: args.settle,
        ..WalletContractOptions::default()
    };
    let phase = super::run(&opts, &target, &openapi).await;
    let info = target.info();
    let pacing = Some(target.client.pacer().summary());
    target.shutdown().await;
    let phase = phase?;
    let mut report = RunReport::new("contract", info, started_at, vec![phase]);
    report.schema_version = "wallet".to_string();
    report.pacing = pacing;
    Ok(report)
}
