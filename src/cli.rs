//! The command line: clap definitions only, no logic. Each subcommand's arguments are
//! defined beside the code that runs it.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gatecheck",
    version,
    about = "Certify a Plexy Gate API implementation: contract, money invariants, load.",
    long_about = None
)]
pub struct Cli {
    /// Log filter for diagnostics on stderr (e.g. `info`, `gatecheck=debug`).
    #[arg(long, global = true, env = "GATECHECK_LOG", default_value = "warn")]
    pub log: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the embedded, stateful Gate API sandbox.
    Sandbox(crate::sandbox::cli::SandboxArgs),
    /// Check a Gate API target against the contract; exit 1 on any MUST violation.
    Contract(crate::contract::cli::ContractArgs),
    /// Load-test the target with a scenario (goose), with HdrHistogram latency and thresholds.
    Load(Box<crate::load::cli::LoadArgs>),
    /// Add interval logs of several `load` runs (e.g. one per worker) into one exact report.
    Merge(crate::load::cli::MergeArgs),
    /// Export, check or apply the Gate API JSON Schemas.
    Schemas(crate::schema::command::SchemasArgs),
}
