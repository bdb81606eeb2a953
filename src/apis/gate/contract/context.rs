//! The suite's shared recorder: every exchange any check makes goes through [`Ctx::send`]
//! and is kept, so the rules that hold for *every* response (no 5xx, `Content-Type`,
//! `X-Request-Id`, schemas, money and field formats, order lifecycle) are judged over all
//! observed traffic rather than a hand-picked few.

use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::client::GateTarget as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::operation::Operation;
use crate::apis::gate::admin::AdminCall;
use crate::engine::client::{ApiClient, Auth, Exchange};
use crate::engine::schema::SchemaSet;
use crate::engine::spend::SpendGuard;

/// One recorded exchange with what the harness knows about it.
#[derive(Debug)]
pub struct Observed {
    /// Order in which the response arrived.
    pub seq: usize,
    pub op: Operation,
    pub exchange: Exchange,
    /// The `X-Request-Id` the request carried, if any.
    pub sent_request_id: Option<String>,
    /// The response body parsed as JSON, once.
    pub json: Option<Value>,
    /// Sent as an agent other than the target's own (its objects are not ours).
    pub foreign: bool,
    /// When the request left and the response arrived: what the server answered
    /// reflects some moment in between.
    pub sent_at: Instant,
    pub received_at: Instant,
}

impl Observed {
    pub fn status(&self) -> u16 {
        self.exchange.status
    }
    pub fn label(&self) -> String {
        self.exchange.label()
    }
    pub fn error_code(&self) -> Option<&str> {
        self.json.as_ref()?.pointer("/error/code")?.as_str()
    }
    /// `Some(None)` when the body is an Error whose `param` is null or absent.
    pub fn error_param(&self) -> Option<Option<&str>> {
        let json = self.json.as_ref()?;
        json.get("error")?;
        Some(json.pointer("/error/param").and_then(Value::as_str))
    }
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.exchange.status)
    }
}

/// A request to send; [`Ctx::send`] adds an `X-Request-Id` unless told not to.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub auth: Auth,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
    pub request_id: bool,
}

impl Req {
    pub fn new(method: Method, path: impl Into<String>) -> Req {
        Req {
            method,
            path: path.into(),
            auth: Auth::ApiKey,
            headers: Vec::new(),
            body: None,
            request_id: true,
        }
    }
    pub fn get(path: impl Into<String>) -> Req {
        Req::new(Method::GET, path)
    }
    pub fn post(path: impl Into<String>) -> Req {
        Req::new(Method::POST, path)
    }
    /// A sandbox admin call (§9.2), sent as the admin.
    pub fn admin(call: &AdminCall) -> Req {
        let req = Req::new(call.method(), call.path()).auth(Auth::Admin);
        match call.body() {
            Some(body) => req.json(&body),
            None => req,
        }
    }
    pub fn auth(mut self, auth: Auth) -> Req {
        self.auth = auth;
        self
    }
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// A JSON body with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Req {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.header("Content-Type", "application/json")
            .raw_body(bytes)
    }
    pub fn raw_body(mut self, body: impl Into<Bytes>) -> Req {
        self.body = Some(body.into());
        self
    }
    pub fn without_request_id(mut self) -> Req {
        self.request_id = false;
        self
    }
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A request that got no HTTP response.
#[derive(Debug, Clone)]
pub struct NoResponse {
    pub label: String,
    pub reason: String,
}

/// The run's shared state: the client, the spend policy, the schemas and the recording.
pub struct Ctx<'a> {
    pub client: ApiClient,
    pub spend: SpendGuard,
    pub schemas: &'a SchemaSet,
    seq: AtomicUsize,
    log: Mutex<Vec<Arc<Observed>>>,
    failures: Mutex<Vec<NoResponse>>,
}

impl<'a> Ctx<'a> {
    pub fn new(client: ApiClient, spend: SpendGuard, schemas: &'a SchemaSet) -> Ctx<'a> {
        Ctx {
            client,
            spend,
            schemas,
            seq: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            failures: Mutex::new(Vec::new()),
        }
    }

    pub fn has_admin(&self) -> bool {
        self.client.target().admin_token.is_some()
    }

    pub fn agent_id(&self) -> &str {
        self.client.target().agent_id()
    }

    /// `/agent/{our agent_id}{suffix}`.
    pub fn agent_path(&self, suffix: &str) -> String {
        self.client.agent_path(suffix)
    }

    /// Sends as the target's own agent and records the exchange.
    pub async fn send(&self, req: Req) -> Result<Arc<Observed>, NoResponse> {
        self.send_with(&self.client, false, req).await
    }

    /// Sends as another agent (a client from [`ApiClient::as_agent`]).
    pub async fn send_as(&self, other: &ApiClient, req: Req) -> Result<Arc<Observed>, NoResponse> {
        self.send_with(other, true, req).await
    }

    /// Sends (the client paces it, and waits out `429`s within its budget) and records
    /// the exchange.
    async fn send_with(
        &self,
        client: &ApiClient,
        foreign: bool,
        req: Req,
    ) -> Result<Arc<Observed>, NoResponse> {
        self.send_once(client, foreign, req).await
    }

    async fn send_once(
        &self,
        client: &ApiClient,
        foreign: bool,
        req: Req,
    ) -> Result<Arc<Observed>, NoResponse> {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let label = req.label();
        let mut sent_request_id = None;
        let mut builder = client
            .request(req.method.clone(), req.path.clone())
            .auth(req.auth);
        if req.request_id
            && !req
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("x-request-id"))
        {
            let id = format!("gatecheck-{n:05}");
            builder = builder.header("X-Request-Id", id.clone());
            sent_request_id = Some(id);
        }
        for (k, v) in req.headers {
            if k.eq_ignore_ascii_case("x-request-id") {
                sent_request_id = Some(v.clone());
            }
            builder = builder.header(k, v);
        }
        if let Some(body) = req.body {
            builder = builder.raw_body(body);
        }
        let sent_at = Instant::now();
        match builder.send().await {
            Ok(exchange) => {
                let received_at = Instant::now();
                let op = Operation::of(&exchange.request.method, &exchange.request.path);
                let json = serde_json::from_slice(&exchange.body).ok();
                let mut log = self.log.lock();
                let observed = Arc::new(Observed {
                    seq: log.len(),
                    op,
                    exchange,
                    sent_request_id,
                    json,
                    foreign,
                    sent_at,
                    received_at,
                });
                log.push(observed.clone());
                Ok(observed)
            }
            Err(e) => {
                let failure = NoResponse {
                    label,
                    reason: e.to_string(),
                };
                self.failures.lock().push(failure.clone());
                Err(failure)
            }
        }
    }

    /// Everything observed so far, in arrival order.
    pub fn observed(&self) -> Vec<Arc<Observed>> {
        self.log.lock().clone()
    }

    pub fn no_responses(&self) -> Vec<NoResponse> {
        self.failures.lock().clone()
    }
}

/// Hand-made observations for unit tests of the check functions.
#[cfg(test)]
pub mod fake {
    use super::*;
    use crate::engine::client::{Masker, SentRequest};

    pub fn observed(
        method: &str,
        path: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Arc<Observed> {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            if let (Ok(name), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(k.as_bytes()),
                reqwest::header::HeaderValue::from_str(v),
            ) {
                map.insert(name, value);
            }
        }
        let exchange = Exchange::new(
            "http://127.0.0.1:1".into(),
            SentRequest {
                method: method.into(),
                path: path.into(),
                headers: vec![("X-Request-Id".into(), "rid-1".into())],
                body: None,
            },
            status,
            map,
            Bytes::from(body.to_string()),
            std::time::Duration::ZERO,
            Masker::new(),
        );
        Arc::new(Observed {
            seq: 0,
            op: Operation::of(method, path),
            json: serde_json::from_str(body).ok(),
            exchange,
            sent_request_id: Some("rid-1".into()),
            foreign: false,
            sent_at: Instant::now(),
            received_at: Instant::now(),
        })
    }
}
