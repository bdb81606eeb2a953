//! Invariants plumbing shared by every API: the stateful runner over an API's
//! [`runner::Machine`] (cases from seeds, shrinking by replay), reproduction scripts, and
//! persisted failing seeds.

pub mod admin;
pub mod book;
pub mod cli;
pub mod options;
pub mod pace;
pub mod persist;
pub mod probe;
pub mod runner;
pub mod script;
pub mod stats;
