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
    /// Certify a target: health, contract, invariants and load; one report, one exit code.
    Certify(Box<crate::certify::CertifyArgs>),
    /// Check a target against its API's contract (`--api gate|wallet`); exit 1 on any MUST violation.
    Contract(crate::apis::ContractCommand),
    /// Probe the money invariants: idempotency, reservations, pricing, the ledger.
    Invariants(crate::apis::InvariantsCommand),
    /// Drive load from a scenario (`--api gate|wallet`); latency in HDR histograms;
    /// thresholds gate the run.
    Load(Box<crate::apis::LoadCommand>),
    /// Find the highest open-model rate at which every threshold holds (ramp, then bisection).
    Capacity(Box<crate::apis::gate::load::capacity::CapacityArgs>),
    /// Merge HdrHistogram interval logs of several load runs into one exact report.
    Merge(crate::apis::gate::load::cli::MergeArgs),
    /// Run the embedded, stateful sandbox: the Gate API and the Wallet API on one port.
    Sandbox(crate::sandbox::cli::SandboxArgs),
    /// Export, check or apply an API's JSON Schemas (`--api gate|wallet`).
    Schemas(crate::apis::schemas_command::SchemasArgs),
    /// Compare two report.json files; exit 1 only on regressions.
    Diff(crate::engine::report::baseline::DiffArgs),
    /// Write a commented example gatecheck.toml.
    Init(crate::certify::InitArgs),
}
