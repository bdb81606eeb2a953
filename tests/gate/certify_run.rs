//! `gatecheck certify` end to end, in-process: the correct sandbox is certified and writes
//! the three report files; the sandbox started with any one known mutant is *not*
//! certified, and the HTML report names the violation in its verdict banner, above the
//! phase sections.

use clap::Parser;
use gatecheck::apis::gate::sandbox::{Mutant, SandboxConfig};
use gatecheck::certify::{self, CertifyArgs};
use gatecheck::cli::{Cli, Command};
use gatecheck::engine::model::{Outcome, Verdict};
use gatecheck::engine::report;

fn args(extra: &[&str]) -> CertifyArgs {
    let mut argv = vec!["gatecheck", "certify", "--quiet"];
    argv.extend_from_slice(extra);
    match Cli::try_parse_from(argv).expect("valid flags").command {
        Command::Certify(args) => *args,
        other => panic!("parsed as {other:?}"),
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_correct_sandbox_is_certified_with_all_three_reports() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("reports");
    let args = args(&[
        "--run-time",
        "2s",
        "--cases",
        "16",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let exit = certify::run_with(args, SandboxConfig::default())
        .await
        .expect("certify runs");
    assert_eq!(exit, gatecheck::Exit::Pass);
    for file in ["report.json", "junit.xml", "report.html"] {
        assert!(out_dir.join(file).is_file(), "{file} written");
    }
    let phases = crate::support::report_phases(&out_dir);
    // The embedded sandbox serves both APIs: the Gate's phases, then the Wallet's section.
    assert_eq!(
        phases,
        [
            "health",
            "contract",
            "invariants",
            "load",
            "wallet contract",
            "wallet invariants",
            "wallet load"
        ]
    );
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("certified") && !html.contains("NOT certified"));
}

/// Every mutant the sandbox knows makes certify fail, and the failed checks are named in
/// the banner at the top of the HTML report.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_mutant_is_not_certified_and_named_on_top_of_the_html() {
    let plan = args(&["--phases", "health,contract,invariants", "--cases", "24"])
        .plan(&no_env)
        .expect("plan");
    let mut escaped = Vec::new();
    // Every mutant, the two that answer 429s on purpose included: pacing (AIMD) recovers
    // from a sporadic 429 instead of slowing the rest of the run.
    let mutants = Mutant::ALL;
    for chunk in mutants.chunks(4) {
        let runs = chunk.iter().map(|mutant| {
            let plan = plan.clone();
            let config = SandboxConfig {
                mutant: Some(*mutant),
                ..SandboxConfig::default()
            };
            async move { (*mutant, certify::certify(&plan, config).await) }
        });
        for (mutant, outcome) in futures::future::join_all(runs).await {
            let outcome = outcome.expect("certify runs");
            let report = outcome.report;
            if report.verdict() != Verdict::Fail {
                escaped.push(mutant.to_string());
                continue;
            }
            let failed: Vec<&str> = report
                .checks()
                .filter(|c| c.outcome == Outcome::Failed)
                .map(|c| c.id.as_str())
                .collect();
            let mut html = Vec::new();
            report::write_html(&report, &mut html).unwrap();
            let html = String::from_utf8(html).unwrap();
            let top = &html[..html.find("class=\"phase\"").expect("a phase section")];
            assert!(top.contains("NOT certified"), "{mutant}: verdict on top");
            assert!(
                failed.iter().any(|id| top.contains(id)),
                "{mutant}: none of {failed:?} named in the banner"
            );
        }
    }
    // SHOULD-only mutants (warnings) legitimately stay certified.
    let should_only = ["no-request-id-echo", "no-location-header"];
    escaped.retain(|m| !should_only.contains(&m.as_str()));
    assert!(
        escaped.is_empty(),
        "certified despite a mutant: {escaped:?}"
    );
}
