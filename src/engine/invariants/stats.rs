//! The numbers of an invariants run (seed to replay, cases per second, requests,
//! shrinking), for the console and for measurements.

use std::io::Write;
use std::time::Duration;

/// Numbers about a run, for the console and for measurements.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    pub seed: u64,
    pub cases: u32,
    pub requests: u64,
    /// Time to run the cases (until the first failure), shrinking excluded.
    pub stateful_elapsed: Duration,
    pub shrink_elapsed: Duration,
    pub concurrency_elapsed: Duration,
    pub shrink_runs: u32,
    pub shrunk: Option<(usize, usize)>,
}

impl RunStats {
    pub fn cases_per_second(&self) -> f64 {
        let s = self.stateful_elapsed.as_secs_f64();
        if s > 0.0 {
            f64::from(self.cases) / s
        } else {
            0.0
        }
    }
}

/// The run's numbers: seed (to replay), cases per second, requests, shrinking. Nothing
/// when nothing was sent (a phase stopped before its first case).
pub fn write_stats(stats: &RunStats, out: &mut impl Write) -> std::io::Result<()> {
    if stats.requests == 0 && stats.cases == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "invariants: seed {:016x}; {} cases in {:.2} s ({:.1} cases/s); concurrency probes {:.2} s; {} requests",
        stats.seed,
        stats.cases,
        stats.stateful_elapsed.as_secs_f64(),
        stats.cases_per_second(),
        stats.concurrency_elapsed.as_secs_f64(),
        stats.requests,
    )?;
    if let Some((from, to)) = stats.shrunk {
        writeln!(
            out,
            "invariants: the failure shrank from {from} to {to} operations in {} runs",
            stats.shrink_runs
        )?;
    }
    Ok(())
}
