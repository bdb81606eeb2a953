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

/// The phase names of the `report.json` in `dir`, in order.
pub fn report_phases(dir: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(dir.join("report.json")).expect("report.json was written");
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("report.json is JSON");
    json["phases"]
        .as_array()
        .expect("a list of phases")
        .iter()
        .map(|p| p["name"].as_str().expect("a phase name").to_string())
        .collect()
}
