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

use super::context::{Sent, WObserved};

/// A finding that says only "this answer was a `429`": the check it lands in becomes
/// inconclusive ([`Check::result`]); `None` for any other answer.
pub fn rate_limited(check: &Check, what: &str, o: &WObserved) -> Option<Finding> {
    (o.status() == 429).then(|| {
        check.finding(
            format!("{what}: rate limited past the retry budget"),
            "an answer that is not 429",
            "429",
            Some(o),
        )
    })
}

/// Compares an answer with the expected Error; `None` when it matches. A `429` the client
/// gave up waiting out is returned as a finding resting on it, which [`Check::result`]
/// turns into an *inconclusive* check (a skip), never a failure — and never a silent pass.
pub fn expect(
    check: &Check,
    what: &str,
    sent: &Sent,
    status: u16,
    code: &'static str,
    param: Param,
) -> Option<Finding> {
    expect_error(check, what, sent, &ExpectError::new(status, code, param))
}

/// `400 invalid_request` naming `param`.
pub fn invalid(check: &Check, what: &str, sent: &Sent, param: &str) -> Option<Finding> {
    expect(check, what, sent, 400, "invalid_request", Param::is(param))
}

/// Expects a given success status; a finding otherwise (one resting on a given-up `429`
/// makes the check inconclusive, see [`expect`]).
pub fn expect_status(check: &Check, what: &str, sent: &Sent, status: u16) -> Option<Finding> {
    match sent {
        Err(e) => Some(check.no_response(e)),
        Ok(o) if o.status() == status => None,
        Ok(o) => Some(check.finding(
            format!("{what}: wrong answer"),
            status.to_string(),
            format!("{} {}", o.status(), o.exchange.body_excerpt()),
            Some(o),
        )),
    }
}
