//! The durable state (SQLite, WAL, `synchronous=NORMAL`): agents, API keys, balances,
//! deposits, orders and idempotency bindings, with minor units stored as INTEGER.
//!
//! Every money movement is one savepoint that checks and moves in the same step (never
//! check-then-act): an order's reservation, its completion or failure, a deposit. The
//! connection, its thread and the group commit are the engine's
//! ([`crate::engine::sandbox::store::Store`]); this file is the Gate's SQL only.
//!
//! **Invariant:** the store knows nothing of HTTP; it returns rows and [`ApiError`]s only
//! for the domain outcomes (insufficient balance, idempotency mismatch).

use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::apis::gate::money::Amount;
use crate::apis::gate::sandbox::mutants::Mutant;
use crate::engine::sandbox::clock::{now_ms, now_us, rfc3339};
use crate::engine::sandbox::errors::ApiError;
pub use crate::engine::sandbox::store::Store;
use crate::engine::sandbox::store::{atomic, meta, new_uuid, random_token, set_meta};

/// How long an Idempotency-Key stays bound (§5.2: at least 24 hours).
pub const KEY_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// The Gate's tables.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY, agent_id TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS balances (
    agent_id TEXT NOT NULL, currency TEXT NOT NULL,
    available_minor INTEGER NOT NULL, reserved_minor INTEGER NOT NULL,
    updated_us INTEGER NOT NULL, PRIMARY KEY (agent_id, currency));
CREATE TABLE IF NOT EXISTS deposits (
    id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, currency TEXT NOT NULL,
    amount_minor INTEGER NOT NULL, status TEXT NOT NULL, reference TEXT,
    created_us INTEGER NOT NULL, posted_us INTEGER);
CREATE INDEX IF NOT EXISTS deposits_by_agent ON deposits (agent_id, created_us, id);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, product_id INTEGER NOT NULL,
    product_kind TEXT NOT NULL, quantity INTEGER NOT NULL, external_ref TEXT,
    idempotency_key TEXT, status TEXT NOT NULL, order_content TEXT NOT NULL,
    currency TEXT NOT NULL, charged_minor INTEGER NOT NULL, before_minor INTEGER NOT NULL,
    after_minor INTEGER NOT NULL, is_test INTEGER NOT NULL, moves_money INTEGER NOT NULL,
    region_code TEXT NOT NULL, created_us INTEGER NOT NULL, completed_us INTEGER,
    failed_us INTEGER, due_ms INTEGER NOT NULL, outcome TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_agent ON orders (agent_id, created_us, id);
CREATE INDEX IF NOT EXISTS orders_pending ON orders (status) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS idempotency (
    agent_id TEXT NOT NULL, key TEXT NOT NULL, payload_hash TEXT NOT NULL, order_id TEXT,
    created_ms INTEGER NOT NULL, PRIMARY KEY (agent_id, key));
";

/// The default agent and the admin token (§9.3).
#[derive(Debug, Clone)]
pub struct Identity {
    pub agent_id: String,
    pub api_key: String,
    pub admin_token: String,
}

/// An order as stored.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub agent_id: String,
    pub product_id: u64,
    pub product_kind: String,
    pub quantity: u32,
    pub external_ref: Option<String>,
    pub idempotency_key: Option<String>,
    pub status: String,
    pub order_content: String,
    pub currency: String,
    pub charged_minor: i64,
    pub before_minor: i64,
    pub after_minor: i64,
    pub is_test: bool,
    pub moves_money: bool,
    pub region_code: String,
    pub created_us: i64,
    pub completed_us: Option<i64>,
    pub failed_us: Option<i64>,
    pub due_ms: i64,
    pub outcome: Outcome,
}

/// The §5.3 Order object.
#[derive(Debug, Serialize)]
pub struct OrderView {
    pub id: String,
    pub product_id: u64,
    pub quantity: u32,
    pub external_ref: Option<String>,
    pub idempotency_key: Option<String>,
    pub status: String,
    pub order_content: Map<String, Value>,
    pub currency_code: String,
    pub charged_amount: Amount,
    pub balance_before: Amount,
    pub balance_after: Amount,
    pub is_test: bool,
    pub region_code: String,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub failed_at: Option<String>,
}

impl OrderRow {
    pub fn view(&self) -> OrderView {
        OrderView {
            id: self.id.clone(),
            product_id: self.product_id,
            quantity: self.quantity,
            external_ref: self.external_ref.clone(),
            idempotency_key: self.idempotency_key.clone(),
            status: self.status.clone(),
            order_content: serde_json::from_str(&self.order_content).unwrap_or_default(),
            currency_code: self.currency.clone(),
            charged_amount: Amount::from_minor(self.charged_minor),
            balance_before: Amount::from_minor(self.before_minor),
            balance_after: Amount::from_minor(self.after_minor),
            is_test: self.is_test,
            region_code: self.region_code.clone(),
            created_at: rfc3339(self.created_us),
            completed_at: self.completed_us.map(rfc3339),
            failed_at: self.failed_us.map(rfc3339),
        }
    }

    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }
}

/// Where a pending order is headed when its time comes (§9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    Fail,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Fail => "fail",
        }
    }
}

/// A deposit as stored; serializes as the §7 AgentDeposit.
#[derive(Debug, Clone, Serialize)]
pub struct DepositView {
    pub id: String,
    pub currency_code: String,
    pub amount: Amount,
    pub amount_minor: i64,
    pub status: String,
    pub reference: Option<String>,
    pub created_at: String,
    pub posted_at: Option<String>,
    #[serde(skip)]
    pub created_us: i64,
}

/// §6 AgentBalance.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceView {
    pub currency_code: String,
    pub available: Amount,
    pub reserved: Amount,
    pub available_minor: i64,
    pub reserved_minor: i64,
    pub updated_at: String,
}

/// An order to create, fully validated and priced.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub agent_id: String,
    pub product_id: u64,
    pub product_kind: String,
    pub quantity: u32,
    pub external_ref: Option<String>,
    pub currency: String,
    pub charged_minor: i64,
    pub is_test: bool,
    /// Whether the order reserves money (false for test orders).
    pub moves_money: bool,
    pub region_code: String,
    pub due_ms: i64,
    pub outcome: Outcome,
    pub idempotency: Option<KeyUse>,
    /// False only under the `overdraw-race` mutant (the check was done earlier, apart).
    pub check_balance: bool,
    /// False only under the `idempotency-race` mutant (the lookup was done earlier, apart).
    pub lookup_key: bool,
}

/// An Idempotency-Key and the fingerprint of the payload it came with.
#[derive(Debug, Clone)]
pub struct KeyUse {
    pub key: String,
    pub payload_hash: String,
}

/// What `create_order` did.
#[derive(Debug)]
pub enum Created {
    New(OrderRow),
    Replayed(OrderRow),
}

/// A durable key binding.
#[derive(Debug, Clone)]
pub struct Binding {
    pub payload_hash: String,
    pub order_id: Option<String>,
}

/// Why a forced transition did not happen.
#[derive(Debug)]
pub enum TransitionError {
    NotFound,
    Terminal,
    Store(rusqlite::Error),
}

impl From<rusqlite::Error> for TransitionError {
    fn from(e: rusqlite::Error) -> Self {
        TransitionError::Store(e)
    }
}

/// Filters of `GET /orders`.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub external_ref: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

/// Filters of `GET /deposits`.
#[derive(Debug, Clone, Default)]
pub struct DepositFilter {
    pub status: Option<String>,
    pub currency: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

// ---------------------------------------------------------------- identity and keys

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
                None => {
                    tx.execute(
                        "INSERT INTO api_keys (key, agent_id, created_us) VALUES (?1, ?2, ?3)",
                        params![k, agent, now_us()],
                    )?;
                }
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
                None => {
                    let k = random_token("sk_sandbox_");
                    tx.execute(
                        "INSERT INTO api_keys (key, agent_id, created_us) VALUES (?1, ?2, ?3)",
                        params![k, agent, now_us()],
                    )?;
                    k
                }
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
    let key = random_token("sk_sandbox_");
    let now = now_us();
    tx.execute(
        "INSERT INTO agents (id, created_us) VALUES (?1, ?2)",
        params![id, now],
    )?;
    tx.execute(
        "INSERT INTO api_keys (key, agent_id, created_us) VALUES (?1, ?2, ?3)",
        params![key, id, now],
    )?;
    for (currency, minor) in deposits {
        insert_deposit(&tx, &id, currency, *minor, "completed", None, now)?;
    }
    tx.commit()?;
    Ok((id, key))
}

pub fn add_key(conn: &Connection, agent_id: &str) -> rusqlite::Result<String> {
    let key = random_token("sk_sandbox_");
    conn.execute(
        "INSERT INTO api_keys (key, agent_id, created_us) VALUES (?1, ?2, ?3)",
        params![key, agent_id, now_us()],
    )?;
    Ok(key)
}

/// Revokes a key; `false` when no such key exists. Revoking twice is fine.
pub fn revoke_key(conn: &Connection, key: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("UPDATE api_keys SET revoked = 1 WHERE key = ?1", [key])? > 0)
}

// ---------------------------------------------------------------- deposits and balances

fn insert_deposit(
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
    let (after_us, after_id) = after.map_or((None, None), |(u, i)| (Some(u), Some(i)));
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
) -> rusqlite::Result<Vec<BalanceView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT currency, available_minor, reserved_minor, updated_us FROM balances
         WHERE agent_id = ?1 AND (?2 IS NULL OR currency = ?2) ORDER BY currency",
    )?;
    let rows = stmt.query_map(params![agent_id, currency], |r| {
        let available: i64 = r.get(1)?;
        let reserved: i64 = r.get(2)?;
        Ok(BalanceView {
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
fn reserve(
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

// ---------------------------------------------------------------- orders

const ORDER_COLUMNS: &str =
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
        outcome: if outcome == "fail" {
            Outcome::Fail
        } else {
            Outcome::Complete
        },
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
    let (after_us, after_id) = after.map_or((None, None), |(u, i)| (Some(u), Some(i)));
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

/// The live binding of an Idempotency-Key (expired bindings count as absent).
pub fn binding(conn: &Connection, agent_id: &str, key: &str) -> rusqlite::Result<Option<Binding>> {
    conn.prepare_cached(
        "SELECT payload_hash, order_id FROM idempotency WHERE agent_id = ?1 AND key = ?2 AND created_ms > ?3",
    )?
    .query_row(params![agent_id, key, now_ms() - KEY_RETENTION_MS], |r| {
        Ok(Binding { payload_hash: r.get(0)?, order_id: r.get(1)? })
    })
    .optional()
}

fn bind_key(
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
    conn.execute(
        "DELETE FROM idempotency WHERE created_ms <= ?1",
        [now_ms() - KEY_RETENTION_MS],
    )
}

/// Creates an order — or replays the one its key is bound to — in ONE immediate
/// transaction: key lookup, balance check, reservation, order insert and key binding.
pub fn create_order(
    conn: &mut Connection,
    new: &NewOrder,
    mutant: Option<Mutant>,
) -> Result<Created, ApiError> {
    let tx = atomic(conn)?;
    let now = now_us();
    if let (Some(k), true) = (&new.idempotency, new.lookup_key) {
        if let Some(bound) = binding(&tx, &new.agent_id, &k.key)? {
            let same = bound.payload_hash == k.payload_hash;
            // MUTANT HOOK (mismatch-accepted): a different payload replays the first order.
            let replay = same || mutant == Some(Mutant::MismatchAccepted);
            if !replay {
                return Err(ApiError::idempotency_mismatch());
            }
            match &bound.order_id {
                // MUTANT HOOK (error-binds-key): the key was bound by a failed request, whose
                // error is replayed instead of creating the order.
                None => {
                    let have = available(&tx, &new.agent_id, &new.currency)?;
                    return Err(ApiError::insufficient_balance(
                        Amount::from_minor(have),
                        Amount::from_minor(new.charged_minor),
                        &new.currency,
                    ));
                }
                // MUTANT HOOK (replay-creates-order): a replay falls through and creates anew.
                Some(_) if mutant == Some(Mutant::ReplayCreatesOrder) => {}
                Some(order_id) => {
                    let first = order(&tx, order_id)?.ok_or_else(|| {
                        ApiError::internal("an idempotency binding points at no order")
                    })?;
                    // MUTANT HOOK (replay-charges-again): the replay reserves the charge again.
                    if mutant == Some(Mutant::ReplayChargesAgain) && first.moves_money {
                        reserve(
                            &tx,
                            &first.agent_id,
                            &first.currency,
                            first.charged_minor,
                            now,
                        )?;
                    }
                    tx.commit()?;
                    return Ok(Created::Replayed(first));
                }
            }
        }
    }
    let have = available(&tx, &new.agent_id, &new.currency)?;
    let (before, after) = if new.moves_money {
        if new.check_balance && have < new.charged_minor {
            // MUTANT HOOK (error-binds-key): the failure binds the key.
            if let (Some(k), Some(Mutant::ErrorBindsKey)) = (&new.idempotency, mutant) {
                bind_key(&tx, &new.agent_id, k, None)?;
                tx.commit()?;
            }
            return Err(ApiError::insufficient_balance(
                Amount::from_minor(have),
                Amount::from_minor(new.charged_minor),
                &new.currency,
            ));
        }
        reserve(&tx, &new.agent_id, &new.currency, new.charged_minor, now)?;
        (have, have - new.charged_minor)
    } else {
        (have.max(0), have.max(0))
    };
    let row = OrderRow {
        id: new_uuid(),
        agent_id: new.agent_id.clone(),
        product_id: new.product_id,
        product_kind: new.product_kind.clone(),
        quantity: new.quantity,
        external_ref: new.external_ref.clone(),
        idempotency_key: new.idempotency.as_ref().map(|k| k.key.clone()),
        status: "pending".into(),
        order_content: "{}".into(),
        currency: new.currency.clone(),
        charged_minor: new.charged_minor,
        before_minor: before,
        after_minor: after,
        is_test: new.is_test,
        moves_money: new.moves_money,
        region_code: new.region_code.clone(),
        created_us: now,
        completed_us: None,
        failed_us: None,
        due_ms: new.due_ms,
        outcome: new.outcome,
    };
    tx.prepare_cached(&format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, NULL, NULL, ?18, ?19)"
    ))?
    .execute(params![
        row.id,
        row.agent_id,
        row.product_id,
        row.product_kind,
        row.quantity,
        row.external_ref,
        row.idempotency_key,
        row.status,
        row.order_content,
        row.currency,
        row.charged_minor,
        row.before_minor,
        row.after_minor,
        row.is_test,
        row.moves_money,
        row.region_code,
        row.created_us,
        row.due_ms,
        row.outcome.as_str(),
    ])?;
    if let Some(k) = &new.idempotency {
        bind_key(&tx, &new.agent_id, k, Some(&row.id))?;
    }
    tx.commit()?;
    Ok(Created::New(row))
}

/// What the order holds once delivered (§5.3): voucher codes or a vendor order id.
fn delivered_content(kind: &str, quantity: u32) -> String {
    let mut rng = rand::rng();
    let mut content = Map::new();
    if kind == crate::apis::gate::wire::VOUCHER {
        let mut code = || -> String {
            (0..4)
                .map(|_| {
                    (0..4)
                        .map(|_| {
                            let n = rng.random_range(0..36u8);
                            char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
                        })
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("-")
        };
        let codes: Vec<String> = (0..quantity.max(1)).map(|_| code()).collect();
        content.insert("voucher_code".into(), Value::String(codes[0].clone()));
        if codes.len() > 1 {
            content.insert("voucher_codes".into(), Value::String(codes.join(",")));
        }
    } else {
        let id = format!("LC-{:08}", rng.random_range(0..100_000_000u32));
        content.insert("vendor_order_id".into(), Value::String(id));
    }
    Value::Object(content).to_string()
}

/// Moves a pending order to `completed` or `failed` in one transaction, consuming or
/// releasing its reservation. The only way an order's status changes.
pub fn transition(
    conn: &mut Connection,
    order_id: &str,
    to: Outcome,
    mutant: Option<Mutant>,
) -> Result<OrderRow, TransitionError> {
    let tx = atomic(conn)?;
    let Some(mut row) = order(&tx, order_id)? else {
        return Err(TransitionError::NotFound);
    };
    if !row.is_pending() {
        return Err(TransitionError::Terminal);
    }
    let now = now_us().max(row.created_us);
    match to {
        Outcome::Complete => {
            row.status = "completed".into();
            row.completed_us = Some(now);
            row.order_content = delivered_content(&row.product_kind, row.quantity);
            if row.moves_money {
                tx.prepare_cached(
                    "UPDATE balances SET reserved_minor = reserved_minor - ?3, updated_us = ?4
                     WHERE agent_id = ?1 AND currency = ?2",
                )?
                .execute(params![
                    row.agent_id,
                    row.currency,
                    row.charged_minor,
                    now
                ])?;
                // MUTANT HOOK (ledger-drift): one cent too many leaves the available balance.
                if mutant == Some(Mutant::LedgerDrift) {
                    tx.execute(
                        "UPDATE balances SET available_minor = available_minor - 1
                         WHERE agent_id = ?1 AND currency = ?2 AND available_minor >= 1",
                        params![row.agent_id, row.currency],
                    )?;
                }
            }
        }
        Outcome::Fail => {
            row.status = "failed".into();
            row.failed_us = Some(now);
            row.order_content = "{}".into();
            // MUTANT HOOK (failed-keeps-reservation): the reservation is never released.
            if row.moves_money && mutant != Some(Mutant::FailedKeepsReservation) {
                reserve(&tx, &row.agent_id, &row.currency, -row.charged_minor, now)?;
            }
        }
    }
    tx.prepare_cached(
        "UPDATE orders SET status = ?2, order_content = ?3, completed_us = ?4, failed_us = ?5
         WHERE id = ?1 AND status = 'pending'",
    )?
    .execute(params![
        row.id,
        row.status,
        row.order_content,
        row.completed_us,
        row.failed_us
    ])?;
    tx.commit()?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_for(agent: &str, key: &str) -> NewOrder {
        NewOrder {
            agent_id: agent.into(),
            product_id: 1,
            product_kind: "voucher".into(),
            quantity: 1,
            external_ref: None,
            currency: "USD".into(),
            charged_minor: 100,
            is_test: false,
            moves_money: true,
            region_code: "GLOBAL".into(),
            due_ms: 0,
            outcome: Outcome::Complete,
            idempotency: Some(KeyUse {
                key: key.into(),
                payload_hash: "h".into(),
            }),
            check_balance: true,
            lookup_key: true,
        }
    }

    #[test]
    fn keys_are_kept_24_hours_then_free() {
        let store = Store::open(None, &[SCHEMA]).unwrap();
        store.call_now(|c| {
            let (agent, _) = create_agent(c, &[("USD".into(), 10_000)]).unwrap();
            let first = create_order(c, &order_for(&agent, "k"), None).unwrap();
            let Created::New(first) = first else { panic!("new order") };
            assert!(matches!(create_order(c, &order_for(&agent, "k"), None).unwrap(), Created::Replayed(r) if r.id == first.id));
            // 23 hours later: still bound.
            c.execute("UPDATE idempotency SET created_ms = ?1", [now_ms() - 23 * 3_600_000]).unwrap();
            assert!(binding(c, &agent, "k").unwrap().is_some());
            assert_eq!(purge_expired_keys(c).unwrap(), 0);
            // 25 hours later: expired, purged, and the key is free again.
            c.execute("UPDATE idempotency SET created_ms = ?1", [now_ms() - 25 * 3_600_000]).unwrap();
            assert!(binding(c, &agent, "k").unwrap().is_none());
            assert_eq!(purge_expired_keys(c).unwrap(), 1);
            assert!(matches!(create_order(c, &order_for(&agent, "k"), None).unwrap(), Created::New(r) if r.id != first.id));
        })
        .unwrap();
    }

    #[test]
    fn reservation_and_settlement_keep_the_ledger_identity() {
        let store = Store::open(None, &[SCHEMA]).unwrap();
        store
            .call_now(|c| {
                let (agent, _) = create_agent(c, &[("USD".into(), 250)]).unwrap();
                let mut ids = Vec::new();
                for _ in 0..3 {
                    match create_order(
                        c,
                        &NewOrder {
                            idempotency: None,
                            ..order_for(&agent, "")
                        },
                        None,
                    ) {
                        Ok(Created::New(o)) => ids.push(o.id),
                        Err(e) => assert_eq!(e.code, "insufficient_balance"),
                        Ok(_) => panic!("no replay without a key"),
                    }
                }
                assert_eq!(ids.len(), 2);
                assert_eq!(available(c, &agent, "USD").unwrap(), 50);
                transition(c, &ids[0], Outcome::Complete, None).unwrap();
                transition(c, &ids[1], Outcome::Fail, None).unwrap();
                assert!(matches!(
                    transition(c, &ids[1], Outcome::Complete, None),
                    Err(TransitionError::Terminal)
                ));
                let b = &balances(c, &agent, Some("USD")).unwrap()[0];
                assert_eq!((b.available_minor, b.reserved_minor), (150, 0));
            })
            .unwrap();
    }
}
