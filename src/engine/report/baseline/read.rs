//! Reads a `report.json` back as a baseline: every format version up to
//! [`REPORT_FORMAT`] is read, a newer one or another document is refused by name.

use std::path::Path;

use serde_json::Value;

use crate::engine::model::RunReport;
use crate::engine::report::json::REPORT_FORMAT;

/// Why a report file cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    NotJson {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path} is not a gatecheck report.json ({why})")]
    NotAReport { path: String, why: String },
    #[error(
        "{path} has report format {found}, newer than this gatecheck reads (formats 1 to \
         {REPORT_FORMAT}): compare it with the gatecheck that wrote it, or upgrade"
    )]
    TooNew { path: String, found: u64 },
}

/// Reads `path` as a gatecheck report (the `report.json` of any run, or `--format json`'s
/// stdout).
pub fn read_report(path: &Path) -> Result<RunReport, BaselineError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| BaselineError::Read {
        path: name.clone(),
        source,
    })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|source| BaselineError::NotJson {
        path: name.clone(),
        source,
    })?;
    parse_report(&name, value)
}

/// A report document already parsed as JSON.
pub fn parse_report(name: &str, value: Value) -> Result<RunReport, BaselineError> {
    let not_a_report = |why: String| BaselineError::NotAReport {
        path: name.to_string(),
        why,
    };
    if value.get("tool").and_then(Value::as_str) != Some("gatecheck") {
        return Err(not_a_report("no `\"tool\": \"gatecheck\"`".to_string()));
    }
    // Format 1 predates the field.
    let found = match value.get("format_version") {
        None => 1,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| not_a_report(format!("format_version is {v}")))?,
    };
    if found > u64::from(REPORT_FORMAT) {
        return Err(BaselineError::TooNew {
            path: name.to_string(),
            found,
        });
    }
    serde_json::from_value(value).map_err(|e| not_a_report(e.to_string()))
}
