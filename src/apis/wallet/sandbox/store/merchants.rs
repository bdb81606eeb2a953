//! Merchants and their keys: the default merchant of §6 and the admin API's merchants.

use rusqlite::{params, Connection, OptionalExtension};

use crate::engine::sandbox::clock::now_us;
use crate::engine::sandbox::store::{atomic, meta, new_uuid, random_token, set_meta};

/// The currencies a merchant accepts when none are named (§6).
pub const DEFAULT_CURRENCIES: [&str; 3] = ["KZT", "USD", "EUR"];

/// A merchant: its id and the currencies it accepts.
#[derive(Debug, Clone)]
pub struct Merchant {
    pub id: String,
    pub currencies: Vec<String>,
}

fn insert_merchant(conn: &Connection, currencies: &[String]) -> rusqlite::Result<(String, String)> {
    let id = new_uuid();
    let now = now_us();
    conn.execute(
        "INSERT INTO wallet_merchants (id, currencies, created_us) VALUES (?1, ?2, ?3)",
        params![id, currencies.join(","), now],
    )?;
    let key = insert_key(conn, &id)?;
    Ok((id, key))
}

fn insert_key(conn: &Connection, merchant_id: &str) -> rusqlite::Result<String> {
    let key = random_token("mk_sandbox_");
    conn.execute(
        "INSERT INTO wallet_keys (key, merchant_id, created_us) VALUES (?1, ?2, ?3)",
        params![key, merchant_id, now_us()],
    )?;
    Ok(key)
}

/// The default merchant (§6): created on an empty store, found on an existing one (with
/// a fresh key when all of its keys were revoked).
pub fn ensure_default_merchant(conn: &mut Connection) -> rusqlite::Result<(String, String)> {
    let tx = atomic(conn)?;
    let result = match meta(&tx, "default_merchant")? {
        None => {
            let all: Vec<String> = DEFAULT_CURRENCIES.iter().map(|c| c.to_string()).collect();
            let (id, key) = insert_merchant(&tx, &all)?;
            set_meta(&tx, "default_merchant", &id)?;
            (id, key)
        }
        Some(id) => {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT key FROM wallet_keys WHERE merchant_id = ?1 AND revoked = 0
                     ORDER BY created_us LIMIT 1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            let key = match existing {
                Some(k) => k,
                None => insert_key(&tx, &id)?,
            };
            (id, key)
        }
    };
    tx.commit()?;
    Ok(result)
}

pub fn create_merchant(
    conn: &mut Connection,
    currencies: &[String],
) -> rusqlite::Result<(String, String)> {
    let tx = atomic(conn)?;
    let made = insert_merchant(&tx, currencies)?;
    tx.commit()?;
    Ok(made)
}

/// A fresh key for a merchant; `None` when there is no such merchant.
pub fn add_key(conn: &Connection, merchant_id: &str) -> rusqlite::Result<Option<String>> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM wallet_merchants WHERE id = ?1",
            [merchant_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Ok(None);
    }
    insert_key(conn, merchant_id).map(Some)
}

/// Revokes a merchant key; `false` when no such key exists. Revoking twice is fine.
pub fn revoke_key(conn: &Connection, key: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("UPDATE wallet_keys SET revoked = 1 WHERE key = ?1", [key])? > 0)
}

/// Every merchant.
pub fn merchants(conn: &Connection) -> rusqlite::Result<Vec<Merchant>> {
    let mut stmt = conn.prepare("SELECT id, currencies FROM wallet_merchants")?;
    let rows = stmt.query_map([], |r| {
        let list: String = r.get(1)?;
        Ok(Merchant {
            id: r.get(0)?,
            currencies: list
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
        })
    })?;
    rows.collect()
}

/// Every merchant key: (key, merchant, revoked).
pub fn keys(conn: &Connection) -> rusqlite::Result<Vec<(String, String, bool)>> {
    let mut stmt = conn.prepare("SELECT key, merchant_id, revoked FROM wallet_keys")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}
