//! The Plexy Gate API (`GATE_API.md`): its money and wire types, schemas, contract checks,
//! invariants, load transactions and embedded sandbox.

pub mod admin;
pub mod catalog;
pub mod charge;
pub mod client;
pub mod contract;
pub mod invariants;
pub mod ledger;
pub mod load;
pub mod money;
pub mod pricing;
pub mod sandbox;
pub mod schemas;
pub mod wire;

use std::path::Path;
use std::sync::Arc;

use crate::engine::client::Identity;
use crate::engine::exit::GateError;
use crate::engine::schema::openapi::OpenApi;
use crate::engine::target::TargetProfile;

/// The Gate's OpenAPI document, loaded once per run: `--schemas DIR`, else the embedded
/// one. Its routes, methods, statuses and success bodies drive the contract's
/// classification and traffic rules.
pub fn openapi(dir: Option<&Path>) -> Result<Arc<OpenApi>, GateError> {
    OpenApi::load(&schemas::BUNDLE, dir)
        .map(Arc::new)
        .map_err(|e| GateError::Config(format!("schemas: {e}")))
}

/// The Gate as a target: callers are agents named by a UUID; `/health` answers anyone.
#[derive(Debug, Clone, Copy)]
pub struct GateProfile;

/// The Gate's target profile, handed to `TargetArgs::resolve`.
pub static GATE: GateProfile = GateProfile;

impl TargetProfile for GateProfile {
    fn identity(&self, value: Option<&str>) -> Result<Identity, GateError> {
        let agent_id = value.ok_or_else(|| {
            GateError::Config("--agent-id is required with --base-url".to_string())
        })?;
        if uuid::Uuid::parse_str(agent_id).is_err() {
            return Err(GateError::Config(format!(
                "--agent-id `{agent_id}` is not a UUID"
            )));
        }
        Ok(client::agent_identity(&agent_id.to_ascii_lowercase()))
    }

    fn health_path(&self) -> &'static str {
        "/health"
    }
}
