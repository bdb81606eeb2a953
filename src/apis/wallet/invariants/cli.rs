//! `gatecheck invariants --api wallet`: the same flags and outputs as the Gate's command,
//! on a Wallet target (the merchant key; the embedded sandbox's default merchant).

use crate::apis::gate::invariants::cli::{run_report, write_outputs, InvariantsArgs};
use crate::apis::wallet::invariants::{run_with_stats, InvariantOptions};
use crate::engine::model::Verdict;
use crate::engine::target::EmbeddedLauncher;
use crate::{Exit, GateError};

/// Runs the command against `launcher`'s sandbox unless `--base-url` names a target.
pub async fn run(args: InvariantsArgs, launcher: &dyn EmbeddedLauncher) -> Result<Exit, GateError> {
    let started_at = now();
    let resolved = args
        .target
        .resolve(&crate::apis::wallet::WALLET, launcher)
        .await?;
    let gate = args.options();
    let opts = InvariantOptions {
        cases: gate.cases,
        seed: gate.seed,
        regressions: gate.regressions.map(|p| p.with_extension("wallet.txt")),
        parallel_cases: gate.parallel_cases,
        ..InvariantOptions::default()
    };
    let result = run_with_stats(&opts, &resolved).await;
    let report = result.map(|(phase, stats)| (run_report(&resolved, phase, started_at), stats));
    resolved.shutdown().await;
    let (report, stats) = report?;
    write_outputs(&args, &report, &stats)?;
    Ok(match report.verdict() {
        Verdict::Pass => Exit::Pass,
        Verdict::Fail => Exit::Violations,
    })
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
