//! Report writers: console, JSON, JUnit and HTML renderings of one [`RunReport`].
//!
//! **Invariant:** every writer only *reads* a `RunReport`. None of them decides anything:
//! the verdict is `RunReport::verdict()`, the counts are `RunReport::counts()`, and the
//! wording that names them lives in [`summary`]. This module is also the only place in
//! gatecheck that writes report files ([`write_files`]).
//!
//! Code map:
//! - [`summary`]  — verdict words and count lines shared by every format;
//! - [`evidence`] — the plain-text evidence block of a finding (console and JUnit share it);
//! - [`style`]    — the console palette: every colour lives there;
//! - [`console`], [`json`], [`junit`], [`html`] (+ [`plots`]) — one file per format;
//! - [`files`]    — `report.json`, `junit.xml`, `report.html` into an output folder;
//! - [`emit`]     — a single-phase command's output flags, console, files and exit code;
//! - [`har`]      — `exchanges.har`, every exchange of a run (HAR 1.2), streamed;
//! - [`baseline`] — the comparison with a baseline run (`gatecheck diff`, `--baseline`).
//!
//! All writers are generic over `std::io::Write`, so tests render into a `Vec<u8>`.

pub mod baseline;
pub mod console;
pub mod emit;
pub mod evidence;
pub mod files;
pub mod har;
pub mod html;
pub mod json;
pub mod junit;
pub mod knee;
pub mod plots;
pub mod style;
pub mod summary;

pub use console::{write_console, ConsoleOptions, Verbosity};
pub use files::{default_out_dir, write_files, write_files_compared, Format};
pub use har::{HarSummary, HarWriter, HAR_FILE};
pub use html::{write_html, write_html_compared};
pub use json::{write_json, write_json_compared};
pub use junit::{write_junit, write_junit_compared};
pub use summary::Summary;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot serialize the JSON report: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot serialize the JUnit report: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    #[error("cannot render the HTML report: {0}")]
    Template(#[from] minijinja::Error),
    #[error("cannot draw the {plot} plot: {message}")]
    Plot { plot: &'static str, message: String },
}
