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
//! Map: `server` (the order of checks, rendering) → `gate` (reads), `orders` (create),
//! `admin` → `store` (SQLite, every money movement one transaction), `lifecycle`
//! (completion scheduler), `catalog` (in memory), `idempotency`, `pagination`, `auth`,
//! `faults`, `mutants`.
//!
//! **Invariant:** the sandbox knows nothing of the harness's checks; it only follows the
//! contract (or, under a mutant, breaks exactly one rule of it).

mod admin;
mod app;
mod catalog;
pub mod cli;
mod config;
mod faults;
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
use crate::engine::sandbox::idempotency::InFlight;
use crate::engine::sandbox::pagination::Cursors;
use app::App;
use faults::FaultInjector;
use lifecycle::Schedule;
use store::Store;

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

/// Starts a sandbox on `config.addr` (port 0 picks a free port) and returns once it
/// accepts connections.
pub async fn start(config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(db.as_deref()))
        .await?
        .context("cannot open the sandbox store")?;
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
                let secret = store::cursor_secret(conn)?;
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
        store: store.clone(),
        keys: KeyRing::new(keys),
        admin_token: identity.admin_token.clone(),
        in_flight: InFlight::default(),
        limiter: config.rate_limit.map(RateLimiter::new),
        faults: FaultInjector::new(config.faults.clone()),
        cursors: Cursors::new(secret),
        schedule: schedule.clone(),
        complete_after: config.complete_after,
        slow_after: config.slow_after,
        mutant: config.mutant,
    });
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let local = listener.local_addr()?;
    let host = if local.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if local.is_ipv6() {
        format!("[{}]", local.ip())
    } else {
        local.ip().to_string()
    };
    let base_url = format!("http://{host}:{}", local.port());
    let (stop, stop_rx) = watch::channel(false);
    let scheduler = tokio::spawn(lifecycle::run(
        schedule,
        store,
        config.mutant,
        stop_rx.clone(),
    ));
    let mut server_stop = stop_rx;
    let router = server::router(app);
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.wait_for(|s| *s).await;
        };
        crate::engine::sandbox::serve::serve(listener, router, Default::default(), shutdown).await;
    });
    Ok(SandboxHandle {
        base_url,
        identity,
        stop,
        server,
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
