//! The spend cap holds on what was charged, not on what the catalog shows: behind a lying
//! proxy (every voucher shown at half its price, or at one cent under a cap smaller than
//! any real price) and a slow one (order creates answered
//! after the client gave up), the real money `contract`, `invariants`, `load` and
//! `certify` commit never passes `--max-spend` in any currency. Committed money is read
//! from the sandbox itself, around the proxy.

use std::collections::BTreeMap;
use std::time::Duration;

use gatecheck::apis::gate::money::Amount;
use gatecheck::apis::gate::sandbox::{Mutant, SandboxConfig};
use serde_json::Value;

use super::common::{self, Sb};
use super::hostile::{forward, Hostile, Reply, Request};

const CAP: &str = "100.00";

/// Rewrites every `agent_price` in a catalog answer with `lie` (minor units in, out).
fn lie_about_prices(mut reply: Reply, lie: fn(i64) -> i64) -> Reply {
    let Ok(mut json) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    fn walk(v: &mut Value, lie: fn(i64) -> i64) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k == "agent_price" {
                        if let Some(p) = v
                            .as_str()
                            .and_then(|s| Amount::parse_decimal_amount(s).ok())
                        {
                            *v = Value::from(Amount::from_minor(lie(p.minor())).to_string());
                        }
                    } else {
                        walk(v, lie);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, lie)),
            _ => {}
        }
    }
    walk(&mut json, lie);
    reply.body = serde_json::to_vec(&json).unwrap();
    reply
}

fn is_create(req: &Request) -> bool {
    req.method == "POST" && req.path.ends_with("/orders")
}

/// Real money committed per currency: charged_amount of every non-test order that did
/// not fail.
async fn committed(sb: &Sb) -> BTreeMap<String, Amount> {
    let agent = sb.default_agent();
    let mut out: BTreeMap<String, Amount> = BTreeMap::new();
    for o in sb.walk(&agent, "/orders", "", 100).await {
        if o["is_test"] == true || o["status"] == "failed" {
            continue;
        }
        let charged = Amount::parse_decimal_amount(o["charged_amount"].as_str().unwrap()).unwrap();
        let cur = o["currency_code"].as_str().unwrap().to_string();
        let total = out.entry(cur).or_insert(Amount::ZERO);
        *total = total.checked_add(charged).expect("test amounts are small");
    }
    out
}

async fn run(sb: &Sb, proxy: &Hostile, args: &[&str], cap: &str) -> std::process::Output {
    let agent = sb.default_agent();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatecheck"));
    cmd.args(args)
        .args([
            "--base-url",
            &proxy.url(),
            "--agent-id",
            &agent.id,
            "--max-spend",
            cap,
        ])
        .env("GATECHECK_API_KEY", &agent.key)
        .env_remove("GATECHECK_ADMIN_TOKEN");
    cmd.output().await.unwrap()
}

fn assert_under_cap(spent: &BTreeMap<String, Amount>, what: &str, cap_text: &str) {
    let cap = Amount::parse_decimal_amount(cap_text).unwrap();
    for (cur, amount) in spent {
        assert!(
            *amount <= cap,
            "{what}: committed {amount} {cur} over the cap {cap_text}"
        );
    }
}

fn commands(out: &str) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&["contract", "--timeout", "1s"]),
        s(&[
            "invariants",
            "--cases",
            "8",
            "--no-regressions",
            "--timeout",
            "1s",
        ]),
        s(&[
            "load",
            "--scenario",
            "orders",
            "--run-time",
            "2s",
            "--no-progress",
            "--timeout",
            "1s",
            "--out",
            out,
        ]),
        s(&[
            "certify",
            "--quiet",
            "--phases",
            "contract,invariants,load",
            "--cases",
            "8",
            "--run-time",
            "2s",
            "--timeout",
            "1s",
            "--out",
            out,
        ]),
    ]
}

/// Every command, each against a fresh sandbox behind a proxy that passes each answer
/// through `rewrite`: the real money committed stays under `cap`.
async fn every_command_behind(
    rewrite: impl Fn(&Request, Reply) -> Reply + Copy + Send + Sync + 'static,
    cap: &str,
) {
    for command in commands(tempfile::tempdir().unwrap().path().to_str().unwrap()) {
        let sb = common::start().await;
        let port: u16 = sb.url("").rsplit(':').next().unwrap().parse().unwrap();
        let proxy = Hostile::start(move |req| rewrite(req, forward(port, req)));
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let out = run(&sb, &proxy, &args, cap).await;
        assert!(out.status.code().is_some(), "{command:?} ended");
        assert_under_cap(&committed(&sb).await, &command[0], cap);
    }
}

async fn behind_a_lying_catalog(lie: fn(i64) -> i64, cap: &str) {
    every_command_behind(
        move |req, reply| {
            if req.method == "GET" {
                lie_about_prices(reply, lie)
            } else {
                reply
            }
        },
        cap,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cap_holds_behind_a_proxy_that_shows_lower_prices() {
    behind_a_lying_catalog(|minor| minor / 2, CAP).await;
}

/// The first real order in a currency is the dangerous one: nothing has been charged yet
/// to learn from. Every price is shown as 0.01 under a cap of 1.00 that no real price fits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cap_holds_when_the_catalog_shows_one_cent_under_a_cap_no_price_fits() {
    behind_a_lying_catalog(|_| 1, "1.00").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cap_holds_when_creates_are_answered_after_the_client_gave_up() {
    every_command_behind(
        |req, mut reply| {
            if is_create(req) {
                reply.delay = Duration::from_millis(1500);
            }
            reply
        },
        CAP,
    )
    .await;
}

/// A replay of a real order is a real order to a server that ignores the key (a new order,
/// charged again): load reserves it like the first, so the cap still holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cap_holds_when_replays_create_new_orders() {
    let sb = common::start_with(SandboxConfig {
        complete_after: Duration::from_millis(50),
        mutant: Some(Mutant::ReplayCreatesOrder),
        ..Default::default()
    })
    .await;
    let port: u16 = sb.url("").rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Hostile::start(move |req| forward(port, req));
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().to_str().unwrap();
    let args = [
        "load",
        "--scenario",
        "orders",
        "--run-time",
        "3s",
        "--no-progress",
        "--timeout",
        "1s",
        "--out",
        out,
    ];
    let cap = "30.00";
    let run = run(&sb, &proxy, &args, cap).await;
    assert!(run.status.code().is_some(), "load ended");
    let spent = committed(&sb).await;
    assert!(!spent.is_empty(), "real orders were made");
    assert_under_cap(&spent, "load with replays that create orders", cap);
}

/// Rewrites an order answer: `charged_amount` shown as 0.01, and the status as `failed`.
fn under_report(mut reply: Reply) -> Reply {
    let Ok(mut json) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    if let Some(order) = json
        .as_object_mut()
        .filter(|o| o.contains_key("charged_amount"))
    {
        order.insert("charged_amount".into(), Value::from("0.01"));
        order.insert("status".into(), Value::from("failed"));
    }
    reply.body = serde_json::to_vec(&json).unwrap();
    reply
}

/// A target that says it charged one cent and that every order failed: the cap rests on
/// what was reserved and counted, not on those claims, in every command.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cap_holds_when_the_target_under_reports_charges_and_claims_failures() {
    every_command_behind(
        |req, reply| {
            if req.path.contains("/orders") {
                under_report(reply)
            } else {
                reply
            }
        },
        "30.00",
    )
    .await;
}

/// A target that answers every read of a real order as `failed` while it kept the money: the
/// invariants give a failed order's spend back to the cap only once a balance read shows
/// the money back, so shrinking the violation this causes makes no order past the cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cap_holds_when_reads_claim_failures_the_balance_does_not_show() {
    let cap = "30.00";
    let sb = common::start().await;
    let port: u16 = sb.url("").rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Hostile::start(move |req| {
        let mut reply = forward(port, req);
        if req.method == "GET" && req.path.contains("/orders/") {
            if let Ok(mut order) = serde_json::from_slice::<Value>(&reply.body) {
                if order["is_test"] == false {
                    order["status"] = Value::from("failed");
                    order["completed_at"] = Value::Null;
                    order["failed_at"] = order["created_at"].clone();
                    reply.body = serde_json::to_vec(&order).unwrap();
                }
            }
        }
        reply
    });
    let args = [
        "invariants",
        "--cases",
        "32",
        "--no-regressions",
        "--timeout",
        "1s",
    ];
    let out = run(&sb, &proxy, &args, cap).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let spent = committed(&sb).await;
    assert!(!spent.is_empty(), "real orders were made");
    assert_under_cap(&spent, "invariants behind reads that claim failures", cap);
}
