//! `gatecheck invariants`: the engine's command (flags, outputs, exit code) around the
//! Gate's probes.

use crate::apis::gate::invariants::run_with_stats;
use crate::apis::gate::sandbox::SandboxConfig;
use crate::engine::invariants::cli;
pub use crate::engine::invariants::cli::InvariantsArgs;
use crate::{Exit, GateError};

/// Runs the command: resolve the target, probe, write the outputs, map the verdict.
pub async fn run(args: InvariantsArgs) -> Result<Exit, GateError> {
    run_with(args, SandboxConfig::default()).await
}

/// [`run`] with the embedded sandbox's configuration (tests pass a mutant here).
pub async fn run_with(args: InvariantsArgs, sandbox: SandboxConfig) -> Result<Exit, GateError> {
    let opts = args.options();
    cli::run(&args, &crate::apis::gate::GATE, &sandbox, &opts, |o, r| {
        Box::pin(run_with_stats(o, r))
    })
    .await
}
