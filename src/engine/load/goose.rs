//! The goose glue, the same for every API: goose's user functions, the on-start function,
//! pacing and body sampling around each transaction, sending one request, and turning a
//! response into the one numeric `Sample` the recorder gets.
//!
//! An API plugs in with a [`Transaction`]: what one compiled transaction of its scenario
//! does, through a [`LoadUser`] (send a request, keep per-user state, leave a note).
//! **Invariant:** on the GET path there is no formatting, no lock and no allocation of ours
//! beyond the HTTP client's own.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use goose::prelude::{GooseMethod, GooseRequest, GooseUser, TransactionResult};
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use tokio::time::Instant;

use crate::engine::client::ApiClient;
use crate::engine::load::conn::{self, Direct, UserConn};
use crate::engine::load::pacing::{Schedule, SendTime, UserPacer};
use crate::engine::load::recorder::{ErrorReason, Sample, SampleSender, StatusClass};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: &str = "idempotent-replayed";

/// What one compiled transaction of an API does. The engine paces it, samples it for a
/// body check, times it and records its [`Outcome`].
pub trait Transaction: Send + Sync + 'static {
    /// What the API keeps per user between transactions (e.g. its latest order).
    type User: Default + Clone + Send + Sync + 'static;

    /// Whether it can run for this user now; `false`: it is skipped and takes no slot of
    /// the schedule (e.g. polling an order the user has not created yet).
    fn ready(&self, _user: &Self::User) -> bool {
        true
    }

    /// Runs once for a user whose send time has come. `None`: nothing was sent after all
    /// (e.g. the spend cap refused an authorization in the meantime); nothing is recorded.
    fn run<'a>(
        &'a self,
        user: &'a mut LoadUser<'_, Self::User>,
    ) -> impl Future<Output = Option<Outcome>> + Send + 'a;
}

/// What every transaction of a run shares, whatever the API. Built once before the run.
pub struct LoadContext {
    pub samples: SampleSender,
    pub schedule: Schedule,
    /// Sample times count from here.
    pub origin: Instant,
    /// The key, in the header the API takes it in (`ApiClient::auth_header`).
    pub auth: (HeaderName, HeaderValue),
    /// Check every Nth body of a user (0: never).
    pub validate_every: u64,
    /// Requests go through goose (its metrics and report); else straight to the pool.
    pub goose_metrics: bool,
    pub base_url: reqwest::Url,
    /// The fast path (one connection per user, `conn`): an `http://` target without
    /// goose's metrics.
    direct: Option<Direct>,
    next_user: AtomicU64,
}

impl LoadContext {
    pub fn new(
        client: &ApiClient,
        samples: SampleSender,
        schedule: Schedule,
        origin: Instant,
        validate_sample: f64,
        goose_metrics: bool,
        request_timeout: std::time::Duration,
    ) -> anyhow::Result<LoadContext> {
        let base_url = reqwest::Url::parse(&client.target().base_url)?;
        let api_key = HeaderValue::from_str(client.target().api_key.expose())
            .map_err(|_| anyhow::anyhow!("the API key is not a valid header value"))?;
        let auth_name = HeaderName::from_bytes(client.auth_header().as_bytes())
            .map_err(|_| anyhow::anyhow!("the auth header is not a valid header name"))?;
        let auth = (auth_name, api_key);
        let validate_every = if validate_sample <= 0.0 {
            0
        } else {
            (1.0 / validate_sample.min(1.0)).round().max(1.0) as u64
        };
        let direct = if goose_metrics {
            None
        } else {
            Direct::for_base(&base_url, auth.clone(), request_timeout)
        };
        Ok(LoadContext {
            direct,
            samples,
            schedule,
            origin,
            auth,
            validate_every,
            goose_metrics,
            base_url,
            next_user: AtomicU64::new(0),
        })
    }
}

/// A request target: the path (goose's request name, error messages) and the absolute URL
/// joined once before the run, so no request parses or formats a URL of ours.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub path: String,
    /// `None` when the path does not join onto the base URL (every send then fails as a
    /// transport error, as an unparsable request would).
    pub url: Option<reqwest::Url>,
    /// The request target in origin form, for the fast path.
    uri: Option<http::Uri>,
}

impl Endpoint {
    pub fn new(base: Option<&reqwest::Url>, path: String) -> Endpoint {
        let url = base.and_then(|b| b.join(&path).ok());
        let uri = url.as_ref().and_then(conn::origin_form);
        Endpoint { path, url, uri }
    }
}

/// How one transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub class: StatusClass,
    pub error: Option<ErrorReason>,
}

impl Outcome {
    /// No request could be made.
    pub fn not_sent() -> Outcome {
        Outcome {
            class: StatusClass::NoResponse,
            error: Some(ErrorReason::Transport),
        }
    }

    /// The same answer class, failed for `reason`.
    pub fn failed(self, reason: ErrorReason) -> Outcome {
        Outcome {
            class: self.class,
            error: Some(reason),
        }
    }
}

/// One request: a GET, or a POST of a JSON body under an `Idempotency-Key`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub endpoint: &'a Endpoint,
    /// The status that counts as success.
    pub expect: u16,
    /// `Some((idempotency key, JSON body))`: a POST.
    pub post: Option<(&'a HeaderValue, &'a Bytes)>,
}

impl<'a> Request<'a> {
    /// A GET of `endpoint` that succeeds with `200`.
    pub fn get(endpoint: &'a Endpoint) -> Request<'a> {
        Request {
            endpoint,
            expect: 200,
            post: None,
        }
    }
}

/// One response: its status, whether it was an idempotent replay, and its body.
pub struct Response {
    pub status: Option<u16>,
    pub replayed: bool,
    pub body: Bytes,
    pub error: Option<ErrorReason>,
}

impl Response {
    fn failed(reason: ErrorReason) -> Response {
        Response {
            status: None,
            replayed: false,
            body: Bytes::new(),
            error: Some(reason),
        }
    }

    fn class(&self) -> StatusClass {
        self.status.map_or(StatusClass::NoResponse, StatusClass::of)
    }
}

/// Per-user state (goose session data): the engine's part and the API's.
#[derive(Clone)]
struct UserState<U> {
    pacer: UserPacer,
    responses: u64,
    conn: UserConn,
    api: U,
}

/// A user as a transaction sees it: send requests, read and change the API's per-user
/// state, leave a note for the reader.
pub struct LoadUser<'u, U> {
    goose: &'u mut GooseUser,
    ctx: &'u LoadContext,
    name: &'u str,
    validate: bool,
    _api: std::marker::PhantomData<fn() -> U>,
}

impl<U: Default + Clone + Send + Sync + 'static> LoadUser<'_, U> {
    /// Whether this transaction's body is in the sample to check.
    pub fn validate(&self) -> bool {
        self.validate
    }

    /// The API's state of this user.
    pub fn state(&self) -> Option<&U> {
        self.goose
            .get_session_data::<UserState<U>>()
            .map(|s| &s.api)
    }

    pub fn state_mut(&mut self) -> Option<&mut U> {
        self.goose
            .get_session_data_mut::<UserState<U>>()
            .map(|s| &mut s.api)
    }

    /// A remark for the run's notes (deduplicated by the recorder).
    pub fn note(&self, text: String) {
        self.ctx.samples.note(text);
    }

    /// Joins a path onto the target's base URL (once, not per request).
    pub fn endpoint(&self, path: String) -> Endpoint {
        Endpoint::new(Some(&self.ctx.base_url), path)
    }

    /// Sends one request; never fails: transport trouble is in the response.
    pub async fn send(&mut self, req: Request<'_>) -> Response {
        if let (Some(direct), Some(uri)) = (&self.ctx.direct, &req.endpoint.uri) {
            if let Some(state) = self.goose.get_session_data_mut::<UserState<U>>() {
                return send_direct(&mut state.conn, direct, uri, req).await;
            }
        }
        send(self.ctx, self.goose, self.name, req).await
    }

    /// The response's outcome, with the sampled body check (`check`) applied; a failed
    /// check becomes the outcome's error and a note.
    pub fn checked(
        &self,
        r: &Response,
        check: Option<impl FnOnce(&[u8]) -> Result<(), String>>,
    ) -> Outcome {
        let mut error = r.error;
        if error.is_none() {
            if let Some(check) = check {
                if let Err(problem) = check(&r.body) {
                    self.note(format!("schema: {problem}"));
                    error = Some(ErrorReason::SchemaViolation);
                }
            }
        }
        Outcome {
            class: r.class(),
            error,
        }
    }
}

/// The boxed future a goose transaction function returns.
type TransactionFuture<'r> = Pin<Box<dyn Future<Output = TransactionResult> + Send + 'r>>;

/// Pins a closure to goose's higher-ranked transaction-function signature.
fn function<F>(f: F) -> goose::goose::TransactionFunction
where
    F: for<'r> Fn(&'r mut GooseUser) -> TransactionFuture<'r> + Send + Sync + 'static,
{
    Arc::new(f)
}

/// The on-start transaction: gives the user its index and schedule position.
pub fn on_start<U: Default + Clone + Send + Sync + 'static>(
    ctx: Arc<LoadContext>,
) -> goose::goose::Transaction {
    goose::goose::Transaction::new(function(move |user| {
        let ctx = ctx.clone();
        Box::pin(async move {
            let index = ctx.next_user.fetch_add(1, Ordering::Relaxed);
            user.set_session_data(UserState {
                pacer: UserPacer::new(ctx.schedule, index, Instant::now()),
                responses: index,
                conn: UserConn::default(),
                api: U::default(),
            });
            Ok(())
        })
    }))
    .set_name("start")
    .set_on_start()
}

/// The goose transaction for compiled transaction `index` (its histogram).
pub fn transaction<T: Transaction>(
    ctx: Arc<LoadContext>,
    index: u16,
    name: &str,
    weight: u32,
    tx: Arc<T>,
) -> Result<goose::goose::Transaction, goose::GooseError> {
    let tx_name: Arc<str> = Arc::from(name);
    goose::goose::Transaction::new(function(move |user| {
        let ctx = ctx.clone();
        let tx = tx.clone();
        let name = tx_name.clone();
        Box::pin(async move {
            run(&ctx, index, &name, &*tx, user).await;
            Ok(())
        })
    }))
    .set_name(name)
    .set_weight(weight as usize)
}

async fn run<T: Transaction>(
    ctx: &LoadContext,
    index: u16,
    name: &str,
    tx: &T,
    user: &mut GooseUser,
) {
    let ready = user
        .get_session_data::<UserState<T::User>>()
        .is_none_or(|s| tx.ready(&s.api));
    if !ready {
        // Nothing to send: let the lane's other users run (a user with nothing ready
        // would otherwise loop without ever yielding its single-threaded runtime).
        tokio::task::yield_now().await;
        return;
    }
    let send = match user.get_session_data_mut::<UserState<T::User>>() {
        Some(state) => state.pacer.next_send().await,
        None => {
            let now = Instant::now();
            SendTime {
                intended: now,
                actual: now,
                waited: false,
            }
        }
    };
    let validate = should_validate::<T::User>(ctx, user);
    let mut load_user = LoadUser {
        goose: user,
        ctx,
        name,
        validate,
        _api: std::marker::PhantomData,
    };
    let Some(outcome) = tx.run(&mut load_user).await else {
        tokio::task::yield_now().await;
        return;
    };
    let done = Instant::now();
    ctx.samples.record(Sample {
        transaction: index,
        class: outcome.class,
        error: outcome.error,
        intended_us: send
            .intended
            .saturating_duration_since(ctx.origin)
            .as_micros() as u64,
        latency_us: done.saturating_duration_since(send.intended).as_micros() as u64,
        lag_us: send.lag().as_micros() as u64,
        generator_lag_us: send.generator_lag().as_micros() as u64,
    });
}

fn should_validate<U: Clone + Send + Sync + 'static>(
    ctx: &LoadContext,
    user: &mut GooseUser,
) -> bool {
    if ctx.validate_every == 0 {
        return false;
    }
    match user.get_session_data_mut::<UserState<U>>() {
        Some(s) => {
            s.responses = s.responses.wrapping_add(1);
            s.responses % ctx.validate_every == 0
        }
        None => false,
    }
}

/// Sends one request on the user's own connection.
async fn send_direct(
    conn: &mut UserConn,
    direct: &Direct,
    uri: &http::Uri,
    req: Request<'_>,
) -> Response {
    match conn.send(direct, uri, req.post).await {
        Err(reason) => Response::failed(reason),
        Ok(answer) => {
            let status = answer.status;
            match answer.body {
                Ok(body) => Response {
                    status: Some(status),
                    replayed: answer.replayed,
                    body,
                    error: (status != req.expect).then_some(ErrorReason::UnexpectedStatus(status)),
                },
                Err(reason) => Response {
                    status: Some(status),
                    replayed: answer.replayed,
                    body: Bytes::new(),
                    error: Some(reason),
                },
            }
        }
    }
}

/// Sends one request through goose (or, without goose's metrics, straight through the
/// user's pooled client).
async fn send(ctx: &LoadContext, user: &mut GooseUser, name: &str, req: Request<'_>) -> Response {
    let Some(url) = &req.endpoint.url else {
        return Response::failed(ErrorReason::Transport);
    };
    let (method, http_method) = match req.post {
        Some(_) => (GooseMethod::Post, reqwest::Method::POST),
        None => (GooseMethod::Get, reqwest::Method::GET),
    };
    // The URL was joined before the run: a clone, not goose's per-request parse and join.
    let builder = user.client.request(http_method, url.clone());
    let result = if ctx.goose_metrics {
        let request = GooseRequest::builder()
            .method(method)
            .path(req.endpoint.path.as_str())
            .name(name)
            .expect_status_code(req.expect)
            .set_request_builder(with_headers(ctx, builder, req.post))
            .build();
        match user.request(request).await {
            Ok(g) => g.response,
            Err(_) => return Response::failed(ErrorReason::Transport),
        }
    } else {
        // goose's per-request metrics are off: the user's pooled client sends directly.
        with_headers(ctx, builder, req.post).send().await
    };
    match result {
        Err(e) => Response::failed(if e.is_timeout() {
            ErrorReason::Timeout
        } else {
            ErrorReason::Transport
        }),
        Ok(response) => {
            let status = response.status().as_u16();
            let replayed = response
                .headers()
                .get(REPLAYED)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
            match response.bytes().await {
                Ok(body) => Response {
                    status: Some(status),
                    replayed,
                    body,
                    error: (status != req.expect).then_some(ErrorReason::UnexpectedStatus(status)),
                },
                Err(e) => Response {
                    status: Some(status),
                    replayed,
                    body: Bytes::new(),
                    error: Some(if e.is_timeout() {
                        ErrorReason::Timeout
                    } else {
                        ErrorReason::Transport
                    }),
                },
            }
        }
    }
}

fn with_headers(
    ctx: &LoadContext,
    builder: reqwest::RequestBuilder,
    post: Option<(&HeaderValue, &Bytes)>,
) -> reqwest::RequestBuilder {
    let builder = builder.header(ctx.auth.0.clone(), ctx.auth.1.clone());
    match post {
        Some((key, body)) => builder
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(IDEMPOTENCY_KEY, key.clone())
            .body(body.clone()),
        None => builder,
    }
}
