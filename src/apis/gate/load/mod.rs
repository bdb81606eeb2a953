//! `gatecheck load`: goose-driven load from `scenarios/*.toml`, latency in HdrHistograms
//! (CO-corrected under `--rate`), thresholds that gate CI, and mergeable interval logs.
//!
//! Flow: scenario file → [`LoadPlan`] → discover the catalog → compile transactions →
//! goose runs users, each transaction paced by `pacing` and reporting one numeric sample
//! to `recorder` → `summary` turns histograms into a [`LoadSummary`] → `.hgrm` files and
//! the interval log are written under the artifacts folder.
//!
//! Code map: `scenario` (the Gate's transaction kinds), `catalog` (live ids and order
//! bodies), `transactions` (the Gate's engine `Transaction`s), `validate` (sampled body
//! checks), `agent`; the engine's `crate::engine::load` does pacing, goose, recording,
//! logs, thresholds and the summary;
//! `cli` (flags, console table, `merge`).

pub mod agent;
pub mod capacity;
pub mod catalog;
pub mod cli;
pub mod scenario;
pub mod transactions;
pub mod validate;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::engine::model::LoadSummary;
use crate::engine::target::ResolvedTarget;
use crate::GateError;

pub use crate::engine::load::run::{Progress, GOOSE_REPORT, INTERVAL_LOG};
pub use crate::engine::load::thresholds::Threshold;
pub use scenario::{Scenario, ScenarioError, ThinkTime};

/// Everything a Gate load run needs besides the target.
pub type LoadPlan = crate::engine::load::plan::LoadPlan<scenario::Action>;

/// A finished run: the summary every report renders, plus remarks for the reader.
#[derive(Debug, Clone)]
pub struct LoadRun {
    pub summary: LoadSummary,
    /// What the reader should know: late schedule, spend cap, products not ordered,
    /// first schema problems.
    pub notes: Vec<String>,
    /// Orders created as test orders because the spend cap was reached.
    pub orders_switched_to_test: u64,
    /// The client the load ran as: a dedicated agent on the embedded sandbox, else the
    /// target's own.
    pub client: crate::engine::client::ApiClient,
    /// Sends more than 10 ms late by the generator's own fault (open model).
    pub generator_late: u64,
    /// The largest lag the generator caused.
    pub generator_lag_max_us: u64,
    /// The interval log (per second, per transaction × class), as written to `load.hlog`.
    pub interval_log: Vec<u8>,
}

/// Runs one load phase against a resolved target. The library entry point `certify` calls.
pub async fn run(
    plan: LoadPlan,
    resolved: &ResolvedTarget,
    progress: Progress,
) -> Result<LoadRun, GateError> {
    let catalog = catalog::discover(&resolved.client).await?;
    let (client, agent_remark) = agent::load_client(resolved, &catalog).await;
    let client = &client;
    let gate = Arc::new(transactions::GateLoad::new(
        client,
        &catalog,
        resolved.spend.clone(),
        validate::BodyValidator::new(plan.schemas.clone()),
    ));
    let compiled = transactions::compile(&plan.scenario.transactions, client, &catalog, &gate)
        .map_err(GateError::Config)?;
    let driven = crate::engine::load::run::drive(&plan, client, compiled, progress).await?;
    let switched = gate.orders_switched_to_test.load(Ordering::Relaxed);

    let mut notes = catalog.notes.clone();
    notes.extend(agent_remark);
    if switched > 0 {
        notes.push(format!(
            "spend cap {} reached: {switched} orders were created as test orders",
            resolved.spend.cap()
        ));
    }
    notes.extend(driven.notes);
    Ok(LoadRun {
        summary: driven.summary,
        notes,
        orders_switched_to_test: switched,
        client: client.clone(),
        generator_late: driven.generator_late,
        generator_lag_max_us: driven.generator_lag_max_us,
        interval_log: driven.interval_log,
    })
}
