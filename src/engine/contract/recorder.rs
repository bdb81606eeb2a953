//! The suite's shared recorder: every exchange any check makes goes through
//! [`Recorder::send`] and is kept, so the rules that hold for *every* response (no 5xx,
//! `Content-Type`, `X-Request-Id`, schemas, field formats) are judged over all observed
//! traffic rather than a hand-picked few. A `429` is waited out by the client's pacing, never judged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::engine::client::{ApiClient, Auth, Exchange};
use crate::engine::model::ExchangeEvidence;

/// How an API names the operation an exchange addressed, from its method and path alone
/// (never from the response, so a broken server cannot change which rules apply): the
/// API's OpenAPI document, through `engine::contract::operation`.
pub type Classifier<Op> = Arc<dyn Fn(&str, &str) -> Op + Send + Sync>;

/// One recorded exchange with what the harness knows about it.
#[derive(Debug)]
pub struct Observed<Op> {
    /// Order in which the response arrived.
    pub seq: usize,
    pub op: Op,
    pub exchange: Exchange,
    /// The `X-Request-Id` the request carried, if any.
    pub sent_request_id: Option<String>,
    /// The response body parsed as JSON, once.
    pub json: Option<Value>,
    /// Sent as a caller other than the target's own (its objects are not ours).
    pub foreign: bool,
    /// When the request left and the response arrived: what the server answered
    /// reflects some moment in between.
    pub sent_at: Instant,
    pub received_at: Instant,
}

impl<Op> Observed<Op> {
    pub fn status(&self) -> u16 {
        self.exchange.status
    }
    pub fn label(&self) -> String {
        self.exchange.label()
    }
    pub fn method(&self) -> &str {
        &self.exchange.request.method
    }
    /// The request path without its query.
    pub fn path(&self) -> &str {
        let p = &self.exchange.request.path;
        p.split(['?', '#']).next().unwrap_or(p)
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
    /// Whether the response is expected to carry a body (not HEAD, not 204).
    pub fn has_body(&self) -> bool {
        !self.method().eq_ignore_ascii_case("HEAD") && self.status() != 204
    }
}

/// What a finding quotes as evidence: an observed exchange.
pub trait Evidence {
    fn evidence(&self) -> ExchangeEvidence;
}

impl<Op> Evidence for Observed<Op> {
    fn evidence(&self) -> ExchangeEvidence {
        self.exchange.evidence()
    }
}

impl<T: Evidence + ?Sized> Evidence for Arc<T> {
    fn evidence(&self) -> ExchangeEvidence {
        T::evidence(self)
    }
}

impl<T: Evidence + ?Sized> Evidence for &T {
    fn evidence(&self) -> ExchangeEvidence {
        T::evidence(self)
    }
}

/// A request to send; [`Recorder::send`] adds an `X-Request-Id` unless told not to.
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

/// What a send returns: the recorded exchange, or why there was none.
pub type Sent<Op> = Result<Arc<Observed<Op>>, NoResponse>;

/// Sends requests and keeps every answer, classified by the API's `Op`.
pub struct Recorder<Op> {
    pub client: ApiClient,
    classify: Classifier<Op>,
    seq: AtomicUsize,
    log: Mutex<Vec<Arc<Observed<Op>>>>,
    failures: Mutex<Vec<NoResponse>>,
}

impl<Op: Send + Sync + 'static> Recorder<Op> {
    /// A recorder whose exchanges `classify` names.
    pub fn classified_by(client: ApiClient, classify: Classifier<Op>) -> Recorder<Op> {
        Recorder {
            client,
            classify,
            seq: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            failures: Mutex::new(Vec::new()),
        }
    }

    /// Sends as the target's own caller and records the exchange.
    pub async fn send(&self, req: Req) -> Sent<Op> {
        self.send_with(&self.client, false, req).await
    }

    /// Sends as another caller (a client from [`ApiClient::as_identity`]).
    pub async fn send_as(&self, other: &ApiClient, req: Req) -> Sent<Op> {
        self.send_with(other, true, req).await
    }

    /// Sends (the client paces it, and waits out `429`s within its budget) and records
    /// the exchange.
    async fn send_with(&self, client: &ApiClient, foreign: bool, req: Req) -> Sent<Op> {
        self.send_once(client, foreign, req).await
    }

    async fn send_once(&self, client: &ApiClient, foreign: bool, req: Req) -> Sent<Op> {
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
                let op = (self.classify)(&exchange.request.method, &exchange.request.path);
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
    pub fn observed(&self) -> Vec<Arc<Observed<Op>>> {
        self.log.lock().clone()
    }

    pub fn no_responses(&self) -> Vec<NoResponse> {
        self.failures.lock().clone()
    }
}

/// Hand-made observations for unit tests of check functions.
pub mod fake {
    use super::*;

    /// An observation of `op`, as if `method path` had been answered `status` with
    /// `headers` and `body`.
    pub fn observed_op<Op>(
        op: Op,
        method: &str,
        path: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Arc<Observed<Op>> {
        let exchange = crate::engine::client::fake::exchange(method, path, status, headers, body);
        Arc::new(Observed {
            seq: 0,
            op,
            json: serde_json::from_str(body).ok(),
            exchange,
            sent_request_id: Some("rid-1".into()),
            foreign: false,
            sent_at: Instant::now(),
            received_at: Instant::now(),
        })
    }

    /// [`observed_op`] with no classification.
    pub fn observed(
        method: &str,
        path: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Arc<Observed<()>> {
        observed_op((), method, path, status, headers, body)
    }
}
