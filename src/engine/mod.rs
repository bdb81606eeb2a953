//! The engine: everything gatecheck does that is true of any HTTP API it certifies.
//!
//! **Invariant:** the engine imports no API (`crate::apis`), and no command layer
//! (`crate::cli`, `crate::certify`). An API plugs in by handing the engine its facts
//! (schemas, auth scheme, identity, an embedded-sandbox launcher); `tests/engine/arrows.rs`
//! enforces the rule over the imports.

pub mod bounds;
pub mod client;
pub mod contract;
pub mod dialect;
pub mod exit;
pub mod invariants;
pub mod load;
pub mod model;
pub mod names;
pub mod output;
pub mod report;
pub mod sandbox;
pub mod schema;
pub mod spend;
pub mod target;

pub use exit::{Exit, GateError};
