//! goose, configured in code: one scenario holding the compiled transactions, our run
//! shape mapped onto `GooseConfiguration`, the telnet and WebSocket controllers off, one
//! shared HTTP connection pool, goose's own HTML report written beside ours.
//!
//! **Invariant:** goose parses no command line here (`initialize_with_config`, never
//! `initialize`), and goose's thresholds are not used — gatecheck's are evaluated on its
//! own HdrHistograms after the run.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use goose::config::GooseConfiguration;
use goose::prelude::*;

use crate::engine::exit::GateError;
use crate::engine::load::goose::{self as glue, LoadContext, Transaction};
use crate::engine::load::scenario::ThinkTime;

/// One compiled transaction of an API's scenario: its histogram is its position.
pub struct Compiled<T> {
    pub name: String,
    pub weight: u32,
    pub tx: Arc<T>,
}

impl<T> Clone for Compiled<T> {
    fn clone(&self) -> Self {
        Compiled {
            name: self.name.clone(),
            weight: self.weight,
            tx: self.tx.clone(),
        }
    }
}

/// The run shape goose is given.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub host: String,
    pub scenario: String,
    pub users: u64,
    /// Time to start every user (0: all at once).
    pub ramp: Duration,
    pub run_time: Duration,
    /// Closed model only; the open model's pacing replaces it.
    pub think_time: Option<ThinkTime>,
    pub request_timeout: Duration,
    pub goose_report: Option<PathBuf>,
    /// Off: goose keeps no per-request metrics (and writes no report).
    pub goose_metrics: bool,
}

/// Runs the load; returns goose's metrics.
///
/// goose, its users and their connections run on one dedicated single-threaded runtime:
/// a user, its request and its connection task then never wake each other across threads
/// (on a small machine shared with the target, those cross-thread wake-ups — a futex call
/// and a context switch per request — cost more than the HTTP work itself).
pub async fn execute<T: Transaction>(
    cfg: &EngineConfig,
    ctx: Arc<LoadContext>,
    compiled: &[Compiled<T>],
) -> Result<GooseMetrics, GateError> {
    let cfg = cfg.clone();
    let compiled = compiled.to_vec();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("gatecheck-load".into())
        .spawn(move || {
            let result = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(run_goose(&cfg, ctx, &compiled)),
                Err(e) => Err(GateError::Other(anyhow::anyhow!(
                    "cannot start the load runtime: {e}"
                ))),
            };
            let _ = done_tx.send(result);
        })
        .map_err(|e| GateError::Other(anyhow::anyhow!("cannot start the load thread: {e}")))?;
    done_rx
        .await
        .map_err(|_| GateError::Other(anyhow::anyhow!("the load thread panicked")))?
}

async fn run_goose<T: Transaction>(
    cfg: &EngineConfig,
    ctx: Arc<LoadContext>,
    compiled: &[Compiled<T>],
) -> Result<GooseMetrics, GateError> {
    let goose_err = |e: GooseError| GateError::Other(anyhow::anyhow!("goose: {e}"));
    let mut scenario =
        Scenario::new(&cfg.scenario).register_transaction(glue::on_start::<T::User>(ctx.clone()));
    for (i, c) in compiled.iter().enumerate() {
        let t = glue::transaction(ctx.clone(), i as u16, &c.name, c.weight, c.tx.clone())
            .map_err(goose_err)?;
        scenario = scenario.register_transaction(t);
    }
    if let Some(think) = cfg.think_time {
        if !think.max.is_zero() {
            scenario = scenario
                .set_wait_time(think.min, think.max)
                .map_err(goose_err)?;
        }
    }

    let mut config = GooseConfiguration::default();
    config.host = Some(cfg.host.clone());
    config.users = Some(cfg.users.max(1) as usize);
    let ramp_secs = cfg.ramp.as_secs();
    if ramp_secs >= 1 && cfg.users >= 2 {
        config.increase_time = Some(format!("{ramp_secs}s"));
    } else {
        config.increase_rate = Some(cfg.users.max(1).to_string());
    }
    config.run_time = Some(format!("{}s", cfg.run_time.as_secs().max(1)));
    config.timeout = Some(format!("{}", cfg.request_timeout.as_secs_f64().max(0.001)));
    config.no_telnet = true;
    config.quiet = 1;
    config.no_print_metrics = true;
    config.no_error_summary = true;
    config.no_metrics = !cfg.goose_metrics;
    if let Some(report) = &cfg.goose_report {
        config.report_file = vec![report.display().to_string()];
    }

    let client = goose::client::GooseClientBuilder::new()
        .without_cookies()
        .timeout(cfg.request_timeout)
        .user_agent(concat!("gatecheck/", env!("CARGO_PKG_VERSION")));
    GooseAttack::initialize_with_config(config)
        .map_err(goose_err)?
        .register_scenario(scenario)
        .set_client_builder_without_cookies(client)
        .map_err(goose_err)?
        .execute()
        .await
        .map_err(goose_err)
}
