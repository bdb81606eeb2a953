//! Pacing: a `429` is never a finding. A request answered `429` did not run; it is sent
//! again after its `Retry-After` (whole seconds, at least 1, at most [`MAX_WAIT`]), up to
//! [`TRIES`] times. The 429s are not returned: the caller sees the request that ran.

use std::time::Duration;

use crate::engine::client::{Exchange, RequestBuilder, TransportError};

/// Sends of one request at most.
pub const TRIES: u32 = 8;
/// The longest single wait.
pub const MAX_WAIT: Duration = Duration::from_secs(5);

/// Why a paced request never ran.
#[derive(Debug, thiserror::Error)]
pub enum PaceError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("still rate limited (429) after {TRIES} tries: {0}")]
    RateLimited(String),
}

/// How long a `429` asks to wait.
pub fn retry_after(ex: &Exchange) -> Duration {
    let secs = ex
        .header("Retry-After")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    Duration::from_secs(secs).min(MAX_WAIT)
}

/// Sends the request `make` builds until it is answered with anything but `429`.
pub async fn send<'a>(make: impl Fn() -> RequestBuilder<'a>) -> Result<Exchange, PaceError> {
    let mut last = None;
    for _ in 0..TRIES {
        let ex = make().send().await?;
        if ex.status != 429 {
            return Ok(ex);
        }
        tokio::time::sleep(retry_after(&ex)).await;
        last = Some(ex);
    }
    Err(PaceError::RateLimited(
        last.map(|e| e.label()).unwrap_or_default(),
    ))
}
