//! What the invariants mutant tests of every API share: the options of a proving run, its
//! seed, and the findings of unexpected failures as text.

use std::collections::BTreeSet;

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

/// Asserts a mutant's run proves its invariant: `check` failed, nothing else did but the
/// knock-on checks in `also_allowed`, and the finding carries its reproduction with the
/// sandbox's keys (`sk_…`, `wk_…`) masked.
pub fn assert_caught_only(phase: &PhaseReport, mutant: &str, check: &str, also_allowed: &[&str]) {
    let failed = failed_ids(phase);
    assert!(
        failed.contains(check),
        "{mutant}: {check} did not fail; failed: {failed:?}\n{}",
        details(phase, &failed.iter().collect::<Vec<_>>())
    );
    let unexpected: Vec<&String> = failed
        .iter()
        .filter(|id| *id != check && !also_allowed.contains(&id.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{mutant}: unexpected failures {unexpected:?}\n{}",
        details(phase, &unexpected)
    );
    let finding = phase
        .checks
        .iter()
        .find(|c| c.id == check)
        .and_then(|c| c.findings.first())
        .expect("a finding");
    assert!(
        !finding.message.is_empty(),
        "{mutant}: a finding says what broke"
    );
    assert!(
        !finding.reproduction.is_empty(),
        "{mutant}: a finding carries its curl script"
    );
    assert!(
        finding
            .reproduction
            .iter()
            .all(|l| !SECRET_PREFIXES.iter().any(|p| l.contains(p))),
        "{mutant}: secrets masked in the reproduction"
    );
    eprintln!(
        "{mutant}: {failed:?}\n{}\n{}",
        finding.message,
        finding.reproduction.join("\n")
    );
}

/// The ids of the checks that failed.
pub fn failed_ids(phase: &PhaseReport) -> BTreeSet<String> {
    gatecheck::engine::invariants::book::failed_ids(&phase.checks)
}

/// The prefixes of every secret the sandboxes issue: agent keys (`sk_sandbox_`), merchant
/// keys (`mk_sandbox_`) and admin tokens (`adm_`).
const SECRET_PREFIXES: [&str; 3] = ["sk_", "mk_", "adm_"];
