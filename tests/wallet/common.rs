//! Test helpers: start the combined sandbox in-process on a free port and talk to its
//! Wallet with reqwest.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gatecheck::sandbox::{self, SandboxConfig, SandboxHandle, WalletMutant};
use reqwest::Method;

use crate::support::http;
use serde_json::{json, Value};

pub struct Sb {
    pub handle: SandboxHandle,
    pub http: reqwest::Client,
}

pub use crate::support::http::Resp;

pub fn fast() -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.gate.complete_after = Duration::from_millis(30);
    c.gate.slow_after = Duration::from_millis(600);
    c
}

pub async fn start() -> Sb {
    start_with(fast()).await
}

pub async fn start_mutant(m: WalletMutant) -> Sb {
    start_with(SandboxConfig {
        wallet_mutant: Some(m),
        ..fast()
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

static KEYS: AtomicU64 = AtomicU64::new(0);

/// A fresh Idempotency-Key.
pub fn fresh_key() -> String {
    format!(
        "k-{}-{}",
        std::process::id(),
        KEYS.fetch_add(1, Ordering::Relaxed)
    )
}

/// A valid authorize body.
pub fn auth_body(amount: u64, phone: &str, reference: &str) -> Value {
    json!({"amount": amount, "phoneNumber": phone, "iin": "900101300007",
           "orderReference": reference, "currency": "KZT"})
}

impl Sb {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path)
    }

    pub fn key(&self) -> String {
        self.handle.merchant_api_key().to_string()
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        http::send(&self.http, method, self.url(path), headers, body).await
    }

    /// `POST` a JSON body as the given key, with an optional Idempotency-Key.
    pub async fn post_as(&self, key: &str, path: &str, idem: Option<&str>, body: &Value) -> Resp {
        let mut h = vec![("authorization", key), ("content-type", "application/json")];
        if let Some(i) = idem {
            h.push(("idempotency-key", i));
        }
        self.send(Method::POST, path, &h, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn post(&self, path: &str, idem: Option<&str>, body: &Value) -> Resp {
        self.post_as(&self.key(), path, idem, body).await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Resp {
        self.send(Method::GET, path, &[("authorization", key)], None)
            .await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.get_as(&self.key(), path).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let token = self.handle.admin_token();
        http::admin(&self.http, method, self.url(path), token, body.as_ref()).await
    }

    /// Authorizes with a fresh key; returns the 201 body.
    pub async fn authorize(&self, amount: u64, phone: &str) -> Value {
        let r = self
            .post(
                "/v1/wallet/authorize",
                Some(&fresh_key()),
                &auth_body(amount, phone, "ORDER-1"),
            )
            .await;
        r.ok(201)
    }

    /// Authorizes and waits for `SUCCESS`; returns the transaction id.
    pub async fn settled(&self, amount: u64) -> String {
        let id = self.authorize(amount, "+77001234567").await["walletTransactionId"]
            .as_str()
            .unwrap()
            .to_string();
        self.wait_status(&id, "SUCCESS").await;
        id
    }

    /// Polls until the transaction has `status` (at most 10 s).
    pub async fn wait_status(&self, id: &str, status: &str) -> Value {
        for _ in 0..200 {
            let t = self
                .get(&format!("/v1/wallet/transaction/{id}"))
                .await
                .ok(200);
            if t["walletTransactionStatus"] == status {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{id} never reached {status}");
    }

    pub async fn op(&self, id: &str, op: &str, amount: u64, idem: Option<&str>) -> Resp {
        self.post(
            &format!("/v1/wallet/{id}/{op}"),
            idem,
            &json!({"amount": amount}),
        )
        .await
    }

    pub async fn tx(&self, id: &str) -> Value {
        self.get(&format!("/v1/wallet/transaction/{id}"))
            .await
            .ok(200)
    }

    /// A fresh merchant: (id, key).
    pub async fn merchant(&self, currencies: Option<Value>) -> (String, String) {
        let body = currencies.map(|c| json!({"currencies": c}));
        let r = self
            .admin(Method::POST, "/_sandbox/merchants", body)
            .await
            .ok(201);
        (
            r["merchant_id"].as_str().unwrap().to_string(),
            r["api_key"].as_str().unwrap().to_string(),
        )
    }
}

/// Totals of a transaction: (authorized, captured, cancelled, refunded).
pub fn totals(t: &Value) -> (i64, i64, i64, i64) {
    let n = |f: &str| t[f].as_i64().unwrap_or_else(|| panic!("{f} in {t}"));
    (
        n("authorizedAmount"),
        n("capturedAmount"),
        n("cancelledAmount"),
        n("refundedAmount"),
    )
}

/// Conservation (§4).
#[track_caller]
pub fn assert_conserved(t: &Value) {
    let (a, c, x, r) = totals(t);
    assert!(
        c + x <= a && r <= c && c >= 0 && x >= 0 && r >= 0,
        "conservation: {t}"
    );
}

/// A Wallet target at `base_url` as the merchant with `key` (and the admin token, when
/// given), resolved as the commands resolve theirs.
pub async fn resolve(
    base_url: String,
    key: String,
    admin_token: Option<String>,
) -> gatecheck::engine::target::ResolvedTarget {
    let args = gatecheck::engine::target::TargetArgs {
        base_url: Some(base_url),
        merchant_api_key: Some(key),
        admin_token,
        ..Default::default()
    };
    let launcher = sandbox::Launcher {
        config: SandboxConfig::default(),
        api: gatecheck::apis::ApiName::Wallet,
    };
    args.resolve(&gatecheck::apis::wallet::WALLET, &launcher)
        .await
        .expect("resolves")
}
