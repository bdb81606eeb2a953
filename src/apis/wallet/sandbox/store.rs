//! The Wallet's SQL (on the engine's shared store thread): merchants and their keys,
//! transactions with their three operation totals, and Idempotency-Key bindings.
//!
//! Every money movement is one savepoint that looks the key up, checks state and
//! `remaining`, moves the total and binds the key in the same step (never check-then-act),
//! so under any concurrency the totals equal the sum of the operations that got a 2xx.
//! No 2xx leaves before the batch holding it has committed (the engine's group commit).
//!
//! **Invariant:** the store knows nothing of HTTP; it returns rows and [`ApiError`]s only
//! for the domain outcomes.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::apis::wallet::sandbox::ids::new_transaction_id;
use crate::apis::wallet::sandbox::mutants::WalletMutant;
use crate::engine::sandbox::clock::{now_ms, now_us, rfc3339};
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::store::{atomic, meta, new_uuid, random_token, set_meta};

/// How long an Idempotency-Key stays bound (§5: at least 24 hours).
pub const KEY_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// The currencies a merchant accepts when none are named (§6).
pub const DEFAULT_CURRENCIES: [&str; 3] = ["KZT", "USD", "EUR"];

/// The Wallet's tables.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS wallet_merchants (
    id TEXT PRIMARY KEY, currencies TEXT NOT NULL, created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS wallet_keys (
    key TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS wallet_transactions (
    id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, status TEXT NOT NULL,
    order_reference TEXT NOT NULL, currency TEXT NOT NULL, authorized INTEGER NOT NULL,
    captured INTEGER NOT NULL, cancelled INTEGER NOT NULL, refunded INTEGER NOT NULL,
    created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL, due_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS wallet_transactions_by_merchant
    ON wallet_transactions (merchant_id, created_us, id);
CREATE INDEX IF NOT EXISTS wallet_transactions_open
    ON wallet_transactions (status) WHERE status IN ('NEW', 'PROCESSING');
CREATE TABLE IF NOT EXISTS wallet_idempotency (
    merchant_id TEXT NOT NULL, key TEXT NOT NULL, payload_hash TEXT NOT NULL,
    transaction_id TEXT NOT NULL, operation TEXT NOT NULL, amount INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, PRIMARY KEY (merchant_id, key));
";

/// `walletTransactionStatus` (§4).
pub const NEW: &str = "NEW";
pub const PROCESSING: &str = "PROCESSING";
pub const SUCCESS: &str = "SUCCESS";
pub const FAILED: &str = "FAILED";

/// A transaction as stored.
#[derive(Debug, Clone)]
pub struct TxRow {
    pub id: String,
    pub merchant_id: String,
    pub status: String,
    pub order_reference: String,
    pub currency: String,
    pub authorized: i64,
    pub captured: i64,
    pub cancelled: i64,
    pub refunded: i64,
    pub created_us: i64,
    pub updated_us: i64,
    pub due_ms: i64,
    pub outcome: Final,
}

/// The §4 WalletTransaction.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub wallet_transaction_id: String,
    pub wallet_transaction_status: String,
    pub order_reference: String,
    pub amount: i64,
    pub currency: String,
    pub authorized_amount: i64,
    pub captured_amount: i64,
    pub cancelled_amount: i64,
    pub refunded_amount: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The §5 WalletOperation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    pub wallet_transaction_id: String,
    pub wallet_transaction_status: String,
    pub order_reference: String,
    pub amount: i64,
    pub currency: String,
    pub operation: &'static str,
}

impl TxRow {
    pub fn view(&self) -> TransactionView {
        TransactionView {
            wallet_transaction_id: self.id.clone(),
            wallet_transaction_status: self.status.clone(),
            order_reference: self.order_reference.clone(),
            amount: self.authorized,
            currency: self.currency.clone(),
            authorized_amount: self.authorized,
            captured_amount: self.captured,
            cancelled_amount: self.cancelled,
            refunded_amount: self.refunded,
            created_at: rfc3339(self.created_us),
            updated_at: rfc3339(self.updated_us),
        }
    }

    pub fn operation_view(&self, operation: Operation, amount: i64) -> OperationView {
        OperationView {
            wallet_transaction_id: self.id.clone(),
            wallet_transaction_status: self.status.clone(),
            order_reference: self.order_reference.clone(),
            amount,
            currency: self.currency.clone(),
            operation: operation.as_str(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.status == NEW || self.status == PROCESSING
    }

    /// `authorizedAmount − capturedAmount − cancelledAmount`.
    pub fn remaining(&self) -> i64 {
        self.authorized - self.captured - self.cancelled
    }
}

/// Where an open transaction is headed (§6 scenarios).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    Success,
    Fail,
}

impl Final {
    fn as_str(self) -> &'static str {
        match self {
            Final::Success => "success",
            Final::Fail => "fail",
        }
    }

    pub fn status(self) -> &'static str {
        match self {
            Final::Success => SUCCESS,
            Final::Fail => FAILED,
        }
    }
}

/// Capture, cancel or refund (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Capture,
    Cancel,
    Refund,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Capture => "capture",
            Operation::Cancel => "cancel",
            Operation::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        match s {
            "capture" => Some(Operation::Capture),
            "cancel" => Some(Operation::Cancel),
            "refund" => Some(Operation::Refund),
            _ => None,
        }
    }
}

/// An Idempotency-Key and the fingerprint of the payload (method, path, body) it came with.
#[derive(Debug, Clone)]
pub struct KeyUse {
    pub key: String,
    pub payload_hash: String,
}

/// A validated authorization.
#[derive(Debug, Clone)]
pub struct NewTx {
    pub merchant_id: String,
    pub order_reference: String,
    pub currency: String,
    pub amount: i64,
    /// `PROCESSING` for the `1111` scenario, else `NEW`.
    pub status: &'static str,
    pub due_ms: i64,
    pub outcome: Final,
    pub key: KeyUse,
}

/// A validated operation on one transaction.
#[derive(Debug, Clone)]
pub struct NewOp {
    pub merchant_id: String,
    pub transaction_id: String,
    pub operation: Operation,
    pub amount: i64,
    pub key: Option<KeyUse>,
    /// False only under `wallet-same-key-race`: the key was looked up apart, earlier.
    pub lookup_key: bool,
    /// False only under `wallet-capture-race` / `wallet-refund-race`: the room was read
    /// apart, earlier.
    pub check_room: bool,
}

/// What an authorization or an operation did: its transaction now, the operation's amount,
/// and whether it was a replay.
#[derive(Debug)]
pub struct Done {
    pub tx: TxRow,
    pub amount: i64,
    pub replayed: bool,
}

/// Why a forced outcome did not happen.
#[derive(Debug)]
pub enum SettleError {
    NotFound,
    Final,
    Store(rusqlite::Error),
}

impl From<rusqlite::Error> for SettleError {
    fn from(e: rusqlite::Error) -> Self {
        SettleError::Store(e)
    }
}

/// Filters of `GET /v1/wallet/transactions/`.
#[derive(Debug, Clone, Default)]
pub struct TxFilter {
    pub order_reference: Option<String>,
    pub status: Option<String>,
}

// ---------------------------------------------------------------- merchants and keys

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

// ---------------------------------------------------------------- transactions

const TX_COLUMNS: &str = "id, merchant_id, status, order_reference, currency, authorized,
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
        outcome: if outcome == "fail" {
            Final::Fail
        } else {
            Final::Success
        },
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
fn owned(conn: &Connection, merchant_id: &str, id: &str) -> Result<TxRow, ApiError> {
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
    let (after_us, after_id) = after.map_or((None, None), |(u, i)| (Some(u), Some(i)));
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
    .query_row(
        params![merchant_id, key, now_ms() - KEY_RETENTION_MS],
        |r| {
            Ok(Binding {
                payload_hash: r.get(0)?,
                transaction_id: r.get(1)?,
                amount: r.get(2)?,
            })
        },
    )
    .optional()
}

/// Whether a live binding exists (for the race mutant's separate lookup).
pub fn is_bound(conn: &Connection, merchant_id: &str, key: &str) -> rusqlite::Result<bool> {
    Ok(binding(conn, merchant_id, key)?.is_some())
}

fn bind(
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
    conn.execute(
        "DELETE FROM wallet_idempotency WHERE created_ms <= ?1",
        [now_ms() - KEY_RETENTION_MS],
    )
}

/// The key's earlier answer, when it has one: a replay (same payload) or `422`.
fn replay(
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

/// A later `updated_us` than the row's: now, or one µs after it (strictly increasing).
fn touch(row: &TxRow) -> i64 {
    now_us().max(row.updated_us + 1)
}

/// Authorizes — or replays what the key is bound to — in ONE savepoint: key lookup,
/// insert and key binding.
pub fn authorize(
    conn: &mut Connection,
    new: &NewTx,
    mutant: Option<WalletMutant>,
) -> Result<Done, ApiError> {
    let sp = atomic(conn)?;
    if let Some((tx, amount)) = replay(&sp, &new.merchant_id, &new.key, mutant)? {
        sp.commit()?;
        return Ok(Done {
            tx,
            amount,
            replayed: true,
        });
    }
    let now = now_us();
    let row = TxRow {
        // MUTANT HOOK (IdTimeOff): the id's time 10 s before createdAt.
        id: new_transaction_id(if mutant == Some(WalletMutant::IdTimeOff) {
            now / 1000 - 10_000
        } else {
            now / 1000
        }),
        merchant_id: new.merchant_id.clone(),
        status: new.status.to_string(),
        order_reference: new.order_reference.clone(),
        currency: new.currency.clone(),
        authorized: new.amount,
        captured: 0,
        cancelled: 0,
        refunded: 0,
        created_us: now,
        updated_us: now,
        due_ms: new.due_ms,
        outcome: new.outcome,
    };
    sp.prepare_cached(&format!(
        "INSERT INTO wallet_transactions ({TX_COLUMNS}) VALUES
         (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, ?7, ?7, ?8, ?9)"
    ))?
    .execute(params![
        row.id,
        row.merchant_id,
        row.status,
        row.order_reference,
        row.currency,
        row.authorized,
        row.created_us,
        row.due_ms,
        row.outcome.as_str(),
    ])?;
    bind(
        &sp,
        &new.merchant_id,
        &new.key,
        &row.id,
        "authorize",
        new.amount,
    )?;
    sp.commit()?;
    Ok(Done {
        amount: row.authorized,
        tx: row,
        replayed: false,
    })
}

/// Captures, cancels or refunds — or replays what the key is bound to — in ONE savepoint,
/// in the order of §3: key lookup → 404 → 409 `invalid_state` → 400
/// `amount_exceeds_remaining` → the movement and the key binding.
pub fn operate(
    conn: &mut Connection,
    op: &NewOp,
    mutant: Option<WalletMutant>,
) -> Result<Done, ApiError> {
    let sp = atomic(conn)?;
    let is = |m: WalletMutant| mutant == Some(m);
    if let (Some(k), true) = (&op.key, op.lookup_key) {
        if let Some((tx, amount)) = replay(&sp, &op.merchant_id, k, mutant)? {
            // MUTANT HOOK (wallet-replay-refunds-again): the replay moves the refund again.
            if is(WalletMutant::ReplayRefundsAgain) && op.operation == Operation::Refund {
                sp.execute(
                    "UPDATE wallet_transactions SET refunded = refunded + ?2, updated_us = ?3 WHERE id = ?1",
                    params![tx.id, amount, touch(&tx)],
                )?;
            }
            // MUTANT HOOK (wallet-replay-rechecks-remaining): the replay is judged again.
            if is(WalletMutant::ReplayRechecksRemaining)
                && op.operation != Operation::Refund
                && amount > tx.remaining()
            {
                return Err(exceeds(op.operation));
            }
            let tx = transaction(&sp, &tx.id)?.unwrap_or(tx);
            sp.commit()?;
            return Ok(Done {
                tx,
                amount,
                replayed: true,
            });
        }
    }
    let mut tx = owned(&sp, &op.merchant_id, &op.transaction_id)?;
    let refuse = |e: ApiError, sp: rusqlite::Savepoint<'_>| -> Result<Done, ApiError> {
        // MUTANT HOOK (wallet-error-binds-key): the refusal binds the key.
        if let (Some(k), true) = (&op.key, is(WalletMutant::ErrorBindsKey)) {
            bind(
                &sp,
                &op.merchant_id,
                k,
                &op.transaction_id,
                op.operation.as_str(),
                op.amount,
            )?;
            sp.commit()?;
        }
        Err(e)
    };
    // MUTANT HOOK (wallet-operates-on-unsettled): the status is not checked.
    if tx.status != SUCCESS && !is(WalletMutant::OperatesOnUnsettled) {
        return refuse(
            ApiError::invalid_state(format!(
                "The transaction is {}; only a SUCCESS transaction can be {}",
                tx.status,
                past_tense(op.operation)
            )),
            sp,
        );
    }
    let room = match op.operation {
        Operation::Capture | Operation::Cancel => tx.remaining(),
        Operation::Refund => tx.captured - tx.refunded,
    };
    // MUTANT HOOK (wallet-capture-beyond-hold): captures are not held to `remaining`.
    // MUTANT HOOK (wallet-capture-race): the check was done earlier, in its own step.
    // MUTANT HOOK (wallet-refund-race): the same for refunds.
    let unchecked = !op.check_room
        || (op.operation == Operation::Capture && is(WalletMutant::CaptureBeyondHold));
    if op.amount > room && !unchecked {
        return refuse(exceeds(op.operation), sp);
    }
    let updated = touch(&tx);
    // MUTANT HOOK (wallet-cancel-moves-captured): a cancel lands in the captured total.
    let column = match op.operation {
        Operation::Capture => "captured",
        Operation::Cancel if is(WalletMutant::CancelMovesCaptured) => "captured",
        Operation::Cancel => "cancelled",
        Operation::Refund => "refunded",
    };
    sp.prepare_cached(&format!(
        "UPDATE wallet_transactions SET {column} = {column} + ?2, updated_us = ?3 WHERE id = ?1"
    ))?
    .execute(params![tx.id, op.amount, updated])?;
    match column {
        "captured" => tx.captured += op.amount,
        "cancelled" => tx.cancelled += op.amount,
        _ => tx.refunded += op.amount,
    }
    tx.updated_us = updated;
    if let Some(k) = &op.key {
        bind(
            &sp,
            &op.merchant_id,
            k,
            &tx.id,
            op.operation.as_str(),
            op.amount,
        )?;
    }
    sp.commit()?;
    Ok(Done {
        tx,
        amount: op.amount,
        replayed: false,
    })
}

fn past_tense(op: Operation) -> &'static str {
    match op {
        Operation::Capture => "captured",
        Operation::Cancel => "cancelled",
        Operation::Refund => "refunded",
    }
}

fn exceeds(op: Operation) -> ApiError {
    ApiError::amount_exceeds_remaining(match op {
        Operation::Capture => "The capture exceeds what remains of the authorized amount",
        Operation::Cancel => "The cancel exceeds what remains of the authorized amount",
        Operation::Refund => "The refund exceeds the captured amount not yet refunded",
    })
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
    let room = match operation {
        Operation::Refund => t.captured - t.refunded,
        _ => t.remaining(),
    };
    Ok((t.status.clone(), room))
}

/// Moves an open transaction to `SUCCESS` or `FAILED` in one savepoint (the lifecycle and
/// the admin API's forced outcomes). `SUCCESS` and `FAILED` never change again.
pub fn settle(conn: &mut Connection, id: &str, to: Final) -> Result<TxRow, SettleError> {
    let sp = atomic(conn)?;
    let Some(mut tx) = transaction(&sp, id)? else {
        return Err(SettleError::NotFound);
    };
    if !tx.is_open() {
        return Err(SettleError::Final);
    }
    tx.status = to.status().to_string();
    tx.updated_us = touch(&tx);
    sp.prepare_cached(
        "UPDATE wallet_transactions SET status = ?2, updated_us = ?3
         WHERE id = ?1 AND status IN ('NEW', 'PROCESSING')",
    )?
    .execute(params![tx.id, tx.status, tx.updated_us])?;
    sp.commit()?;
    Ok(tx)
}
