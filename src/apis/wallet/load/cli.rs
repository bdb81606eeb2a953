//! `gatecheck load --api wallet`: the same flags, outputs and exit codes as the Gate's
//! `gatecheck load` (0 pass, 1 a threshold failed, 2 bad flags, scenario or spend policy,
//! 3 target unreachable), on a Wallet target.

use std::path::PathBuf;
use std::time::Instant;

use crate::apis::wallet::load::LoadPlan;
use crate::engine::load::plan::{progress, worker_out, LoadArgs, LoadSettings};
use crate::engine::load::report::now_rfc3339;
use crate::engine::target::EmbeddedLauncher;
use crate::{Exit, GateError};

/// Turns the settings and the Wallet scenario file into a plan (no network).
pub fn plan(args: &LoadSettings, out_dir: Option<PathBuf>) -> Result<LoadPlan, GateError> {
    let scenario = crate::apis::wallet::load::scenario::load_file(&args.scenario)?;
    Ok(crate::engine::load::plan::plan(
        args,
        scenario,
        &crate::apis::wallet::schemas::BUNDLE,
        out_dir,
    )?)
}

/// Runs the command against `launcher`'s sandbox unless `--base-url` names a target.
pub async fn run(mut args: LoadArgs, launcher: &dyn EmbeddedLauncher) -> Result<Exit, GateError> {
    let out = worker_out(&mut args)?;
    let plan = plan(&args.settings(), Some(out.clone()))?;
    let schema_version = plan.schemas.version().to_string();
    let started_at = now_rfc3339();
    let clock = Instant::now();
    let resolved = args
        .target
        .resolve(&crate::apis::wallet::WALLET, launcher)
        .await?;
    let result = crate::apis::wallet::load::run(plan, &resolved, progress(&args)).await;
    let target = resolved.info();
    resolved.shutdown().await;
    crate::engine::load::report::load_command(
        &out,
        target,
        started_at,
        clock.elapsed(),
        result.map(|run| (run.summary, run.notes)),
        schema_version,
    )
}
