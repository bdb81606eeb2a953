//! `gatecheck load`'s flags and the plan they make with a scenario, the same for every
//! API: [`LoadArgs`] (clap) gives [`LoadSettings`] (what certify and capacity build
//! directly), which with an API's parsed [`Scenario`] and its schema bundle gives a
//! [`LoadPlan`] (no network). Thresholds are parsed and checked against the scenario's
//! transaction names here; with none given, the default rule gates the run.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::load::scenario::{Scenario, ThinkTime};
use crate::engine::load::shard::{Shard, ShardError};
use crate::engine::load::thresholds::{Threshold, ThresholdError, DEFAULT_RULE};
use crate::engine::schema::{SchemaBundle, SchemaError, SchemaSet};
use crate::engine::target::TargetArgs;

/// `gatecheck load` flags. Scenario values are defaults; flags override them.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The scenario file (e.g. scenarios/gate/mixed.toml, scenarios/wallet.toml).
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,

    /// Concurrent users. Default: the scenario's, else 10; with --rate at least rate × 0.5 s.
    #[arg(long, value_parser = crate::engine::bounds::users, value_name = "N")]
    pub users: Option<u64>,

    /// Time to start all users (closed model). Default: the scenario's, else 0.
    #[arg(long, value_parser = crate::engine::bounds::wait, value_name = "DURATION")]
    pub ramp: Option<Duration>,

    /// How long to run once all users have started. Default: the scenario's, else 30s.
    #[arg(long, value_parser = crate::engine::bounds::run_time, value_name = "DURATION")]
    pub run_time: Option<Duration>,

    /// Open model: start this many transactions per second on a fixed schedule and measure
    /// latency from each one's intended send time (no coordinated omission).
    #[arg(long, value_parser = crate::engine::bounds::rate, value_name = "PER_SECOND")]
    pub rate: Option<f64>,

    /// Fraction of responses whose body is checked against the contract's object shapes.
    #[arg(long, default_value_t = 0.01, value_parser = crate::engine::bounds::fraction, value_name = "FRACTION")]
    pub validate_sample: f64,

    /// JSON Schemas to check sampled bodies against (default: the embedded ones).
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    /// A rule that gates the run, e.g. 'create_order:p99<300ms', 'error_rate<0.1%',
    /// 'throughput>=200/s'. Repeatable.
    #[arg(long = "threshold", value_name = "RULE")]
    pub thresholds: Vec<String>,

    /// Run only these transactions of the scenario. Repeatable.
    #[arg(long = "only", value_name = "TRANSACTION")]
    pub only: Vec<String>,

    /// Output folder. Default: gatecheck-reports/<UTC timestamp>/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Send every request through goose, with its per-request metrics and its own HTML
    /// report (goose-report.html). Default: goose runs the users and each user sends on its
    /// own keep-alive connection (`http://` targets), several times cheaper per request;
    /// gatecheck's HdrHistograms record every latency either way.
    #[arg(long)]
    pub goose_metrics: bool,

    /// The default now; kept so older command lines still parse.
    #[arg(long, hide = true, conflicts_with = "goose_metrics")]
    pub no_goose_metrics: bool,

    /// No live progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Many machines: the run is split over N workers; this one takes its exact share of
    /// --rate, --users and --max-spend and writes to <--out>/worker-<INDEX>/.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub workers: u32,

    /// This worker's index, 0..N-1 (a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX).
    #[arg(
        long,
        env = "JOB_COMPLETION_INDEX",
        default_value_t = 0,
        value_name = "I"
    )]
    pub worker_index: u32,

    #[command(flatten)]
    pub target: TargetArgs,
}

/// What a load run is asked for, whoever asks: the `load` flags ([`LoadArgs::settings`]),
/// a certification's plan, a capacity step. No clap here: callers build it directly.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    pub scenario: PathBuf,
    /// `None`: the scenario's, else 10 (with a rate, at least rate × 0.5 s).
    pub users: Option<u64>,
    pub ramp: Option<Duration>,
    pub run_time: Option<Duration>,
    pub rate: Option<f64>,
    pub validate_sample: f64,
    pub schemas: Option<PathBuf>,
    pub thresholds: Vec<String>,
    pub only: Vec<String>,
    pub goose_metrics: bool,
    pub workers: u32,
    pub worker_index: u32,
    pub request_timeout: Duration,
}

impl LoadSettings {
    /// `scenario` with every other setting at its `gatecheck load` default.
    pub fn new(scenario: PathBuf, request_timeout: Duration) -> LoadSettings {
        LoadSettings {
            scenario,
            users: None,
            ramp: None,
            run_time: None,
            rate: None,
            validate_sample: 0.01,
            schemas: None,
            thresholds: Vec::new(),
            only: Vec::new(),
            goose_metrics: false,
            workers: 1,
            worker_index: 0,
            request_timeout,
        }
    }
}

impl LoadArgs {
    /// What these flags ask of a load run.
    pub fn settings(&self) -> LoadSettings {
        LoadSettings {
            scenario: self.scenario.clone(),
            users: self.users,
            ramp: self.ramp,
            run_time: self.run_time,
            rate: self.rate,
            validate_sample: self.validate_sample,
            schemas: self.schemas.clone(),
            thresholds: self.thresholds.clone(),
            only: self.only.clone(),
            goose_metrics: self.goose_metrics,
            workers: self.workers,
            worker_index: self.worker_index,
            request_timeout: self.target.timeout,
        }
    }
}

/// Everything a load run needs besides the target, for an API whose transaction kinds
/// are `K`.
#[derive(Debug, Clone)]
pub struct LoadPlan<K> {
    pub scenario: Scenario<K>,
    pub users: u64,
    pub ramp: Duration,
    pub run_time: Duration,
    /// Open model: transactions per second on a fixed schedule (CO-corrected latency).
    pub rate: Option<f64>,
    pub think_time: Option<ThinkTime>,
    /// Fraction of responses whose body is checked (0.0–1.0) against `schemas`.
    pub validate_sample: f64,
    pub schemas: Arc<SchemaSet>,
    /// Requests through goose, with its metrics and HTML report; off (the default): goose
    /// only runs the users and the requests go straight to the connection pool.
    pub goose_metrics: bool,
    pub thresholds: Vec<Threshold>,
    pub request_timeout: Duration,
    /// Where `.hgrm` files, the interval log and goose's report go; `None`: nowhere.
    pub artifacts_dir: Option<PathBuf>,
    /// This worker's share of a many-machine run (`rate` and `users` are already its).
    pub shard: Shard,
}

/// Why the load flags and a scenario make no plan (exit 2): names the flag or rule.
#[derive(Debug, thiserror::Error)]
pub enum LoadPlanError {
    #[error("--only {0}: the scenario has no transaction of that name")]
    UnknownOnly(String),
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("--rate {0}: must be > 0")]
    Rate(f64),
    #[error("--validate-sample {0} must be within 0..=1")]
    ValidateSample(f64),
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    #[error("threshold `{rule}`: the scenario has no transaction `{name}`")]
    UnknownTransaction { rule: String, name: String },
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Turns the settings and an API's parsed scenario into a plan (no network).
pub fn plan<K>(
    args: &LoadSettings,
    mut scenario: Scenario<K>,
    bundle: &'static SchemaBundle,
    out_dir: Option<PathBuf>,
) -> Result<LoadPlan<K>, LoadPlanError> {
    if !args.only.is_empty() {
        for name in &args.only {
            if !scenario.transactions.iter().any(|t| &t.name == name) {
                return Err(LoadPlanError::UnknownOnly(name.clone()));
            }
        }
        scenario
            .transactions
            .retain(|t| args.only.contains(&t.name));
    }
    let shard = Shard::new(args.worker_index, args.workers)?;
    let rate = args.rate.or(scenario.load.rate);
    if let Some(r) = rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(LoadPlanError::Rate(r));
        }
    }
    let rate = rate.map(|r| shard.rate(r));
    if !(0.0..=1.0).contains(&args.validate_sample) {
        return Err(LoadPlanError::ValidateSample(args.validate_sample));
    }
    // The whole run's users, split exactly; at least one per worker.
    let base_users = shard
        .split(args.users.or(scenario.load.users).unwrap_or(10))
        .max(1);
    let users = match (rate, args.users) {
        // Bounded: each user is a goose task with its own client; a huge rate gets more
        // sends per user (and a "fell behind" note), never millions of users.
        (Some(r), None) => {
            base_users.max(((r * 0.5).ceil() as u64).min(crate::engine::bounds::AUTO_USERS))
        }
        _ => base_users,
    };
    let names: Vec<&str> = scenario
        .transactions
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    let mut thresholds = parse_thresholds(&args.thresholds, Some(&names))?;
    if thresholds.is_empty() {
        thresholds = parse_thresholds(&[DEFAULT_RULE.to_string()], None)?;
        let _ = writeln!(
            crate::engine::output::stderr(),
            "no --threshold given: the run is gated by the default `{DEFAULT_RULE}`"
        );
    }
    let schemas = SchemaSet::load(bundle, args.schemas.as_deref())?;
    Ok(LoadPlan {
        schemas: Arc::new(schemas),
        goose_metrics: args.goose_metrics,
        users,
        ramp: args.ramp.or(scenario.load.ramp).unwrap_or(Duration::ZERO),
        run_time: args
            .run_time
            .or(scenario.load.run_time)
            .unwrap_or(Duration::from_secs(30)),
        rate,
        think_time: scenario.load.think_time,
        validate_sample: args.validate_sample,
        thresholds,
        request_timeout: args.request_timeout,
        artifacts_dir: out_dir,
        scenario,
        shard,
    })
}

/// This run's output folder (`--out`, or a timestamped one), and for one worker of many
/// its own `worker-<INDEX>` folder in it, with `--max-spend` cut to the worker's share.
pub fn worker_out(args: &mut LoadArgs) -> Result<PathBuf, LoadPlanError> {
    let shard = Shard::new(args.worker_index, args.workers)?;
    let mut out = args
        .out
        .clone()
        .unwrap_or_else(crate::engine::report::default_out_dir);
    if shard.count > 1 {
        // One shared results folder; each worker its own folder in it.
        out.push(format!("worker-{}", shard.index));
        args.target.max_spend = shard.spend(args.target.max_spend);
    }
    Ok(out)
}

/// The progress bar unless `--no-progress`.
pub fn progress(args: &LoadArgs) -> crate::engine::load::run::Progress {
    if args.no_progress {
        crate::engine::load::run::Progress::Hidden
    } else {
        crate::engine::load::run::Progress::Bar
    }
}

/// Parses threshold rules; with `names`, a rule naming a transaction must name one of them.
pub fn parse_thresholds(
    rules: &[String],
    names: Option<&[&str]>,
) -> Result<Vec<Threshold>, LoadPlanError> {
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules {
        let t: Threshold = rule.parse()?;
        if let (Some(names), Some(name)) = (names, &t.transaction) {
            if !names.contains(&name.as_str()) {
                return Err(LoadPlanError::UnknownTransaction {
                    rule: rule.clone(),
                    name: name.clone(),
                });
            }
        }
        out.push(t);
    }
    Ok(out)
}
