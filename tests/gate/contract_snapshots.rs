//! Snapshots (`snapshots/`, insta) of every endpoint's sandbox response, ids and times
//! redacted, and of the JSON and JUnit report formats of a contract run — so a change of
//! the wire format or of a report format shows up in review.

use clap::Parser;
use gatecheck::apis::gate::client::GateClientExt as _;
use gatecheck::apis::gate::contract::cli::{execute, ContractArgs};
use gatecheck::apis::gate::sandbox::{self, SandboxConfig};
use gatecheck::engine::client::{ApiClient, Auth, Secret, Target};
use gatecheck::engine::model::RunReport;
use reqwest::Method;
use serde_json::{json, Value};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_time(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// Replaces ids, times, keys and generated codes by placeholders.
fn redact(v: &Value) -> Value {
    match v {
        Value::String(s) if is_uuid(s) => json!("[uuid]"),
        Value::String(s) if is_time(s) => json!("[time]"),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "api_key" | "version" | "idempotency_key" | "external_ref" => {
                            json!("[redacted]")
                        }
                        "order_content" => match v {
                            Value::Object(c) => Value::Object(
                                c.keys().map(|k| (k.clone(), json!("[code]"))).collect(),
                            ),
                            other => other.clone(),
                        },
                        _ => redact(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_responses() {
    let sb = sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let client = ApiClient::new(
        Target {
            base_url: sb.base_url().to_string(),
            identity: gatecheck::apis::gate::client::agent_identity(sb.agent_id()),
            api_key: Secret::new(sb.api_key()),
            admin_token: Some(Secret::new(sb.admin_token())),
        },
        std::time::Duration::from_secs(10),
    )
    .expect("client");
    let products = client
        .get(client.agent_path("/products?limit=100"))
        .send()
        .await
        .expect("products");
    let items = products
        .json()
        .and_then(|j| j.get("items").cloned())
        .unwrap_or_default();
    let first_of = |ty: &str| {
        items
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["type"] == ty && p["is_available"] == true)
            .cloned()
            .expect("a product of the type")
    };
    let voucher = first_of("voucher");
    let created = client
        .post(client.agent_path("/orders"))
        .header("Idempotency-Key", "snapshot-1")
        .json(&json!({"product_id": voucher["id"], "external_ref": "snap", "test": true}))
        .send()
        .await
        .expect("create");
    let order_id = created
        .json()
        .and_then(|j| j["id"].as_str().map(str::to_string))
        .unwrap_or_default();
    // Let the order reach its terminal status so its snapshot is stable.
    for _ in 0..100 {
        let o = client
            .get(client.agent_path(&format!("/orders/{order_id}")))
            .send()
            .await
            .expect("order");
        if o.json().is_some_and(|j| j["status"] != "pending") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let calls: Vec<(&str, Method, String, Auth)> = vec![
        ("health", Method::GET, "/health".into(), Auth::None),
        (
            "product_types",
            Method::GET,
            client.agent_path("/product-types"),
            Auth::ApiKey,
        ),
        (
            "product_categories",
            Method::GET,
            client.agent_path("/product-categories"),
            Auth::ApiKey,
        ),
        (
            "products",
            Method::GET,
            client.agent_path("/products?limit=100"),
            Auth::ApiKey,
        ),
        (
            "product",
            Method::GET,
            client.agent_path(&format!("/products/{}", voucher["id"])),
            Auth::ApiKey,
        ),
        (
            "order",
            Method::GET,
            client.agent_path(&format!("/orders/{order_id}")),
            Auth::ApiKey,
        ),
        (
            "balance",
            Method::GET,
            client.agent_path("/balance"),
            Auth::ApiKey,
        ),
        (
            "deposits",
            Method::GET,
            client.agent_path("/deposits"),
            Auth::ApiKey,
        ),
        (
            "error_401",
            Method::GET,
            client.agent_path("/balance"),
            Auth::None,
        ),
        (
            "error_404",
            Method::GET,
            client.agent_path("/nowhere"),
            Auth::ApiKey,
        ),
        (
            "error_405",
            Method::DELETE,
            client.agent_path("/products"),
            Auth::ApiKey,
        ),
        (
            "error_400_limit",
            Method::GET,
            client.agent_path("/products?limit=0"),
            Auth::ApiKey,
        ),
    ];
    let mut snapshots = vec![(
        "create_order".to_string(),
        created.status,
        created.json(),
        created.header("content-type").map(str::to_string),
    )];
    for (name, method, path, auth) in calls {
        let x = client
            .request(method, path)
            .auth(auth)
            .send()
            .await
            .expect("answer");
        snapshots.push((
            name.to_string(),
            x.status,
            x.json(),
            x.header("content-type").map(str::to_string),
        ));
    }
    sb.shutdown().await;
    let s = settings();
    for (name, status, mut body, content_type) in snapshots {
        // Deposits made in one instant are ordered by their random ids (§1 Lists): the
        // snapshot fixes the format, so it orders them by currency.
        if let Some(Value::Array(items)) = body.as_mut().and_then(|b| b.get_mut("items")) {
            if name == "deposits" {
                items.sort_by_key(|d| d["currency_code"].as_str().unwrap_or("").to_string());
            }
        }
        let value = json!({
            "status": status,
            "content_type": content_type,
            "body": body.as_ref().map(redact),
        });
        s.bind(|| insta::assert_json_snapshot!(format!("endpoint_{name}"), value));
    }
}

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

/// Replaces every UUID (either case) in a text by `[uuid]`.
fn redact_uuids(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if i + 36 <= chars.len() {
            let window: String = chars[i..i + 36].iter().collect();
            if is_uuid(&window) {
                out.push_str("[uuid]");
                i += 36;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Replaces the varying parts of a report text: the sandbox URL, UUIDs, request ids.
fn normalise(text: &str, base_url: &str) -> String {
    let text = redact_uuids(&text.replace(base_url, "http://127.0.0.1:PORT"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("gatecheck-") {
        let (head, tail) = rest.split_at(at + "gatecheck-".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits == 5 {
            out.push_str("NNNNN");
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// A run against a sandbox missing the `Allow` header, with times and durations fixed.
async fn failing_report() -> RunReport {
    let args = Cmd::parse_from(["contract", "--settle", "2s"]).args;
    let config = SandboxConfig {
        mutant: Some("no-allow-header".parse().expect("a mutant")),
        ..SandboxConfig::default()
    };
    let mut report = execute(&args, config).await.expect("the suite runs");
    report.started_at = "2026-01-01T00:00:00Z".into();
    report.finished_at = "2026-01-01T00:00:01Z".into();
    for phase in &mut report.phases {
        phase.duration_ms = 0;
        for check in &mut phase.checks {
            check.duration_ms = 0;
        }
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_formats() {
    let report = failing_report().await;
    let base = report.target.base_url.clone();
    let mut json = Vec::new();
    gatecheck::engine::report::write_json(&report, &mut json).expect("json");
    let mut junit = Vec::new();
    gatecheck::engine::report::write_junit(&report, &mut junit).expect("junit");
    let json = normalise(&String::from_utf8_lossy(&json), &base);
    let junit = normalise(&String::from_utf8_lossy(&junit), &base);
    let s = settings();
    s.bind(|| {
        insta::assert_snapshot!("contract_report_json", json);
        insta::assert_snapshot!("contract_report_junit", junit);
    });
}
