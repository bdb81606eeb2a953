//! The Gate's load transactions: each scenario transaction compiled once from the scenario
//! and the live catalog (paths and order bodies are built before the run, not per
//! request), and what it does when the engine (`crate::engine::load::goose`) runs it.
//!
//! An order creation builds its JSON body and key (it must) and asks the spend guard.

use crate::apis::gate::client::GateClientExt as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::Rng;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::apis::gate::load::catalog::{Catalog, Orderable};
use crate::apis::gate::load::scenario::{Action, ProductChoice, TransactionSpec};
use crate::apis::gate::load::validate::{BodyKind, BodyValidator};
use crate::apis::gate::wire::OrderStatus;
use crate::engine::client::ApiClient;
use crate::engine::load::attack::Compiled;
use crate::engine::load::goose::{Endpoint, LoadUser, Outcome, Request, Response, Transaction};
use crate::engine::load::recorder::ErrorReason;
use crate::engine::spend::SpendGuard;

/// What every Gate transaction shares. Built once before the run.
pub struct GateLoad {
    pub orders: Endpoint,
    /// `/agent/{id}/orders/` — an order id is appended.
    pub order_prefix: String,
    pub vouchers: Vec<Orderable>,
    pub top_ups: Vec<Orderable>,
    pub spend: SpendGuard,
    pub validator: BodyValidator,
    pub orders_switched_to_test: AtomicU64,
    cap_noted: AtomicBool,
}

impl GateLoad {
    pub fn new(
        client: &ApiClient,
        catalog: &Catalog,
        spend: SpendGuard,
        validator: BodyValidator,
    ) -> GateLoad {
        let base_url = reqwest::Url::parse(&client.target().base_url).ok();
        GateLoad {
            orders: Endpoint::new(base_url.as_ref(), client.agent_path("/orders")),
            order_prefix: client.agent_path("/orders/"),
            vouchers: catalog.vouchers.clone(),
            top_ups: catalog.top_ups.clone(),
            spend,
            validator,
            orders_switched_to_test: AtomicU64::new(0),
            cap_noted: AtomicBool::new(false),
        }
    }
}

/// A Gate transaction ready to run.
pub struct GateTx {
    load: Arc<GateLoad>,
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
    load: &Arc<GateLoad>,
) -> Result<Vec<Compiled<GateTx>>, String> {
    let with_limit = |suffix: &str, limit: Option<u32>| {
        let mut p = client.agent_path(suffix);
        if let Some(l) = limit {
            p.push_str(&format!("?limit={l}"));
        }
        p
    };
    let base = reqwest::Url::parse(&client.target().base_url).ok();
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
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
            name: spec.name.clone(),
            weight: spec.weight,
            tx: Arc::new(GateTx {
                load: load.clone(),
                op,
            }),
        });
    }
    Ok(out)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Per-user state: the user's latest created order, for poll and replay.
#[derive(Clone, Default)]
pub struct GateUser {
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

impl Transaction for GateTx {
    type User = GateUser;

    /// Poll and replay need an order of this user; without one they do nothing (and take
    /// no slot of the schedule).
    fn ready(&self, user: &GateUser) -> bool {
        !matches!(self.op, Op::PollOrder { .. } | Op::ReplayOrder) || user.last_order.is_some()
    }

    async fn run(&self, user: &mut LoadUser<'_, GateUser>) -> Option<Outcome> {
        let ctx = &*self.load;
        let last_order = user.state().and_then(|s| s.last_order.clone());
        let validate = user.validate();
        Some(match &self.op {
            Op::Get { paths, body } => match pick(paths) {
                Some(endpoint) => {
                    let body = validate.then_some(*body);
                    let (outcome, _) = get(ctx, user, endpoint, body).await;
                    outcome
                }
                None => Outcome::not_sent(),
            },
            Op::CreateOrder {
                choice,
                quantity,
                force_test,
            } => create_order(ctx, user, *choice, *quantity, *force_test, validate).await,
            Op::PollOrder { interval, timeout } => match &last_order {
                Some(order) => poll_order(ctx, user, order, *interval, *timeout, validate).await,
                None => Outcome::not_sent(),
            },
            Op::ReplayOrder => match &last_order {
                Some(order) => replay_order(ctx, user, order).await,
                None => Outcome::not_sent(),
            },
        })
    }
}

fn pick(paths: &[Endpoint]) -> Option<&Endpoint> {
    match paths.len() {
        0 => None,
        1 => paths.first(),
        n => paths.get(rand::rng().random_range(0..n)),
    }
}

/// The sampled body check of `kind`, for [`LoadUser::checked`].
fn body_check(
    ctx: &GateLoad,
    kind: Option<BodyKind>,
) -> Option<impl FnOnce(&[u8]) -> Result<(), String> + '_> {
    kind.map(|kind| move |body: &[u8]| ctx.validator.check(kind, body))
}

async fn get(
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
    endpoint: &Endpoint,
    body_kind: Option<BodyKind>,
) -> (Outcome, Response) {
    let r = user
        .send(Request {
            endpoint,
            expect: 200,
            post: None,
        })
        .await;
    (user.checked(&r, body_check(ctx, body_kind)), r)
}

#[derive(Deserialize)]
struct OrderRef {
    id: String,
    status: OrderStatus,
}

#[allow(clippy::too_many_arguments)]
async fn create_order(
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
    choice: ProductChoice,
    quantity: u32,
    force_test: bool,
    validate: bool,
) -> Outcome {
    let Some(product) = choose(ctx, choice) else {
        return Outcome::not_sent();
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
                        user.note(format!("{cap}: later orders were created as test orders"));
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
    let r = user
        .send(Request {
            endpoint: &ctx.orders,
            expect: 201,
            post: Some((&key, &body)),
        })
        .await;
    let outcome = user.checked(&r, body_check(ctx, validate.then_some(BodyKind::Order)));
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
        let endpoint = user.endpoint(format!("{}{}", ctx.order_prefix, order.id));
        if let Some(state) = user.state_mut() {
            state.last_order = Some(Arc::new(LastOrder {
                endpoint,
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

fn choose(ctx: &GateLoad, choice: ProductChoice) -> Option<&Orderable> {
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
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
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
            &order.endpoint,
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
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
    order: &LastOrder,
) -> Outcome {
    let r = user
        .send(Request {
            endpoint: &ctx.orders,
            expect: 201,
            post: Some((&order.key, &order.body)),
        })
        .await;
    let mut outcome = user.checked(&r, body_check(ctx, None));
    if outcome.error.is_none() {
        let same = serde_json::from_slice::<OrderRef>(&r.body).is_ok_and(|o| o.id == order.id);
        if !(same && r.replayed) {
            user.note(format!(
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
