//! The Wallet's tables.

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
