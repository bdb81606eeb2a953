//! What every API's `gatecheck invariants` shares: its flags, the run around an API's
//! probe (resolve the target, probe, stop the sandbox), the outputs (console, stats,
//! `--json`/`--junit`) and the verdict's exit code.

use std::path::PathBuf;

use futures::future::BoxFuture;

use crate::engine::exit::{Exit, GateError};
use crate::engine::invariants::options::{InvariantOptions, DEFAULT_CASES};
use crate::engine::invariants::persist;
use crate::engine::invariants::stats::{write_stats, RunStats};
use crate::engine::model::{now_rfc3339, PhaseReport, RunReport};
use crate::engine::report::emit::OutputArgs;
use crate::engine::target::{EmbeddedLauncher, ResolvedTarget, TargetArgs, TargetProfile};

/// Probe the money invariants: idempotency, reservations, pricing, the ledger.
#[derive(Debug, Clone, clap::Args)]
pub struct InvariantsArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Generated operation sequences of the stateful probe.
    #[arg(long, default_value_t = DEFAULT_CASES, value_parser = crate::engine::bounds::cases, value_name = "N")]
    pub cases: u32,

    /// Run seed (hex, as printed); a failing case's seed with `--cases 1` replays it.
    #[arg(long, value_parser = persist::parse_seed, value_name = "HEX")]
    pub seed: Option<u64>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Seeds of failing cases: retried first on the next run, appended on failure.
    #[arg(
        long,
        default_value = ".gatecheck/invariants-regressions.txt",
        value_name = "FILE"
    )]
    pub regressions: PathBuf,

    /// Neither read nor write the regressions file.
    #[arg(long)]
    pub no_regressions: bool,

    /// Cases run at once on isolated agents (tuning).
    #[arg(long, hide = true, default_value_t = InvariantOptions::default().parallel_cases)]
    pub parallel_cases: usize,
}

impl InvariantsArgs {
    pub fn options(&self) -> InvariantOptions {
        InvariantOptions {
            cases: self.cases,
            seed: self.seed,
            regressions: (!self.no_regressions).then(|| self.regressions.clone()),
            parallel_cases: self.parallel_cases,
            ..InvariantOptions::default()
        }
    }
}

/// An API's probes: the phase and the run's numbers, on a resolved target.
pub type Probe = for<'a> fn(
    &'a InvariantOptions,
    &'a ResolvedTarget,
) -> BoxFuture<'a, Result<(PhaseReport, RunStats), GateError>>;

/// The command around an API's `probe`: resolve the target (`launcher`'s sandbox unless
/// `--base-url` names one), probe with `opts`, stop the sandbox, write the outputs, map
/// the verdict.
pub async fn run(
    args: &InvariantsArgs,
    profile: &dyn TargetProfile,
    launcher: &dyn EmbeddedLauncher,
    opts: &InvariantOptions,
    probe: Probe,
) -> Result<Exit, GateError> {
    let started_at = now_rfc3339();
    let resolved = args.target.resolve(profile, launcher).await?;
    let result = match probe(opts, &resolved).await {
        // The target answered, then broke the run: a failed check in a written report
        // (exit 1), as `certify` does, not a bare error line.
        Err(e @ GateError::Target(_)) => {
            Ok((PhaseReport::stopped("invariants", &e), RunStats::default()))
        }
        other => other,
    };
    let report = result.map(|(phase, stats)| (run_report(&resolved, phase, started_at), stats));
    resolved.shutdown().await;
    let (report, stats) = report?;
    write_outputs(args, &report, &stats)
}

/// Wraps the phase into the run's report.
pub fn run_report(resolved: &ResolvedTarget, phase: PhaseReport, started_at: String) -> RunReport {
    let mut report = RunReport::new("invariants", resolved.info(), started_at, vec![phase]);
    report.pacing = Some(resolved.client.pacer().summary());
    report
}

/// The console summary, the `--json`/`--junit` files and (unless `--quiet`) the numbers;
/// the verdict's exit code.
pub fn write_outputs(
    args: &InvariantsArgs,
    report: &RunReport,
    stats: &RunStats,
) -> Result<Exit, GateError> {
    let mut out = crate::engine::output::stdout();
    let exit = crate::engine::report::emit::emit(report, &args.output, &mut out)?;
    if !args.output.quiet {
        let _ = write_stats(stats, &mut out);
    }
    Ok(exit)
}
