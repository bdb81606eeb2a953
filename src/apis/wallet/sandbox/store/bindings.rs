//! Idempotency-Key bindings (§5): a key binds to the transaction and the amount of the
//! first answer; the same payload replays it, another payload is `422`.

use rusqlite::{params, Connection, OptionalExtension};

use super::reads::transaction;
use super::rows::TxRow;
use crate::apis::wallet::sandbox::mutants::WalletMutant;
use crate::engine::sandbox::clock::now_ms;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::store::{live_since_ms, purge_bindings, KeyUse};

/// A live key binding: (payload hash, transaction id, operation, amount).
struct Binding {
    payload_hash: String,
    transaction_id: String,
    amount: i64,
}

fn binding(conn: &Connection, merchant_id: &str, key: &str) -> rusqlite::Result<Option<Binding>> {
    conn.prepare_cached(
        "SELECT payload_hash, transaction_id, amount FROM wallet_idempotency
         WHERE merchant_id = ?1 AND key = ?2 AND created_ms > ?3",
    )?
    .query_row(params![merchant_id, key, live_since_ms()], |r| {
        Ok(Binding {
            payload_hash: r.get(0)?,
            transaction_id: r.get(1)?,
            amount: r.get(2)?,
        })
    })
    .optional()
}

/// Whether a live binding exists (for the race mutant's separate lookup).
pub fn is_bound(conn: &Connection, merchant_id: &str, key: &str) -> rusqlite::Result<bool> {
    Ok(binding(conn, merchant_id, key)?.is_some())
}

pub(super) fn bind(
    conn: &Connection,
    merchant_id: &str,
    k: &KeyUse,
    transaction_id: &str,
    operation: &str,
    amount: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO wallet_idempotency
         (merchant_id, key, payload_hash, transaction_id, operation, amount, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        merchant_id,
        k.key,
        k.payload_hash,
        transaction_id,
        operation,
        amount,
        now_ms()
    ])?;
    Ok(())
}

/// Removes bindings older than the retention period.
pub fn purge_expired_keys(conn: &Connection) -> rusqlite::Result<usize> {
    purge_bindings(conn, "wallet_idempotency")
}

/// The key's earlier answer, when it has one: a replay (same payload) or `422`.
pub(super) fn replay(
    conn: &Connection,
    merchant_id: &str,
    key: &KeyUse,
    mutant: Option<WalletMutant>,
) -> Result<Option<(TxRow, i64)>, ApiError> {
    let Some(bound) = binding(conn, merchant_id, &key.key)? else {
        return Ok(None);
    };
    // MUTANT HOOK (wallet-mismatch-replays): another payload replays the first answer.
    if bound.payload_hash != key.payload_hash && mutant != Some(WalletMutant::MismatchReplays) {
        return Err(ApiError::idempotency_mismatch());
    }
    let tx = transaction(conn, &bound.transaction_id)?
        .ok_or_else(|| ApiError::internal("an idempotency binding points at no transaction"))?;
    Ok(Some((tx, bound.amount)))
}
