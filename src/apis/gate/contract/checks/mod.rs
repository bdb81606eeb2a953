//! The Gate's contract checks, one file per family. What a check *is* (id, section,
//! severity, skip-or-run) lives in `engine::contract::check`, shared with every API.

pub mod admin;
pub mod agreement;
pub mod auth;
pub mod deposits;
pub mod filters;
pub mod format;
pub mod health;
pub mod money;
pub mod negative;
pub mod orders;
pub mod pagination;
pub mod products;
pub mod rate_limit;
pub mod schema;
pub mod transport;

pub use crate::engine::contract::check::{
    excerpt, expect_error, timed, Check, ExpectError, Param, Run, Skip,
};
