//! Honest exits: 3 only when the target never answered HTTP; a target that answers 5xx
//! or garbage is a finding (1) in every command; zero or nonsensical numbers and bad keys
//! are usage errors (2) before anything runs; a check judged on no parseable body is not
//! passed; `gatecheck init` writes a config that works from any folder.

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use super::hostile::{Hostile, Reply};

const AGENT: &str = "2f1c3d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

fn gatecheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatecheck"))
        .args(args)
        .env_remove("GATECHECK_API_KEY")
        .env_remove("GATECHECK_ADMIN_TOKEN")
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn zero_and_nonsensical_numbers_are_usage_errors() {
    for args in [
        &["load", "--scenario", "mixed", "--rate", "1e12"][..],
        &["load", "--scenario", "mixed", "--rate", "NaN"],
        &["load", "--scenario", "mixed", "--users", "0"],
        &["load", "--scenario", "mixed", "--run-time", "0s"],
        &["contract", "--timeout", "0s"],
        &["invariants", "--cases", "0"],
        &["certify", "--users", "0"],
        &["certify", "--rate", "-5"],
    ] {
        let out = gatecheck(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn empty_keys_and_keys_with_control_characters_are_usage_errors() {
    let server = Hostile::start(|_| Reply::json(200, "{}"));
    let url = server.url();
    for key in ["", "   ", "sk_live_abc\ndef", "sk\tx"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gatecheck"))
            .args(["contract", "--base-url", &url, "--agent-id", AGENT])
            .env("GATECHECK_API_KEY", key)
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{key:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("API key"), "{}", stderr(&out));
    }
    // A password in the URL is never printed, even in an error.
    let out = gatecheck(&[
        "contract",
        "--base-url",
        "ftp://u:hunter2-secret@x",
        "--agent-id",
        AGENT,
    ]);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains("hunter2-secret"), "{}", stderr(&out));
}

/// `/health` answers; everything else is a 500 with an HTML body.
fn broken_target() -> Hostile {
    Hostile::start(|req| {
        if req.path == "/health" {
            Reply::json(200, r#"{"status":"ok"}"#)
        } else {
            let mut r = Reply::json(500, "<html>oops</html>");
            r.headers = vec![("Content-Type".into(), "text/html".into())];
            r
        }
    })
}

#[test]
fn a_target_that_answers_5xx_or_garbage_is_exit_1_in_every_command() {
    let server = broken_target();
    let url = server.url();
    let target = [
        "--base-url",
        url.as_str(),
        "--agent-id",
        AGENT,
        "--api-key",
        "sk_test_0123456789",
        "--timeout",
        "2s",
    ];
    for command in [
        &["contract"][..],
        &[
            "invariants",
            "--cases",
            "2",
            "--no-regressions",
            "--admin-token",
            "admin-token-0123",
        ],
        &[
            "load",
            "--scenario",
            "mixed",
            "--run-time",
            "1s",
            "--no-progress",
        ],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<&str> = command.to_vec();
        args.extend_from_slice(&target);
        let out_dir = dir.path().to_str().unwrap().to_string();
        if command[0] == "load" {
            args.extend_from_slice(&["--out", &out_dir]);
        }
        let out = gatecheck(&args);
        assert_eq!(code(&out), 1, "{command:?}: {}", stderr(&out));
        if command[0] != "contract" {
            // A report with the failed check and its reason, as certify writes it.
            let stdout = String::from_utf8_lossy(&out.stdout);
            let check = format!("{}.completed", command[0]);
            assert!(stdout.contains(&check), "{stdout}");
        }
    }
}

#[test]
fn certify_runs_every_phase_after_one_that_cannot_run_and_exits_1() {
    let server = broken_target();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let out = gatecheck(&[
        "certify",
        "--quiet",
        "--phases",
        "health,contract,invariants,load",
        "--base-url",
        &url,
        "--agent-id",
        AGENT,
        "--api-key",
        "sk_test_0123456789",
        "--admin-token",
        "admin-token-0123",
        "--timeout",
        "2s",
        "--cases",
        "2",
        "--run-time",
        "1s",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let phases = crate::support::report_phases(dir.path());
    assert_eq!(phases, ["health", "contract", "invariants", "load"]);
}

#[test]
fn a_schema_check_judged_on_no_parseable_body_is_not_passed() {
    let server = Hostile::start(|req| {
        if req.path == "/health" {
            return Reply::json(200, r#"{"status":"ok"}"#);
        }
        let mut r = Reply::json(200, "<html>welcome</html>");
        r.headers = vec![("Content-Type".into(), "text/html".into())];
        r
    });
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let out = gatecheck(&[
        "contract",
        "--base-url",
        &server.url(),
        "--agent-id",
        AGENT,
        "--api-key",
        "sk_test_0123456789",
        "--timeout",
        "2s",
        "--json",
        json_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let check = json["phases"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "schema.success_bodies")
        .expect("the check is reported")
        .clone();
    assert_ne!(check["outcome"], "passed", "{check}");
}

#[test]
fn init_writes_a_config_that_works_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gatecheck"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("GATECHECK_API_KEY")
            .env_remove("GATECHECK_ADMIN_TOKEN")
            .output()
            .unwrap()
    };
    let init = run(&["init"]);
    assert_eq!(code(&init), 0, "{}", stderr(&init));
    let certify = run(&[
        "certify",
        "--quiet",
        "--phases",
        "health,load",
        "--run-time",
        "1s",
        "--out",
        "r",
    ]);
    // The config, its built-in scenario and its thresholds all resolve: 0, or 1 when the
    // machine is too loaded for the generated `create_order:p99<300ms` — never a usage
    // error (2) or an unreachable target (3), and no check fails.
    assert!(
        matches!(code(&certify), 0 | 1),
        "exit {}: {}",
        code(&certify),
        stderr(&certify)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/report.json")).unwrap()).unwrap();
    let failed: Vec<String> = report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["checks"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["outcome"]["status"] == "failed")
        .map(|c| c["id"].to_string())
        .collect();
    assert!(failed.is_empty(), "{failed:?}: {}", stderr(&certify));
}

#[test]
fn load_without_thresholds_is_gated_by_the_default_error_rate() {
    let dir = tempfile::tempdir().unwrap();
    let out = gatecheck(&[
        "load",
        "--scenario",
        "catalog",
        "--run-time",
        "1s",
        "--no-progress",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("default `error_rate<1%`"),
        "{}",
        stderr(&out)
    );
}

/// A Wallet target that answers the preflight and then times out on every request: the
/// run broke after the target answered HTTP — exit 1, never 3 ("never answered").
#[test]
fn a_wallet_target_that_stalls_after_the_preflight_is_exit_1() {
    let server = Hostile::start(|req| {
        let mut r = Reply::json(
            401,
            r#"{"error":{"code":"unauthorized","message":"no key"}}"#,
        );
        if req.header("authorization").is_some() {
            r.delay = Duration::from_secs(3);
        }
        r
    });
    let url = server.url();
    for command in [
        &["contract"][..],
        &["invariants", "--cases", "2", "--no-regressions"],
    ] {
        let mut args: Vec<&str> = command.to_vec();
        args.extend_from_slice(&[
            "--api",
            "wallet",
            "--base-url",
            url.as_str(),
            "--merchant-api-key",
            "mk_test_0123456789",
            "--timeout",
            "1s",
        ]);
        let out = gatecheck(&args);
        assert_eq!(code(&out), 1, "{command:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("mk_test_0123456789"),
            "{}",
            stderr(&out)
        );
    }
}

/// The sandbox admin API the invariants need: refusing the admin token given is the run's
/// configuration (exit 2, with what to change, in `invariants` and in `certify`, whose
/// phases all still run); answering 503 is the target's doing (exit 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_the_target_refuses_is_exit_2_and_a_broken_admin_api_exit_1() {
    let sb = super::common::start().await;
    let agent = sb.default_agent();
    let run = |base: String, token: String, args: Vec<String>| {
        let (id, key) = (agent.id.clone(), agent.key.clone());
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_gatecheck"))
                .args(&args)
                .args(["--base-url", &base, "--agent-id", &id, "--timeout", "2s"])
                .env("GATECHECK_API_KEY", key)
                .env("GATECHECK_ADMIN_TOKEN", token)
                .output()
                .await
                .unwrap()
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let invariants = s(&["invariants", "--cases", "2", "--no-regressions"]);

    let wrong = "adm_wrong_token_0123456789".to_string();
    let out = run(sb.url(""), wrong.clone(), invariants.clone()).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("admin token was not accepted"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(&wrong), "the token is masked");

    let dir = tempfile::tempdir().unwrap();
    let certify = s(&[
        "certify",
        "--quiet",
        "--phases",
        "contract,invariants",
        "--cases",
        "2",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let out = run(sb.url(""), wrong, certify).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let phases = crate::support::report_phases(dir.path());
    assert_eq!(phases, ["contract", "invariants"]);

    let port: u16 = sb.url("").rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Hostile::start(move |req| {
        if req.path.starts_with("/_sandbox/") {
            Reply::json(503, r#"{"error":{"code":"unavailable","message":"down"}}"#)
        } else {
            super::hostile::forward(port, req)
        }
    });
    let token = sb.handle.admin_token().to_string();
    let out = run(proxy.url(), token, invariants).await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(said.contains("answered 503"), "{said}");
}
