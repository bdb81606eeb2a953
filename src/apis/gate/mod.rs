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
use crate::engine::target::{TargetError, TargetProfile};

/// The Gate's OpenAPI document, loaded once per run: `--schemas DIR`, else the embedded
/// one. Its routes, methods, statuses and success bodies drive the contract's
/// classification and traffic rules.
pub fn openapi(dir: Option<&Path>) -> Result<Arc<OpenApi>, GateError> {
    Ok(Arc::new(OpenApi::load(&schemas::BUNDLE, dir)?))
}

/// The Gate as a target: callers are agents named by a UUID; `/health` answers anyone.
#[derive(Debug, Clone, Copy)]
pub struct GateProfile;

/// The Gate's target profile, handed to `TargetArgs::resolve`.
pub static GATE: GateProfile = GateProfile;

impl TargetProfile for GateProfile {
    fn identity(&self, value: Option<&str>) -> Result<Identity, TargetError> {
        const FLAG: &str = "--agent-id";
        let agent_id = value.ok_or(TargetError::MissingIdentity { flag: FLAG })?;
        if uuid::Uuid::parse_str(agent_id).is_err() {
            return Err(TargetError::BadIdentity {
                flag: FLAG,
                value: agent_id.to_string(),
                expected: "a UUID",
            });
        }
        Ok(client::agent_identity(&agent_id.to_ascii_lowercase()))
    }

    fn health_path(&self) -> &'static str {
        "/health"
    }
}
