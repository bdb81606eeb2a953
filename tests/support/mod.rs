//! Helpers every test binary shares (`tests/gate`, `tests/wallet`): included by path from
//! each binary's `main.rs`, so they are written once.
#![allow(dead_code)]

pub mod http;
pub mod invariants;
pub mod process;

use gatecheck::engine::model::{CheckResult, Outcome};

/// The failed checks among `checks`, each as `id: first finding's message`, for an
/// assertion's message.
pub fn failures<'a>(checks: impl Iterator<Item = &'a CheckResult>) -> Vec<String> {
    checks
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| format!("{}: {:?}", c.id, c.findings.first().map(|f| &f.message)))
        .collect()
}
