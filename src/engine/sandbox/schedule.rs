//! The due-time heap behind every sandbox lifecycle: ids that fall due at a time in ms, and
//! the loop that hands due ids to the API's `settle` (retrying what it could not settle)
//! and runs its housekeeping once a minute. The API decides what "settle" means.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::Connection;
use tokio::sync::{watch, Notify};

use crate::engine::sandbox::clock::now_ms;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::store::Store;

/// (due time in ms, id), earliest first.
type DueQueue = BinaryHeap<Reverse<(i64, String)>>;

/// Due ids, earliest first.
#[derive(Debug, Default, Clone)]
pub struct Schedule {
    queue: Arc<Mutex<DueQueue>>,
    wake: Arc<Notify>,
}

impl Schedule {
    pub fn add(&self, due_ms: i64, id: String) {
        let earliest = {
            let mut q = self.queue.lock();
            let earlier = q.peek().is_none_or(|Reverse((d, _))| due_ms < *d);
            q.push(Reverse((due_ms, id)));
            earlier
        };
        if earliest {
            self.wake.notify_one();
        }
    }

    fn next_due(&self) -> Option<i64> {
        self.queue.lock().peek().map(|Reverse((d, _))| *d)
    }

    fn take_due(&self, now: i64) -> Vec<String> {
        let mut q = self.queue.lock();
        let mut due = Vec::new();
        while let Some(Reverse((d, _))) = q.peek() {
            if *d > now {
                break;
            }
            if let Some(Reverse((_, id))) = q.pop() {
                due.push(id);
            }
        }
        due
    }
}

/// When settling fails, the id is tried again this much later.
const RETRY_MS: i64 = 1000;

/// Runs until `stop` flips: hands due ids to `settle` (which returns those to retry),
/// sleeping until the next is due; runs `housekeeping` at start and once a minute.
pub async fn run<S, SF, H, HF>(
    schedule: Schedule,
    mut stop: watch::Receiver<bool>,
    settle: S,
    housekeeping: H,
) where
    S: Fn(Vec<String>) -> SF,
    SF: Future<Output = Vec<String>>,
    H: Fn() -> HF,
    HF: Future<Output = ()>,
{
    let mut housekeeping_at = now_ms();
    loop {
        if *stop.borrow() {
            return;
        }
        let now = now_ms();
        let due = schedule.take_due(now);
        if !due.is_empty() {
            for id in settle(due).await {
                schedule.add(now_ms() + RETRY_MS, id);
            }
            continue;
        }
        if now >= housekeeping_at {
            housekeeping_at = now + 60_000;
            housekeeping().await;
        }
        let sleep = match schedule.next_due() {
            Some(d) => Duration::from_millis(u64::try_from(d - now).unwrap_or(0).min(60_000)),
            None => Duration::from_secs(60),
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = schedule.wake.notified() => {}
            _ = stop.changed() => {}
        }
    }
}

/// Ids settled per trip to the store: the connection is released between chunks so the
/// API's own writes are never held up behind a long batch of settlements.
const SETTLE_CHUNK: usize = 32;

/// Settles due ids in chunks, each id through the API's `settle_one` (its own savepoint):
/// `Ok(Ok(()))` settled or nothing to do; `Ok(Err(_))` that id failed (logged, retried);
/// `Err(_)` the chunk failed (all of it retried). `what` names the ids in the log.
/// Returns the ids to try again.
pub async fn settle_in_chunks<F>(
    store: &Store,
    due: Vec<String>,
    what: &'static str,
    settle_one: F,
) -> Vec<String>
where
    F: Fn(&mut Connection, &str) -> Result<Result<(), rusqlite::Error>, ApiError>
        + Clone
        + Send
        + 'static,
{
    let mut retry = Vec::new();
    for chunk in due.chunks(SETTLE_CHUNK) {
        let chunk = chunk.to_vec();
        let ids = chunk.clone();
        let settle_one = settle_one.clone();
        let result = store
            .call(move |conn| {
                let mut failed = Vec::new();
                for id in chunk {
                    if let Err(e) = settle_one(conn, &id)? {
                        tracing::error!(what, id = %id, error = %e, "cannot settle");
                        failed.push(id);
                    }
                }
                Ok(failed)
            })
            .await;
        match result {
            Ok(failed) => retry.extend(failed),
            Err(e) => {
                tracing::error!(what, error = %e.message, "settling failed");
                retry.extend(ids);
            }
        }
    }
    retry
}
