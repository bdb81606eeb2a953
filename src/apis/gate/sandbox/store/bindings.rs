//! Idempotency-Key bindings (§5.2): a key binds to the order it created (or, under the
//! `error-binds-key` mutant, to a failure) for [`KEY_RETENTION_MS`].
//!
//! [`KEY_RETENTION_MS`]: crate::engine::sandbox::store::KEY_RETENTION_MS

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::Binding;
use crate::engine::sandbox::clock::now_ms;
use crate::engine::sandbox::store::{live_since_ms, purge_bindings, KeyUse};

/// The live binding of an Idempotency-Key (expired bindings count as absent).
pub fn binding(conn: &Connection, agent_id: &str, key: &str) -> rusqlite::Result<Option<Binding>> {
    conn.prepare_cached(
        "SELECT payload_hash, order_id FROM idempotency WHERE agent_id = ?1 AND key = ?2 AND created_ms > ?3",
    )?
    .query_row(params![agent_id, key, live_since_ms()], |r| {
        Ok(Binding { payload_hash: r.get(0)?, order_id: r.get(1)? })
    })
    .optional()
}

pub(super) fn bind_key(
    conn: &Connection,
    agent_id: &str,
    k: &KeyUse,
    order_id: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO idempotency (agent_id, key, payload_hash, order_id, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![agent_id, k.key, k.payload_hash, order_id, now_ms()])?;
    Ok(())
}

/// Removes bindings older than the retention period.
pub fn purge_expired_keys(conn: &Connection) -> rusqlite::Result<usize> {
    purge_bindings(conn, "idempotency")
}
