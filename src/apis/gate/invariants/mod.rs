//! `gatecheck invariants`: the money bugs no schema can see.
//!
//! A stateful, model-based probe (proptest-generated operation sequences checked step by
//! step against a reference ledger, failures shrunk to a numbered `curl` script) and
//! concurrency probes (idempotency and reservation races). Produces one
//! [`PhaseReport`] named `invariants`; `certify` calls [`run`].
//!
//! Map: `catalog` (what can be ordered) → `payload` + `strategy` (what to send) →
//! `ledger` (what must happen) → `exec` (send, compare) → `runner` (cases, shrinking,
//! `persist`ed seeds, `script`) ; `concurrency` (parallel probes) ; `checks` (ids, results).
//!
//! Blame: the stateful probe stops at the first disagreement and names one check. A reply
//! is judged before any balance (pricing before reservation, so an under-priced order is a
//! pricing bug, not an overdraw); a wrong balance is blamed on the one event just checked
//! — the operation's own rule (replay, mismatch, test order, refusal, reservation), or the
//! transition an order just made (failed → its release, completed → the ledger identity).
//! Orders meant to end on their own are waited for at once, so events never overlap; a
//! `sandbox-slow` order is ended by the admin API. The §7 identity is also computed from
//! the server's own deposits and orders at the end of every case.
//!
//! **Invariant:** the probes never create a real order where the spend policy forbids it
//! (test orders only on a remote host without `--allow-spend`; `--max-spend` on the user's
//! own agent), and never touch an agent other than the target's or one they created.

pub mod balances;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod concurrency;
pub mod exec;
pub mod ledger;
pub mod payload;
pub mod runner;
pub mod script;
pub mod strategy;

use crate::apis::gate::admin::AdminClient;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::apis::gate::money::Amount;
use crate::engine::client::{ApiClient, Exchange};
use crate::engine::invariants::admin::AdminRefusal;
use crate::engine::model::PhaseReport;
use crate::engine::spend::SpendGuard;
use crate::engine::target::ResolvedTarget;
use crate::GateError;
use catalog::{Catalog, CatalogError};
use checks::{CheckId, Ledgerbook};
use strategy::GenMode;

pub use crate::engine::invariants::options::{InvariantOptions, DEFAULT_CASES};
pub use crate::engine::invariants::stats::RunStats;

pub use crate::engine::invariants::probe::ProbeError;

impl From<CatalogError> for ProbeError {
    fn from(e: CatalogError) -> ProbeError {
        match e {
            CatalogError::Discovery(crate::apis::gate::catalog::CatalogError::Transport(m)) => {
                ProbeError::Target(m)
            }
            c => ProbeError::Target(c.to_string()),
        }
    }
}

/// What every probe shares: the target, its catalog, the spend policy.
pub struct Env {
    pub client: ApiClient,
    pub catalog: Arc<Catalog>,
    pub currencies: Vec<String>,
    pub mode: GenMode,
    pub spend: SpendGuard,
    pub settle_timeout: Duration,
    pub poll_interval: Duration,
}

impl Env {
    pub async fn prepare(
        opts: &InvariantOptions,
        resolved: &ResolvedTarget,
    ) -> Result<Env, ProbeError> {
        let client = resolved.client.clone();
        let found = crate::apis::gate::catalog::discover(
            &client,
            crate::apis::gate::catalog::Lists::Products,
        )
        .await
        .map_err(CatalogError::from)?;
        let mode = GenMode {
            admin: client.target().admin_token.is_some(),
            test_only: !resolved.spend.real_orders_allowed(),
        };
        if !mode.admin && !mode.test_only {
            // Real orders on the user's own agent: quote every product first (test orders,
            // before the model starts), so the cap believes the larger of claim and quote.
            crate::apis::gate::charge::quote_all(&client, &resolved.spend, &found.orderable).await;
        }
        let catalog = Arc::new(Catalog::from_catalog(found)?);
        let currencies = catalog.currencies();
        Ok(Env {
            client,
            catalog,
            currencies,
            mode,
            spend: resolved.spend.clone(),
            settle_timeout: opts.settle_timeout,
            poll_interval: opts.poll_interval,
        })
    }

    /// `POST /_sandbox/agents` with these completed deposits: a client for the new agent
    /// (its id and key masked as `$GATECHECK_AGENT_ID` / `$GATECHECK_AGENT_KEY`) and the
    /// exchange, for reproductions.
    pub async fn isolated_agent(
        &self,
        deposits: &[(String, Amount)],
    ) -> Result<(ApiClient, Exchange), ProbeError> {
        AdminClient::new(&self.client)
            .create_agent(deposits)
            .await
            .map_err(|e| ProbeError::Target(e.to_string()))?
            .map_err(|e| ProbeError::from(AdminRefusal::from(e)))
    }
}

/// Runs the invariants phase against a resolved target (the entry point `certify` uses).
pub async fn run(
    opts: &InvariantOptions,
    resolved: &ResolvedTarget,
) -> Result<PhaseReport, GateError> {
    run_with_stats(opts, resolved).await.map(|(p, _)| p)
}

/// [`run`], plus the run's numbers (seed, cases per second, requests).
pub async fn run_with_stats(
    opts: &InvariantOptions,
    resolved: &ResolvedTarget,
) -> Result<(PhaseReport, RunStats), GateError> {
    let started = Instant::now();
    let env = Env::prepare(opts, resolved).await?;
    let mut book = Ledgerbook::default();
    let seed = opts.seed.unwrap_or_else(rand::random);
    let mut stats = RunStats {
        seed,
        ..RunStats::default()
    };
    if !env.mode.admin {
        let reason = "needs the sandbox admin API (--admin-token) to force transitions";
        book.skip(CheckId::FailedReleasesReservation, reason);
    }
    if env.mode.test_only {
        let reason = "needs real orders: only test orders are allowed on a remote host without --allow-spend";
        for c in [
            CheckId::ChargeReserved,
            CheckId::InsufficientBalanceRejected,
            CheckId::FailedReleasesReservation,
        ] {
            book.skip(c, reason);
        }
    }
    if opts.stateful {
        runner::run_stateful(&env, opts, seed)
            .await?
            .record(&mut book, &mut stats);
    }
    if opts.concurrency {
        let t = Instant::now();
        concurrency::run_all(&env, opts, &mut book).await?;
        stats.concurrency_elapsed = t.elapsed();
    }
    let phase = PhaseReport {
        name: "invariants".to_string(),
        checks: book.results(),
        load: None,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    Ok((phase, stats))
}
