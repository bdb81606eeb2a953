//! The durable state (SQLite, WAL, `synchronous=NORMAL`): agents, API keys, balances,
//! deposits, orders and idempotency bindings, with minor units stored as INTEGER.
//!
//! Every money movement is one savepoint that checks and moves in the same step (never
//! check-then-act): an order's reservation, its completion or failure, a deposit. The
//! connection, its thread and the group commit are the engine's
//! ([`crate::engine::sandbox::store::Store`]); this folder is the Gate's SQL only, one job
//! a file: `schema` (the tables), `rows` (rows, views, filters), `identity` (agents and
//! keys), `balances` (deposits and balances), `orders` (order reads), `bindings`
//! (Idempotency-Key bindings), `create` (an order's reservation) and `transition` (its
//! completion or failure).
//!
//! **Invariant:** the store knows nothing of HTTP; it returns rows and [`ApiError`]s only
//! for the domain outcomes (insufficient balance, idempotency mismatch).
//!
//! [`ApiError`]: crate::engine::sandbox::errors::ApiError

mod balances;
mod bindings;
mod create;
mod identity;
mod orders;
mod rows;
mod schema;
#[cfg(test)]
mod tests;
mod transition;

pub use crate::engine::sandbox::store::{KeyUse, Store};
pub use balances::{add_deposit, available, balances, list_deposits};
pub use bindings::{binding, purge_expired_keys};
pub use create::create_order;
pub use identity::{active_keys, add_key, agent_exists, create_agent, ensure_identity, revoke_key};
pub use orders::{list_orders, order, pending_orders};
pub use rows::{
    Created, DepositFilter, DepositView, Identity, NewOrder, OrderFilter, OrderRow, Outcome,
    TransitionError,
};
pub use schema::SCHEMA;
pub use transition::transition;
