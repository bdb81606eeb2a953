//! No false alarms on spellings the contract allows: behind a proxy that rewrites every
//! answer of the correct sandbox into other legal forms — `Content-Type:
//! application/json; charset=utf-8`, lower-case header names, timestamps shown in
//! milliseconds of the sandbox's microsecond clock (`updatedAt` `…58.123Z`) and `createdAt`
//! with trailing zeros trimmed as well (Go's `RFC3339Nano`, Java's `Instant`: `…58.12Z`,
//! `…58Z`) — the Wallet contract suite reports no failure and no warning.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use clap::Parser;
use gatecheck::apis::wallet::contract::cli::execute;
use gatecheck::apis::ApiName;
use gatecheck::engine::contract::cli::ContractArgs;
use gatecheck::engine::model::Outcome;
use gatecheck::sandbox::{self, Launcher, SandboxConfig};
use serde_json::Value;

use super::hostile::{forward, Hostile, Reply};

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

/// `…58.120Z` → `…58.12Z`, `…58.000Z` → `…58Z`: the same instant, trailing zeros trimmed.
fn trimmed(ts: &str) -> String {
    match ts.strip_suffix('Z').and_then(|t| t.split_once('.')) {
        Some((secs, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                format!("{secs}Z")
            } else {
                format!("{secs}.{frac}Z")
            }
        }
        None => ts.to_string(),
    }
}

/// `…58.123456Z` → `…58.123Z`: a server that keeps microseconds but shows milliseconds
/// (the sandbox bumps `updatedAt` by 1 µs, so two changes may now show one moment).
fn millis(ts: &str) -> String {
    match ts.strip_suffix('Z').and_then(|t| t.split_once('.')) {
        Some((secs, frac)) => format!("{secs}.{:0<3.3}Z", frac),
        None => ts.to_string(),
    }
}

/// Respells every `createdAt`/`updatedAt` in `v`; counts the respelled ones.
fn respell(v: &mut Value, count: &AtomicUsize) {
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                let spell: Option<fn(&str) -> String> = match k.as_str() {
                    "createdAt" => Some(|ts| trimmed(&millis(ts))),
                    "updatedAt" => Some(millis),
                    _ => None,
                };
                match (spell, field.as_str()) {
                    (Some(spell), Some(ts)) => {
                        let new = spell(ts);
                        if new != ts {
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        *field = Value::String(new);
                    }
                    _ => respell(field, count),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| respell(i, count)),
        _ => {}
    }
}

/// The answer respelled in allowed alternatives (see the module's doc).
pub fn alternative(mut reply: Reply, count: &AtomicUsize) -> Reply {
    if let Ok(mut json) = serde_json::from_slice::<Value>(&reply.body) {
        respell(&mut json, count);
        reply.body = serde_json::to_vec(&json).expect("JSON serializes");
    }
    for (name, value) in reply.headers.iter_mut() {
        if name.eq_ignore_ascii_case("content-type") && value.starts_with("application/json") {
            *value = "application/json; charset=utf-8".into();
        }
        *name = name.to_ascii_lowercase();
    }
    reply
}

#[test]
fn respellings() {
    assert_eq!(
        trimmed("2026-02-19T10:18:58.120Z"),
        "2026-02-19T10:18:58.12Z"
    );
    assert_eq!(trimmed("2026-02-19T10:18:58.000Z"), "2026-02-19T10:18:58Z");
    assert_eq!(
        trimmed("2026-02-19T10:18:58.123Z"),
        "2026-02-19T10:18:58.123Z"
    );
    assert_eq!(
        millis("2026-02-19T10:18:58.123456Z"),
        "2026-02-19T10:18:58.123Z"
    );
    assert_eq!(millis("2026-02-19T10:18:58.1Z"), "2026-02-19T10:18:58.100Z");
}

/// Runs the suite against `base_url` as the merchant with `key`; the checks that failed
/// or warned, and those skipped, with their reasons.
async fn suite(base_url: &str, key: &str, admin: &str) -> (Vec<String>, Vec<String>) {
    let args = Cmd::parse_from([
        "contract",
        "--base-url",
        base_url,
        "--merchant-api-key",
        key,
        "--admin-token",
        admin,
    ])
    .args;
    let launcher = Launcher {
        config: SandboxConfig::default(),
        api: ApiName::Wallet,
    };
    let report = execute(&args, &launcher).await.expect("the suite runs");
    let problems = report
        .checks()
        .filter(|c| !matches!(c.outcome, Outcome::Passed | Outcome::Skipped { .. }))
        .map(|c| format!("{} {:?}: {:#?}", c.id, c.outcome, c.findings.first()))
        .collect();
    let skipped = report
        .checks()
        .filter_map(|c| match &c.outcome {
            Outcome::Skipped { reason } => Some(format!("{}: {reason}", c.id)),
            _ => None,
        })
        .collect();
    (problems, skipped)
}

/// A merchant may accept any currencies (§1 Money): one taking only USD is certified in
/// USD, not failed for refusing KZT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_without_kzt_raises_no_alarm() {
    let sb = sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let created = reqwest::Client::new()
        .post(format!("{}/_sandbox/merchants", sb.base_url()))
        .header("X-Sandbox-Admin", sb.admin_token())
        .json(&serde_json::json!({"currencies": ["USD"]}))
        .send()
        .await
        .expect("the admin API answers")
        .json::<Value>()
        .await
        .expect("JSON");
    let key = created["api_key"].as_str().expect("an api_key");
    let (problems, skipped) = suite(sb.base_url(), key, sb.admin_token()).await;
    assert!(
        problems.is_empty(),
        "false alarms:\n{}",
        problems.join("\n")
    );
    assert!(skipped.is_empty(), "skipped: {skipped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_alternatives_raise_no_alarm() {
    let sb = sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let port: u16 = sb
        .base_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("a port");
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let proxy = Hostile::start(move |req| alternative(forward(port, req), &seen));
    let (problems, skipped) = suite(&proxy.url(), sb.merchant_api_key(), sb.admin_token()).await;
    assert!(
        problems.is_empty(),
        "false alarms:\n{}",
        problems.join("\n")
    );
    assert!(skipped.is_empty(), "skipped behind the proxy: {skipped:?}");
    assert!(
        count.load(Ordering::Relaxed) > 10,
        "the proxy respelled timestamps"
    );
}
