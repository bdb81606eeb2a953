//! Order reads: one order, a filtered newest-first page, the pending ones.

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{OrderFilter, OrderRow, Outcome};
use crate::engine::sandbox::store::keyset;

pub(super) const ORDER_COLUMNS: &str =
    "id, agent_id, product_id, product_kind, quantity, external_ref, idempotency_key,
    status, order_content, currency, charged_minor, before_minor, after_minor, is_test, moves_money,
    region_code, created_us, completed_us, failed_us, due_ms, outcome";

fn order_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderRow> {
    let outcome: String = r.get(20)?;
    Ok(OrderRow {
        id: r.get(0)?,
        agent_id: r.get(1)?,
        product_id: r.get(2)?,
        product_kind: r.get(3)?,
        quantity: r.get(4)?,
        external_ref: r.get(5)?,
        idempotency_key: r.get(6)?,
        status: r.get(7)?,
        order_content: r.get(8)?,
        currency: r.get(9)?,
        charged_minor: r.get(10)?,
        before_minor: r.get(11)?,
        after_minor: r.get(12)?,
        is_test: r.get(13)?,
        moves_money: r.get(14)?,
        region_code: r.get(15)?,
        created_us: r.get(16)?,
        completed_us: r.get(17)?,
        failed_us: r.get(18)?,
        due_ms: r.get(19)?,
        outcome: Outcome::parse(&outcome),
    })
}

/// One order by id, of any agent.
pub fn order(conn: &Connection, id: &str) -> rusqlite::Result<Option<OrderRow>> {
    conn.prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"))?
        .query_row([id], order_from_row)
        .optional()
}

/// Orders newest first, after `(created_us, id)` when given; at most `limit` rows.
pub fn list_orders(
    conn: &Connection,
    agent_id: &str,
    f: &OrderFilter,
    after: Option<(i64, String)>,
    limit: usize,
) -> rusqlite::Result<Vec<OrderRow>> {
    let (after_us, after_id) = keyset(after);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE agent_id = ?1
           AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR external_ref = ?3)
           AND (?4 IS NULL OR created_us >= ?4) AND (?5 IS NULL OR created_us <= ?5)
           AND (?6 IS NULL OR created_us < ?6 OR (created_us = ?6 AND id < ?7))
         ORDER BY created_us DESC, id DESC LIMIT ?8"
    ))?;
    let rows = stmt.query_map(
        params![
            agent_id,
            f.status,
            f.external_ref,
            f.from_us,
            f.to_us,
            after_us,
            after_id,
            limit as i64
        ],
        order_from_row,
    )?;
    rows.collect()
}

/// Pending orders with their due times (for resuming the lifecycle after a restart).
pub fn pending_orders(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare("SELECT due_ms, id FROM orders WHERE status = 'pending'")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}
