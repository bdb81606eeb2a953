//! Domain types shared by every part of gatecheck: money, the Gate API's objects, and the
//! run's result data.

pub mod money;
pub mod report;
pub mod wire;

pub use money::{Amount, MoneyError, Rate};
pub use report::{
    CheckResult, Counts, ExchangeEvidence, Finding, LoadInterval, LoadSummary, Outcome,
    PhaseReport, RunReport, Severity, TargetInfo, ThresholdResult, TransactionStats, Verdict,
};
