//! gatecheck — certifies an implementation of the Plexy Gate API: its contract, its
//! money invariants, and its capacity. See `ARCHITECTURE.md` for the map.

pub mod cli;
pub mod client;
pub mod contract;
pub mod exit;
pub mod load;
pub mod model;
pub mod report;
pub mod sandbox;
pub mod schema;
pub mod spend;
pub mod target;

pub use exit::{Exit, GateError};

/// Runs one parsed command line. `main` only renders the error and exits.
pub async fn run(cli: cli::Cli) -> Result<Exit, GateError> {
    match cli.command {
        cli::Command::Sandbox(args) => sandbox::cli::run(args).await,
        cli::Command::Contract(args) => contract::cli::run(args).await,
        cli::Command::Load(args) => load::cli::run(*args).await,
        cli::Command::Merge(args) => load::cli::run_merge(args).await,
        cli::Command::Schemas(args) => schema::command::run(args),
    }
}
