//! The goose transaction functions: one closure per scenario transaction, compiled once
//! from the scenario and the live catalog (paths and order bodies are built before the
//! run, not per request).
//!
//! Every transaction: wait for its send time (`pacing`), do its requests through goose
//! (so goose's own report sees them), check each status, check the body on a sample, then
//! send one numeric `Sample` to the recorder. **Invariant:** on the GET path there is no
//! formatting, no lock and no allocation of ours beyond goose's and reqwest's own; an
//! order creation builds its JSON body and key (it must) and asks the spend guard.

use crate::apis::gate::client::GateClientExt as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use goose::prelude::*;
use rand::Rng;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::apis::gate::load::catalog::{Catalog, Orderable};
use crate::apis::gate::load::scenario::{Action, ProductChoice, TransactionSpec};
use crate::apis::gate::load::validate::{BodyKind, BodyValidator};
use crate::apis::gate::wire::OrderStatus;
use crate::engine::client::ApiClient;
use crate::engine::load::pacing::{Schedule, UserPacer};
use crate::engine::load::recorder::{ErrorReason, Sample, SampleSender, StatusClass};
use crate::engine::spend::SpendGuard;

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: &str = "idempotent-replayed";

/// What every transaction shares. Built once before the run.
pub struct LoadContext {
    pub samples: SampleSender,
    pub schedule: Schedule,
    /// Sample times count from here.
    pub origin: Instant,
    pub api_key: HeaderValue,
    pub orders: Endpoint,
    /// `/agent/{id}/orders/` — an order id is appended.
    pub order_prefix: String,
    pub vouchers: Vec<Orderable>,
    pub top_ups: Vec<Orderable>,
    pub spend: SpendGuard,
    /// Check every Nth body of a user (0: never).
    pub validate_every: u64,
    pub validator: BodyValidator,
    /// Requests go through goose (its metrics and report); else straight to the pool.
    pub goose_metrics: bool,
    pub base_url: reqwest::Url,
    pub next_user: AtomicU64,
    pub orders_switched_to_test: AtomicU64,
    cap_noted: AtomicBool,
}

impl LoadContext {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: &ApiClient,
        catalog: &Catalog,
        samples: SampleSender,
        schedule: Schedule,
        origin: Instant,
        spend: SpendGuard,
        validate_sample: f64,
        validator: BodyValidator,
        goose_metrics: bool,
    ) -> anyhow::Result<LoadContext> {
        let base_url = reqwest::Url::parse(&client.target().base_url)?;
        let api_key = HeaderValue::from_str(client.target().api_key.expose())
            .map_err(|_| anyhow::anyhow!("the API key is not a valid header value"))?;
        let validate_every = if validate_sample <= 0.0 {
            0
        } else {
            (1.0 / validate_sample.min(1.0)).round().max(1.0) as u64
        };
        let orders = Endpoint::new(Some(&base_url), client.agent_path("/orders"));
        Ok(LoadContext {
            samples,
            schedule,
            origin,
            api_key,
            orders,
            order_prefix: client.agent_path("/orders/"),
            vouchers: catalog.vouchers.clone(),
            top_ups: catalog.top_ups.clone(),
            spend,
            validate_every,
            validator,
            goose_metrics,
            base_url,
            next_user: AtomicU64::new(0),
            orders_switched_to_test: AtomicU64::new(0),
            cap_noted: AtomicBool::new(false),
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
}

impl Endpoint {
    pub fn new(base: Option<&reqwest::Url>, path: String) -> Endpoint {
        let url = base.and_then(|b| b.join(&path).ok());
        Endpoint { path, url }
    }
}

/// A transaction ready to run: its index (histogram), name and pre-built requests.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub index: u16,
    pub name: String,
    pub weight: u32,
    pub op: Op,
}

#[derive(Debug, Clone)]
pub enum Op {
    /// GET one of `paths` (chosen at random when there are several), expect 200.
    Get {
        paths: Vec<Endpoint>,
        body: BodyKind,
    },
    CreateOrder {
        choice: ProductChoice,
        quantity: u32,
        force_test: bool,
    },
    PollOrder {
        interval: Duration,
        timeout: Duration,
    },
    ReplayOrder,
}

/// Builds the requests of each transaction from the scenario and the catalog.
pub fn compile(
    specs: &[TransactionSpec],
    client: &ApiClient,
    catalog: &Catalog,
) -> Result<Vec<Compiled>, String> {
    let with_limit = |suffix: &str, limit: Option<u32>| {
        let mut p = client.agent_path(suffix);
        if let Some(l) = limit {
            p.push_str(&format!("?limit={l}"));
        }
        p
    };
    let base = reqwest::Url::parse(&client.target().base_url).ok();
    let mut out = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let get = |mut paths: Vec<String>, body| {
            if paths.is_empty() {
                paths.push("/".to_string());
            }
            Op::Get {
                paths: paths
                    .into_iter()
                    .map(|p| Endpoint::new(base.as_ref(), p))
                    .collect(),
                body,
            }
        };
        let op = match &spec.action {
            Action::ListProductTypes { limit } => get(
                vec![with_limit("/product-types", *limit)],
                BodyKind::ProductTypeList,
            ),
            Action::ListCategories { limit } => get(
                vec![with_limit("/product-categories", *limit)],
                BodyKind::CategoryList,
            ),
            Action::ListOrders { limit } => {
                get(vec![with_limit("/orders", *limit)], BodyKind::OrderList)
            }
            Action::ListDeposits { limit } => {
                get(vec![with_limit("/deposits", *limit)], BodyKind::DepositList)
            }
            Action::GetBalance => get(vec![client.agent_path("/balance")], BodyKind::BalanceList),
            Action::GetProduct => get(
                catalog
                    .product_ids
                    .iter()
                    .map(|id| client.agent_path(&format!("/products/{id}")))
                    .collect(),
                BodyKind::Product,
            ),
            Action::ListProducts { filters, limit } => {
                let mut query: Vec<String> = Vec::new();
                if let Some(l) = limit {
                    query.push(format!("limit={l}"));
                }
                if let Some(t) = &filters.product_type {
                    query.push(format!("type={}", encode(t)));
                }
                if let Some(r) = &filters.region_code {
                    query.push(format!("region_code={}", encode(r)));
                }
                if let Some(a) = filters.is_available {
                    query.push(format!("is_available={a}"));
                }
                let base = client.agent_path("/products");
                let with = |extra: Option<String>| {
                    let mut q = query.clone();
                    q.extend(extra);
                    if q.is_empty() {
                        base.clone()
                    } else {
                        format!("{base}?{}", q.join("&"))
                    }
                };
                let paths = if filters.any_category {
                    if catalog.category_ids.is_empty() {
                        return Err(format!(
                            "transaction `{}`: category = \"any\" but the catalog has no categories",
                            spec.name
                        ));
                    }
                    catalog
                        .category_ids
                        .iter()
                        .map(|c| with(Some(format!("category_id={c}"))))
                        .collect()
                } else {
                    vec![with(None)]
                };
                get(paths, BodyKind::ProductList)
            }
            Action::CreateOrder {
                product,
                quantity,
                force_test,
            } => {
                let available = match product {
                    ProductChoice::Voucher => !catalog.vouchers.is_empty(),
                    ProductChoice::TopUp => !catalog.top_ups.is_empty(),
                    ProductChoice::Any => {
                        !(catalog.vouchers.is_empty() && catalog.top_ups.is_empty())
                    }
                };
                if !available {
                    return Err(format!(
                        "transaction `{}`: the live catalog has no available product of that kind to order",
                        spec.name
                    ));
                }
                Op::CreateOrder {
                    choice: *product,
                    quantity: *quantity,
                    force_test: *force_test,
                }
            }
            Action::PollOrder { interval, timeout } => Op::PollOrder {
                interval: *interval,
                timeout: *timeout,
            },
            Action::ReplayOrder => Op::ReplayOrder,
        };
        out.push(Compiled {
            index: i as u16,
            name: spec.name.clone(),
            weight: spec.weight,
            op,
        });
    }
    Ok(out)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Per-user state (goose session data).
#[derive(Clone)]
pub struct UserState {
    pacer: UserPacer,
    responses: u64,
    last_order: Option<Arc<LastOrder>>,
}

/// The user's latest created order: for poll and replay.
struct LastOrder {
    id: String,
    endpoint: Endpoint,
    key: HeaderValue,
    body: Bytes,
    currency: String,
    /// The charge reserved against the spend cap (None for a test order).
    real_charge: Option<crate::apis::gate::money::Amount>,
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
pub fn on_start(ctx: Arc<LoadContext>) -> Transaction {
    Transaction::new(function(move |user| {
        let ctx = ctx.clone();
        Box::pin(async move {
            let index = ctx.next_user.fetch_add(1, Ordering::Relaxed);
            user.set_session_data(UserState {
                pacer: UserPacer::new(ctx.schedule, index, Instant::now()),
                responses: index,
                last_order: None,
            });
            Ok(())
        })
    }))
    .set_name("start")
    .set_on_start()
}

/// The goose transaction for one compiled transaction.
pub fn transaction(
    ctx: Arc<LoadContext>,
    compiled: Arc<Compiled>,
) -> Result<Transaction, GooseError> {
    let name = compiled.name.clone();
    let weight = compiled.weight as usize;
    Transaction::new(function(move |user| {
        let ctx = ctx.clone();
        let compiled = compiled.clone();
        Box::pin(async move {
            run(&ctx, &compiled, user).await;
            Ok(())
        })
    }))
    .set_name(&name)
    .set_weight(weight)
}

/// How one transaction ended.
struct Outcome {
    class: StatusClass,
    error: Option<ErrorReason>,
}

async fn run(ctx: &LoadContext, tx: &Compiled, user: &mut GooseUser) {
    // Poll and replay need an order of this user; without one they do nothing (and take
    // no slot of the schedule).
    let needs_order = matches!(tx.op, Op::PollOrder { .. } | Op::ReplayOrder);
    let last_order = user
        .get_session_data::<UserState>()
        .and_then(|s| s.last_order.clone());
    if needs_order && last_order.is_none() {
        return;
    }
    let send = match user.get_session_data_mut::<UserState>() {
        Some(state) => state.pacer.next_send().await,
        None => {
            let now = Instant::now();
            crate::engine::load::pacing::SendTime {
                intended: now,
                actual: now,
            }
        }
    };
    let validate = should_validate(ctx, user);
    let outcome = match &tx.op {
        Op::Get { paths, body } => match pick(paths) {
            Some(endpoint) => {
                let body = validate.then_some(*body);
                let (outcome, _) = get(ctx, user, &tx.name, endpoint, 200, body).await;
                outcome
            }
            None => Outcome {
                class: StatusClass::NoResponse,
                error: Some(ErrorReason::Transport),
            },
        },
        Op::CreateOrder {
            choice,
            quantity,
            force_test,
        } => {
            create_order(
                ctx,
                user,
                &tx.name,
                *choice,
                *quantity,
                *force_test,
                validate,
            )
            .await
        }
        Op::PollOrder { interval, timeout } => match &last_order {
            Some(order) => {
                poll_order(ctx, user, &tx.name, order, *interval, *timeout, validate).await
            }
            None => return,
        },
        Op::ReplayOrder => match &last_order {
            Some(order) => replay_order(ctx, user, &tx.name, order).await,
            None => return,
        },
    };
    let done = Instant::now();
    ctx.samples.record(Sample {
        transaction: tx.index,
        class: outcome.class,
        error: outcome.error,
        intended_us: send
            .intended
            .saturating_duration_since(ctx.origin)
            .as_micros() as u64,
        latency_us: done.saturating_duration_since(send.intended).as_micros() as u64,
        lag_us: send.lag().as_micros() as u64,
    });
}

fn should_validate(ctx: &LoadContext, user: &mut GooseUser) -> bool {
    if ctx.validate_every == 0 {
        return false;
    }
    match user.get_session_data_mut::<UserState>() {
        Some(s) => {
            s.responses = s.responses.wrapping_add(1);
            s.responses % ctx.validate_every == 0
        }
        None => false,
    }
}

fn pick(paths: &[Endpoint]) -> Option<&Endpoint> {
    match paths.len() {
        0 => None,
        1 => paths.first(),
        n => paths.get(rand::rng().random_range(0..n)),
    }
}

/// One response: its status class, headers we need, and body.
struct Response {
    status: Option<u16>,
    replayed: bool,
    body: Bytes,
    error: Option<ErrorReason>,
}

/// Sends one request through goose; never fails — transport trouble is an outcome.
async fn send(
    ctx: &LoadContext,
    user: &mut GooseUser,
    name: &str,
    method: GooseMethod,
    endpoint: &Endpoint,
    expect: u16,
    post: Option<(&HeaderValue, &Bytes)>,
) -> Response {
    let Some(url) = &endpoint.url else {
        return transport_failure(ErrorReason::Transport);
    };
    let http_method = match method {
        GooseMethod::Post => reqwest::Method::POST,
        _ => reqwest::Method::GET,
    };
    // The URL was joined before the run: a clone, not goose's per-request parse and join.
    let builder = user.client.request(http_method, url.clone());
    let result = if ctx.goose_metrics {
        let request = GooseRequest::builder()
            .method(method)
            .path(endpoint.path.as_str())
            .name(name)
            .expect_status_code(expect)
            .set_request_builder(with_headers(ctx, builder, post))
            .build();
        match user.request(request).await {
            Ok(g) => g.response,
            Err(_) => return transport_failure(ErrorReason::Transport),
        }
    } else {
        // goose's per-request metrics are off: the user's pooled client sends directly.
        with_headers(ctx, builder, post).send().await
    };
    match result {
        Err(e) => transport_failure(if e.is_timeout() {
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
                    error: (status != expect).then_some(ErrorReason::UnexpectedStatus(status)),
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
    let builder = builder.header(AUTHORIZATION, ctx.api_key.clone());
    match post {
        Some((key, body)) => builder
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(IDEMPOTENCY_KEY, key.clone())
            .body(body.clone()),
        None => builder,
    }
}

fn transport_failure(reason: ErrorReason) -> Response {
    Response {
        status: None,
        replayed: false,
        body: Bytes::new(),
        error: Some(reason),
    }
}

fn class_of(r: &Response) -> StatusClass {
    r.status.map_or(StatusClass::NoResponse, StatusClass::of)
}

/// Applies the sampled body check; a failure becomes the outcome's error and a note.
fn checked(ctx: &LoadContext, r: &Response, body_kind: Option<BodyKind>) -> Outcome {
    let mut error = r.error;
    if error.is_none() {
        if let Some(kind) = body_kind {
            if let Err(problem) = ctx.validator.check(kind, &r.body) {
                ctx.samples.note(format!("schema: {problem}"));
                error = Some(ErrorReason::SchemaViolation);
            }
        }
    }
    Outcome {
        class: class_of(r),
        error,
    }
}

async fn get(
    ctx: &LoadContext,
    user: &mut GooseUser,
    name: &str,
    endpoint: &Endpoint,
    expect: u16,
    body_kind: Option<BodyKind>,
) -> (Outcome, Response) {
    let r = send(ctx, user, name, GooseMethod::Get, endpoint, expect, None).await;
    (checked(ctx, &r, body_kind), r)
}

#[derive(Deserialize)]
struct OrderRef {
    id: String,
    status: OrderStatus,
}

#[allow(clippy::too_many_arguments)]
async fn create_order(
    ctx: &LoadContext,
    user: &mut GooseUser,
    name: &str,
    choice: ProductChoice,
    quantity: u32,
    force_test: bool,
    validate: bool,
) -> Outcome {
    let Some(product) = choose(ctx, choice) else {
        return Outcome {
            class: StatusClass::NoResponse,
            error: Some(ErrorReason::Transport),
        };
    };
    let quantity = if product.is_voucher { quantity } else { 1 };
    let charge = product.charge(quantity);
    // A real order reserves the worst case (the price is the catalog's claim) until its
    // answer says what was charged; the other users' orders go as test orders meanwhile.
    let mut reservation = None;
    let real_charge = match charge {
        Some(c) if !force_test && ctx.spend.real_orders_allowed() => {
            match ctx.spend.reserve(&product.currency, c.into()) {
                Ok(r) => {
                    reservation = Some(r);
                    Some(c)
                }
                Err(cap) => {
                    ctx.orders_switched_to_test.fetch_add(1, Ordering::Relaxed);
                    if !ctx.cap_noted.swap(true, Ordering::Relaxed) {
                        ctx.samples
                            .note(format!("{cap}: later orders were created as test orders"));
                    }
                    None
                }
            }
        }
        _ => None,
    };
    let mut body = product.body.clone();
    if product.is_voucher {
        body.insert("quantity".into(), Value::from(quantity));
    }
    body.insert("test".into(), Value::Bool(real_charge.is_none()));
    let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    let key = HeaderValue::from_str(&format!("gatecheck-{}", uuid::Uuid::new_v4()))
        .unwrap_or_else(|_| HeaderValue::from_static("gatecheck-key"));
    let r = send(
        ctx,
        user,
        name,
        GooseMethod::Post,
        &ctx.orders,
        201,
        Some((&key, &body)),
    )
    .await;
    let outcome = checked(ctx, &r, validate.then_some(BodyKind::Order));
    if let Some(reservation) = reservation {
        let json = serde_json::from_slice::<Value>(&r.body).ok();
        crate::apis::gate::charge::settle(
            reservation,
            &crate::apis::gate::charge::CreateOutcome {
                status: r.status,
                body: json.as_ref(),
                balance_moved: None,
            },
        );
    }
    let created = match (r.status, serde_json::from_slice::<OrderRef>(&r.body)) {
        (Some(201), Ok(order)) => Some(order),
        _ => None,
    };
    // Not created: the settlement above released a refusal and kept an unknown.
    if let Some(order) = created {
        if let Some(state) = user.get_session_data_mut::<UserState>() {
            state.last_order = Some(Arc::new(LastOrder {
                endpoint: Endpoint::new(
                    Some(&ctx.base_url),
                    format!("{}{}", ctx.order_prefix, order.id),
                ),
                id: order.id,
                key,
                body,
                currency: product.currency.clone(),
                real_charge,
            }));
        }
    }
    outcome
}

fn choose(ctx: &LoadContext, choice: ProductChoice) -> Option<&Orderable> {
    let mut rng = rand::rng();
    let from = |list: &'_ [Orderable], rng: &mut rand::rngs::ThreadRng| -> Option<usize> {
        (!list.is_empty()).then(|| rng.random_range(0..list.len()))
    };
    match choice {
        ProductChoice::Voucher => from(&ctx.vouchers, &mut rng).map(|i| &ctx.vouchers[i]),
        ProductChoice::TopUp => from(&ctx.top_ups, &mut rng).map(|i| &ctx.top_ups[i]),
        ProductChoice::Any => {
            let total = ctx.vouchers.len() + ctx.top_ups.len();
            if total == 0 {
                return None;
            }
            let i = rng.random_range(0..total);
            ctx.vouchers
                .get(i)
                .or_else(|| ctx.top_ups.get(i - ctx.vouchers.len()))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn poll_order(
    ctx: &LoadContext,
    user: &mut GooseUser,
    name: &str,
    order: &LastOrder,
    interval: Duration,
    timeout: Duration,
    validate: bool,
) -> Outcome {
    let deadline = Instant::now() + timeout;
    loop {
        let (outcome, r) = get(
            ctx,
            user,
            name,
            &order.endpoint,
            200,
            validate.then_some(BodyKind::Order),
        )
        .await;
        if outcome.error.is_some() {
            return outcome;
        }
        let status = serde_json::from_slice::<OrderRef>(&r.body).map(|o| o.status);
        match status {
            Ok(s) if s.is_terminal() => {
                if s == OrderStatus::Failed {
                    if let Some(c) = order.real_charge {
                        // The reservation was released (§5.3): the money was not spent.
                        ctx.spend.refund(&order.currency, c.into());
                    }
                }
                return outcome;
            }
            Ok(_) => {}
            Err(_) => {
                return Outcome {
                    class: outcome.class,
                    error: Some(ErrorReason::SchemaViolation),
                }
            }
        }
        if Instant::now() + interval > deadline {
            return Outcome {
                class: outcome.class,
                error: Some(ErrorReason::NotTerminal),
            };
        }
        tokio::time::sleep(interval).await;
    }
}

async fn replay_order(
    ctx: &LoadContext,
    user: &mut GooseUser,
    name: &str,
    order: &LastOrder,
) -> Outcome {
    let r = send(
        ctx,
        user,
        name,
        GooseMethod::Post,
        &ctx.orders,
        201,
        Some((&order.key, &order.body)),
    )
    .await;
    let mut outcome = checked(ctx, &r, None);
    if outcome.error.is_none() {
        let same = serde_json::from_slice::<OrderRef>(&r.body).is_ok_and(|o| o.id == order.id);
        if !(same && r.replayed) {
            ctx.samples.note(format!(
                "replay of order {} {}",
                order.id,
                if same {
                    "lacked `Idempotent-Replayed: true`"
                } else {
                    "returned another order"
                }
            ));
            outcome.error = Some(ErrorReason::ReplayMismatch);
        }
    }
    outcome
}
