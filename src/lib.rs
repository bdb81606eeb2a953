//! gatecheck — certifies implementations of Plexy's APIs: their contract, their money
//! invariants, and their capacity. See `ARCHITECTURE.md` for the map.
//!
//! Layers, arrows one way: `cli`/`certify` (commands) → `apis::*` (one folder per API) →
//! `engine` (knows no API).

pub mod apis;
pub mod certify;
pub mod cli;
pub mod engine;
pub mod sandbox;

pub use engine::exit::{Exit, GateError};

/// Runs one parsed command line. `main` only renders the error and exits.
pub async fn run(cli: cli::Cli) -> Result<Exit, GateError> {
    use apis::gate;
    match cli.command {
        cli::Command::Certify(args) => certify::run(*args).await,
        cli::Command::Sandbox(args) => sandbox::cli::run(args).await,
        cli::Command::Invariants(cmd) => cmd.run().await,
        cli::Command::Contract(cmd) => cmd.run().await,
        cli::Command::Load(cmd) => cmd.run().await,
        cli::Command::Capacity(args) => gate::load::capacity::run(*args).await,
        cli::Command::Merge(args) => gate::load::cli::run_merge(args).await,
        cli::Command::Schemas(args) => apis::schemas_command::run(args),
        cli::Command::Diff(args) => engine::report::baseline::cli::run(args),
        cli::Command::Init(args) => certify::init::write_example(&args.path, args.force),
    }
}
