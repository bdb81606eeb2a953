//! The order lifecycle (contract §5.3, §9.1): a background scheduler that moves each
//! pending order to `completed` or `failed` when it falls due, through the store's single
//! transition function (the same one the admin API's forced transitions use). After a
//! restart the pending orders are loaded again; past-due ones are settled at once.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{watch, Notify};

use crate::apis::gate::sandbox::mutants::Mutant;
use crate::apis::gate::sandbox::store::{self, Store, TransitionError};
use crate::engine::sandbox::clock::now_ms;

/// (due time in ms, order id), earliest first.
type DueQueue = BinaryHeap<Reverse<(i64, String)>>;

/// Due orders, earliest first.
#[derive(Debug, Default, Clone)]
pub struct Schedule {
    queue: Arc<Mutex<DueQueue>>,
    wake: Arc<Notify>,
}

impl Schedule {
    pub fn add(&self, due_ms: i64, order_id: String) {
        let earliest = {
            let mut q = self.queue.lock();
            let earlier = q.peek().is_none_or(|Reverse((d, _))| due_ms < *d);
            q.push(Reverse((due_ms, order_id)));
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

/// Runs until `stop` flips: settles due orders, sleeping until the next one is due.
pub async fn run(
    schedule: Schedule,
    store: Store,
    mutant: Option<Mutant>,
    mut stop: watch::Receiver<bool>,
) {
    let mut purge_at = now_ms();
    loop {
        if *stop.borrow() {
            return;
        }
        let now = now_ms();
        let due = schedule.take_due(now);
        if !due.is_empty() {
            for id in settle(&store, due, mutant).await {
                schedule.add(now_ms() + RETRY_MS, id);
            }
            continue;
        }
        if now >= purge_at {
            purge_at = now + 60_000;
            let _ = store.call(|c| Ok(store::purge_expired_keys(c)?)).await;
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

/// Orders settled per trip to the store: the connection is released between chunks so
/// order creation is never held up behind a long batch of completions.
const SETTLE_CHUNK: usize = 32;

/// When settling fails in the store, the order is tried again this much later.
const RETRY_MS: i64 = 1000;

/// Settles the due orders, each in its own transaction; returns those to try again.
async fn settle(store: &Store, due: Vec<String>, mutant: Option<Mutant>) -> Vec<String> {
    let mut retry = Vec::new();
    for chunk in due.chunks(SETTLE_CHUNK) {
        let chunk = chunk.to_vec();
        let ids = chunk.clone();
        let result = store
            .call(move |conn| {
                let mut failed = Vec::new();
                for id in chunk {
                    let outcome = match store::order(conn, &id)? {
                        Some(o) if o.is_pending() => o.outcome,
                        _ => continue,
                    };
                    match store::transition(conn, &id, outcome, mutant) {
                        Ok(_) | Err(TransitionError::NotFound) | Err(TransitionError::Terminal) => {
                        }
                        Err(TransitionError::Store(e)) => {
                            tracing::error!(order = %id, error = %e, "cannot settle order");
                            failed.push(id);
                        }
                    }
                }
                Ok(failed)
            })
            .await;
        match result {
            Ok(failed) => retry.extend(failed),
            Err(e) => {
                tracing::error!(error = %e.message, "settling orders failed");
                retry.extend(ids);
            }
        }
    }
    retry
}
