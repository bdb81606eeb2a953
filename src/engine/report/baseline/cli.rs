//! `gatecheck diff BASELINE.json CURRENT.json`, and the comparison flags it shares with
//! `certify --baseline`. Exit 0 with no regressions, 1 when regressed, 2 when a file
//! cannot be read or is refused.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::compare::{Comparison, DiffVerdict, Tolerance};
use super::read::read_report;
use crate::engine::bounds::BoundsError;
use crate::engine::exit::{Exit, FileError, GateError};
use crate::engine::report::json::REPORT_FORMAT;
use crate::engine::report::style::Palette;

/// How far load numbers may move before they count (shared by `diff` and `certify`).
#[derive(Debug, Clone, clap::Args)]
pub struct ToleranceArgs {
    /// Load percentiles (p50, p90, p99, p99.9) and throughput may move this much before
    /// they count as slower / faster, e.g. `10%`.
    #[arg(long, default_value = "10%", value_parser = parse_percent, value_name = "PERCENT")]
    pub latency_tolerance: f64,

    /// A latency change smaller than this never counts (sub-millisecond jitter).
    #[arg(long, default_value = "1ms", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub latency_floor: Duration,
}

impl ToleranceArgs {
    pub fn tolerance(&self) -> Tolerance {
        Tolerance {
            relative: self.latency_tolerance,
            latency_floor_us: self.latency_floor.as_micros() as u64,
        }
    }
}

/// `10%` or `10` → 0.10.
fn parse_percent(text: &str) -> Result<f64, BoundsError> {
    let number = text.trim().trim_end_matches('%').trim();
    let value: f64 = number.parse().map_err(|_| BoundsError::NotANumber {
        value: text.to_string(),
        kind: "a percentage (e.g. 10%)",
    })?;
    if !(0.0..=1000.0).contains(&value) {
        return Err(BoundsError::OutOfRange {
            value: text.to_string(),
            min: "0%".into(),
            max: "1000%".into(),
        });
    }
    Ok(value / 100.0)
}

/// What `gatecheck diff` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
}

/// Compare two report.json files: newly failing, warning or skipped checks, fixed checks,
/// slower load; exit 1 only on regressions.
#[derive(Debug, Clone, clap::Args)]
pub struct DiffArgs {
    /// The report.json of the last good run.
    #[arg(value_name = "BASELINE")]
    pub baseline: PathBuf,

    /// The report.json of this run.
    #[arg(value_name = "CURRENT")]
    pub current: PathBuf,

    #[command(flatten)]
    pub tolerance: ToleranceArgs,

    /// What stdout carries.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,

    /// Also write the comparison as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write the comparison as JUnit XML to FILE (one failing testcase per regression).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// The JSON document of `gatecheck diff`.
#[derive(Serialize)]
struct DiffDocument<'a> {
    format_version: u32,
    current: String,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// Reads a baseline for `--baseline`, refusing a bad one before anything runs.
pub fn read_baseline(path: &std::path::Path) -> Result<crate::engine::model::RunReport, GateError> {
    Ok(read_report(path)?)
}

/// `gatecheck diff`.
pub fn run(args: DiffArgs) -> Result<Exit, GateError> {
    let baseline = read_baseline(&args.baseline)?;
    let current = read_baseline(&args.current)?;
    let comparison = Comparison::of(
        &args.baseline.display().to_string(),
        &baseline,
        &current,
        args.tolerance.tolerance(),
    );
    let document = DiffDocument {
        format_version: REPORT_FORMAT,
        current: args.current.display().to_string(),
        comparison: &comparison,
    };
    let json = serde_json::to_string_pretty(&document)
        .map_err(|e| GateError::Other(anyhow::anyhow!(e)))?;
    if let Some(path) = &args.json {
        write(path, format!("{json}\n").as_bytes())?;
    }
    if let Some(path) = &args.junit {
        let mut report = quick_junit::Report::new("gatecheck diff");
        report.add_test_suite(super::render::junit_suite(&comparison));
        let xml = report
            .to_string()
            .map_err(|e| GateError::Other(anyhow::anyhow!(e)))?;
        write(path, xml.as_bytes())?;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let printed = match args.format {
        DiffFormat::Json => writeln!(out, "{json}"),
        DiffFormat::Human => {
            let color = std::io::IsTerminal::is_terminal(&stdout)
                && !crate::engine::report::style::no_color_requested();
            writeln!(
                out,
                "{}",
                super::render::text(&comparison, &Palette::new(color))
            )
        }
    };
    printed.map_err(|e| GateError::Other(e.into()))?;
    Ok(exit_of(&comparison))
}

/// 1 only on regressions.
pub fn exit_of(comparison: &Comparison) -> Exit {
    match comparison.verdict {
        DiffVerdict::NoRegressions => Exit::Pass,
        DiffVerdict::Regressed => Exit::Violations,
    }
}

fn write(path: &std::path::Path, bytes: &[u8]) -> Result<(), GateError> {
    std::fs::write(path, bytes).map_err(|e| FileError::write(path, e).into())
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn tolerances_read_with_or_without_the_percent_sign() {
        assert_eq!(parse_percent("10%"), Ok(0.10));
        assert_eq!(parse_percent("2.5"), Ok(0.025));
        assert!(parse_percent("ten").is_err());
        assert!(parse_percent("-5%").is_err());
    }
}
