//! The transaction lifecycle (WALLET_API.md §4, §6): each open transaction becomes
//! `SUCCESS` or `FAILED` when it falls due (the engine's due-time schedule), through the
//! store's single settle function (the same one the admin API's forced outcomes use).
//! After a restart the open transactions are loaded again; past-due ones settle at once.

use tokio::sync::watch;

use crate::apis::wallet::sandbox::store::{self, SettleError};
use crate::engine::sandbox::schedule::{settle_in_chunks, Schedule};
use crate::engine::sandbox::store::Store;

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
    settle_in_chunks(store, due, "wallet transaction", |conn, id| {
        let outcome = match store::transaction(conn, id)? {
            Some(t) if t.is_open() => t.outcome,
            _ => return Ok(Ok(())),
        };
        Ok(match store::settle(conn, id, outcome) {
            Err(SettleError::Store(e)) => Err(e),
            _ => Ok(()),
        })
    })
    .await
}
