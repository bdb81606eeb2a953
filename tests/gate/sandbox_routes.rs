//! The embedded Gate sandbox's hand router and the OpenAPI document name the same
//! operations: every documented (method, template) is routed (answers neither 404 nor 405
//! with real ids and valid credentials), and every other method on a documented path
//! answers 405 with an `Allow` listing exactly the document's methods. So the router can
//! never drift from the document the contract suite classifies by.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use gatecheck::engine::schema::openapi::OpenApi;
use reqwest::Method;
use serde_json::json;

/// Every method a request line may carry that the tests try on each path.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The template with each `{param}` replaced by its value.
fn concrete(template: &str, values: &BTreeMap<&str, String>) -> String {
    template
        .split('/')
        .map(|segment| {
            segment
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .map(|name| {
                    values
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| panic!("no test value for {{{name}}} in {template}"))
                })
                .unwrap_or_else(|| segment.to_owned())
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_routes_exactly_the_documented_operations() {
    let api = OpenApi::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("document");
    let sb = common::start().await;
    let me = sb.default_agent();
    let admin_token = sb.handle.admin_token().to_string();

    // Real ids for every path parameter, so a 404 can only mean "no such route".
    let voucher = sb.voucher(&me, "USD").await;
    let order = sb
        .order(&me, &common::voucher_body(&voucher, 1), None)
        .await;
    assert_eq!(order.status(), 201, "{}", order.text);
    let order_id = order.json()["id"].as_str().expect("id").to_owned();
    sb.wait_settled(&me, &order_id, Duration::from_secs(5))
        .await;
    let key = sb
        .admin(
            Method::POST,
            &format!("/_sandbox/agents/{}/keys", me.id),
            None,
        )
        .await;
    assert_eq!(key.status(), 201, "{}", key.text);
    let values: BTreeMap<&str, String> = [
        ("agent_id", me.id.clone()),
        ("productId", voucher["id"].to_string()),
        ("orderId", order_id.clone()),
        ("order_id", order_id),
        (
            "api_key",
            key.json()["api_key"].as_str().expect("api_key").to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let credentials = |path: &str| -> Vec<(&'static str, String)> {
        if path.starts_with("/_sandbox") {
            vec![("x-sandbox-admin", admin_token.clone())]
        } else {
            vec![("authorization", me.key.clone())]
        }
    };

    let mut problems = Vec::new();
    let operations = api.operations();
    assert!(operations.len() >= 15, "{operations:?}");
    for (method, template) in &operations {
        let path = concrete(template, &values);
        let headers = credentials(&path);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let r = sb.send(method.clone(), &path, &headers, None).await;
        if matches!(r.status(), 404 | 405) || r.status() >= 500 {
            problems.push(format!(
                "{method} {template} ({path}) is documented but answered {}: {}",
                r.status(),
                r.text
            ));
        }
    }

    let templates: std::collections::BTreeSet<&str> =
        operations.iter().map(|(_, t)| t.as_str()).collect();
    for template in templates {
        let path = concrete(template, &values);
        let mut allowed = api
            .allowed_methods(template)
            .expect("a documented template");
        allowed.sort();
        let headers = credentials(&path);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for method in METHODS.iter().filter(|m| !allowed.iter().any(|a| a == *m)) {
            let method = Method::from_bytes(method.as_bytes()).expect("method");
            let body =
                (method != Method::HEAD).then(|| serde_json::to_vec(&json!({})).expect("json"));
            let mut with_type = headers.clone();
            if body.is_some() {
                with_type.push(("content-type", "application/json"));
            }
            let r = sb.send(method.clone(), &path, &with_type, body).await;
            let mut allow: Vec<String> = r
                .header("allow")
                .unwrap_or_default()
                .split(',')
                .map(|m| m.trim().to_ascii_uppercase())
                .filter(|m| !m.is_empty())
                .collect();
            allow.sort();
            if r.status() != 405 || allow != allowed {
                problems.push(format!(
                    "{method} {template} ({path}): answered {} with Allow {allow:?}; the document allows only {allowed:?}",
                    r.status()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
