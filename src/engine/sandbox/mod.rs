//! Sandbox plumbing shared by every API's embedded sandbox: the SQLite store thread with
//! group commit, the HTTP edge (mounts, rendering, the 415 rule), the error model and its
//! rendering, keys and the rate limiter, idempotency, cursors, request parsing, replies,
//! fault injection, the due-time schedule and the clock.

pub mod admin;
pub mod auth;
pub mod clock;
pub mod edge;
pub mod errors;
pub mod faults;
pub mod idempotency;
pub mod pagination;
pub mod precedence;
pub mod reply;
pub mod request;
pub mod schedule;
pub mod serve;
pub mod store;
