//! `gatecheck capacity`: how much traffic the target holds within its thresholds.
//!
//! The search itself (ramp, bisection, verdicts, generator vs target limit) is the
//! engine's (`crate::engine::load::capacity`); this file runs each step as a Gate load run
//! at the step's open-model rate against one resolved target (so one spend guard holds
//! across all steps), judges only the measured window (the warm-up's seconds are dropped
//! from the interval log), and writes one report whose load phase is the knee step's, with
//! every step in `load.capacity` (the HTML report draws the curve).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::apis::gate::load::cli::{finish, now_rfc3339, plan, run_report, LoadSettings};
use crate::apis::gate::load::{self, Progress};
use crate::engine::load::capacity::{
    self, Capacity, Ending, SearchConfig, Step, StepMeasure, StepRunner, StepVerdict,
};
use crate::engine::load::thresholds::{format_micros, Threshold};
use crate::engine::load::{histlog, summary};
use crate::engine::model::{LoadSummary, TargetInfo};
use crate::engine::target::{ResolvedTarget, TargetArgs};
use crate::{Exit, GateError};

/// `gatecheck capacity` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct CapacityArgs {
    /// The scenario file (e.g. scenarios/gate/mixed.toml); its rate is replaced by the
    /// search's.
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,

    /// A rule every step must keep, e.g. 'create_order:p99<300ms', 'error_rate<0.1%'.
    /// Repeatable; at least one.
    #[arg(long = "threshold", value_name = "RULE", required = true)]
    pub thresholds: Vec<String>,

    /// The first offered rate (transactions/s).
    #[arg(long, default_value_t = 50.0, value_name = "PER_SECOND")]
    pub start_rate: f64,

    /// The ramp's factor between steps until one fails.
    #[arg(long, default_value_t = 2.0, value_name = "FACTOR")]
    pub growth: f64,

    /// Never offer more than this rate.
    #[arg(long, default_value_t = 100_000.0, value_name = "PER_SECOND")]
    pub max_rate: f64,

    /// Stop bisecting when the failing rate is within this fraction above the holding one
    /// (0.05 = 5 %).
    #[arg(long, default_value_t = 0.05, value_name = "FRACTION")]
    pub precision: f64,

    /// Per step: run this long before measuring.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub warmup: Duration,

    /// Per step: the measured window.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub window: Duration,

    /// At most this many steps.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_steps: usize,

    /// Users per step. Default: at least rate × 0.5 s.
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,

    /// Fraction of responses whose body is checked against the contract's object shapes.
    #[arg(long, default_value_t = 0.01, value_name = "FRACTION")]
    pub validate_sample: f64,

    /// Run only these transactions of the scenario. Repeatable.
    #[arg(long = "only", value_name = "TRANSACTION")]
    pub only: Vec<String>,

    /// Output folder. Default: gatecheck-reports/<UTC timestamp>/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// No per-step progress lines on stderr.
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub target: TargetArgs,
}

/// Capacity flags that make no search (the flag and what it needs).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadSearch(&'static str);

crate::engine::exit::layer_errors!(BadSearch);

impl CapacityArgs {
    /// The search's configuration, checked.
    pub fn search_config(&self) -> Result<SearchConfig, BadSearch> {
        let bad = |m: &'static str| Err(BadSearch(m));
        if !(self.start_rate.is_finite() && self.start_rate > 0.0) {
            return bad("--start-rate must be > 0");
        }
        if !(self.growth.is_finite() && self.growth > 1.0) {
            return bad("--growth must be > 1");
        }
        if self.max_rate.is_nan() || self.max_rate < self.start_rate {
            return bad("--max-rate must be at least --start-rate");
        }
        if !(self.precision > 0.0 && self.precision < 1.0) {
            return bad("--precision must be within (0, 1), e.g. 0.05");
        }
        if self.window < Duration::from_secs(1) {
            return bad("--window must be at least 1s (the interval log is per second)");
        }
        Ok(SearchConfig {
            start_rate: self.start_rate,
            growth: self.growth,
            max_rate: self.max_rate,
            precision: self.precision,
            warmup: self.warmup,
            window: self.window,
            max_steps: self.max_steps.max(1),
        })
    }

    /// The load flags of one step (the rate is set per step).
    fn step_settings(&self) -> LoadSettings {
        LoadSettings {
            users: self.users,
            run_time: Some(self.warmup + self.window),
            rate: Some(self.start_rate),
            validate_sample: self.validate_sample,
            thresholds: self.thresholds.clone(),
            only: self.only.clone(),
            ..LoadSettings::new(self.scenario.clone(), self.target.timeout)
        }
    }
}

/// A finished search: the answer and the report's load phase.
pub struct CapacityRun {
    pub capacity: Capacity,
    /// The knee step's window (or the last step's, when none held), with every step in
    /// `capacity`.
    pub summary: LoadSummary,
    pub notes: Vec<String>,
}

/// Runs steps as Gate load runs against one resolved target.
struct GateSteps<'a> {
    args: LoadSettings,
    resolved: &'a ResolvedTarget,
    thresholds: Vec<Threshold>,
    warmup: Duration,
    window: Duration,
    /// Each step's window summary, by step.
    summaries: Vec<LoadSummary>,
    notes: Vec<String>,
    /// The catalog (and quotes), discovered by the first step and shared by the others.
    prepared: Option<load::Prepared>,
}

impl StepRunner for GateSteps<'_> {
    type Error = GateError;

    async fn run_step(&mut self, rate: f64) -> Result<StepMeasure, GateError> {
        let mut args = self.args.clone();
        args.rate = Some(rate);
        let plan = plan(&args, None)?;
        let scenario = plan.scenario.name.clone();
        let users = plan.users;
        let prepared = match &self.prepared {
            Some(p) => p,
            None => self.prepared.insert(load::prepare(self.resolved).await?),
        };
        let run = load::run_prepared(plan, self.resolved, prepared, Progress::Hidden).await?;
        let intervals = histlog::read_log(&run.interval_log)
            .map_err(|e| GateError::Other(anyhow::anyhow!("the step's interval log: {e}")))?;
        let window = measured_window(intervals, self.warmup, self.window);
        let (records, timeline, _) = summary::from_intervals(&window);
        // The window's length, not the span of its samples: a second with no sample
        // still counts against the achieved rate.
        let duration = self.window;
        let shape = summary::RunShape {
            scenario,
            users,
            target_rate_per_s: Some(rate),
        };
        let s = summary::build(
            &shape,
            &records,
            timeline,
            duration,
            &self.thresholds,
            Vec::new(),
        );
        for n in run.notes {
            if !self.notes.contains(&n) {
                self.notes.push(n);
            }
        }
        let all = s.transactions.iter().find(|t| t.name == "all");
        let measure = StepMeasure {
            achieved_rate: all.map_or(0.0, |t| t.throughput_per_s),
            p50_us: all.map_or(0, |t| t.p50_us),
            p99_us: all.map_or(0, |t| t.p99_us),
            error_rate: all.map_or(0.0, |t| t.error_rate),
            failed_thresholds: s
                .thresholds
                .iter()
                .filter(|t| !t.passed)
                .map(|t| format!("{} (measured {})", t.rule, t.measured))
                .collect(),
            generator_late: run.generator_late,
            generator_lag_max_us: run.generator_lag_max_us,
            transactions: all.map_or(0, |t| t.count),
            sent: run
                .summary
                .transactions
                .iter()
                .find(|t| t.name == "all")
                .map_or(0, |t| t.count),
        };
        self.summaries.push(s);
        Ok(measure)
    }
}

/// The intervals that start once the warm-up is over and before the window ends (the
/// log's seconds count from the run's start; samples of the last instant of a run land
/// in one more second, which is not the window's).
fn measured_window(
    intervals: Vec<histlog::LoggedInterval>,
    warmup: Duration,
    window: Duration,
) -> Vec<histlog::LoggedInterval> {
    let Some(first) = intervals.iter().map(|i| i.start).min() else {
        return intervals;
    };
    let (from, to) = (first + warmup, first + warmup + window);
    intervals
        .into_iter()
        .filter(|i| i.start >= from && i.start < to)
        .collect()
}

/// The search against a resolved target; `progress` sees each step as it ends.
pub async fn search(
    args: &CapacityArgs,
    resolved: &ResolvedTarget,
    progress: impl FnMut(&Step),
) -> Result<CapacityRun, GateError> {
    let cfg = args.search_config()?;
    // Checks the scenario and the rules before the first step.
    let checked = plan(&args.step_settings(), None)?;
    let mut steps = GateSteps {
        args: args.step_settings(),
        resolved,
        thresholds: checked.thresholds,
        warmup: cfg.warmup,
        window: cfg.window,
        summaries: Vec::new(),
        notes: Vec::new(),
        prepared: None,
    };
    let found = capacity::search(&cfg, &mut steps, progress).await?;
    let shown = found
        .steps
        .iter()
        .position(|s| Some(s.offered_rate) == found.capacity_rate && s.verdict == StepVerdict::Held)
        .unwrap_or(found.steps.len().saturating_sub(1));
    let mut summary = steps.summaries.swap_remove(shown);
    let mut notes = vec![conclusion(&found, resolved)];
    notes.extend(steps.notes);
    summary.capacity = Some(found.clone());
    Ok(CapacityRun {
        capacity: found,
        summary,
        notes,
    })
}

/// The answer in one sentence.
pub fn conclusion(c: &Capacity, resolved: &ResolvedTarget) -> String {
    let rate = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.1}/s"));
    let spend = format!(
        "(one spend cap of {} across all {} steps)",
        resolved.spend.cap(),
        c.steps.len()
    );
    match c.ending {
        Ending::Converged => format!(
            "capacity {}: every threshold held there and failed at {} (precision {:.0} %) {spend}",
            rate(c.capacity_rate),
            rate(c.failed_rate),
            c.precision * 100.0
        ),
        Ending::GeneratorLimit => format!(
            "the generator could not keep its schedule above {}: the target held at least {} \
             — that is the generator's limit, not the target's capacity (run more workers) {spend}",
            rate(c.capacity_rate),
            rate(c.capacity_rate)
        ),
        Ending::MaxRate => format!(
            "every threshold held up to --max-rate ({}) {spend}",
            rate(c.capacity_rate)
        ),
        Ending::BelowStart => format!(
            "even the first step ({}) failed: the capacity is below --start-rate {spend}",
            rate(c.failed_rate)
        ),
        Ending::StepBudget => format!(
            "--max-steps reached: held at {}, failed at {} {spend}",
            rate(c.capacity_rate),
            rate(c.failed_rate)
        ),
    }
}

/// One step as a progress or table line.
pub fn step_line(i: usize, s: &Step) -> String {
    format!(
        "step {:>2}  offered {:>9.1}/s  achieved {:>9.1}/s  p50 {:>8}  p99 {:>8}  errors {:>6.2}%  {}",
        i + 1,
        s.offered_rate,
        s.measure.achieved_rate,
        format_micros(s.measure.p50_us as f64),
        format_micros(s.measure.p99_us as f64),
        s.measure.error_rate * 100.0,
        match s.verdict {
            StepVerdict::Held => "held".to_string(),
            StepVerdict::TargetLimit => format!("failed: {}", reasons(s)),
            StepVerdict::GeneratorLimit => "generator limit (schedule lagged)".to_string(),
        }
    )
}

fn reasons(s: &Step) -> String {
    if s.measure.failed_thresholds.is_empty() {
        "the target did not keep up with the offered rate".into()
    } else {
        s.measure.failed_thresholds.join(", ")
    }
}

/// `gatecheck capacity`.
pub async fn run(args: CapacityArgs) -> Result<Exit, GateError> {
    run_with(args, &crate::apis::gate::sandbox::SandboxConfig::default()).await
}

/// `gatecheck capacity` with the embedded sandbox (when it is the target) made from
/// `sandbox`.
pub async fn run_with(
    args: CapacityArgs,
    sandbox: &crate::apis::gate::sandbox::SandboxConfig,
) -> Result<Exit, GateError> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(crate::engine::report::default_out_dir);
    let started_at = now_rfc3339();
    let clock = Instant::now();
    let resolved = args
        .target
        .resolve(&crate::apis::gate::GATE, sandbox)
        .await?;
    let show = !args.no_progress && std::io::stderr().is_terminal();
    let mut n = 0;
    let result = search(&args, &resolved, |s| {
        if show {
            let _ = writeln!(std::io::stderr(), "{}", step_line(n, s));
        }
        n += 1;
    })
    .await;
    let target = TargetInfo {
        base_url: resolved.target().base_url.clone(),
        identity: crate::engine::model::identity_of(&resolved.target().identity),
        embedded_sandbox: resolved.embedded.is_some(),
    };
    resolved.shutdown().await;
    let found = result?;
    let mut stdout = crate::engine::output::stdout();
    for (i, s) in found.capacity.steps.iter().enumerate() {
        let _ = writeln!(stdout, "{}", step_line(i, s));
    }
    drop(stdout);
    let report = run_report(
        "capacity",
        target,
        started_at,
        clock.elapsed(),
        &found.summary,
        &found.notes,
    );
    finish(&out, &report)
}
