//! What every API's contract suite shares: the named [`check::Check`] with its skip-or-run
//! result, the [`recorder::Recorder`] every request of a suite goes through (so the rules
//! that hold for every response are judged over all observed traffic), and those
//! traffic-wide rules themselves ([`traffic`]), driven by the API's OpenAPI document where
//! they need to know the API's operations.
//!
//! **Invariant:** nothing here knows an API's routes or objects; an API classifies its own
//! exchanges (a `Classifier`, from its OpenAPI document) and names its own checks (id, contract section).

pub mod check;
pub mod cli;
pub mod operation;
pub mod recorder;
pub mod traffic;

pub use check::{cap_findings, excerpt, expect_error, timed, Check, ExpectError, Param, Run, Skip};
pub use recorder::{Classifier, Evidence, NoResponse, Observed, Recorder, Req};
