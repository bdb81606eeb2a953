//! `gatecheck certify` and `gatecheck init`: one pre-go-live certification run — health,
//! contract, invariants, load — one report, one exit code.

pub mod config;
pub mod init;
pub mod plan;
pub mod progress;
pub mod run;

pub use plan::{CertifyArgs, OutputFormat, Plan};
pub use run::{certify, run, run_with, Outcome};

/// `gatecheck init` arguments.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write the example configuration.
    #[arg(long, default_value = "gatecheck.toml")]
    pub path: std::path::PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}
