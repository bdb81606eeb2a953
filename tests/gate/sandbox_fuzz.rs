//! Bad input never yields a 5xx or a panic: arbitrary methods, paths, query strings,
//! headers and JSON (or non-JSON) bodies against the sandbox; every answer is a
//! contract-shaped 2xx/4xx (JSON body, Error model on 4xx, X-Request-Id).

use crate::common;

use std::sync::OnceLock;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

struct Shared {
    rt: tokio::runtime::Runtime,
    sb: common::Sb,
    /// Valid order bodies for every seeded product (discovered through the catalog).
    valid_orders: Vec<Value>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sb = rt.block_on(common::start());
        let agent = sb.default_agent();
        let products = rt.block_on(sb.walk(&agent, "/products", "", 100));
        let valid_orders = products
            .iter()
            .map(|p| {
                if p["type"] == "voucher" {
                    common::voucher_body(p, 1)
                } else {
                    common::top_up_body(p, p["min_amount"].as_str().unwrap_or("1"))
                }
            })
            .collect();
        Shared {
            rt,
            sb,
            valid_orders,
        }
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,24}".prop_map(Value::String),
        "(0|[1-9][0-9]{0,6})(\\.[0-9]{1,3})?".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map("[a-z_]{1,14}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies shaped like an order with arbitrary values in the known fields.
fn order_like() -> impl Strategy<Value = Value> {
    let field = prop_oneof![(100u64..110).prop_map(|n| json!(n)), json_value(),];
    let account = btree_map(
        prop_oneof![
            Just("steam_login".to_string()),
            Just("phone_number".to_string()),
            Just("player_id".to_string()),
            "[a-z]{1,8}"
        ],
        prop_oneof!["[A-Za-z0-9_+]{0,16}".prop_map(Value::String), json_value()],
        0..4,
    );
    let topup = (json_value(), account, any::<bool>()).prop_map(|(amount, account, as_obj)| {
        if as_obj {
            json!({"amount": amount, "customer_account": Value::Object(account.into_iter().collect())})
        } else {
            amount
        }
    });
    btree_map(
        prop_oneof![
            Just("product_id"),
            Just("quantity"),
            Just("currency_code"),
            Just("external_ref"),
            Just("topup_request"),
            Just("test"),
            Just("extra")
        ],
        prop_oneof![field.clone(), topup, field],
        0..7,
    )
    .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

/// A valid order body, sometimes with one field replaced by arbitrary JSON.
fn nearly_valid_order() -> impl Strategy<Value = Value> {
    let bodies = shared().valid_orders.clone();
    (
        proptest::sample::select(bodies),
        proptest::option::of((
            prop_oneof![
                Just("product_id"),
                Just("quantity"),
                Just("currency_code"),
                Just("external_ref"),
                Just("topup_request"),
                Just("test"),
                Just("unknown_field")
            ],
            json_value(),
        )),
        proptest::option::of(prop_oneof![
            Just("sandbox-fail-f"),
            Just("sandbox-slow-f"),
            Just("ref-1")
        ]),
        any::<bool>(),
    )
        .prop_map(|(mut body, change, external_ref, test)| {
            if let Some(r) = external_ref {
                body["external_ref"] = json!(r);
            }
            body["test"] = json!(test);
            if let Some((field, value)) = change {
                body[field] = value;
            }
            body
        })
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => Just(Body::None),
        3 => order_like().prop_map(Body::Json),
        5 => nearly_valid_order().prop_map(Body::Json),
        2 => json_value().prop_map(Body::Json),
        1 => vec(any::<u8>(), 0..64).prop_map(Body::Raw),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        3 => Just(Method::GET),
        6 => Just(Method::POST),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::PATCH),
        1 => Just(Method::HEAD),
        1 => Just(Method::OPTIONS),
    ]
}

/// A path: a known route with arbitrary ids, or something arbitrary.
fn path(own: String) -> impl Strategy<Value = String> {
    let seg = "[A-Za-z0-9._~%-]{0,40}";
    let own2 = own.clone();
    let own3 = own.clone();
    let own4 = own.clone();
    prop_oneof![
        4 => Just(format!("/agent/{own}/orders")),
        3 => prop_oneof![
            Just("orders"), Just("products"), Just("product-types"), Just("product-categories"),
            Just("balance"), Just("deposits")
        ]
        .prop_map(move |r| format!("/agent/{own4}/{r}")),
        2 => (prop_oneof![Just("orders"), Just("products")], seg).prop_map(move |(r, id)| format!("/agent/{own2}/{r}/{id}")),
        1 => (seg, seg).prop_map(|(a, r)| format!("/agent/{a}/{r}")),
        1 => (seg, seg).prop_map(|(a, b)| format!("/_sandbox/{a}/{b}")),
        1 => Just("/_sandbox/agents".to_string()),
        1 => Just("/health".to_string()),
        1 => vec(seg, 0..4).prop_map(move |segs| format!("/agent/{own3}/{}", segs.join("/"))),
        1 => "/[A-Za-z0-9/._-]{0,30}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("limit".to_string()),
        Just("cursor".to_string()),
        Just("status".to_string()),
        Just("type".to_string()),
        Just("category_id".to_string()),
        Just("region_code".to_string()),
        Just("is_available".to_string()),
        Just("currency_code".to_string()),
        Just("external_ref".to_string()),
        Just("created_from".to_string()),
        Just("created_to".to_string()),
        "[a-z]{1,6}"
    ];
    vec((name, "\\PC{0,20}"), 0..4).prop_map(|pairs| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    })
}

/// Header values as a client could send them (visible ASCII and spaces).
fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{0,300}"
}

#[derive(Debug, Clone)]
struct Headers {
    auth: u8,
    content_type: Option<String>,
    idempotency_key: Option<String>,
    request_id: Option<String>,
    admin: bool,
}

fn headers() -> impl Strategy<Value = Headers> {
    (
        prop_oneof![6 => Just(1u8), 1 => Just(0u8), 1 => Just(2u8), 1 => Just(3u8)],
        prop_oneof![
            6 => Just(Some("application/json".to_string())),
            1 => Just(Some("APPLICATION/JSON; charset=utf-8".to_string())),
            1 => Just(None),
            1 => Just(Some("text/plain".to_string())),
            1 => "[a-z]{1,10}/[a-z+.-]{1,10}".prop_map(Some),
        ],
        proptest::option::of(prop_oneof![3 => "[a-z0-9-]{1,12}", 1 => header_value()]),
        proptest::option::of(header_value()),
        proptest::bool::weighted(0.2),
    )
        .prop_map(
            |(auth, content_type, idempotency_key, request_id, admin)| Headers {
                auth,
                content_type,
                idempotency_key,
                request_id,
                admin,
            },
        )
}

fn check(
    method: &Method,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    text: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "5xx: {status} {text}");
    prop_assert!(
        (200..300).contains(&status) || (400..500).contains(&status),
        "status {status}"
    );
    prop_assert!(headers.get("x-request-id").is_some(), "no X-Request-Id");
    if status == 204 || *method == Method::HEAD {
        return Ok(());
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    prop_assert!(ct.starts_with("application/json"), "content-type {ct}");
    let v: Value = serde_json::from_str(text)
        .map_err(|e| TestCaseError::fail(format!("not JSON: {e}: {text}")))?;
    if status >= 400 {
        prop_assert!(v["error"]["code"].is_string(), "no error.code: {text}");
        prop_assert!(
            v["error"]["message"].is_string(),
            "no error.message: {text}"
        );
        let param = &v["error"]["param"];
        prop_assert!(param.is_null() || param.is_string(), "param: {text}");
        if status == 405 {
            prop_assert!(headers.get("allow").is_some(), "405 without Allow");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_answer_is_contract_shaped(
        method in method(),
        path in path(shared().sb.handle.agent_id().to_string()),
        query in query(),
        headers in headers(),
        body in body(),
    ) {
        let s = shared();
        let url = if query.is_empty() { s.sb.url(&path) } else { format!("{}?{query}", s.sb.url(&path)) };
        let mut rb = s.sb.http.request(method.clone(), url);
        rb = match headers.auth {
            0 => rb,
            1 => rb.header("authorization", s.sb.handle.api_key()),
            2 => rb.header("authorization", "not-a-key"),
            _ => rb.header("authorization", format!("Bearer {}", s.sb.handle.api_key())),
        };
        if headers.admin {
            rb = rb.header("x-sandbox-admin", s.sb.handle.admin_token());
        }
        if let Some(ct) = &headers.content_type {
            rb = rb.header("content-type", ct);
        }
        if let Some(k) = &headers.idempotency_key {
            rb = rb.header("idempotency-key", k);
        }
        if let Some(r) = &headers.request_id {
            rb = rb.header("x-request-id", r);
        }
        rb = match &body {
            Body::None => rb,
            Body::Json(v) => rb.body(serde_json::to_vec(v).unwrap_or_default()),
            Body::Raw(b) => rb.body(b.clone()),
        };
        let (status, resp_headers, text) = s.rt.block_on(async {
            let r = rb.send().await.map_err(|e| TestCaseError::fail(format!("transport: {e}")))?;
            let status = r.status().as_u16();
            let h = r.headers().clone();
            let text = r.text().await.unwrap_or_default();
            Ok::<_, TestCaseError>((status, h, text))
        })?;
        if std::env::var_os("FUZZ_TRACE").is_some() { eprintln!("FUZZ {status} {}", text.chars().take(60).collect::<String>()); }
        check(&method, status, &resp_headers, &text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    /// Focused on order creation: valid credentials and media type, arbitrary and
    /// nearly-valid bodies, keys drawn from a small pool so replays and mismatches happen.
    #[test]
    fn order_posts_are_contract_shaped(
        body in prop_oneof![3 => nearly_valid_order(), 1 => order_like(), 1 => json_value()],
        key in proptest::option::of(prop_oneof![4 => "k[0-7]", 1 => header_value()]),
    ) {
        let s = shared();
        let agent = s.sb.default_agent();
        let mut rb = s
            .sb
            .http
            .post(s.sb.url(&format!("/agent/{}/orders", agent.id)))
            .header("authorization", &agent.key)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap_or_default());
        if let Some(k) = &key {
            rb = rb.header("idempotency-key", k);
        }
        let (status, headers, text) = s.rt.block_on(async {
            let r = rb.send().await.map_err(|e| TestCaseError::fail(format!("transport: {e}")))?;
            let status = r.status().as_u16();
            let h = r.headers().clone();
            let text = r.text().await.unwrap_or_default();
            Ok::<_, TestCaseError>((status, h, text))
        })?;
        if std::env::var_os("FUZZ_TRACE").is_some() { eprintln!("FUZZ {status} {}", text.chars().take(60).collect::<String>()); }
        check(&Method::POST, status, &headers, &text)?;
        prop_assert!(matches!(status, 201 | 400 | 409 | 422), "unexpected {status}: {text}");
        if status == 201 {
            let o: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            prop_assert!(o["id"].is_string() && o["charged_amount"].is_string(), "{text}");
            prop_assert!(headers.get("location").is_some());
        }
    }
}
