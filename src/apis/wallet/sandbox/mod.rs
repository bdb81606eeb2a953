//! The embedded Wallet sandbox (WALLET_API.md §1–§6): authorize a hold, capture, cancel or
//! refund parts of it, read and list transactions, the merchant admin calls and the
//! phone-suffix scenarios. It is an API *mounted* on a sandbox server: `crate::sandbox`
//! serves it beside the Gate on one port and one store.
//!
//! Map: `server` (the order of checks, routing, the admin routes) → `handlers`
//! (authorize, operations, reads), `admin` → `store` (SQL; every movement one savepoint),
//! `fields` (field rules), `ids` (ULIDs), `lifecycle` (outcomes when due), `mutants`.
//!
//! **Invariant:** the sandbox knows nothing of the harness's checks; it only follows the
//! contract (or, under a mutant, breaks exactly one rule of it).

mod admin;
mod app;
pub mod contract_mutants;
mod fields;
mod handlers;
pub mod ids;
mod lifecycle;
pub mod mutants;
mod server;
mod store;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use fields::{check_digit, is_valid_iin};
#[doc(hidden)]
pub use mutants::WalletMutant;

use crate::engine::sandbox::auth::{KeyRing, RateLimiter};
use crate::engine::sandbox::edge::Mount;
use crate::engine::sandbox::faults::{FaultInjector, Faults};
use crate::engine::sandbox::idempotency::InFlight;
use crate::engine::sandbox::pagination::Cursors;
use crate::engine::sandbox::schedule::Schedule;
use crate::engine::sandbox::store::{cursor_secret, Store};
use app::App;

/// The Wallet's tables, for opening the store it shares with other APIs.
pub const SCHEMA: &str = store::SCHEMA;

/// What the Wallet part of a sandbox is started with (the sandbox's shared flags).
#[derive(Debug, Clone)]
pub struct WalletSettings {
    /// The admin token of the whole sandbox (`X-Sandbox-Admin`).
    pub admin_token: String,
    /// Delay before an ordinary authorization becomes `SUCCESS` (or `FAILED` for `…0000`).
    pub complete_after: Duration,
    /// Delay before a `…1111` authorization becomes `SUCCESS` (5 s by default).
    pub slow_after: Duration,
    /// Requests per API key per one-second window.
    pub rate_limit: Option<u32>,
    pub faults: Faults,
    #[doc(hidden)]
    pub mutant: Option<WalletMutant>,
}

/// The Wallet prepared on an open store, ready to be mounted.
pub struct Wallet {
    app: Arc<App>,
    merchant_id: String,
    merchant_api_key: String,
}

impl Wallet {
    /// Sets the Wallet up on `store` (which already holds [`SCHEMA`]): the default merchant
    /// (§6), merchants and keys, the cursor secret, the open transactions.
    pub async fn prepare(store: Store, settings: &WalletSettings) -> anyhow::Result<Wallet> {
        let st = store.clone();
        let (default, merchants, keys, secret, open) = tokio::task::spawn_blocking(move || {
            st.call_now(move |conn| -> anyhow::Result<_> {
                let default = store::ensure_default_merchant(conn)?;
                Ok((
                    default,
                    store::merchants(conn)?,
                    store::keys(conn)?,
                    cursor_secret(conn)?,
                    store::open_transactions(conn)?,
                ))
            })
        })
        .await???;
        let schedule = Schedule::default();
        for (due, id) in open {
            schedule.add(due, id);
        }
        let known: HashSet<String> = keys.iter().map(|(k, _, _)| k.clone()).collect();
        let active = keys
            .into_iter()
            .filter(|(_, _, revoked)| !revoked)
            .map(|(k, m, _)| (k, m));
        let app = Arc::new(App {
            store,
            keys: KeyRing::new(active),
            known_keys: RwLock::new(known),
            merchants: RwLock::new(
                merchants
                    .into_iter()
                    .map(|m| (m.id, m.currencies))
                    .collect::<HashMap<_, _>>(),
            ),
            admin_token: settings.admin_token.clone(),
            in_flight: InFlight::default(),
            limiter: settings.rate_limit.map(RateLimiter::new),
            faults: FaultInjector::new(settings.faults.clone()),
            cursors: Cursors::new(secret),
            schedule,
            complete_after: settings.complete_after,
            slow_after: settings.slow_after,
            mutant: settings.mutant,
            default_key: default.1.clone(),
            second_keys: RwLock::default(),
        });
        Ok(Wallet {
            app,
            merchant_id: default.0,
            merchant_api_key: default.1,
        })
    }

    /// The default merchant's id (a UUID).
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// The default merchant's API key.
    pub fn merchant_api_key(&self) -> &str {
        &self.merchant_api_key
    }

    /// The Wallet's routes; mount them before an API that claims every path.
    pub fn mount(&self) -> Arc<dyn Mount> {
        Arc::new(server::WalletMount(Arc::clone(&self.app)))
    }

    /// Starts the transaction lifecycle; it runs until `stop` flips.
    pub fn spawn_lifecycle(&self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(lifecycle::run(
            self.app.schedule.clone(),
            self.app.store.clone(),
            stop,
        ))
    }
}
