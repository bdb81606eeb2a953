//! The shrunk reproductions of two mutants, as a reviewer sees them: a numbered `curl`
//! script (keys masked) and the seed. Ports, ids, run nonces and timestamps are redacted.

use gatecheck::apis::gate::invariants::{self, InvariantOptions};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::engine::model::Finding;
use gatecheck::engine::target::TargetArgs;
use regex::Regex;

async fn shrunk_finding(mutant: &str, check: &str, seed: u64) -> Finding {
    let args = TargetArgs::default();
    let config = SandboxConfig {
        mutant: Some(mutant.parse().expect("a known mutant")),
        ..SandboxConfig::default()
    };
    let resolved = args
        .resolve(&gatecheck::apis::gate::GATE, &config)
        .await
        .expect("the sandbox starts");
    let opts = InvariantOptions {
        cases: 64,
        seed: Some(seed),
        concurrency: false,
        // Shrinking stops at its time budget (10 s by default); a loaded machine would
        // then show a larger case than the minimal one this test pins.
        shrink_time: std::time::Duration::from_secs(300),
        ..InvariantOptions::default()
    };
    let phase = invariants::run(&opts, &resolved)
        .await
        .expect("the probes run");
    resolved.shutdown().await;
    phase
        .checks
        .iter()
        .find(|c| c.id == check)
        .and_then(|c| c.findings.first().cloned())
        .unwrap_or_else(|| panic!("{mutant}: no finding for {check}"))
}

/// The finding as text, with what changes from run to run redacted.
fn redacted(f: &Finding) -> String {
    let mut text = format!(
        "check: {} ({})\nmessage: {}\nexpected: {}\ngot: {}\nseed: {}\nreproduction:\n{}\n",
        f.check,
        f.section,
        f.message,
        f.expected,
        f.got,
        f.seed.as_deref().unwrap_or("-"),
        f.reproduction
            .iter()
            .enumerate()
            .map(|(i, step)| format!("{}. {step}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let rules = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "UUID",
        ),
        (r"n[0-9a-f]{8}", "NONCE"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "TIMESTAMP"),
    ];
    for (pattern, with) in rules {
        let re = Regex::new(pattern).expect("a valid redaction pattern");
        text = re.replace_all(&text, with).into_owned();
    }
    text
}

fn assert_reproduction(name: &str, finding: &Finding) {
    assert!(finding.seed.is_some(), "a shrunk finding carries its seed");
    assert!(
        finding
            .reproduction
            .iter()
            .all(|l| l.starts_with("curl ") || l.starts_with("wait")),
        "one shell command per step"
    );
    assert!(
        finding
            .reproduction
            .iter()
            .all(|l| !l.contains("sk_sandbox_") && !l.contains("adm_")),
        "keys are masked"
    );
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, redacted(finding));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_rounding_shrinks_to_one_top_up() {
    let f = shrunk_finding("truncate-rounding", "pricing.half_up", 0x5eed).await;
    assert_reproduction("invariants_truncate_rounding", &f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_keeps_reservation_shrinks_to_create_and_fail() {
    let f = shrunk_finding(
        "failed-keeps-reservation",
        "lifecycle.failed_releases_reservation",
        0x5eed,
    )
    .await;
    assert_reproduction("invariants_failed_keeps_reservation", &f);
}
