//! Comparing a run with a baseline (the `report.json` of the last good run), so CI fails
//! only on what got worse: `gatecheck diff BASELINE CURRENT` and `certify --baseline FILE`.
//!
//! - [`read`]    — a report.json back into a `RunReport`; format versions checked;
//! - [`compare`] — the [`Comparison`]: what moved, which moves are regressions;
//! - [`render`]  — the comparison in words (console, JUnit, the HTML rows);
//! - [`cli`]     — `gatecheck diff` and the tolerance flags `certify` shares.

pub mod cli;
pub mod compare;
pub mod read;
pub mod render;

pub use cli::{read_baseline, DiffArgs, ToleranceArgs};
pub use compare::{Comparison, DiffVerdict, Tolerance};
pub use read::{read_report, BaselineError};
