//! The Wallet's contract checks, one file per family; each names its `WALLET_API.md`
//! section. What a check *is* lives in `engine::contract::check`.

pub mod auth;
pub mod fields;
pub mod lists;
pub mod objects;
pub mod operations;
pub mod precedence;
pub mod transport;

pub use crate::engine::contract::check::{
    excerpt, expect_error, Check, ExpectError, Param, Run, Skip,
};
use crate::engine::model::Finding;

use super::context::Sent;

/// Compares an answer with the expected Error; `None` when it matches — or when the
/// target answered 429 even after waiting (a rate limit is never a finding).
pub fn expect(
    check: &Check,
    what: &str,
    sent: &Sent,
    status: u16,
    code: &'static str,
    param: Param,
) -> Option<Finding> {
    if matches!(sent, Ok(o) if o.status() == 429) {
        return None;
    }
    expect_error(check, what, sent, &ExpectError::new(status, code, param))
}

/// `400 invalid_request` naming `param`.
pub fn invalid(check: &Check, what: &str, sent: &Sent, param: &str) -> Option<Finding> {
    expect(check, what, sent, 400, "invalid_request", Param::is(param))
}

/// Expects a given success status; a finding otherwise (429 excepted).
pub fn expect_status(check: &Check, what: &str, sent: &Sent, status: u16) -> Option<Finding> {
    match sent {
        Err(e) => Some(check.no_response(e)),
        Ok(o) if o.status() == status || o.status() == 429 => None,
        Ok(o) => Some(check.finding(
            format!("{what}: wrong answer"),
            status.to_string(),
            format!("{} {}", o.status(), o.exchange.body_excerpt()),
            Some(o),
        )),
    }
}
