//! The Wallet's SQL (on the engine's shared store thread): merchants and their keys,
//! transactions with their three operation totals, and Idempotency-Key bindings.
//!
//! Every money movement is one savepoint that looks the key up, checks state and
//! `remaining`, moves the total and binds the key in the same step (never check-then-act),
//! so under any concurrency the totals equal the sum of the operations that got a 2xx.
//! No 2xx leaves before the batch holding it has committed (the engine's group commit).
//!
//! One job a file: `schema` (the tables), `rows` (rows, views, what a request asks for),
//! `merchants` (merchants and keys), `reads` (transaction reads), `bindings`
//! (Idempotency-Key bindings and replays) and `movements` (authorize, operate, settle).
//!
//! **Invariant:** the store knows nothing of HTTP; it returns rows and [`ApiError`]s only
//! for the domain outcomes.
//!
//! [`ApiError`]: crate::engine::sandbox::errors::ApiError

mod bindings;
mod merchants;
mod movements;
mod reads;
mod rows;
mod schema;

pub use crate::engine::sandbox::store::KeyUse;
pub use bindings::{is_bound, purge_expired_keys};
pub use merchants::{
    add_key, create_merchant, ensure_default_merchant, keys, merchants, revoke_key,
    DEFAULT_CURRENCIES,
};
pub use movements::{authorize, operate, settle};
pub use reads::{list, open_transactions, room, transaction};
pub use rows::{
    Done, Final, NewOp, NewTx, Operation, SettleError, TxFilter, TxRow, FAILED, NEW, PROCESSING,
    SUCCESS,
};
pub use schema::SCHEMA;
