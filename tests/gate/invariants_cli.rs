//! `gatecheck invariants` as a user runs it: outputs (console, JSON, JUnit), exit codes
//! (0 pass, 1 violations, 2 usage, 3 unreachable) and failure persistence.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

fn gatecheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gatecheck"));
    c.env_remove("GATECHECK_API_KEY")
        .env_remove("GATECHECK_ADMIN_TOKEN");
    c
}

/// A sandbox process with a mutant; killed on drop.
struct MutantSandbox {
    child: Child,
    info: Value,
}

impl MutantSandbox {
    fn start(mutant: &str) -> MutantSandbox {
        let mut child = gatecheck()
            .args([
                "sandbox",
                "--addr",
                "127.0.0.1:0",
                "--json",
                "--mutant",
                mutant,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the JSON line");
        let info = serde_json::from_str(&line).expect("a JSON start line");
        MutantSandbox { child, info }
    }

    fn args(&self) -> Vec<String> {
        let f = |k: &str| self.info[k].as_str().expect(k).to_string();
        vec![
            "--base-url".into(),
            f("base_url"),
            "--agent-id".into(),
            f("agent_id"),
            "--api-key".into(),
            f("api_key"),
            "--admin-token".into(),
            f("admin_token"),
        ]
    }
}

impl Drop for MutantSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn passing_run_writes_json_and_junit_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let out = gatecheck()
        .args(["invariants", "--cases", "8", "--no-regressions", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ledger.identity"), "{stdout}");
    assert!(stdout.contains("cases/s"), "{stdout}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("parses");
    assert_eq!(report["phases"][0]["name"], "invariants");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        xml.contains("idempotency.replay_returns_same_order"),
        "{xml}"
    );
}

#[test]
fn a_violation_exits_1_and_its_seed_is_retried_first_next_time() {
    let sb = MutantSandbox::start("truncate-rounding");
    let dir = tempfile::tempdir().expect("tempdir");
    let regressions = dir.path().join("regressions.txt");
    let run = || {
        gatecheck()
            .arg("invariants")
            .args(sb.args())
            .args(["--cases", "32", "--seed", "5eed", "--regressions"])
            .arg(&regressions)
            .output()
            .expect("runs")
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("pricing.half_up"), "{stdout}");
    assert!(
        stdout.contains("reproduction (seed 0000000000005eed)")
            && stdout.contains("curl -sS -i -X POST"),
        "the reproduction and its seed are printed: {stdout}"
    );
    assert!(
        !stdout.contains(sb.info["api_key"].as_str().expect("key")),
        "the key is masked"
    );
    let saved = std::fs::read_to_string(&regressions).expect("the failing seed is kept");
    assert!(
        saved.lines().any(|l| l.ends_with("pricing.half_up")),
        "{saved}"
    );
    let second = run();
    assert_eq!(second.status.code(), Some(1));
    let again = std::fs::read_to_string(&regressions).expect("still there");
    assert_eq!(saved, again, "a retried seed is not appended twice");
}

#[test]
fn unreachable_target_exits_3_and_bad_flags_exit_2() {
    let out = gatecheck()
        .args([
            "invariants",
            "--base-url",
            "http://127.0.0.1:1",
            "--agent-id",
            "6f1c2a7e-4b1d-4c55-9a43-0d3b5e9f1a20",
            "--api-key",
            "k",
            "--timeout",
            "2s",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let out = gatecheck()
        .args(["invariants", "--seed", "not-hex"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
