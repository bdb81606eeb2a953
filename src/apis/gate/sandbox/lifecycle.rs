//! The order lifecycle (contract §5.3, §9.1): moves each pending order to `completed` or
//! `failed` when it falls due (the engine's due-time [`Schedule`]), through the store's
//! single transition function (the same one the admin API's forced transitions use).
//! After a restart the pending orders are loaded again; past-due ones are settled at once.

use tokio::sync::watch;

use crate::apis::gate::sandbox::mutants::Mutant;
use crate::apis::gate::sandbox::store::{self, Store, TransitionError};
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

/// Orders settled per trip to the store: the connection is released between chunks so
/// order creation is never held up behind a long batch of completions.
const SETTLE_CHUNK: usize = 32;

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
