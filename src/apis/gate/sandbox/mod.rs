//! The embedded Gate API sandbox (`gatecheck sandbox`): the contract of
//! `GATE_API.md` §1–§10 on axum + SQLite, stateful, with an admin API, fault injection
//! and (test-only) mutants.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use gatecheck::apis::gate::sandbox::{self, SandboxConfig};
//! let sb = sandbox::start(SandboxConfig::default()).await?; // 127.0.0.1:0, in-memory
//! println!("{} {} {}", sb.base_url(), sb.agent_id(), sb.api_key());
//! sb.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Map: `server` (the order of checks; the Gate's `Mount`) → `gate` (reads), `orders`
//! (create), `admin` → `store` (the Gate's SQL; every money movement one savepoint on the
//! engine's store thread), `lifecycle` (completions on the engine's schedule), `catalog`
//! (in memory), `mutants`. Shared plumbing (store thread, HTTP edge, faults, idempotency,
//! cursors, keys) is `engine::sandbox`; `crate::sandbox` serves the Gate beside the Wallet.
//!
//! **Invariant:** the sandbox knows nothing of the harness's checks; it only follows the
//! contract (or, under a mutant, breaks exactly one rule of it).

mod admin;
mod app;
mod catalog;

mod config;
mod gate;
mod lifecycle;
pub mod mutants;
mod orders;
mod server;
mod store;

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{Faults, LatencyFault, SandboxConfig, Stall};
#[doc(hidden)]
pub use mutants::Mutant;

use crate::engine::sandbox::auth::{KeyRing, RateLimiter};
use crate::engine::sandbox::edge::{self, Mount};
use crate::engine::sandbox::faults::FaultInjector;
use crate::engine::sandbox::idempotency::InFlight;
use crate::engine::sandbox::pagination::Cursors;
use crate::engine::sandbox::store::cursor_secret;
pub use crate::engine::sandbox::store::Store;
use app::App;
use lifecycle::Schedule;

/// The Gate's tables, for opening a store the Gate shares with other APIs.
pub const SCHEMA: &str = store::SCHEMA;

/// A running sandbox. Dropping it without [`SandboxHandle::shutdown`] leaves the server
/// running until the runtime ends.
pub struct SandboxHandle {
    base_url: String,
    identity: store::Identity,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    scheduler: JoinHandle<()>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn agent_id(&self) -> &str {
        &self.identity.agent_id
    }

    pub fn api_key(&self) -> &str {
        &self.identity.api_key
    }

    pub fn admin_token(&self) -> &str {
        &self.identity.admin_token
    }

    /// Stops accepting connections, finishes in-flight requests, stops the scheduler.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.scheduler.await;
    }
}

/// The Gate prepared on an open store, ready to be mounted on a server (alone, by
/// [`start`], or beside other APIs by `crate::sandbox`).
pub struct Gate {
    app: Arc<App>,
    identity: store::Identity,
}

impl Gate {
    /// Sets the Gate up on `store` (which already holds [`SCHEMA`]): the default agent and
    /// admin token (§9.3), the active keys, the cursor secret, the pending orders.
    pub async fn prepare(store: Store, config: &SandboxConfig) -> anyhow::Result<Gate> {
        let (identity, keys, secret, pending) = {
            let cfg = config.clone();
            let store = store.clone();
            tokio::task::spawn_blocking(move || {
                store.call_now(move |conn| -> anyhow::Result<_> {
                    let identity = store::ensure_identity(
                        conn,
                        cfg.agent_id.as_deref(),
                        cfg.api_key.as_deref(),
                        cfg.admin_token.as_deref(),
                    )?;
                    let keys = store::active_keys(conn)?;
                    let secret = cursor_secret(conn)?;
                    let pending = store::pending_orders(conn)?;
                    Ok((identity, keys, secret, pending))
                })
            })
            .await???
        };
        let schedule = Schedule::default();
        for (due, id) in pending {
            schedule.add(due, id);
        }
        let app = Arc::new(App {
            catalog: catalog::Catalog::seeded()?,
            store,
            keys: KeyRing::new(keys),
            admin_token: identity.admin_token.clone(),
            in_flight: InFlight::default(),
            limiter: config.rate_limit.map(RateLimiter::new),
            faults: FaultInjector::new(config.faults.clone()),
            cursors: Cursors::new(secret),
            schedule,
            complete_after: config.complete_after,
            slow_after: config.slow_after,
            mutant: config.mutant,
        });
        Ok(Gate { app, identity })
    }

    /// The default agent's id and key, and the admin token every API of the sandbox uses.
    pub fn agent_id(&self) -> &str {
        &self.identity.agent_id
    }

    pub fn api_key(&self) -> &str {
        &self.identity.api_key
    }

    pub fn admin_token(&self) -> &str {
        &self.identity.admin_token
    }

    /// The Gate's routes (it claims every path, so mount it last).
    pub fn mount(&self) -> Arc<dyn Mount> {
        Arc::new(server::GateMount(Arc::clone(&self.app)))
    }

    /// Starts the order lifecycle; it runs until `stop` flips.
    pub fn spawn_lifecycle(&self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(lifecycle::run(
            self.app.schedule.clone(),
            self.app.store.clone(),
            self.app.mutant,
            stop,
        ))
    }
}

/// Starts a Gate-only sandbox on `config.addr` (port 0 picks a free port) and returns once
/// it accepts connections. `crate::sandbox::start` serves the Gate and the Wallet together.
pub async fn start(config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(db.as_deref(), &[SCHEMA]))
        .await?
        .context("cannot open the sandbox store")?;
    let gate = Gate::prepare(store, &config).await?;
    let (stop, stop_rx) = watch::channel(false);
    let scheduler = gate.spawn_lifecycle(stop_rx.clone());
    let listening = edge::listen(config.addr, edge::router(vec![gate.mount()]), stop_rx).await?;
    Ok(SandboxHandle {
        base_url: listening.base_url,
        identity: gate.identity,
        stop,
        server: listening.server,
        scheduler,
    })
}

impl crate::engine::target::EmbeddedLauncher for SandboxConfig {
    /// Starts the Gate sandbox with this configuration for a command with no `--base-url`.
    fn launch(
        &self,
    ) -> futures::future::BoxFuture<'_, anyhow::Result<crate::engine::target::Embedded>> {
        Box::pin(async move {
            let sb = start(self.clone()).await?;
            Ok(crate::engine::target::Embedded {
                base_url: sb.base_url().to_string(),
                identity: crate::apis::gate::client::agent_identity(sb.agent_id()),
                api_key: sb.api_key().to_string(),
                admin_token: sb.admin_token().to_string(),
                stop: Box::new(move || Box::pin(sb.shutdown())),
            })
        })
    }
}
