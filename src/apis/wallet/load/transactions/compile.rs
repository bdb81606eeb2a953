//! Compiling: each scenario transaction's fixed request (the list path with its query),
//! joined once before the run.

use std::sync::Arc;

use super::{WalletLoad, WalletTx};
use crate::apis::wallet::load::scenario::{Action, TransactionSpec};
use crate::apis::wallet::wire::{self, WalletStatus};
use crate::engine::load::attack::Compiled;
use crate::engine::load::goose::Endpoint;
use crate::engine::load::txn::query_path;

/// Builds each transaction's fixed requests.
pub fn compile(specs: &[TransactionSpec], load: &Arc<WalletLoad>) -> Vec<Compiled<WalletTx>> {
    specs
        .iter()
        .map(|spec| {
            let list = match &spec.action {
                Action::ListTransactions { limit, status } => Some(Endpoint::new(
                    load.base_url.as_ref(),
                    list_path(*limit, *status),
                )),
                _ => None,
            };
            Compiled {
                name: spec.name.clone(),
                weight: spec.weight,
                tx: Arc::new(WalletTx {
                    load: load.clone(),
                    action: spec.action.clone(),
                    list,
                }),
            }
        })
        .collect()
}

/// `GET /v1/wallet/transactions/` with its `limit` and `status` filters.
fn list_path(limit: Option<u32>, status: Option<WalletStatus>) -> String {
    let mut query = Vec::new();
    if let Some(l) = limit {
        query.push(format!("limit={l}"));
    }
    if let Some(s) = status {
        query.push(format!("status={}", s.as_str()));
    }
    query_path(wire::LIST_PATH, &query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_path_carries_its_filters() {
        assert_eq!(list_path(None, None), wire::LIST_PATH);
        assert_eq!(
            list_path(Some(20), Some(WalletStatus::Success)),
            format!("{}?limit=20&status=SUCCESS", wire::LIST_PATH)
        );
        assert_eq!(
            list_path(None, Some(WalletStatus::New)),
            format!("{}?status=NEW", wire::LIST_PATH)
        );
    }
}
