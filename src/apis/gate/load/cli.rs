//! `gatecheck load` and `gatecheck merge`: flags → [`LoadPlan`], run, write the outputs
//! under `--out`, and map threshold verdicts onto the exit code (0 pass, 1 a threshold
//! failed, 2 bad flags or scenario, 3 target unreachable).

use std::path::PathBuf;
use std::time::Instant;

use crate::apis::gate::load::LoadPlan;
use crate::apis::gate::sandbox::SandboxConfig;
use crate::engine::exit::FileError;
use crate::engine::load::histlog::{self, IntervalLogBuffer};
use crate::engine::load::plan::parse_thresholds;
pub use crate::engine::load::plan::{LoadArgs, LoadSettings};
pub use crate::engine::load::report::{finish, now_rfc3339, remarks, run_report};
use crate::engine::load::shard::{self, MergeError, Shard};
use crate::engine::load::summary;
use crate::engine::model::TargetInfo;
use crate::{Exit, GateError};

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

/// Turns the settings and the scenario file into a plan (no network).
pub fn plan(args: &LoadSettings, out_dir: Option<PathBuf>) -> Result<LoadPlan, GateError> {
    let scenario = crate::apis::gate::load::scenario::load_file(&args.scenario)?;
    Ok(crate::engine::load::plan::plan(
        args,
        scenario,
        &crate::apis::gate::schemas::BUNDLE,
        out_dir,
    )?)
}

/// `gatecheck load`.
pub async fn run(mut args: LoadArgs) -> Result<Exit, GateError> {
    let out = crate::engine::load::plan::worker_out(&mut args)?;
    let plan = plan(&args.settings(), Some(out.clone()))?;
    let schema_version = plan.schemas.version().to_string();
    let started_at = now_rfc3339();
    let clock = Instant::now();
    let resolved = args
        .target
        .resolve(&crate::apis::gate::GATE, &sandbox_config())
        .await?;
    let progress = crate::engine::load::plan::progress(&args);
    let result = crate::apis::gate::load::run(plan, &resolved, progress).await;
    let target = resolved.info();
    resolved.shutdown().await;
    crate::engine::load::report::load_command(
        &out,
        target,
        started_at,
        clock.elapsed(),
        result.map(|run| (run.summary, run.notes)),
        schema_version,
    )
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
        let bytes = std::fs::read(path).map_err(|e| FileError::read(path, e))?;
        shards.push(Shard::from_log(&bytes).unwrap_or(Shard::WHOLE));
        let read = histlog::read_log(&bytes).map_err(|source| MergeError::Log {
            path: path.clone(),
            source,
        })?;
        intervals.extend(read);
    }
    if intervals.is_empty() {
        return Err(MergeError::Empty.into());
    }
    // A run of N workers is whole only with every shard once: refuse to certify less.
    if shards.iter().any(|s| s.count > 1) {
        shard::missing(&shards)?;
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
