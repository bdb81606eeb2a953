//! Where a client's exchanges go besides the caller: a run hands every client one
//! [`ExchangeJournal`] (the HAR writer, `engine::report::har`) and each exchange gets the
//! index of its entry, which its evidence then cites.
//!
//! **Invariant:** a journal only keeps what it is given; it never judges a response.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::HeaderMap;

use super::exchange::SentRequest;
use super::secret::Masker;

/// One request as the journal sees it: sent, and answered or not.
pub struct Recorded<'a> {
    pub base_url: &'a str,
    pub request: &'a SentRequest,
    /// Wall-clock time the request was sent.
    pub started: SystemTime,
    pub answer: Answer<'a>,
    /// The client's masker: every secret it knows must be masked in what is kept.
    pub masker: &'a Masker,
}

/// What came back.
pub enum Answer<'a> {
    Response {
        status: u16,
        version: http::Version,
        headers: &'a HeaderMap,
        body: &'a Bytes,
        /// Time to the response head, then to the end of the body.
        wait: Duration,
        receive: Duration,
    },
    /// No HTTP response (timeout, refused connection); the error, already masked.
    Failed { error: String, elapsed: Duration },
}

/// Keeps the exchanges of a run. Shared by every client of the run (`Arc`), called from
/// many tasks at once.
pub trait ExchangeJournal: Send + Sync + std::fmt::Debug {
    /// Keeps one exchange and returns its entry index, or `None` when it was not kept
    /// (the journal is full or failed).
    fn record(&self, exchange: &Recorded<'_>) -> Option<usize>;
}
