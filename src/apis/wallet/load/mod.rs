//! `gatecheck load --api wallet`: Wallet load from `scenarios/wallet.toml` — authorize →
//! poll → capture → (some) refund, plus transaction and list reads — on the engine's load
//! run (`crate::engine::load`: goose, open model, HdrHistograms, thresholds, shards).
//!
//! Code map: `scenario` (the Wallet's transaction kinds), `transactions` (its engine
//! `Transaction`s and per-user bookkeeping), `cli` (the command).
//!
//! Money: every authorization is a real hold outside loopback. With real money not
//! allowed (a remote host without `--allow-spend`, or `--read-only`) a scenario that
//! authorizes is refused before any Wallet request; otherwise authorizations stop at
//! `--max-spend` per currency. The embedded sandbox's money is not real: its load is not
//! capped.

pub mod cli;
pub mod scenario;
pub mod transactions;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::engine::load::run::{drive, Progress};
use crate::engine::load::validate::BodyValidator;
use crate::engine::model::LoadSummary;

use crate::engine::target::ResolvedTarget;
use crate::GateError;
use scenario::Action;

/// Everything a Wallet load run needs besides the target.
pub type LoadPlan = crate::engine::load::plan::LoadPlan<Action>;

/// A finished Wallet run: the summary every report renders, plus remarks for the reader.
#[derive(Debug, Clone)]
pub struct LoadRun {
    pub summary: LoadSummary,
    pub notes: Vec<String>,
    /// Authorizations left unsent because the spend cap would have been passed.
    pub refused_by_cap: u64,
    /// The interval log, as written to `load.hlog`.
    pub interval_log: Vec<u8>,
}

/// Whether the scenario holds real money (it authorizes).
pub fn authorizes(plan: &LoadPlan) -> bool {
    plan.scenario
        .transactions
        .iter()
        .any(|t| matches!(t.action, Action::Authorize { .. }))
}

/// Why the plan may not run against this target: it authorizes, and real money is not
/// allowed there (a host outside loopback without `--allow-spend`, or `--read-only`
/// anywhere).
pub fn refusal(plan: &LoadPlan, resolved: &ResolvedTarget) -> Option<SpendRefused> {
    (authorizes(plan) && !resolved.spend.real_orders_allowed()).then_some(SpendRefused)
}

/// A Wallet load scenario that would hold real money without `--allow-spend` (exit 2 from
/// `gatecheck load`; a skipped phase in `certify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the scenario authorizes, and every Wallet authorization holds real money: against \
     a host outside loopback pass --allow-spend (authorizations then stop at \
     --max-spend per currency), or run only reads (--only list_transactions)"
)]
pub struct SpendRefused;

crate::engine::exit::layer_errors!(SpendRefused);

/// Runs one Wallet load phase against a resolved target; a [`refusal`] is a
/// configuration error (exit 2) before any Wallet request.
pub async fn run(
    plan: LoadPlan,
    resolved: &ResolvedTarget,
    progress: Progress,
) -> Result<LoadRun, GateError> {
    if let Some(refused) = refusal(&plan, resolved) {
        return Err(refused.into());
    }
    let mut notes = Vec::new();
    if resolved.embedded.is_some() {
        notes.push(
            "the embedded sandbox's money is not real: its authorizations are not capped by \
             --max-spend"
                .to_string(),
        );
    }
    let spend = crate::apis::wallet::authorization_guard(resolved);
    let client = &resolved.client;
    let load = Arc::new(transactions::WalletLoad::new(
        &client.target().base_url,
        spend.clone(),
        BodyValidator::new(plan.schemas.clone()),
    ));
    let compiled = transactions::compile(&plan.scenario.transactions, &load);
    let driven = drive(&plan, client, compiled, progress).await?;
    let refused_by_cap = load.refused_by_cap.load(Ordering::Relaxed);
    if refused_by_cap > 0 {
        notes.push(format!(
            "spend cap {} reached: authorizations stopped there ({refused_by_cap} turns of \
             `authorize` skipped)",
            spend.cap()
        ));
    }
    notes.extend(driven.notes);
    Ok(LoadRun {
        summary: driven.summary,
        notes,
        refused_by_cap,
        interval_log: driven.interval_log,
    })
}
