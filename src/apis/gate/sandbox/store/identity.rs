//! Agents and their API keys: the default identity of §9.3, and the admin API's agents.

use rusqlite::{params, Connection, OptionalExtension};

use super::balances::insert_deposit;
use super::rows::Identity;
use crate::engine::sandbox::clock::now_us;
use crate::engine::sandbox::store::{atomic, meta, new_uuid, random_token, set_meta};

/// The default deposits of §9.3, in minor units.
pub const DEFAULT_DEPOSITS: &[(&str, i64)] =
    &[("USD", 100_000), ("EUR", 100_000), ("KZT", 50_000_000)];

/// Creates the default agent on an empty store, or finds it on an existing one. Explicit
/// choices override: a given admin token replaces the stored one, a given API key is
/// added to the default agent; a given agent id must match the stored default agent.
pub fn ensure_identity(
    conn: &mut Connection,
    agent_id: Option<&str>,
    api_key: Option<&str>,
    admin_token: Option<&str>,
) -> anyhow::Result<Identity> {
    let tx = atomic(conn)?;
    let stored_agent = meta(&tx, "default_agent")?;
    let agent = match (stored_agent, agent_id) {
        (Some(stored), Some(wanted)) if !stored.eq_ignore_ascii_case(wanted) => anyhow::bail!(
            "the store's default agent is {stored}, not {wanted}; use another --db or omit --agent-id"
        ),
        (Some(stored), _) => stored,
        (None, wanted) => {
            let id = match wanted {
                Some(w) => uuid::Uuid::parse_str(w)
                    .map_err(|_| anyhow::anyhow!("--agent-id must be a UUID, got `{w}`"))?
                    .hyphenated()
                    .to_string(),
                None => new_uuid(),
            };
            let now = now_us();
            tx.execute("INSERT INTO agents (id, created_us) VALUES (?1, ?2)", params![id, now])?;
            for (currency, minor) in DEFAULT_DEPOSITS {
                insert_deposit(&tx, &id, currency, *minor, "completed", Some("sandbox-initial"), now)?;
            }
            set_meta(&tx, "default_agent", &id)?;
            id
        }
    };
    let key = match api_key {
        Some(k) => {
            let owner: Option<String> = tx
                .query_row("SELECT agent_id FROM api_keys WHERE key = ?1", [k], |r| {
                    r.get(0)
                })
                .optional()?;
            match owner {
                Some(o) if o != agent => {
                    anyhow::bail!("--api-key belongs to another agent in this store")
                }
                Some(_) => {
                    tx.execute("UPDATE api_keys SET revoked = 0 WHERE key = ?1", [k])?;
                }
                None => insert_key(&tx, k, &agent)?,
            }
            k.to_string()
        }
        None => {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT key FROM api_keys WHERE agent_id = ?1 AND revoked = 0 ORDER BY created_us LIMIT 1",
                    [&agent],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(k) => k,
                None => add_key(&tx, &agent)?,
            }
        }
    };
    let token = match (admin_token, meta(&tx, "admin_token")?) {
        (Some(t), _) => t.to_string(),
        (None, Some(stored)) => stored,
        (None, None) => random_token("adm_"),
    };
    set_meta(&tx, "admin_token", &token)?;
    tx.commit()?;
    Ok(Identity {
        agent_id: agent,
        api_key: key,
        admin_token: token,
    })
}

/// Every active key and its agent.
pub fn active_keys(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT key, agent_id FROM api_keys WHERE revoked = 0")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

pub fn agent_exists(conn: &Connection, agent_id: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM agents WHERE id = ?1", [agent_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A fresh agent with one key and completed deposits.
pub fn create_agent(
    conn: &mut Connection,
    deposits: &[(String, i64)],
) -> rusqlite::Result<(String, String)> {
    let tx = atomic(conn)?;
    let id = new_uuid();
    let now = now_us();
    tx.execute(
        "INSERT INTO agents (id, created_us) VALUES (?1, ?2)",
        params![id, now],
    )?;
    let key = add_key(&tx, &id)?;
    for (currency, minor) in deposits {
        insert_deposit(&tx, &id, currency, *minor, "completed", None, now)?;
    }
    tx.commit()?;
    Ok((id, key))
}

/// A fresh key for an agent.
pub fn add_key(conn: &Connection, agent_id: &str) -> rusqlite::Result<String> {
    let key = random_token("sk_sandbox_");
    insert_key(conn, &key, agent_id)?;
    Ok(key)
}

fn insert_key(conn: &Connection, key: &str, agent_id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO api_keys (key, agent_id, created_us) VALUES (?1, ?2, ?3)",
        params![key, agent_id, now_us()],
    )?;
    Ok(())
}

/// Revokes a key; `false` when no such key exists. Revoking twice is fine.
pub fn revoke_key(conn: &Connection, key: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("UPDATE api_keys SET revoked = 1 WHERE key = ?1", [key])? > 0)
}
