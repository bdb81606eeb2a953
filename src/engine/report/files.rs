//! Writes the report files of a run into one folder (with `emit.rs`, which writes the
//! `--json`/`--junit` files a command is asked for, the only place that writes reports):
//!
//! ```text
//! gatecheck-reports/20261121T120600Z/
//! ├── report.json
//! ├── junit.xml
//! └── report.html
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::engine::names::UnknownName;
use anyhow::Context;
use time::{format_description::FormatItem, macros::format_description, OffsetDateTime};

use super::baseline::Comparison;
use super::{write_html_compared, write_json_compared, write_junit_compared, ReportError};
use crate::engine::model::RunReport;

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Junit,
    Html,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Json, Format::Junit, Format::Html];

    /// The file name the format is written to.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::Html => "report.html",
        }
    }

    fn write(
        self,
        run: &RunReport,
        comparison: Option<&Comparison>,
        out: &mut impl Write,
    ) -> Result<(), ReportError> {
        match self {
            Format::Json => write_json_compared(run, comparison, out),
            Format::Junit => write_junit_compared(run, comparison, out),
            Format::Html => write_html_compared(run, comparison, out),
        }
    }
}

impl std::str::FromStr for Format {
    type Err = UnknownName;

    /// `json`, `junit` or `html` (case-insensitive), for a `--format` flag.
    fn from_str(text: &str) -> Result<Format, UnknownName> {
        match text.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "junit" => Ok(Format::Junit),
            "html" => Ok(Format::Html),
            _ => Err(UnknownName::new(
                "report format",
                text,
                ["json", "junit", "html"],
            )),
        }
    }
}

const FOLDER_STAMP: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// `gatecheck-reports/<UTC now, e.g. 20261121T120600Z>/`, relative to the working directory.
pub fn default_out_dir() -> PathBuf {
    out_dir_for(OffsetDateTime::now_utc())
}

/// `gatecheck-reports/<the given instant in UTC>/`.
pub fn out_dir_for(instant: OffsetDateTime) -> PathBuf {
    let utc = instant.to_offset(time::UtcOffset::UTC);
    // The description has only numeric components, so formatting cannot fail; fall back
    // to the Unix time rather than panic.
    let stamp = utc
        .format(FOLDER_STAMP)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string());
    Path::new("gatecheck-reports").join(stamp)
}

/// Writes each requested format into `out_dir` (created with its parents) and returns the
/// paths written, in the order asked. A format asked twice is written once.
pub fn write_files(
    run: &RunReport,
    out_dir: &Path,
    formats: &[Format],
) -> anyhow::Result<Vec<PathBuf>> {
    write_files_compared(run, None, out_dir, formats)
}

/// [`write_files`], each format with the comparison against a baseline when there is one.
pub fn write_files_compared(
    run: &RunReport,
    comparison: Option<&Comparison>,
    out_dir: &Path,
    formats: &[Format],
) -> anyhow::Result<Vec<PathBuf>> {
    fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the report folder {}", out_dir.display()))?;
    let mut written: Vec<PathBuf> = Vec::new();
    for &format in formats {
        let path = out_dir.join(format.file_name());
        if written.contains(&path) {
            continue;
        }
        // Through the masking choke point: no secret reaches a report file.
        let mut out = crate::engine::output::create_file(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        format
            .write(run, comparison, &mut out)
            .with_context(|| format!("cannot write {}", path.display()))?;
        out.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_from_their_names() {
        assert_eq!("JUnit".parse::<Format>(), Ok(Format::Junit));
        assert_eq!("html".parse::<Format>(), Ok(Format::Html));
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn out_dir_is_named_after_the_utc_instant() {
        let instant = time::macros::datetime!(2026-11-21 13:06:00 +01:00);
        assert_eq!(
            out_dir_for(instant),
            Path::new("gatecheck-reports").join("20261121T120600Z")
        );
    }
}
