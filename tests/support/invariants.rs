//! What the invariants mutant tests of every API share: the options of a proving run, its
//! seed, and the findings of unexpected failures as text.

use gatecheck::engine::invariants::options::InvariantOptions;
use gatecheck::engine::model::PhaseReport;

/// `cases` cases from `seed`, with a short shrink (which check fails is decided before
/// shrinking; a shorter shrink keeps the tests fast).
pub fn options(cases: u32, seed: u64) -> InvariantOptions {
    InvariantOptions {
        cases,
        seed: Some(seed),
        max_shrink_iters: 48,
        ..InvariantOptions::default()
    }
}

/// A fixed seed keeps CI deterministic; `INVARIANTS_SEED=<hex>` tries another.
pub fn seed() -> u64 {
    std::env::var("INVARIANTS_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x5eed)
}

/// The findings of the checks `ids`: message, expected, got and the reproduction.
pub fn details(phase: &PhaseReport, ids: &[&String]) -> String {
    phase
        .checks
        .iter()
        .filter(|c| ids.contains(&&c.id))
        .flat_map(|c| {
            c.findings.iter().map(|f| {
                format!(
                    "{}: {} / expected {} / got {}\n{}",
                    f.check,
                    f.message,
                    f.expected,
                    f.got,
                    f.reproduction.join("\n")
                )
            })
        })
        .collect::<Vec<_>>()
        .join("\n")
}
