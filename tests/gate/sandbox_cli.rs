//! `gatecheck sandbox` as a user runs it: the banner, `--json`, port 0, hidden `--mutant`.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gatecheck"))
}

#[tokio::test]
async fn help_hides_mutants_and_lists_the_flags() {
    let out = bin()
        .args(["sandbox", "--help"])
        .output()
        .await
        .expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--addr",
        "--agent-id",
        "--api-key",
        "--admin-token",
        "--json",
        "--db",
        "--complete-after",
        "--rate-limit",
        "--inject-latency",
        "--inject-errors",
        "--stall",
    ] {
        assert!(help.contains(flag), "{flag} in help");
    }
    assert!(!help.contains("mutant"), "mutants are not advertised");
    let bad = bin()
        .args(["sandbox", "--mutant", "no-such-mutant"])
        .output()
        .await
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn json_line_first_then_serves() {
    let mut child = bin()
        .args([
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--json",
            "--api-key",
            "cli-key",
            "--admin-token",
            "cli-admin",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    tokio::time::timeout(
        Duration::from_secs(20),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("line in time")
    .expect("read");
    let info: serde_json::Value = serde_json::from_str(&line).expect("JSON first line");
    let base = info["base_url"].as_str().unwrap();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
        "{base}"
    );
    assert_eq!(info["api_key"], "cli-key");
    assert_eq!(info["admin_token"], "cli-admin");
    let agent = info["agent_id"].as_str().unwrap();
    let r = reqwest::Client::new()
        .get(format!("{base}/agent/{agent}/balance"))
        .header("authorization", "cli-key")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    child.start_kill().expect("kill");
    let _ = child.wait().await;
}

#[tokio::test]
async fn banner_names_url_and_identity() {
    let mut child = bin()
        .args(["sandbox", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = String::new();
    for _ in 0..4 {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("banner in time")
            .expect("read")
            .unwrap_or_default();
        banner.push_str(&line);
        banner.push('\n');
    }
    assert!(banner.contains("http://127.0.0.1:"), "{banner}");
    for word in ["agent_id", "api_key", "admin_token"] {
        assert!(banner.contains(word), "{banner}");
    }
    child.start_kill().expect("kill");
    let _ = child.wait().await;
}
