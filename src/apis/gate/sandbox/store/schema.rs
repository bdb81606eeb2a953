//! The Gate's tables.

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
