//! What every API's load transactions do the same way: a fresh `Idempotency-Key` per POST,
//! a note said once per run, a path with its query built before the run, and a poll that
//! reads until the answer is final or its time is up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::HeaderValue;
use tokio::time::Instant;

use crate::engine::load::goose::{LoadUser, Outcome};
use crate::engine::load::recorder::ErrorReason;

/// A fresh `Idempotency-Key`: `prefix-` and a random UUID.
pub fn fresh_key(prefix: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{prefix}-{}", uuid::Uuid::new_v4()))
        .unwrap_or_else(|_| HeaderValue::from_static("gatecheck-load-key"))
}

/// `path`, with `?` and the query's `name=value` pairs (already encoded) when there are any.
pub fn query_path(path: &str, query: &[String]) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// A note the run's report carries once, however many users meet its cause.
#[derive(Debug, Default)]
pub struct NoteOnce(AtomicBool);

impl NoteOnce {
    pub fn note<U: Default + Clone + Send + Sync + 'static>(
        &self,
        user: &LoadUser<'_, U>,
        text: impl FnOnce() -> String,
    ) {
        if !self.0.swap(true, Ordering::Relaxed) {
            user.note(text());
        }
    }
}

/// A poll's clock: reads `interval` apart until `timeout` has passed.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    deadline: Instant,
    interval: Duration,
}

impl Poll {
    pub fn start(interval: Duration, timeout: Duration) -> Poll {
        Poll {
            deadline: Instant::now() + timeout,
            interval,
        }
    }

    /// Whether one more wait from `now` would pass the deadline.
    pub fn out_of_time(&self, now: Instant) -> bool {
        now + self.interval > self.deadline
    }

    /// Waits for the next read; when there is no time for one, the last read's outcome
    /// failed as [`ErrorReason::NotTerminal`].
    pub async fn wait(&self, last: Outcome) -> Result<(), Outcome> {
        if self.out_of_time(Instant::now()) {
            return Err(last.failed(ErrorReason::NotTerminal));
        }
        tokio::time::sleep(self.interval).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::load::recorder::StatusClass;

    #[test]
    fn keys_are_fresh_and_prefixed() {
        let a = fresh_key("run1");
        let b = fresh_key("run1");
        assert_ne!(a, b);
        assert!(a.to_str().unwrap().starts_with("run1-"));
        assert_eq!(a.to_str().unwrap().len(), "run1-".len() + 36);
    }

    #[test]
    fn a_query_is_joined_only_when_there_is_one() {
        assert_eq!(query_path("/x", &[]), "/x");
        assert_eq!(
            query_path("/x", &["limit=5".into(), "status=NEW".into()]),
            "/x?limit=5&status=NEW"
        );
    }

    #[test]
    fn failing_keeps_the_class() {
        let ok = Outcome {
            class: StatusClass::S2xx,
            error: None,
        };
        let failed = ok.failed(ErrorReason::NotTerminal);
        assert_eq!(failed.class, StatusClass::S2xx);
        assert_eq!(failed.error, Some(ErrorReason::NotTerminal));
    }

    #[tokio::test]
    async fn a_poll_stops_when_the_next_wait_would_pass_the_deadline() {
        let poll = Poll::start(Duration::from_millis(1), Duration::from_millis(50));
        assert!(!poll.out_of_time(Instant::now()));
        assert!(poll.out_of_time(Instant::now() + Duration::from_millis(50)));
        let last = Outcome {
            class: StatusClass::S2xx,
            error: None,
        };
        assert_eq!(poll.wait(last).await, Ok(()));
        let over = Poll::start(Duration::from_millis(10), Duration::ZERO);
        assert_eq!(
            over.wait(last).await,
            Err(last.failed(ErrorReason::NotTerminal))
        );
    }
}
