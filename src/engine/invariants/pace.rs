//! Pacing: a `429` is never a finding. The client's pacer (`engine::client::pace`) already
//! waits out every `429` of a paced request within its budgets; a `429` that still comes
//! back here was given up on, and the request did not run: [`PaceError::RateLimited`], so
//! the caller ends its case inconclusive. (No second retry loop on top of the pacer's: that
//! made one request wait up to eight budgets.)

use crate::engine::client::{Exchange, RequestBuilder, TransportError};

/// Why a paced request never ran.
#[derive(Debug, thiserror::Error)]
pub enum PaceError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("still rate limited (429) past the pacing budget: {0}")]
    RateLimited(String),
}

/// Sends the request `make` builds; a `429` (the pacer's budget spent) is an error.
pub async fn send<'a>(make: impl Fn() -> RequestBuilder<'a>) -> Result<Exchange, PaceError> {
    let ex = make().send().await?;
    if ex.status == 429 {
        return Err(PaceError::RateLimited(ex.label()));
    }
    Ok(ex)
}
