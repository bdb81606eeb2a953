//! Snapshots (`snapshots/`, insta) of every endpoint's sandbox response, ids and times
//! redacted, and of the JSON and JUnit report formats of a contract run — so a change of
//! the wire format or of a report format shows up in review.

use gatecheck::client::{Auth, GateClient, Secret, Target};
use gatecheck::sandbox::{self, SandboxConfig};
use reqwest::Method;
use serde_json::{json, Value};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
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
    let client = GateClient::new(
        Target {
            base_url: sb.base_url().to_string(),
            agent_id: sb.agent_id().to_string(),
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
    for (name, status, body, content_type) in snapshots {
        let value = json!({
            "status": status,
            "content_type": content_type,
            "body": body.as_ref().map(redact),
        });
        s.bind(|| insta::assert_json_snapshot!(format!("endpoint_{name}"), value));
    }
}
