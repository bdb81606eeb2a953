//! The machine-readable report: the `RunReport` as pretty JSON, with the verdict, its
//! wording and the counts first:
//!
//! ```json
//! {
//!   "format_version": 2,
//!   "verdict": "fail",
//!   "verdict_text": "NOT certified",
//!   "counts": { "passed": 9, "failed": 2, "warned": 1, "skipped": 1 },
//!   "thresholds": { "passed": 2, "failed": 1 },
//!   "tool": "gatecheck",
//!   "tool_version": "0.1.0",
//!   "schema_version": "3f2a9c1",
//!   "command": "certify",
//!   "target": { "base_url": "http://127.0.0.1:8080", … },
//!   "started_at": "2026-11-21T12:06:00Z",
//!   "finished_at": "2026-11-21T12:07:02Z",
//!   "phases": [ … ]
//! }
//! ```
//!
//! `format_version` is [`REPORT_FORMAT`]: a reader (`gatecheck diff`, `--baseline`) reads
//! every version up to its own and refuses a newer one by name. Version 1 (no field) had no
//! `har_entry` and no `comparison`; it reads as is. When a baseline was given, the
//! document ends with `"comparison": { … }`.
//!
//! Field order is the declaration order of the model's structs, so it is stable; the
//! document deserializes back into a `RunReport` (the extra top-level fields are ignored).

use std::io::Write;

use serde::Serialize;

use super::baseline::Comparison;
use super::summary::{verdict_word, Summary, ThresholdCounts};
use super::ReportError;
use crate::engine::model::{Counts, RunReport, Verdict};

/// The version of the report.json layout. Raise it when a reader of the old layout would
/// misread the new one.
pub const REPORT_FORMAT: u32 = 2;

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    verdict: Verdict,
    verdict_text: &'static str,
    counts: Counts,
    thresholds: ThresholdCounts,
    #[serde(flatten)]
    run: &'a RunReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<&'a Comparison>,
}

/// Writes the report as pretty JSON, ending with a newline.
pub fn write_json<W: Write>(run: &RunReport, out: W) -> Result<(), ReportError> {
    write_json_compared(run, None, out)
}

/// [`write_json`], with the comparison against a baseline when there is one.
pub fn write_json_compared<W: Write>(
    run: &RunReport,
    comparison: Option<&Comparison>,
    mut out: W,
) -> Result<(), ReportError> {
    let summary = Summary::of(run);
    let document = JsonReport {
        format_version: REPORT_FORMAT,
        verdict: summary.verdict,
        verdict_text: verdict_word(&run.command, summary.verdict),
        counts: summary.counts,
        thresholds: summary.thresholds,
        run,
        comparison,
    };
    serde_json::to_writer_pretty(&mut out, &document)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
