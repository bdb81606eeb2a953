//! Deposits and balances: posting a deposit (crediting the balance when completed), the
//! reads, and the reservation every order's money movement goes through.

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{DepositFilter, DepositView};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::AgentBalance;
use crate::engine::sandbox::clock::{now_us, rfc3339};
use crate::engine::sandbox::store::{atomic, keyset, new_uuid};

pub(super) fn insert_deposit(
    conn: &Connection,
    agent_id: &str,
    currency: &str,
    minor: i64,
    status: &str,
    reference: Option<&str>,
    now: i64,
) -> rusqlite::Result<DepositView> {
    let id = new_uuid();
    let posted = (status == "completed").then_some(now);
    conn.execute(
        "INSERT INTO deposits (id, agent_id, currency, amount_minor, status, reference, created_us, posted_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, agent_id, currency, minor, status, reference, now, posted],
    )?;
    if status == "completed" {
        conn.execute(
            "INSERT INTO balances (agent_id, currency, available_minor, reserved_minor, updated_us)
             VALUES (?1, ?2, ?3, 0, ?4)
             ON CONFLICT (agent_id, currency) DO UPDATE
             SET available_minor = available_minor + excluded.available_minor, updated_us = excluded.updated_us",
            params![agent_id, currency, minor, now],
        )?;
    }
    Ok(DepositView {
        id,
        currency_code: currency.to_string(),
        amount: Amount::from_minor(minor),
        amount_minor: minor,
        status: status.to_string(),
        reference: reference.map(str::to_string),
        created_at: rfc3339(now),
        posted_at: posted.map(rfc3339),
        created_us: now,
    })
}

/// Posts one deposit (and, when completed, credits the balance) in one transaction.
pub fn add_deposit(
    conn: &mut Connection,
    agent_id: &str,
    currency: &str,
    minor: i64,
    status: &str,
    reference: Option<&str>,
) -> rusqlite::Result<DepositView> {
    let tx = atomic(conn)?;
    let d = insert_deposit(&tx, agent_id, currency, minor, status, reference, now_us())?;
    tx.commit()?;
    Ok(d)
}

fn deposit_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DepositView> {
    let minor: i64 = r.get(3)?;
    let created_us: i64 = r.get(6)?;
    let posted_us: Option<i64> = r.get(7)?;
    Ok(DepositView {
        id: r.get(0)?,
        currency_code: r.get(2)?,
        amount: Amount::from_minor(minor),
        amount_minor: minor,
        status: r.get(4)?,
        reference: r.get(5)?,
        created_at: rfc3339(created_us),
        posted_at: posted_us.map(rfc3339),
        created_us,
    })
}

/// Deposits newest first, after `(created_us, id)` when given; at most `limit` rows.
pub fn list_deposits(
    conn: &Connection,
    agent_id: &str,
    f: &DepositFilter,
    after: Option<(i64, String)>,
    limit: usize,
) -> rusqlite::Result<Vec<DepositView>> {
    let (after_us, after_id) = keyset(after);
    let mut stmt = conn.prepare_cached(
        "SELECT id, agent_id, currency, amount_minor, status, reference, created_us, posted_us
         FROM deposits WHERE agent_id = ?1
           AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR currency = ?3)
           AND (?4 IS NULL OR created_us >= ?4) AND (?5 IS NULL OR created_us <= ?5)
           AND (?6 IS NULL OR created_us < ?6 OR (created_us = ?6 AND id < ?7))
         ORDER BY created_us DESC, id DESC LIMIT ?8",
    )?;
    let rows = stmt.query_map(
        params![
            agent_id,
            f.status,
            f.currency,
            f.from_us,
            f.to_us,
            after_us,
            after_id,
            limit as i64
        ],
        deposit_from_row,
    )?;
    rows.collect()
}

/// The agent's balances, by currency code.
pub fn balances(
    conn: &Connection,
    agent_id: &str,
    currency: Option<&str>,
) -> rusqlite::Result<Vec<AgentBalance>> {
    let mut stmt = conn.prepare_cached(
        "SELECT currency, available_minor, reserved_minor, updated_us FROM balances
         WHERE agent_id = ?1 AND (?2 IS NULL OR currency = ?2) ORDER BY currency",
    )?;
    let rows = stmt.query_map(params![agent_id, currency], |r| {
        let available: i64 = r.get(1)?;
        let reserved: i64 = r.get(2)?;
        Ok(AgentBalance {
            currency_code: r.get(0)?,
            available: Amount::from_minor(available),
            reserved: Amount::from_minor(reserved),
            available_minor: available,
            reserved_minor: reserved,
            updated_at: rfc3339(r.get(3)?),
        })
    })?;
    rows.collect()
}

/// Available minor units in a currency (0 when the agent holds none).
pub fn available(conn: &Connection, agent_id: &str, currency: &str) -> rusqlite::Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT available_minor FROM balances WHERE agent_id = ?1 AND currency = ?2",
        )?
        .query_row([agent_id, currency], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Moves `minor` from available to reserved (negative `minor` moves it back).
pub(super) fn reserve(
    conn: &Connection,
    agent_id: &str,
    currency: &str,
    minor: i64,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO balances (agent_id, currency, available_minor, reserved_minor, updated_us)
         VALUES (?1, ?2, -?3, ?3, ?4)
         ON CONFLICT (agent_id, currency) DO UPDATE
         SET available_minor = available_minor - ?3, reserved_minor = reserved_minor + ?3, updated_us = ?4",
    )?
    .execute(params![agent_id, currency, minor, now])?;
    Ok(())
}
