//! The contract suite against the correct embedded sandbox: zero failures, zero warnings,
//! nothing skipped; and the exit codes for usage errors (2) and an unreachable target (3).

use clap::Parser;
use gatecheck::apis::gate::contract::cli::{execute, exit_of, ContractArgs};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::engine::model::Outcome;
use gatecheck::Exit;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

fn args(extra: &[&str]) -> ContractArgs {
    let mut argv = vec!["contract"];
    argv.extend_from_slice(extra);
    Cmd::parse_from(argv).args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_sandbox_passes_every_check_without_warnings() {
    let report = execute(&args(&[]), SandboxConfig::default())
        .await
        .expect("the suite runs");
    let mut problems = Vec::new();
    for check in report.checks() {
        match &check.outcome {
            Outcome::Passed => {}
            // No rate limit configured: no 429 to judge (tests/gate/rate_limited.rs has one).
            Outcome::Skipped { .. } if check.id == "rate_limit.retry_after" => {}
            other => problems.push(format!(
                "{} {:?}: {:#?}",
                check.id,
                other,
                check.findings.iter().take(3).collect::<Vec<_>>()
            )),
        }
    }
    assert!(problems.is_empty(), "not clean:\n{}", problems.join("\n"));
    assert_eq!(exit_of(&report), Exit::Pass);
    let ids: Vec<&str> = report.checks().map(|c| c.id.as_str()).collect();
    for check in gatecheck::apis::gate::contract::all_checks() {
        assert!(
            ids.contains(&check.id),
            "{} missing from the report",
            check.id
        );
    }
}

#[tokio::test]
async fn unreachable_target_exits_3() {
    let a = args(&[
        "--base-url",
        "http://127.0.0.1:9",
        "--agent-id",
        "5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c",
        "--api-key",
        "k",
        "--timeout",
        "2s",
    ]);
    let err = execute(&a, SandboxConfig::default())
        .await
        .expect_err("unreachable");
    assert_eq!(err.exit(), Exit::Unreachable);
}

#[tokio::test]
async fn base_url_without_agent_is_a_usage_error() {
    let a = args(&["--base-url", "http://127.0.0.1:9", "--api-key", "k"]);
    let err = execute(&a, SandboxConfig::default())
        .await
        .expect_err("usage");
    assert_eq!(err.exit(), Exit::Usage);
}

#[tokio::test]
async fn a_schema_directory_that_does_not_exist_is_a_usage_error() {
    let a = args(&["--schemas", "/nonexistent/gatecheck-schemas"]);
    let err = execute(&a, SandboxConfig::default())
        .await
        .expect_err("usage");
    assert_eq!(err.exit(), Exit::Usage);
}
