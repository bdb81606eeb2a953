//! One load run of compiled transactions, the same for every API: start the recorder,
//! pace and run goose's users over the API's [`Transaction`]s, draw the progress bar,
//! collect the histograms, write the `.hgrm` files and the interval log, and build the
//! [`LoadSummary`] with its thresholds judged.
//!
//! An API discovers what its transactions need, compiles them, calls [`drive`], and adds
//! its own remarks (catalog, spend cap) to the [`Driven`] it gets back.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::engine::client::ApiClient;
use crate::engine::exit::{FileError, GateError};
use crate::engine::load::attack::{self, Compiled};
use crate::engine::load::goose::{LoadContext, Transaction};
use crate::engine::load::plan::LoadPlan;
use crate::engine::load::{histlog, pacing, recorder, summary, thresholds};
use crate::engine::model::LoadSummary;

/// Interval log file name inside the artifacts folder.
pub const INTERVAL_LOG: &str = "load.hlog";
/// goose's own report inside the artifacts folder.
pub const GOOSE_REPORT: &str = "goose-report.html";

/// Whether a live progress bar is drawn on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Hidden,
    Bar,
}

/// What [`drive`] measured.
#[derive(Debug, Clone)]
pub struct Driven {
    pub summary: LoadSummary,
    /// The run's remarks: a late schedule, errors by reason, first body problems.
    pub notes: Vec<String>,
    /// Sends more than 10 ms late by the generator's own fault (open model).
    pub generator_late: u64,
    /// The largest lag the generator caused.
    pub generator_lag_max_us: u64,
    /// The interval log (per second, per transaction × class), as written to `load.hlog`.
    pub interval_log: Vec<u8>,
}

/// Runs `compiled` as `client` under `plan`'s shape; the artifacts go to the plan's folder.
pub async fn drive<K, T: Transaction>(
    plan: &LoadPlan<K>,
    client: &ApiClient,
    compiled: Vec<Compiled<T>>,
    progress: Progress,
) -> Result<Driven, GateError> {
    if let Some(dir) = &plan.artifacts_dir {
        std::fs::create_dir_all(dir).map_err(|e| FileError::create(dir, e))?;
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
        LoadContext::new(
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
    drop(ctx);
    drop(compiled);
    let recording = tokio::task::spawn_blocking(move || collector.finish(elapsed))
        .await
        .map_err(|e| GateError::Other(anyhow::anyhow!("recorder: {e}")))?
        .map_err(GateError::Other)?;
    result?;

    let mut notes = Vec::new();
    if plan.rate.is_some() && recording.late_sends > 0 {
        notes.push(format!(
            "the schedule fell behind: {} transactions started more than 10 ms late (worst {}); \
             their latency counts from the intended time. If the server did not stall, add \
             users (users ≥ rate × worst latency)",
            recording.late_sends,
            thresholds::format_micros(recording.max_lag_us as f64)
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
    Ok(Driven {
        summary,
        notes,
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
