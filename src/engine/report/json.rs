//! The machine-readable report: the `RunReport` as pretty JSON, with the verdict, its
//! wording and the counts first:
//!
//! ```json
//! {
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
//! Field order is the declaration order of the model's structs, so it is stable; the
//! document deserializes back into a `RunReport` (the extra top-level fields are ignored).

use std::io::Write;

use serde::Serialize;

use super::summary::{verdict_word, Summary, ThresholdCounts};
use super::ReportError;
use crate::engine::model::{Counts, RunReport, Verdict};

#[derive(Serialize)]
struct JsonReport<'a> {
    verdict: Verdict,
    verdict_text: &'static str,
    counts: Counts,
    thresholds: ThresholdCounts,
    #[serde(flatten)]
    run: &'a RunReport,
}

/// Writes the report as pretty JSON, ending with a newline.
pub fn write_json<W: Write>(run: &RunReport, mut out: W) -> Result<(), ReportError> {
    let summary = Summary::of(run);
    let document = JsonReport {
        verdict: summary.verdict,
        verdict_text: verdict_word(&run.command, summary.verdict),
        counts: summary.counts,
        thresholds: summary.thresholds,
        run,
    };
    serde_json::to_writer_pretty(&mut out, &document)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
