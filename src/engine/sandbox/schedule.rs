//! The due-time heap behind every sandbox lifecycle: ids that fall due at a time in ms, and
//! the loop that hands due ids to the API's `settle` (retrying what it could not settle)
//! and runs its housekeeping once a minute. The API decides what "settle" means.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{watch, Notify};

use crate::engine::sandbox::clock::now_ms;

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
