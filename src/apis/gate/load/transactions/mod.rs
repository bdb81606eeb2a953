//! The Gate's load transactions: each scenario transaction compiled once from the scenario
//! and the live catalog (paths and order bodies are built before the run, not per
//! request), and what it does when the engine (`crate::engine::load::goose`) runs it.
//!
//! One job a file: `compile` (the scenario and catalog to requests), `run` (the goose
//! glue: send, settle the spend, keep the user's order), `answers` (pure: building an
//! order body, reading and judging each answer).
//!
//! An order creation builds its JSON body and key (it must) and asks the spend guard.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderValue;

use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::load::catalog::{Catalog, Orderable};
use crate::apis::gate::load::scenario::ProductChoice;
use crate::apis::gate::load::validate::{BodyKind, BodyValidator};
use crate::apis::gate::money::Amount;
use crate::engine::client::ApiClient;
use crate::engine::load::goose::{Endpoint, LoadUser, Outcome, Transaction};
use crate::engine::load::txn::NoteOnce;
use crate::engine::spend::SpendGuard;

mod answers;
mod compile;
mod run;

pub use compile::{compile, CompileError};

/// What every Gate transaction shares. Built once before the run.
pub struct GateLoad {
    pub orders: Endpoint,
    /// `/agent/{id}/orders/` — an order id is appended.
    pub order_prefix: String,
    pub vouchers: Vec<Orderable>,
    pub top_ups: Vec<Orderable>,
    pub spend: SpendGuard,
    pub validator: BodyValidator,
    /// Orders sent as test orders because the spend cap was reached for good.
    pub orders_switched_to_test: AtomicU64,
    /// Orders sent as test orders while a real order in flight held the headroom.
    pub orders_sent_as_test_while_held: AtomicU64,
    cap_noted: NoteOnce,
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
            orders_sent_as_test_while_held: AtomicU64::new(0),
            cap_noted: NoteOnce::default(),
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
    /// The catalog's charge of a real order (None for a test order): a replay of it is a
    /// real order too, and is reserved like one before it is sent.
    real_charge: Option<Amount>,
    currency: String,
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
            Op::ReplayOrder => {
                return match &last_order {
                    Some(order) => run::replay_order(ctx, user, order).await,
                    None => Some(Outcome::not_sent()),
                }
            }
            Op::Get { paths, body } => match run::pick(paths) {
                Some(endpoint) => {
                    let body = validate.then_some(*body);
                    let (outcome, _) = run::get(ctx, user, endpoint, body).await;
                    outcome
                }
                None => Outcome::not_sent(),
            },
            Op::CreateOrder {
                choice,
                quantity,
                force_test,
            } => run::create_order(ctx, user, *choice, *quantity, *force_test, validate).await,
            Op::PollOrder { interval, timeout } => match &last_order {
                Some(order) => {
                    run::poll_order(ctx, user, order, *interval, *timeout, validate).await
                }
                None => Outcome::not_sent(),
            },
        })
    }
}
