//! Every contract check is proven able to fail: for each mutant (a sandbox that breaks
//! exactly one rule) the suite runs in-process and must report the intended check(s)
//! failing — and nothing outside a small, named set of knock-on checks — with exit code 1
//! (or a warning and exit 0 for SHOULD rules). All mutants run concurrently in one runtime.

use std::collections::BTreeSet;

use clap::Parser;
use futures::StreamExt;
use gatecheck::contract::cli::{execute, exit_of, ContractArgs};
use gatecheck::model::{Outcome, RunReport};
use gatecheck::sandbox::{Mutant, SandboxConfig};
use gatecheck::Exit;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

/// A mutant and what the suite must say about it.
struct Case {
    mutant: &'static str,
    /// Checks that must fail (MUST rules).
    fails: &'static [&'static str],
    /// Checks that must warn (SHOULD rules).
    warns: &'static [&'static str],
    /// Knock-on checks that may also fail because the same fault breaks their rule too.
    may_fail: &'static [&'static str],
}

const fn must(
    mutant: &'static str,
    fails: &'static [&'static str],
    may_fail: &'static [&'static str],
) -> Case {
    Case {
        mutant,
        fails,
        warns: &[],
        may_fail,
    }
}

const fn should(mutant: &'static str, warns: &'static [&'static str]) -> Case {
    Case {
        mutant,
        fails: &[],
        warns,
        may_fail: &[],
    }
}

const SCHEMA: &str = "schema.success_bodies";

const CASES: &[Case] = &[
    // Filled in against the sandbox's mutant list.
];

async fn run_case(case: &Case) -> Result<(), String> {
    let mutant: Mutant = case
        .mutant
        .parse()
        .map_err(|e| format!("{}: not a sandbox mutant: {e}", case.mutant))?;
    let args = Cmd::parse_from(["contract", "--settle", "2s"]).args;
    let config = SandboxConfig {
        mutant: Some(mutant),
        ..SandboxConfig::default()
    };
    let report = execute(&args, config)
        .await
        .map_err(|e| format!("{}: the suite did not run: {e}", case.mutant))?;
    judge(case, &report)
}

fn judge(case: &Case, report: &RunReport) -> Result<(), String> {
    let failed: BTreeSet<&str> = report
        .checks()
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| c.id.as_str())
        .collect();
    let warned: BTreeSet<&str> = report
        .checks()
        .filter(|c| c.outcome == Outcome::Warned)
        .map(|c| c.id.as_str())
        .collect();
    let mut problems = Vec::new();
    for f in case.fails {
        if !failed.contains(f) {
            problems.push(format!("{f} did not fail"));
        }
    }
    for w in case.warns {
        if !warned.contains(w) {
            problems.push(format!("{w} did not warn"));
        }
    }
    for f in &failed {
        if !case.fails.contains(f) && !case.may_fail.contains(f) {
            problems.push(format!("{f} failed unexpectedly"));
        }
    }
    for w in &warned {
        if !case.warns.contains(w) && !case.may_fail.contains(w) {
            problems.push(format!("{w} warned unexpectedly"));
        }
    }
    let want_exit = if case.fails.is_empty() {
        Exit::Pass
    } else {
        Exit::Violations
    };
    if exit_of(report) != want_exit {
        problems.push(format!(
            "exit {:?}, expected {want_exit:?}",
            exit_of(report)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", case.mutant, problems.join("; ")))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_mutant_is_caught_by_its_check() {
    let results: Vec<Result<(), String>> = futures::stream::iter(CASES.iter())
        .map(run_case)
        .buffer_unordered(6)
        .collect()
        .await;
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(
        failures.is_empty(),
        "{} of {} mutants misjudged:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn every_check_is_proven_by_a_mutant() {
    let proven: BTreeSet<&str> = CASES
        .iter()
        .flat_map(|c| c.fails.iter().chain(c.warns))
        .copied()
        .collect();
    let unproven: Vec<&str> = gatecheck::contract::all_checks()
        .iter()
        .map(|c| c.id)
        .filter(|id| !proven.contains(id))
        .collect();
    assert!(unproven.is_empty(), "checks no mutant proves: {unproven:?}");
    let names: BTreeSet<&str> = CASES.iter().map(|c| c.mutant).collect();
    assert_eq!(names.len(), CASES.len(), "a mutant is listed twice");
}
