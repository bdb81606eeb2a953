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

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::engine::model::LoadSummary;
use crate::engine::schema::SchemaSet;
use crate::engine::target::ResolvedTarget;
use crate::GateError;

pub use crate::engine::load::thresholds::Threshold;
use crate::engine::load::{attack, goose, histlog, pacing, recorder, summary, thresholds};
pub use scenario::{Scenario, ScenarioError, ThinkTime};

/// Everything a load run needs besides the target.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub scenario: Scenario,
    pub users: u64,
    pub ramp: Duration,
    pub run_time: Duration,
    /// Open model: transactions per second on a fixed schedule (CO-corrected latency).
    pub rate: Option<f64>,
    pub think_time: Option<ThinkTime>,
    /// Fraction of responses whose body is checked (0.0–1.0) against `schemas`.
    pub validate_sample: f64,
    pub schemas: Arc<SchemaSet>,
    /// Requests through goose, with its metrics and HTML report (default); off: goose
    /// only runs the users and the requests go straight to the connection pool.
    pub goose_metrics: bool,
    pub thresholds: Vec<Threshold>,
    pub request_timeout: Duration,
    /// Where `.hgrm` files, the interval log and goose's report go; `None`: nowhere.
    pub artifacts_dir: Option<PathBuf>,
    /// This worker's share of a many-machine run (`rate` and `users` are already its).
    pub shard: crate::engine::load::shard::Shard,
}

/// Whether a live progress bar is drawn on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Hidden,
    Bar,
}

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

/// Interval log file name inside the artifacts folder.
pub const INTERVAL_LOG: &str = "load.hlog";
/// goose's own report inside the artifacts folder.
pub const GOOSE_REPORT: &str = "goose-report.html";

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
    let compiled = transactions::compile(&plan.scenario.transactions, client, catalog, &gate)
        .map_err(GateError::Config)?;
    if let Some(dir) = &plan.artifacts_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| GateError::Config(format!("cannot create {}: {e}", dir.display())))?;
    }

    let names: Vec<String> = compiled.iter().map(|c| c.name.clone()).collect();
    let wall_start = SystemTime::now();
    let origin = tokio::time::Instant::now();
    let comment = format!(
        "gatecheck {} load, scenario {}, {} {}",
        env!("CARGO_PKG_VERSION"),
        plan.scenario.name,
        match plan.rate {
            Some(r) => format!("open model {r}/s (latency from intended send time)"),
            None => "closed model".to_string(),
        },
        plan.shard.log_comment()
    );
    let (collector, samples) = recorder::start(names, wall_start, &comment)
        .map_err(|e| GateError::Other(anyhow::anyhow!("cannot start the recorder: {e}")))?;
    let schedule = match plan.rate {
        Some(rate) => pacing::Schedule::open(origin, rate, plan.users),
        None => pacing::Schedule::Closed,
    };
    let ctx = Arc::new(
        goose::LoadContext::new(
            client,
            samples,
            schedule,
            origin,
            plan.validate_sample,
            plan.goose_metrics,
            plan.request_timeout,
        )
        .map_err(GateError::Other)?,
    );
    let engine_cfg = attack::EngineConfig {
        host: client.target().base_url.clone(),
        scenario: plan.scenario.name.clone(),
        users: plan.users,
        ramp: if plan.rate.is_some() {
            Duration::ZERO
        } else {
            plan.ramp
        },
        run_time: plan.run_time,
        think_time: if plan.rate.is_some() {
            None
        } else {
            plan.think_time
        },
        request_timeout: plan.request_timeout,
        goose_report: plan
            .artifacts_dir
            .as_ref()
            .filter(|_| plan.goose_metrics)
            .map(|d| d.join(GOOSE_REPORT)),
        goose_metrics: plan.goose_metrics,
        // goose's own report covers one attack: with its metrics, one lane.
        lanes: if plan.goose_metrics {
            1
        } else {
            attack::default_lanes()
        },
    };

    let bar = progress_bar(progress, &engine_cfg, collector.live.clone());
    let result = attack::execute(&engine_cfg, ctx.clone(), &compiled).await;
    let elapsed = origin.elapsed();
    if let Some((bar, ticker)) = bar {
        ticker.abort();
        bar.finish_and_clear();
    }
    // Every user has stopped: drop the context so the recorder sees all samples.
    let switched = gate.orders_switched_to_test.load(Ordering::Relaxed);
    drop(ctx);
    drop(compiled);
    drop(gate);
    let recording = tokio::task::spawn_blocking(move || collector.finish(elapsed))
        .await
        .map_err(|e| GateError::Other(anyhow::anyhow!("recorder: {e}")))?
        .map_err(GateError::Other)?;
    result?;

    let mut notes = catalog.notes.clone();
    notes.extend(agent_remark);
    if plan.rate.is_some() && recording.late_sends > 0 {
        notes.push(format!(
            "the schedule fell behind: {} transactions started more than 10 ms late (worst {}); \
             their latency counts from the intended time. If the server did not stall, add \
             users (users ≥ rate × worst latency)",
            recording.late_sends,
            thresholds::format_micros(recording.max_lag_us as f64)
        ));
    }
    if quotes > 0 {
        notes.push(format!(
            "{quotes} test orders were sent before the run as price quotes: real orders are \
             reserved against the larger of the catalog's price and the quote"
        ));
    }
    if switched > 0 {
        notes.push(format!(
            "spend cap {} reached: {switched} orders were created as test orders",
            resolved.spend.cap()
        ));
    }
    for t in &recording.transactions {
        if !t.error_reasons.is_empty() {
            let reasons: Vec<String> = t
                .error_reasons
                .iter()
                .map(|(reason, n)| format!("{reason} ×{n}"))
                .collect();
            notes.push(format!("{} errors: {}", t.name, reasons.join(", ")));
        }
    }
    notes.extend(recording.notes.iter().cloned());

    let mut artifacts = Vec::new();
    if let Some(dir) = &plan.artifacts_dir {
        artifacts = write_artifacts(dir, &recording).map_err(|e| {
            GateError::Other(anyhow::anyhow!("cannot write to {}: {e}", dir.display()))
        })?;
        if dir.join(GOOSE_REPORT).exists() {
            artifacts.push(GOOSE_REPORT.to_string());
        }
    }
    let shape = summary::RunShape {
        scenario: plan.scenario.name.clone(),
        users: plan.users,
        target_rate_per_s: plan.rate,
    };
    let summary = summary::build(
        &shape,
        &recording.transactions,
        recording.timeline.clone(),
        recording.duration,
        &plan.thresholds,
        artifacts,
    );
    Ok(LoadRun {
        summary,
        notes,
        orders_switched_to_test: switched,
        quotes,
        client: client.clone(),
        generator_late: recording.generator_late,
        generator_lag_max_us: recording.generator_lag_max_us,
        interval_log: recording.interval_log,
    })
}

/// `.hgrm` per transaction (all classes) and per transaction × class, and the interval log.
fn write_artifacts(dir: &Path, recording: &recorder::Recording) -> std::io::Result<Vec<String>> {
    let mut written = Vec::new();
    crate::engine::output::write_file(&dir.join(INTERVAL_LOG), &recording.interval_log)?;
    written.push(INTERVAL_LOG.to_string());
    for t in &recording.transactions {
        let all = t.all();
        if all.is_empty() {
            continue;
        }
        let name = format!("{}.hgrm", t.name);
        histlog::write_hgrm(&all, crate::engine::output::create_file(&dir.join(&name))?)?;
        written.push(name);
        for class in recorder::StatusClass::ALL {
            let h = &t.by_class[class as usize];
            if h.is_empty() || h.len() == all.len() {
                continue;
            }
            let name = format!("{}.{}.hgrm", t.name, class.label());
            histlog::write_hgrm(h, crate::engine::output::create_file(&dir.join(&name))?)?;
            written.push(name);
        }
    }
    Ok(written)
}

type Ticker = tokio::task::JoinHandle<()>;

fn progress_bar(
    progress: Progress,
    cfg: &attack::EngineConfig,
    live: Arc<recorder::LiveCounters>,
) -> Option<(indicatif::ProgressBar, Ticker)> {
    if progress == Progress::Hidden {
        return None;
    }
    let total = (cfg.ramp + cfg.run_time).as_secs().max(1);
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len}s {msg}",
    )
    .map(|s| s.progress_chars("=> "));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    let ticking = bar.clone();
    let ticker = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let mut last = (0u64, started);
        let mut interval = tokio::time::interval(Duration::from_millis(250));
        loop {
            interval.tick().await;
            let now = tokio::time::Instant::now();
            let done = live.transactions.load(Ordering::Relaxed);
            let errors = live.errors.load(Ordering::Relaxed);
            let dt = now.duration_since(last.1).as_secs_f64();
            if dt >= 1.0 {
                let rate = (done - last.0) as f64 / dt;
                ticking.set_message(format!("{done} tx  {rate:.0}/s  {errors} errors"));
                last = (done, now);
            }
            ticking.set_position(now.duration_since(started).as_secs().min(total));
        }
    });
    Some((bar, ticker))
}
