//! `gatecheck invariants --api wallet`: the engine's command (the same flags and outputs
//! as the Gate's) around the Wallet's probes, on a Wallet target (the merchant key; the
//! embedded sandbox's default merchant).

use crate::apis::wallet::invariants::{run_with_stats, InvariantOptions};
use crate::engine::invariants::cli::{self, InvariantsArgs};
use crate::engine::target::EmbeddedLauncher;
use crate::{Exit, GateError};

/// Runs the command against `launcher`'s sandbox unless `--base-url` names a target.
pub async fn run(args: InvariantsArgs, launcher: &dyn EmbeddedLauncher) -> Result<Exit, GateError> {
    let gate = args.options();
    let opts = InvariantOptions {
        regressions: gate.regressions.map(|p| p.with_extension("wallet.txt")),
        ..gate
    };
    cli::run(
        &args,
        &crate::apis::wallet::WALLET,
        launcher,
        &opts,
        |o, r| Box::pin(run_with_stats(o, r)),
    )
    .await
}
