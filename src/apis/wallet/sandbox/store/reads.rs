//! Transaction reads: one by id, a merchant's own (else `404`), a filtered newest-first
//! page, the open ones, and an operation's room (the race mutants' separate read).

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{Final, Operation, TxFilter, TxRow};
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::store::keyset;

pub(super) const TX_COLUMNS: &str =
    "id, merchant_id, status, order_reference, currency, authorized,
    captured, cancelled, refunded, created_us, updated_us, due_ms, outcome";

fn tx_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TxRow> {
    let outcome: String = r.get(12)?;
    Ok(TxRow {
        id: r.get(0)?,
        merchant_id: r.get(1)?,
        status: r.get(2)?,
        order_reference: r.get(3)?,
        currency: r.get(4)?,
        authorized: r.get(5)?,
        captured: r.get(6)?,
        cancelled: r.get(7)?,
        refunded: r.get(8)?,
        created_us: r.get(9)?,
        updated_us: r.get(10)?,
        due_ms: r.get(11)?,
        outcome: Final::parse(&outcome),
    })
}

/// One transaction by id, of any merchant.
pub fn transaction(conn: &Connection, id: &str) -> rusqlite::Result<Option<TxRow>> {
    conn.prepare_cached(&format!(
        "SELECT {TX_COLUMNS} FROM wallet_transactions WHERE id = ?1"
    ))?
    .query_row([id], tx_from_row)
    .optional()
}

/// A merchant's transaction; `404` for an unknown one or another merchant's (§2).
pub(super) fn owned(conn: &Connection, merchant_id: &str, id: &str) -> Result<TxRow, ApiError> {
    match transaction(conn, id)? {
        Some(t) if t.merchant_id == merchant_id => Ok(t),
        _ => Err(ApiError::not_found("No such wallet transaction")),
    }
}

/// A merchant's transactions newest first, after `(created_us, id)` when given.
pub fn list(
    conn: &Connection,
    merchant_id: &str,
    f: &TxFilter,
    after: Option<(i64, String)>,
    limit: usize,
) -> rusqlite::Result<Vec<TxRow>> {
    let (after_us, after_id) = keyset(after);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TX_COLUMNS} FROM wallet_transactions WHERE merchant_id = ?1
           AND (?2 IS NULL OR order_reference = ?2) AND (?3 IS NULL OR status = ?3)
           AND (?4 IS NULL OR created_us < ?4 OR (created_us = ?4 AND id < ?5))
         ORDER BY created_us DESC, id DESC LIMIT ?6"
    ))?;
    let rows = stmt.query_map(
        params![
            merchant_id,
            f.order_reference,
            f.status,
            after_us,
            after_id,
            limit as i64
        ],
        tx_from_row,
    )?;
    rows.collect()
}

/// Open transactions with their due times (to resume the lifecycle after a restart).
pub fn open_transactions(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare(
        "SELECT due_ms, id FROM wallet_transactions WHERE status IN ('NEW', 'PROCESSING')",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The status and the room an operation has: `remaining` for capture and cancel, what is
/// refundable for a refund (the race mutants' separate read).
pub fn room(
    conn: &Connection,
    merchant_id: &str,
    id: &str,
    operation: Operation,
) -> Result<(String, i64), ApiError> {
    let t = owned(conn, merchant_id, id)?;
    Ok((t.status.clone(), t.room(operation)))
}
