//! Test helpers: start the sandbox in-process on a free port and talk to it with reqwest.
#![allow(dead_code)]

use std::time::Duration;

use gatecheck::apis::gate::sandbox::{self, SandboxConfig, SandboxHandle};
use reqwest::{Method, StatusCode};

use crate::support::http;
use serde_json::{json, Value};

/// A started sandbox and an HTTP client for it.
pub struct Sb {
    pub handle: SandboxHandle,
    pub http: reqwest::Client,
}

/// An agent as seen by the tests: its id and one key.
#[derive(Debug, Clone)]
pub struct Agent {
    pub id: String,
    pub key: String,
}

pub use crate::support::http::Resp;

/// A sandbox with the default configuration but a short completion delay.
pub async fn start() -> Sb {
    start_with(SandboxConfig {
        complete_after: Duration::from_millis(50),
        ..Default::default()
    })
    .await
}

pub async fn start_with(config: SandboxConfig) -> Sb {
    let handle = sandbox::start(config).await.expect("sandbox starts");
    Sb {
        handle,
        http: http::client(),
    }
}

impl Sb {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path)
    }

    pub fn default_agent(&self) -> Agent {
        Agent {
            id: self.handle.agent_id().to_string(),
            key: self.handle.api_key().to_string(),
        }
    }

    /// Sends a request with the given headers and optional raw body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        http::send(&self.http, method, self.url(path), headers, body).await
    }

    /// GET as `agent` on its own agent path (`/agent/{id}` + `rest`).
    pub async fn get(&self, agent: &Agent, rest: &str) -> Resp {
        self.send(
            Method::GET,
            &format!("/agent/{}{}", agent.id, rest),
            &[("authorization", &agent.key)],
            None,
        )
        .await
    }

    /// POST an order body as `agent`, with an optional Idempotency-Key.
    pub async fn order(&self, agent: &Agent, body: &Value, key: Option<&str>) -> Resp {
        let mut headers = vec![
            ("authorization", agent.key.as_str()),
            ("content-type", "application/json"),
        ];
        if let Some(k) = key {
            headers.push(("idempotency-key", k));
        }
        self.send(
            Method::POST,
            &format!("/agent/{}/orders", agent.id),
            &headers,
            Some(serde_json::to_vec(body).expect("json")),
        )
        .await
    }

    /// An admin call.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let token = self.handle.admin_token();
        http::admin(&self.http, method, self.url(path), token, body).await
    }

    /// A fresh agent with completed deposits, e.g. `&[("USD", "100.00")]`.
    pub async fn new_agent(&self, deposits: &[(&str, &str)]) -> Agent {
        let deposits: Vec<Value> = deposits
            .iter()
            .map(|(c, a)| json!({"currency_code": c, "amount": a}))
            .collect();
        let r = self
            .admin(
                Method::POST,
                "/_sandbox/agents",
                Some(&json!({"deposits": deposits})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let v = r.json();
        Agent {
            id: v["agent_id"].as_str().expect("agent_id").to_string(),
            key: v["api_key"].as_str().expect("api_key").to_string(),
        }
    }

    /// The first product matching the predicate, discovered through the catalog.
    pub async fn find_product(&self, agent: &Agent, pred: impl Fn(&Value) -> bool) -> Value {
        let r = self.get(agent, "/products?limit=100").await;
        r.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| pred(p))
            .cloned()
            .expect("a matching product in the seeded catalog")
    }

    /// An available voucher in `currency`.
    pub async fn voucher(&self, agent: &Agent, currency: &str) -> Value {
        self.find_product(agent, |p| {
            p["type"] == "voucher" && p["is_available"] == true && p["currency_code"] == currency
        })
        .await
    }

    /// An available direct top-up in `currency`.
    pub async fn top_up(&self, agent: &Agent, currency: &str) -> Value {
        self.find_product(agent, |p| {
            p["type"] == "direct_top_up"
                && p["is_available"] == true
                && p["currency_code"] == currency
        })
        .await
    }

    /// Available and reserved minor units in `currency` (0, 0 when absent).
    pub async fn balance(&self, agent: &Agent, currency: &str) -> (i64, i64) {
        let r = self.get(agent, "/balance").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|b| b["currency_code"] == currency)
            .map(|b| {
                (
                    b["available_minor"].as_i64().unwrap_or(0),
                    b["reserved_minor"].as_i64().unwrap_or(0),
                )
            })
            .unwrap_or((0, 0))
    }

    /// Waits until the order is no longer pending (or the deadline passes); returns it.
    pub async fn wait_settled(&self, agent: &Agent, order_id: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let o = self.get(agent, &format!("/orders/{order_id}")).await.json();
            if o["status"] != "pending" || tokio::time::Instant::now() >= deadline {
                return o;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every item of a list, walking all pages with `limit`.
    pub async fn walk(&self, agent: &Agent, list: &str, query: &str, limit: u32) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if query.is_empty() { "" } else { "&" };
            let mut path = format!("{list}?limit={limit}{sep}{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let r = self.get(agent, &path).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            let v = r.json();
            let page = v["items"].as_array().expect("items").clone();
            assert!(page.len() <= limit as usize);
            items.extend(page);
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
    }

    /// Checks the §7 ledger identity for one currency of an agent, once nothing is pending.
    pub async fn ledger_identity_holds(&self, agent: &Agent, currency: &str) -> bool {
        let (available, reserved) = self.balance(agent, currency).await;
        let deposits = self
            .walk(
                agent,
                "/deposits",
                &format!("currency_code={currency}&status=completed"),
                100,
            )
            .await;
        let deposited: i64 = deposits
            .iter()
            .map(|d| d["amount_minor"].as_i64().unwrap_or(0))
            .sum();
        let orders = self.walk(agent, "/orders", "", 100).await;
        let minor = |o: &Value| -> i64 {
            gatecheck::apis::gate::money::Amount::parse_decimal_amount(
                o["charged_amount"].as_str().unwrap_or("0.00"),
            )
            .map(|a| a.minor())
            .unwrap_or(0)
        };
        let real = |o: &&Value| o["currency_code"] == currency && o["is_test"] == false;
        let completed: i64 = orders
            .iter()
            .filter(real)
            .filter(|o| o["status"] == "completed")
            .map(minor)
            .sum();
        let pending: i64 = orders
            .iter()
            .filter(real)
            .filter(|o| o["status"] == "pending")
            .map(minor)
            .sum();
        available + reserved == deposited - completed && reserved == pending
    }
}

/// A voucher order body.
pub fn voucher_body(product: &Value, quantity: u32) -> Value {
    json!({"product_id": product["id"], "quantity": quantity})
}

/// A direct top-up order body for the seeded products' account fields.
pub fn top_up_body(product: &Value, amount: &str) -> Value {
    let mut account = serde_json::Map::new();
    for f in product["customer_account_fields"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = f["name"].as_str().unwrap_or_default();
        let value = match name {
            "steam_login" => "player_123",
            "phone_number" => "+491701234567",
            "player_id" => "12345678",
            "server" => "eu",
            "email" => "user@example.com",
            _ => "x",
        };
        account.insert(name.to_string(), json!(value));
    }
    json!({"product_id": product["id"], "topup_request": {"amount": amount, "customer_account": account}})
}

/// `gatecheck certify ARGS…` parsed by the real clap tree.
pub fn certify_args<S: AsRef<str>>(argv: &[S]) -> gatecheck::certify::CertifyArgs {
    use clap::Parser;
    let argv = ["gatecheck", "certify"]
        .into_iter()
        .chain(argv.iter().map(AsRef::as_ref));
    match gatecheck::cli::Cli::try_parse_from(argv)
        .expect("valid flags")
        .command
    {
        gatecheck::cli::Command::Certify(args) => *args,
        other => panic!("parsed as {other:?}"),
    }
}
