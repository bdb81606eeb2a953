//! The transaction lifecycle (WALLET_API.md §4, §6): each open transaction becomes
//! `SUCCESS` or `FAILED` when it falls due (the engine's due-time schedule), through the
//! store's single settle function (the same one the admin API's forced outcomes use).
//! After a restart the open transactions are loaded again; past-due ones settle at once.

use tokio::sync::watch;

use crate::apis::wallet::sandbox::store::{self, SettleError};
use crate::engine::sandbox::schedule::Schedule;
use crate::engine::sandbox::store::Store;

/// Transactions settled per trip to the store.
const SETTLE_CHUNK: usize = 32;

/// Runs until `stop` flips: settles due transactions; purges expired Idempotency-Keys.
pub async fn run(schedule: Schedule, store: Store, stop: watch::Receiver<bool>) {
    let purge_store = store.clone();
    crate::engine::sandbox::schedule::run(
        schedule,
        stop,
        |due| settle(&store, due),
        || {
            let s = purge_store.clone();
            async move {
                let _ = s.call(|c| Ok(store::purge_expired_keys(c)?)).await;
            }
        },
    )
    .await;
}

/// Settles the due transactions, each in its own savepoint; returns those to try again.
async fn settle(store: &Store, due: Vec<String>) -> Vec<String> {
    let mut retry = Vec::new();
    for chunk in due.chunks(SETTLE_CHUNK) {
        let chunk = chunk.to_vec();
        let ids = chunk.clone();
        let result = store
            .call(move |conn| {
                let mut failed = Vec::new();
                for id in chunk {
                    let outcome = match store::transaction(conn, &id)? {
                        Some(t) if t.is_open() => t.outcome,
                        _ => continue,
                    };
                    if let Err(SettleError::Store(e)) = store::settle(conn, &id, outcome) {
                        tracing::error!(transaction = %id, error = %e, "cannot settle");
                        failed.push(id);
                    }
                }
                Ok(failed)
            })
            .await;
        match result {
            Ok(failed) => retry.extend(failed),
            Err(e) => {
                tracing::error!(error = %e.message, "settling wallet transactions failed");
                retry.extend(ids);
            }
        }
    }
    retry
}
