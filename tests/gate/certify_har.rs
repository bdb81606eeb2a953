//! `exchanges.har`: `certify` keeps every exchange as HTTP Archive 1.2, read here by an
//! independent HAR parser (the `har` crate); every finding in report.json, junit.xml and
//! report.html cites the entry of the exchange it shows; no secret is in the file.

use gatecheck::apis::gate::sandbox::{Mutant, SandboxConfig};
use gatecheck::certify::{self, CertifyArgs};
use gatecheck::engine::client::EXCERPT_BYTES;
use serde_json::Value;

use super::common;

fn args(argv: &[&str]) -> CertifyArgs {
    common::certify_args(&[&["--quiet"], argv].concat())
}

fn read_har(path: &std::path::Path) -> har::v1_2::Log {
    match har::from_path(path).expect("a HAR the parser reads").log {
        har::Spec::V1_2(log) => log,
        other => panic!("not HAR 1.2: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_finding_cites_the_har_entry_of_its_exchange_and_no_secret_is_kept() {
    // Two faults: one the contract phase finds, one the invariant probes find.
    for mutant in [Mutant::AcceptsBearerPrefix, Mutant::ReplayChargesAgain] {
        let sb = common::start_with(SandboxConfig {
            mutant: Some(mutant),
            ..SandboxConfig::default()
        })
        .await;
        let agent = sb.default_agent();
        let admin = sb.handle.admin_token().to_string();
        let out = tempfile::tempdir().unwrap();
        let base_url = sb.url("");
        let exit = certify::run(args(&[
            "--phases",
            "health,contract,invariants",
            "--cases",
            "16",
            "--base-url",
            &base_url,
            "--agent-id",
            &agent.id,
            "--api-key",
            &agent.key,
            "--admin-token",
            &admin,
            "--out",
            out.path().to_str().unwrap(),
        ]))
        .await
        .expect("certify runs");
        assert_eq!(exit, gatecheck::Exit::Violations, "{mutant} is found");

        let har_path = out.path().join("exchanges.har");
        let text = std::fs::read_to_string(&har_path).expect("exchanges.har written");
        for secret in [&agent.key, &admin] {
            assert!(!text.contains(secret.as_str()), "a secret is in the HAR");
        }
        assert!(text.contains("$GATECHECK_API_KEY"), "the key shows masked");
        let log = read_har(&har_path);
        assert!(
            log.entries.len() > 20,
            "every exchange: {}",
            log.entries.len()
        );
        assert_eq!(log.entries[0].request.url, format!("{base_url}/health"));
        let pages: Vec<&str> = log.pages.iter().flatten().map(|p| &*p.title).collect();
        assert_eq!(pages, ["preflight", "health", "contract", "invariants"]);
        for entry in &log.entries {
            let text = entry.response.content.text.as_deref().unwrap_or("");
            assert!(
                text.len() <= EXCERPT_BYTES + '…'.len_utf8(),
                "bodies are capped"
            );
        }

        let report: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap())
                .unwrap();
        let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
        let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
        let mut cited = 0;
        for finding in findings(&report) {
            let Some(exchange) = finding.get("exchange") else {
                continue;
            };
            let index = exchange["har_entry"]
                .as_u64()
                .unwrap_or_else(|| panic!("no har_entry in {finding}"))
                as usize;
            let entry = &log.entries[index];
            let path = exchange["path"].as_str().unwrap();
            assert_eq!(entry.request.method, exchange["method"].as_str().unwrap());
            assert_eq!(entry.request.url, format!("{base_url}{path}"), "{finding}");
            assert_eq!(
                entry.response.status,
                exchange["status"].as_i64().unwrap(),
                "{finding}"
            );
            assert_eq!(
                entry.response.content.text.as_deref().unwrap_or(""),
                exchange["body_excerpt"].as_str().unwrap(),
                "{finding}"
            );
            let reference = format!("exchanges.har, log.entries[{index}]");
            assert!(junit.contains(&reference), "JUnit cites {reference}");
            assert!(
                html.contains(&format!(
                    "data-har-entry=\"{index}\" href=\"exchanges.har\""
                )),
                "the HTML links entry {index}"
            );
            cited += 1;
        }
        assert!(cited > 0, "{mutant}: some finding shows an exchange");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_har_writes_none_and_findings_cite_none() {
    let out = tempfile::tempdir().unwrap();
    let plan = args(&[
        "--phases",
        "health",
        "--no-har",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let exit = certify::run(plan).await.expect("certify runs");
    assert_eq!(exit, gatecheck::Exit::Pass);
    assert!(out.path().join("report.json").is_file());
    assert!(!out.path().join("exchanges.har").exists());
}

fn findings(report: &Value) -> impl Iterator<Item = &Value> {
    report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["checks"].as_array().unwrap())
        .flat_map(|c| c["findings"].as_array().unwrap())
}
