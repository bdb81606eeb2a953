//! `gatecheck load` and `gatecheck merge`: flags → [`LoadPlan`], run, write the outputs
//! under `--out`, and map threshold verdicts onto the exit code (0 pass, 1 a threshold
//! failed, 2 bad flags or scenario, 3 target unreachable).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::apis::gate::load::{LoadPlan, Progress};
use crate::apis::gate::sandbox::SandboxConfig;
use crate::engine::exit::FileError;
use crate::engine::load::histlog::{self, IntervalLogBuffer};
use crate::engine::load::shard::{self, Shard};
use crate::engine::load::summary;
use crate::engine::load::thresholds::Threshold;
use crate::engine::model::{
    CheckResult, Finding, LoadSummary, PhaseReport, RunReport, Severity, TargetInfo,
};
use crate::engine::schema::SchemaSet;
use crate::engine::target::TargetArgs;
use crate::{Exit, GateError};

/// `gatecheck load` flags. Scenario values are defaults; flags override them.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The scenario file (e.g. scenarios/mixed.toml).
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

/// `gatecheck merge` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// Interval logs (`load.hlog`) written by `gatecheck load` runs, e.g. one per worker.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,

    /// Threshold rules to evaluate on the merged data. Repeatable.
    #[arg(long = "threshold", value_name = "RULE")]
    pub thresholds: Vec<String>,

    /// Output folder. Default: gatecheck-reports/<UTC timestamp>-merged/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Turns the flags and the scenario file into a plan (no network).
pub fn plan(args: &LoadArgs, out_dir: Option<PathBuf>) -> Result<LoadPlan, GateError> {
    let mut scenario = crate::apis::gate::load::scenario::load_file(&args.scenario)
        .map_err(|e| GateError::Config(e.to_string()))?;
    if !args.only.is_empty() {
        for name in &args.only {
            if !scenario.transactions.iter().any(|t| &t.name == name) {
                return Err(GateError::Config(format!(
                    "--only {name}: the scenario has no transaction of that name"
                )));
            }
        }
        scenario
            .transactions
            .retain(|t| args.only.contains(&t.name));
    }
    let shard = Shard::new(args.worker_index, args.workers).map_err(GateError::Config)?;
    let rate = args.rate.or(scenario.load.rate);
    if let Some(r) = rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(GateError::Config(format!("--rate {r}: must be > 0")));
        }
    }
    let rate = rate.map(|r| shard.rate(r));
    if !(0.0..=1.0).contains(&args.validate_sample) {
        return Err(GateError::Config(
            "--validate-sample must be within 0..=1".into(),
        ));
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
    let mut thresholds = parse_thresholds(&args.thresholds, Some(&scenario))?;
    if thresholds.is_empty() {
        use crate::engine::load::thresholds::DEFAULT_RULE;
        thresholds = parse_thresholds(&[DEFAULT_RULE.to_string()], None)?;
        let _ = writeln!(
            crate::engine::output::stderr(),
            "no --threshold given: the run is gated by the default `{DEFAULT_RULE}`"
        );
    }
    let schemas = SchemaSet::load(&crate::apis::gate::schemas::BUNDLE, args.schemas.as_deref())
        .map_err(|e| GateError::Config(e.to_string()))?;
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
        request_timeout: args.target.timeout,
        artifacts_dir: out_dir,
        scenario,
        shard,
    })
}

fn parse_thresholds(
    rules: &[String],
    scenario: Option<&crate::apis::gate::load::Scenario>,
) -> Result<Vec<Threshold>, GateError> {
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules {
        let t: Threshold =
            rule.parse()
                .map_err(|e: crate::engine::load::thresholds::ThresholdError| {
                    GateError::Config(e.to_string())
                })?;
        if let (Some(s), Some(name)) = (scenario, &t.transaction) {
            if !s.transactions.iter().any(|x| &x.name == name) {
                return Err(GateError::Config(format!(
                    "threshold `{rule}`: the scenario has no transaction `{name}`"
                )));
            }
        }
        out.push(t);
    }
    Ok(out)
}

/// `gatecheck load`.
pub async fn run(mut args: LoadArgs) -> Result<Exit, GateError> {
    let shard = Shard::new(args.worker_index, args.workers).map_err(GateError::Config)?;
    let mut out = args
        .out
        .clone()
        .unwrap_or_else(crate::engine::report::default_out_dir);
    if shard.count > 1 {
        // One shared results folder; each worker its own folder in it.
        out.push(format!("worker-{}", shard.index));
        args.target.max_spend = shard.spend(args.target.max_spend);
    }
    let plan = plan(&args, Some(out.clone()))?;
    let schema_version = plan.schemas.version().to_string();
    let started_at = now_rfc3339();
    let clock = Instant::now();
    let resolved = args
        .target
        .resolve(&crate::apis::gate::GATE, &sandbox_config())
        .await?;
    let progress = if args.no_progress {
        Progress::Hidden
    } else {
        Progress::Bar
    };
    let result = crate::apis::gate::load::run(plan, &resolved, progress).await;
    let target = TargetInfo {
        base_url: resolved.target().base_url.clone(),
        identity: crate::engine::model::identity_of(&resolved.target().identity),
        embedded_sandbox: resolved.embedded.is_some(),
    };
    resolved.shutdown().await;
    let run = result?;
    let mut report = run_report(
        "load",
        target,
        started_at,
        clock.elapsed(),
        &run.summary,
        &run.notes,
    );
    report.schema_version = schema_version;
    finish(&out, &report)
}

/// The embedded sandbox for load: a balance big enough for a load run's real orders is
/// the default agent's (§9.3); the spend cap keeps real orders within it.
fn sandbox_config() -> SandboxConfig {
    SandboxConfig::default()
}

/// `gatecheck merge`.
pub async fn run_merge(args: MergeArgs) -> Result<Exit, GateError> {
    let out = args.out.clone().unwrap_or_else(|| {
        let mut dir = crate::engine::report::default_out_dir();
        dir.as_mut_os_string().push("-merged");
        dir
    });
    let thresholds = parse_thresholds(&args.thresholds, None)?;
    let started_at = now_rfc3339();
    let clock = Instant::now();
    let mut intervals = Vec::new();
    let mut shards = Vec::new();
    for path in &args.logs {
        let bytes = std::fs::read(path)
            .map_err(|e| GateError::Config(format!("{}: cannot read: {e}", path.display())))?;
        shards.push(Shard::from_log(&bytes).unwrap_or(Shard::WHOLE));
        let read = histlog::read_log(&bytes)
            .map_err(|e| GateError::Config(format!("{}: {e}", path.display())))?;
        intervals.extend(read);
    }
    if intervals.is_empty() {
        return Err(GateError::Config(
            "the logs hold no interval histograms".into(),
        ));
    }
    // A run of N workers is whole only with every shard once: refuse to certify less.
    if shards.iter().any(|s| s.count > 1) {
        shard::missing(&shards).map_err(|e| GateError::Config(format!("{e}; merge refused")))?;
    }
    intervals.sort_by_key(|i| i.start);
    let (records, timeline, duration) = summary::from_intervals(&intervals);
    std::fs::create_dir_all(&out).map_err(|e| FileError::create(&out, e))?;
    let mut artifacts = Vec::new();
    // One merged log on one clock, and the merged distributions.
    let base = intervals[0].start;
    let mut log = IntervalLogBuffer::begin(
        std::time::UNIX_EPOCH + base,
        &format!("gatecheck merge of {} logs", args.logs.len()),
    )
    .map_err(io_err)?;
    for i in &intervals {
        log.append(&i.histogram, i.start - base, i.duration, &i.tag)
            .map_err(io_err)?;
    }
    crate::engine::output::write_file(
        &out.join(crate::apis::gate::load::INTERVAL_LOG),
        log.bytes(),
    )
    .map_err(io_err)?;
    artifacts.push(crate::apis::gate::load::INTERVAL_LOG.to_string());
    for r in &records {
        let name = format!("{}.hgrm", r.name);
        let file = crate::engine::output::create_file(&out.join(&name)).map_err(io_err)?;
        histlog::write_hgrm(&r.all(), file).map_err(io_err)?;
        artifacts.push(name);
    }
    let shape = summary::RunShape {
        scenario: format!("merge of {} logs", args.logs.len()),
        users: 0,
        target_rate_per_s: None,
    };
    let load = summary::build(&shape, &records, timeline, duration, &thresholds, artifacts);
    let mut notes: Vec<String> = args
        .logs
        .iter()
        .zip(&shards)
        .map(|(l, s)| match s.count {
            1 => format!("merged {}", l.display()),
            _ => format!("merged {} (worker {s})", l.display()),
        })
        .collect();
    if let Some(n) = shards.iter().map(|s| s.count).find(|&n| n > 1) {
        notes.insert(0, format!("all {n} shards of a {n}-worker run merged"));
    }
    let target = TargetInfo {
        base_url: String::new(),
        identity: Default::default(),
        embedded_sandbox: false,
    };
    let report = run_report("merge", target, started_at, clock.elapsed(), &load, &notes);
    finish(&out, &report)
}

fn io_err(e: std::io::Error) -> GateError {
    GateError::Other(anyhow::anyhow!("cannot write the merged outputs: {e}"))
}

fn run_report(
    command: &str,
    target: TargetInfo,
    started_at: String,
    took: Duration,
    summary: &LoadSummary,
    notes: &[String],
) -> RunReport {
    RunReport {
        tool: "gatecheck".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: String::new(),
        command: command.into(),
        target,
        started_at,
        finished_at: now_rfc3339(),
        phases: vec![PhaseReport {
            name: "load".into(),
            checks: vec![remarks(notes)],
            load: Some(summary.clone()),
            duration_ms: took.as_millis() as u64,
        }],
        pacing: None,
    }
}

/// Report files (JSON, JUnit, HTML via `crate::engine::report`), the console report, exit code.
pub(crate) fn finish(out: &Path, report: &RunReport) -> Result<Exit, GateError> {
    let files =
        crate::engine::report::write_files(report, out, &crate::engine::report::Format::ALL)
            .map_err(GateError::Other)?;
    let stdout = std::io::stdout();
    let options = crate::engine::report::ConsoleOptions::detect(
        crate::engine::report::Verbosity::Normal,
        stdout.is_terminal(),
    );
    let mut w = crate::engine::output::stdout();
    crate::engine::report::write_console(report, &mut w, &options)
        .map_err(|e| GateError::Other(anyhow::anyhow!("{e}")))?;
    let _ = writeln!(w, "written to {}:", out.display());
    let artifacts = report
        .phases
        .iter()
        .filter_map(|p| p.load.as_ref())
        .flat_map(|l| l.artifacts.iter());
    for f in files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|f| f.to_string_lossy().into_owned())
        .chain(artifacts.cloned())
    {
        let _ = writeln!(w, "  {f}");
    }
    Ok(report.verdict().into())
}

/// The run's remarks as one SHOULD-level check, so every report format shows them and
/// none changes the verdict.
pub(crate) fn remarks(notes: &[String]) -> CheckResult {
    let findings = notes
        .iter()
        .map(|n| Finding {
            check: "load.remarks".into(),
            section: "load".into(),
            severity: Severity::Should,
            message: n.clone(),
            expected: String::new(),
            got: String::new(),
            exchange: None,
            reproduction: Vec::new(),
            seed: None,
        })
        .collect();
    CheckResult::from_findings(
        "load.remarks",
        "load",
        "Remarks from the load run (schedule kept, spend cap, catalog, sampled body checks)",
        Severity::Should,
        findings,
        0,
    )
}

pub(crate) use crate::engine::model::now_rfc3339;
