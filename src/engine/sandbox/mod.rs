//! Sandbox plumbing shared by every API's embedded sandbox: the error model and its
//! rendering, keys and the rate limiter, idempotency, cursors, request parsing, replies and
//! the clock.

pub mod auth;
pub mod clock;
pub mod errors;
pub mod idempotency;
pub mod pagination;
pub mod reply;
pub mod request;
pub mod serve;
