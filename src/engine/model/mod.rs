//! Domain types shared by every part of gatecheck: money, the Gate API's objects, and the
//! run's result data.

pub mod report;

pub use report::{
    identity_of, now_rfc3339, CheckResult, Counts, ExchangeEvidence, Finding, LoadInterval,
    LoadSummary, Outcome, PhaseReport, RunReport, Severity, TargetInfo, ThresholdResult,
    TransactionStats, Verdict,
};
