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
    /// Test orders sent on the target's own agent before the run as price quotes (one
    /// per orderable product, when real orders are allowed): not part of the load.
    pub quotes: u64,
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

/// What a run needs from the target before it starts: the catalog and, when real orders
/// are allowed, one price quote per orderable product (test orders on the target's own
/// agent). Capacity steps prepare once and share it.
#[derive(Debug, Clone)]
pub struct Prepared {
    catalog: catalog::Catalog,
    quotes: u64,
}

/// Discovers the catalog and asks for the quotes.
pub async fn prepare(resolved: &ResolvedTarget) -> Result<Prepared, GateError> {
    let catalog = catalog::discover(&resolved.client).await?;
    let quotes = if resolved.spend.real_orders_allowed() {
        catalog::quote_all(&resolved.client, &resolved.spend, &catalog).await
    } else {
        0
    };
    Ok(Prepared { catalog, quotes })
}

/// Runs one load phase against a resolved target. The library entry point `certify` calls.
pub async fn run(
    plan: LoadPlan,
    resolved: &ResolvedTarget,
    progress: Progress,
) -> Result<LoadRun, GateError> {
    let prepared = prepare(resolved).await?;
    run_prepared(plan, resolved, &prepared, progress).await
}

/// [`run`] with the catalog and quotes already in hand.
pub async fn run_prepared(
    plan: LoadPlan,
    resolved: &ResolvedTarget,
    prepared: &Prepared,
    progress: Progress,
) -> Result<LoadRun, GateError> {
    let Prepared { catalog, quotes } = prepared;
    let quotes = *quotes;
    let (client, agent_remark) = agent::load_client(resolved, catalog).await;
    let client = &client;
    let gate = Arc::new(transactions::GateLoad::new(
        client,
        catalog,
        resolved.spend.clone(),
        validate::BodyValidator::new(plan.schemas.clone()),
    ));
    let compiled = transactions::compile(&plan.scenario.transactions, client, catalog, &gate)?;
    let driven = crate::engine::load::run::drive(&plan, client, compiled, progress).await?;
    let switched = gate.orders_switched_to_test.load(Ordering::Relaxed);
    let while_held = gate.orders_sent_as_test_while_held.load(Ordering::Relaxed);

    let mut notes = catalog.notes.clone();
    notes.extend(agent_remark);
    if quotes > 0 {
        notes.push(format!(
            "{quotes} test orders were sent before the run as price quotes: real orders are \
             reserved against the larger of the catalog's price and the quote"
        ));
    }
    if while_held > 0 {
        notes.push(format!(
            "{while_held} orders were created as test orders while a real order in the same \
             currency was in flight: each real order reserves all the spend cap still allows \
             (its price is the catalog's claim) until its answer says what was charged"
        ));
    }
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
        quotes,
        client: client.clone(),
        generator_late: driven.generator_late,
        generator_lag_max_us: driven.generator_lag_max_us,
        interval_log: driven.interval_log,
    })
}
