//! The sandbox's real responses — every endpoint, success and error bodies — conform to
//! the JSON Schemas (`SchemaSet`) and to the OpenAPI document's response schema for that
//! operation and status; every status it answers is one the document lists, and the
//! headers the document requires are there (X-Request-Id; Allow on 405; Retry-After on
//! 429; Location on 201 orders).

use crate::common;

use std::time::Duration;

use common::{Agent, Resp, Sb};
use gatecheck::apis::gate::sandbox::{Faults, SandboxConfig};
use gatecheck::apis::gate::schemas::SchemaName;
use gatecheck::engine::schema::openapi::OpenApi;
use gatecheck::engine::schema::SchemaSet;
use reqwest::Method;
use serde_json::{json, Value};

/// Judges exchanges and keeps every problem found, to report them all at once.
struct Judge {
    set: SchemaSet,
    api: OpenApi,
    problems: Vec<String>,
    judged: usize,
    statuses: std::collections::BTreeSet<(String, String, u16)>,
}

/// What a successful body of an operation is, in `SchemaSet` terms.
enum Shape {
    One(SchemaName),
    List(SchemaName),
    /// Sandbox-only bodies the OpenAPI document alone describes.
    OpenApiOnly,
    NoBody,
}

/// The success body the OpenAPI document gives the operation (`$ref` to a schema file,
/// or the list envelope of one), as a `SchemaSet` name.
fn success_shape(api: &OpenApi, method: &Method, template: &str) -> Shape {
    if method == Method::DELETE {
        return Shape::NoBody;
    }
    match api.success_body(method.as_str(), template) {
        Some(body) => {
            let name: SchemaName = gatecheck::engine::contract::operation::of_file(body.file)
                .expect("a Gate schema file");
            if body.list {
                Shape::List(name)
            } else {
                Shape::One(name)
            }
        }
        None => Shape::OpenApiOnly,
    }
}

impl Judge {
    fn new() -> Judge {
        Judge {
            set: SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("schemas"),
            api: OpenApi::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("openapi"),
            problems: Vec::new(),
            judged: 0,
            statuses: Default::default(),
        }
    }

    /// Judges one exchange; `label` says what was sent.
    fn judge(&mut self, method: Method, path: &str, r: &Resp) {
        self.judged += 1;
        let status = r.status.as_u16();
        let label = format!("{method} {path} -> {status}");
        let mut problem = |p: String| {
            self.problems
                .push(format!("{label}: {p}; body: {}", r.text))
        };
        if r.header("x-request-id").is_none() {
            problem("no X-Request-Id".to_owned());
        }
        let body: Option<Value> = if r.text.is_empty() {
            None
        } else {
            match serde_json::from_str(&r.text) {
                Ok(v) => Some(v),
                Err(e) => {
                    problem(format!("body is not JSON: {e}"));
                    return;
                }
            }
        };
        let allowed = self
            .api
            .match_path(path)
            .and_then(|t| self.api.allowed_methods(t));
        match status {
            405 => match (r.header("allow"), allowed) {
                (None, _) => problem("405 without Allow".to_owned()),
                (Some(allow), Some(expected)) => {
                    let mut got: Vec<String> = allow
                        .split(',')
                        .map(|m| m.trim().to_ascii_uppercase())
                        .collect();
                    got.sort();
                    let mut expected = expected;
                    expected.sort();
                    if got != expected {
                        problem(format!("Allow {allow:?}, the document says {expected:?}"));
                    }
                }
                (Some(_), None) => {}
            },
            429 if r.header("retry-after").is_none() => {
                problem("429 without Retry-After".to_owned())
            }
            _ => {}
        }

        // Against the SchemaSet.
        let Some(template) = self.api.match_path(path).map(str::to_owned) else {
            // An unknown route: only the Error body can be judged.
            if status != 404 {
                problem("an undocumented path answered other than 404".to_owned());
            }
            if let Some(body) = &body {
                for v in self.set.validate(SchemaName::Error, body) {
                    problem(format!("Error schema: {v}"));
                }
            }
            return;
        };
        let shape = if status >= 400 && !(template == "/health" && status == 503) {
            Shape::One(SchemaName::Error)
        } else {
            success_shape(&self.api, &method, &template)
        };
        let violations = match (&shape, &body) {
            (Shape::One(name), Some(body)) => self.set.validate(*name, body),
            (Shape::List(name), Some(body)) => self.set.validate_list(*name, body),
            (Shape::One(_) | Shape::List(_), None) => {
                problem("a JSON body was expected".to_owned());
                Vec::new()
            }
            (Shape::NoBody, Some(_)) => {
                problem("no body was expected".to_owned());
                Vec::new()
            }
            _ => Vec::new(),
        };
        for v in violations {
            problem(format!("schema: {v}"));
        }

        // Against the OpenAPI document.
        match self
            .api
            .validate_response(method.as_str(), &template, status, body.as_ref())
        {
            Ok(violations) => {
                for v in violations {
                    problem(format!("OpenAPI response schema: {v}"));
                }
                self.statuses
                    .insert((method.to_string(), template.clone(), status));
            }
            Err(undocumented) => problem(format!("OpenAPI: {undocumented}")),
        }
        if status == 201 && template.ends_with("/orders") && r.header("location").is_none() {
            problem("201 order without Location (SHOULD)".to_owned());
        }
    }

    fn finish(self, at_least: usize) -> std::collections::BTreeSet<(String, String, u16)> {
        assert!(
            self.problems.is_empty(),
            "{} problem(s):\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
        assert!(self.judged >= at_least, "judged only {}", self.judged);
        self.statuses
    }
}

/// Sends and judges in one step.
async fn call(
    sb: &Sb,
    judge: &mut Judge,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Resp {
    let r = sb
        .send(method.clone(), path, headers, body.map(<[u8]>::to_vec))
        .await;
    judge.judge(method, path, &r);
    r
}

async fn get(sb: &Sb, judge: &mut Judge, agent: &Agent, rest: &str) -> Resp {
    let path = format!("/agent/{}{rest}", agent.id);
    call(
        sb,
        judge,
        Method::GET,
        &path,
        &[("authorization", &agent.key)],
        None,
    )
    .await
}

async fn post_order(
    sb: &Sb,
    judge: &mut Judge,
    agent: &Agent,
    body: &Value,
    key: Option<&str>,
) -> Resp {
    let path = format!("/agent/{}/orders", agent.id);
    let request_is_valid = judge.set.is_valid(SchemaName::CreateOrderRequest, body);
    let body = serde_json::to_vec(body).expect("json");
    let mut headers = vec![
        ("authorization", agent.key.as_str()),
        ("content-type", "application/json"),
    ];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    let r = call(sb, judge, Method::POST, &path, &headers, Some(&body)).await;
    // The request schema and the server agree: a body the schema rejects is never accepted.
    if !request_is_valid && r.status.is_success() {
        judge.problems.push(format!(
            "POST {path}: a body CreateOrderRequest rejects was accepted ({})",
            r.status
        ));
    }
    r
}

async fn admin(
    sb: &Sb,
    judge: &mut Judge,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Resp {
    let token = sb.handle.admin_token().to_string();
    let mut headers = vec![("x-sandbox-admin", token.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
    call(sb, judge, method, path, &headers, bytes.as_deref()).await
}

fn id_of(r: &Resp) -> String {
    r.json()["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sandbox_response_conforms_to_the_schemas_and_the_openapi_document() {
    let sb = common::start().await;
    let mut j = Judge::new();
    let me = sb.default_agent();

    // Health and catalog.
    call(&sb, &mut j, Method::GET, "/health", &[], None).await;
    get(&sb, &mut j, &me, "/product-types").await;
    get(&sb, &mut j, &me, "/product-categories?limit=1").await;
    let page = get(&sb, &mut j, &me, "/products?limit=2").await.json();
    if let Some(cursor) = page["next_cursor"].as_str() {
        get(
            &sb,
            &mut j,
            &me,
            &format!("/products?limit=2&cursor={cursor}"),
        )
        .await;
    }
    let all = get(&sb, &mut j, &me, "/products?limit=100").await.json();
    let products = all["items"].as_array().cloned().unwrap_or_default();
    assert!(products.len() >= 7, "the seeded catalog");
    for p in &products {
        get(&sb, &mut j, &me, &format!("/products/{}", p["id"])).await;
    }
    get(
        &sb,
        &mut j,
        &me,
        "/products?type=voucher&is_available=true&region_code=GLOBAL",
    )
    .await;
    get(&sb, &mut j, &me, "/products?type=no_such_type").await;

    // Orders: voucher, direct top-up, replay, test, failing, slow.
    let voucher = sb.voucher(&me, "USD").await;
    let top_up = sb.top_up(&me, "USD").await;
    let unavailable = products
        .iter()
        .find(|p| p["is_available"] == false)
        .cloned()
        .expect("an unavailable product");
    let voucher_body = json!({"product_id": voucher["id"], "quantity": 2, "external_ref": "v-1"});
    let v = post_order(&sb, &mut j, &me, &voucher_body, Some("key-voucher")).await;
    assert_eq!(v.status.as_u16(), 201, "{}", v.text);
    let replay = post_order(&sb, &mut j, &me, &voucher_body, Some("key-voucher")).await;
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    let field = top_up["customer_account_fields"][0]["name"]
        .as_str()
        .unwrap_or("account");
    let top_up_body = json!({"product_id": top_up["id"], "topup_request": {
        "amount": top_up["min_amount"], "customer_account": {field: "player_123"}}});
    let t = post_order(&sb, &mut j, &me, &top_up_body, None).await;
    assert_eq!(t.status.as_u16(), 201, "{}", t.text);
    post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": voucher["id"], "test": true}),
        None,
    )
    .await;
    let failing = post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": voucher["id"], "external_ref": "sandbox-fail-1"}),
        None,
    )
    .await;
    let slow_a = post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": voucher["id"], "external_ref": "sandbox-slow-a"}),
        None,
    )
    .await;
    let slow_b = post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": voucher["id"], "external_ref": "sandbox-slow-b"}),
        None,
    )
    .await;
    for id in [id_of(&v), id_of(&t), id_of(&failing)] {
        let settled = sb.wait_settled(&me, &id, Duration::from_secs(5)).await;
        assert_ne!(settled["status"], "pending", "{settled}");
        get(&sb, &mut j, &me, &format!("/orders/{id}")).await;
    }
    get(&sb, &mut j, &me, &format!("/orders/{}", id_of(&slow_a))).await;
    get(&sb, &mut j, &me, "/orders?limit=3").await;
    get(
        &sb,
        &mut j,
        &me,
        "/orders?status=completed&created_from=2000-01-01T00:00:00%2B02:00",
    )
    .await;
    get(&sb, &mut j, &me, "/orders?external_ref=v-1").await;
    get(&sb, &mut j, &me, "/balance").await;
    get(&sb, &mut j, &me, "/balance?currency_code=EUR").await;
    get(&sb, &mut j, &me, "/deposits").await;
    get(
        &sb,
        &mut j,
        &me,
        "/deposits?status=completed&currency_code=USD&limit=1",
    )
    .await;

    // Admin API.
    let created = admin(
        &sb,
        &mut j,
        Method::POST,
        "/_sandbox/agents",
        Some(&json!({"deposits": [{"currency_code": "USD", "amount": "5.00"}]})),
    )
    .await;
    let poor = Agent {
        id: created.json()["agent_id"]
            .as_str()
            .expect("agent_id")
            .to_owned(),
        key: created.json()["api_key"]
            .as_str()
            .expect("api_key")
            .to_owned(),
    };
    admin(&sb, &mut j, Method::POST, "/_sandbox/agents", None).await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        &format!("/_sandbox/agents/{}/deposits", poor.id),
        Some(&json!({"currency_code": "EUR", "amount": "50", "status": "pending"})),
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        &format!("/_sandbox/agents/{}/deposits", poor.id),
        Some(&json!({"currency_code": "USD", "amount": "1.5", "reference": "wire-1"})),
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        &format!("/_sandbox/agents/{}/deposits", poor.id),
        Some(&json!({"currency_code": "KZT", "amount": "7.00", "status": "rejected"})),
    )
    .await;
    get(&sb, &mut j, &poor, "/deposits").await;
    get(&sb, &mut j, &poor, "/balance").await;
    let key = admin(
        &sb,
        &mut j,
        Method::POST,
        &format!("/_sandbox/agents/{}/keys", poor.id),
        None,
    )
    .await;
    let extra_key = key.json()["api_key"].as_str().expect("api_key").to_owned();
    admin(
        &sb,
        &mut j,
        Method::DELETE,
        &format!("/_sandbox/keys/{extra_key}"),
        None,
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::DELETE,
        &format!("/_sandbox/keys/{extra_key}"),
        None,
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        &format!("/_sandbox/orders/{}/complete", id_of(&slow_a)),
        None,
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        &format!("/_sandbox/orders/{}/fail", id_of(&slow_b)),
        None,
    )
    .await;
    get(&sb, &mut j, &me, &format!("/orders/{}", id_of(&slow_b))).await;

    // Errors: 400.
    get(&sb, &mut j, &me, "/products/abc").await;
    get(&sb, &mut j, &me, "/products/007").await;
    get(&sb, &mut j, &me, "/orders/not-a-uuid").await;
    get(&sb, &mut j, &me, "/products?limit=0").await;
    get(&sb, &mut j, &me, "/products?limit=").await;
    get(&sb, &mut j, &me, "/orders?cursor=bogus").await;
    get(&sb, &mut j, &me, "/products?region_code=usa").await;
    post_order(&sb, &mut j, &me, &json!({"product_id": "1"}), None).await;
    post_order(&sb, &mut j, &me, &json!({"product_id": 999999}), None).await;
    post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": unavailable["id"]}),
        None,
    )
    .await;
    post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": top_up["id"], "topup_request": {
        "amount": "1e2", "customer_account": {}}}),
        None,
    )
    .await;
    post_order(
        &sb,
        &mut j,
        &poor,
        &json!({"product_id": voucher["id"], "quantity": 100}),
        Some("retry-me"),
    )
    .await;
    let path = format!("/agent/{}/orders", me.id);
    call(
        &sb,
        &mut j,
        Method::POST,
        &path,
        &[
            ("authorization", &me.key),
            ("content-type", "application/json"),
        ],
        Some(b"{not json"),
    )
    .await;
    call(
        &sb,
        &mut j,
        Method::POST,
        &path,
        &[("authorization", &me.key)],
        None,
    )
    .await;
    let long_key = "k".repeat(256);
    post_order(&sb, &mut j, &me, &voucher_body, Some(&long_key)).await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        "/_sandbox/agents",
        Some(&json!({"deposits": [{"currency_code": "usd", "amount": "-1"}]})),
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        "/_sandbox/orders/not-a-uuid/complete",
        None,
    )
    .await;
    // 401.
    call(
        &sb,
        &mut j,
        Method::GET,
        &format!("/agent/{}/products", me.id),
        &[],
        None,
    )
    .await;
    let bearer = format!("Bearer {}", me.key);
    call(
        &sb,
        &mut j,
        Method::GET,
        &format!("/agent/{}/balance", me.id),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    call(
        &sb,
        &mut j,
        Method::POST,
        &path,
        &[
            ("authorization", &extra_key),
            ("content-type", "application/json"),
        ],
        Some(br#"{"product_id": 1}"#),
    )
    .await;
    call(
        &sb,
        &mut j,
        Method::POST,
        "/_sandbox/agents",
        &[("x-sandbox-admin", "wrong")],
        None,
    )
    .await;
    call(
        &sb,
        &mut j,
        Method::DELETE,
        "/_sandbox/keys/whatever",
        &[],
        None,
    )
    .await;
    // 403.
    get(
        &sb,
        &mut j,
        &Agent {
            id: poor.id.clone(),
            key: me.key.clone(),
        },
        "/orders",
    )
    .await;
    get(
        &sb,
        &mut j,
        &Agent {
            id: "not-an-agent".into(),
            key: me.key.clone(),
        },
        "/balance",
    )
    .await;
    // 404.
    get(&sb, &mut j, &me, "/products/999999").await;
    get(
        &sb,
        &mut j,
        &me,
        "/orders/5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c",
    )
    .await;
    get(&sb, &mut j, &poor, &format!("/orders/{}", id_of(&v))).await;
    get(&sb, &mut j, &me, "/no-such-route").await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        "/_sandbox/agents/5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c/deposits",
        Some(&json!({"currency_code": "USD", "amount": "1.00"})),
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        "/_sandbox/agents/5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c/keys",
        None,
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::DELETE,
        "/_sandbox/keys/no-such-key",
        None,
    )
    .await;
    admin(
        &sb,
        &mut j,
        Method::POST,
        "/_sandbox/orders/5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c/complete",
        None,
    )
    .await;
    // 405.
    call(
        &sb,
        &mut j,
        Method::PUT,
        &path,
        &[("authorization", &me.key)],
        None,
    )
    .await;
    call(
        &sb,
        &mut j,
        Method::DELETE,
        &format!("/agent/{}/products/1", me.id),
        &[("authorization", &me.key)],
        None,
    )
    .await;
    call(&sb, &mut j, Method::POST, "/health", &[], None).await;
    let head = sb
        .send(Method::HEAD, &path, &[("authorization", &me.key)], None)
        .await;
    assert_eq!(head.status.as_u16(), 405);
    assert!(head.header("allow").is_some(), "HEAD 405 carries Allow");
    admin(&sb, &mut j, Method::GET, "/_sandbox/agents", None).await;
    // 409 (admin): a terminal order.
    admin(
        &sb,
        &mut j,
        Method::POST,
        &format!("/_sandbox/orders/{}/fail", id_of(&slow_a)),
        None,
    )
    .await;
    // 415.
    call(
        &sb,
        &mut j,
        Method::POST,
        &path,
        &[("authorization", &me.key), ("content-type", "text/plain")],
        Some(br#"{"product_id": 1}"#),
    )
    .await;
    admin_415(&sb, &mut j).await;
    // 422.
    post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": voucher["id"], "quantity": 3}),
        Some("key-voucher"),
    )
    .await;

    let seen = j.finish(80);
    let codes: std::collections::BTreeSet<u16> = seen.iter().map(|(_, _, s)| *s).collect();
    for expected in [200, 201, 204, 400, 401, 403, 404, 405, 409, 415, 422] {
        assert!(
            codes.contains(&expected),
            "status {expected} was exercised: {codes:?}"
        );
    }
    sb.handle.shutdown().await;
}

async fn admin_415(sb: &Sb, j: &mut Judge) {
    let token = sb.handle.admin_token().to_string();
    call(
        sb,
        j,
        Method::POST,
        "/_sandbox/agents",
        &[("x-sandbox-admin", &token), ("content-type", "text/plain")],
        Some(b"{}"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_and_degraded_responses_conform_too() {
    let limited = common::start_with(SandboxConfig {
        rate_limit: Some(1),
        ..Default::default()
    })
    .await;
    let mut j = Judge::new();
    let me = limited.default_agent();
    let mut saw_429 = false;
    for _ in 0..5 {
        let r = get(&limited, &mut j, &me, "/balance").await;
        saw_429 |= r.status.as_u16() == 429;
    }
    assert!(saw_429, "the rate limit answered 429");
    limited.handle.shutdown().await;

    let degraded = common::start_with(SandboxConfig {
        faults: Faults {
            errors: Some(1.0),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let me = degraded.default_agent();
    let r = call(&degraded, &mut j, Method::GET, "/health", &[], None).await;
    assert_eq!(r.status.as_u16(), 503);
    let r = get(&degraded, &mut j, &me, "/products").await;
    assert_eq!(r.status.as_u16(), 503);
    let seen = j.finish(7);
    assert!(seen.iter().any(|(_, t, s)| t == "/health" && *s == 503));
    assert!(seen.iter().any(|(_, _, s)| *s == 429));
    degraded.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_judge_catches_a_sandbox_that_sends_money_as_a_number() {
    let sb = common::start_with(SandboxConfig {
        mutant: Some("money-as-number".parse().expect("a known mutant")),
        ..Default::default()
    })
    .await;
    let mut j = Judge::new();
    let me = sb.default_agent();
    let voucher = sb.voucher(&me, "USD").await;
    let created = post_order(
        &sb,
        &mut j,
        &me,
        &json!({"product_id": voucher["id"]}),
        None,
    )
    .await;
    get(&sb, &mut j, &me, &format!("/orders/{}", id_of(&created))).await;
    get(&sb, &mut j, &me, "/orders").await;
    let at = |needle: &str| j.problems.iter().filter(|p| p.contains(needle)).count();
    assert!(at("schema: /charged_amount:") >= 2, "{:#?}", j.problems);
    assert!(
        at("OpenAPI response schema: /charged_amount:") >= 2,
        "{:#?}",
        j.problems
    );
    assert!(at("/items/0/charged_amount:") >= 2, "{:#?}", j.problems);
    sb.handle.shutdown().await;
}
