//! The embedded sandbox as `gatecheck sandbox` runs it: the Gate API and the Wallet API in
//! one process, on one port (their paths do not collide), over one SQLite store, with the
//! same flags (`--db`, `--complete-after`, faults, `--rate-limit`, test-only mutants).
//! This module composes the two; neither API knows the other (`apis::gate::sandbox::start`
//! still serves the Gate alone).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use gatecheck::sandbox::{self, SandboxConfig};
//! let sb = sandbox::start(SandboxConfig::default()).await?; // 127.0.0.1:0, in-memory
//! println!("{} {} {}", sb.base_url(), sb.merchant_id(), sb.merchant_api_key());
//! sb.shutdown().await;
//! # Ok(()) }
//! ```

pub mod cli;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::apis::gate::sandbox::Gate;
pub use crate::apis::gate::sandbox::{Faults, LatencyFault, Mutant, Stall};
#[doc(hidden)]
pub use crate::apis::wallet::sandbox::WalletMutant;
use crate::apis::wallet::sandbox::{Wallet, WalletSettings};
use crate::apis::ApiName;
use crate::engine::sandbox::edge;
use crate::engine::sandbox::store::Store;

/// The Gate's configuration (address, store, identity, timing, rate limit, faults, Gate
/// mutant), which the whole sandbox shares, plus the Wallet's test-only mutant.
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    pub gate: crate::apis::gate::sandbox::SandboxConfig,
    /// A deliberate Wallet contract violation, for proving that checks can fail. Test-only.
    #[doc(hidden)]
    pub wallet_mutant: Option<WalletMutant>,
}

impl From<crate::apis::gate::sandbox::SandboxConfig> for SandboxConfig {
    fn from(gate: crate::apis::gate::sandbox::SandboxConfig) -> SandboxConfig {
        SandboxConfig {
            gate,
            wallet_mutant: None,
        }
    }
}

impl SandboxConfig {
    /// The default configuration with one Wallet mutant (tests).
    pub fn with_wallet_mutant(mutant: WalletMutant) -> SandboxConfig {
        SandboxConfig {
            wallet_mutant: Some(mutant),
            ..SandboxConfig::default()
        }
    }
}

/// A running sandbox serving both APIs. Dropping it without [`SandboxHandle::shutdown`]
/// leaves the server running until the runtime ends.
pub struct SandboxHandle {
    base_url: String,
    agent_id: String,
    api_key: String,
    admin_token: String,
    merchant_id: String,
    merchant_api_key: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The Gate's default agent (GATE_API.md §9.3).
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    /// The default agent's API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The admin token of `/_sandbox`, shared by both APIs.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The Wallet's default merchant (WALLET_API.md §6), accepting KZT, USD and EUR.
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// The default merchant's API key.
    pub fn merchant_api_key(&self) -> &str {
        &self.merchant_api_key
    }

    /// Stops accepting connections, finishes in-flight requests, stops both lifecycles.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts the Gate and the Wallet on `config.gate.addr` (port 0 picks a free port) over
/// one store, and returns once the server accepts connections.
pub async fn start(config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
    let gate_config = config.gate;
    let db = gate_config.db.clone();
    let store = tokio::task::spawn_blocking(move || {
        Store::open(
            db.as_deref(),
            &[
                crate::apis::gate::sandbox::SCHEMA,
                crate::apis::wallet::sandbox::SCHEMA,
            ],
        )
    })
    .await?
    .context("cannot open the sandbox store")?;
    let gate = Gate::prepare(store.clone(), &gate_config).await?;
    let wallet = Wallet::prepare(
        store,
        &WalletSettings {
            admin_token: gate.admin_token().to_string(),
            complete_after: gate_config.complete_after,
            slow_after: gate_config.slow_after,
            rate_limit: gate_config.rate_limit,
            faults: gate_config.faults.clone(),
            mutant: config.wallet_mutant,
        },
    )
    .await?;
    let (stop, stop_rx) = watch::channel(false);
    let gate_lifecycle = gate.spawn_lifecycle(stop_rx.clone());
    let wallet_lifecycle = wallet.spawn_lifecycle(stop_rx.clone());
    // The Wallet first: the Gate claims every path it does not.
    let router = edge::router(vec![wallet.mount(), gate.mount()]);
    let listening = edge::listen(gate_config.addr, router, stop_rx).await?;
    Ok(SandboxHandle {
        base_url: listening.base_url,
        agent_id: gate.agent_id().to_string(),
        api_key: gate.api_key().to_string(),
        admin_token: gate.admin_token().to_string(),
        merchant_id: wallet.merchant_id().to_string(),
        merchant_api_key: wallet.merchant_api_key().to_string(),
        stop,
        tasks: vec![listening.server, gate_lifecycle, wallet_lifecycle],
    })
}

/// Starts the combined sandbox for a command about one API: the target's identity and
/// key are that API's default caller (the Gate's agent, or the Wallet's merchant).
#[derive(Debug, Clone)]
pub struct Launcher {
    pub config: SandboxConfig,
    pub api: ApiName,
}

impl crate::engine::target::EmbeddedLauncher for Launcher {
    fn launch(
        &self,
    ) -> futures::future::BoxFuture<'_, anyhow::Result<crate::engine::target::Embedded>> {
        Box::pin(async move {
            let sb = start(self.config.clone()).await?;
            let (identity, api_key) = match self.api {
                ApiName::Gate => (
                    crate::apis::gate::client::agent_identity(sb.agent_id()),
                    sb.api_key().to_string(),
                ),
                ApiName::Wallet => (
                    crate::engine::client::Identity::default(),
                    sb.merchant_api_key().to_string(),
                ),
            };
            Ok(crate::engine::target::Embedded {
                base_url: sb.base_url().to_string(),
                identity,
                api_key,
                admin_token: sb.admin_token().to_string(),
                stop: Box::new(move || Box::pin(sb.shutdown())),
            })
        })
    }
}
