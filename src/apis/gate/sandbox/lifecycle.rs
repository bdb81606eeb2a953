//! The order lifecycle (contract §5.3, §9.1): moves each pending order to `completed` or
//! `failed` when it falls due (the engine's due-time [`Schedule`]), through the store's
//! single transition function (the same one the admin API's forced transitions use).
//! After a restart the pending orders are loaded again; past-due ones are settled at once.

use tokio::sync::watch;

use crate::apis::gate::sandbox::mutants::Mutant;
use crate::apis::gate::sandbox::store::{self, Store, TransitionError};
use crate::engine::sandbox::schedule::settle_in_chunks;
pub use crate::engine::sandbox::schedule::Schedule;

/// Runs until `stop` flips: settles due orders; purges expired Idempotency-Keys.
pub async fn run(
    schedule: Schedule,
    store: Store,
    mutant: Option<Mutant>,
    stop: watch::Receiver<bool>,
) {
    let purge_store = store.clone();
    crate::engine::sandbox::schedule::run(
        schedule,
        stop,
        |due| settle(&store, due, mutant),
        || {
            let s = purge_store.clone();
            async move {
                let _ = s.call(|c| Ok(store::purge_expired_keys(c)?)).await;
            }
        },
    )
    .await;
}

/// Settles the due orders, each in its own transaction; returns those to try again.
async fn settle(store: &Store, due: Vec<String>, mutant: Option<Mutant>) -> Vec<String> {
    settle_in_chunks(store, due, "order", move |conn, id| {
        let outcome = match store::order(conn, id)? {
            Some(o) if o.is_pending() => o.outcome,
            _ => return Ok(Ok(())),
        };
        Ok(match store::transition(conn, id, outcome, mutant) {
            Err(TransitionError::Store(e)) => Err(e),
            Ok(_) | Err(TransitionError::NotFound) | Err(TransitionError::Terminal) => Ok(()),
        })
    })
    .await
}
