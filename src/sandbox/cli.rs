//! `gatecheck sandbox` arguments (placeholder).
use crate::{Exit, GateError};

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {}

pub async fn run(_args: SandboxArgs) -> Result<Exit, GateError> {
    Err(GateError::Config("the sandbox is not built yet".into()))
}
