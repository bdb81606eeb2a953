//! The stateful probe's executor: runs one generated case against the live API, keeps the
//! reference [`Ledger`] in step, and stops at the first disagreement.
//!
//! After every step the balances must equal the model's. Orders that end on their own
//! (the sandbox's completion delay) are handled without guessing: an order created to end
//! on its own is waited for right away, so each money movement is checked in isolation
//! and a wrong balance is blamed on the one event that explains it; any other transition
//! (a `sandbox-slow` order passing its 5 s) is found by re-reading the pending orders and
//! accepted only as a transition the contract allows.

use crate::apis::gate::client::GateClientExt as _;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::apis::gate::admin::{AdminCall, AdminClient};
use crate::apis::gate::invariants::balances::balance_rows;
use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::ledger::Ledger;
use crate::apis::gate::invariants::payload::{Lifecycle, OrderRequest, Priced};
use crate::apis::gate::invariants::strategy::{CaseSpec, Op};
use crate::apis::gate::invariants::{Env, ProbeError};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{Order, OrderStatus};
use crate::engine::client::pages::Pages;
use crate::engine::client::{ApiClient, Exchange, TransportError};

mod balances;
mod control;
mod create;
mod judge;
mod lifecycle;
#[cfg(test)]
mod tests;

/// What an exchange was for, in the reproduction script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Creating the isolated agent.
    Setup,
    /// The operation itself.
    Action,
    /// A read that checks the state.
    Observe,
    /// Waiting for an order to end.
    Poll,
}

/// One request of a case, in order.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// 0 for the setup, else the 1-based operation number.
    pub step: usize,
    pub role: Role,
    pub exchange: Exchange,
}

/// The result of one case.
#[derive(Debug)]
pub struct CaseOutcome {
    /// The first disagreement and the 1-based step that showed it.
    pub violation: Option<(usize, Violation)>,
    pub trace: Vec<Recorded>,
    pub exercised: BTreeMap<CheckId, u64>,
    pub requests: u64,
    /// The check a request answered `429` past the pacing budget left unjudged, and why.
    pub inconclusive: Option<(CheckId, String)>,
}

type Step = Result<(), Violation>;

/// Runs `case` on a fresh isolated agent (admin) or on the target's agent.
///
/// A request answered `429` past the pacing budget did not run: the model cannot follow
/// it, and nothing judged on it is evidence. The case stops there; a violation that step
/// produced is dropped and its check reported inconclusive, never failed.
pub async fn execute(env: &Env, case: &CaseSpec) -> Result<CaseOutcome, ProbeError> {
    let mut exec = match Exec::start(env, case).await {
        Ok(exec) => exec,
        // The set-up did not run: nothing was judged.
        Err(ProbeError::RateLimited(_)) => {
            return Ok(CaseOutcome {
                violation: None,
                inconclusive: None,
                trace: Vec::new(),
                exercised: BTreeMap::new(),
                requests: 0,
            })
        }
        Err(e) => return Err(e),
    };
    let mut violation = None;
    let mut inconclusive = None;
    // A 429 while reading the agent's starting state: the model may be wrong already.
    let mut cut = exec.limited.take().is_some();
    let ops = if cut { &[][..] } else { &case.ops[..] };
    for (i, op) in ops.iter().enumerate() {
        exec.step = i + 1;
        let result = exec.run_op(op).await;
        if let Some(reason) = exec.limited.take() {
            inconclusive = result.err().map(|v| (v.check, reason));
            cut = true;
            break;
        }
        if let Err(v) = result {
            violation = Some((i + 1, v));
            break;
        }
    }
    if violation.is_none() && !cut && exec.isolated {
        exec.step = case.ops.len() + 1;
        let result = exec.server_ledger_identity().await;
        match (exec.limited.take(), result) {
            (Some(reason), Err(v)) => inconclusive = Some((v.check, reason)),
            (None, Err(v)) => violation = Some((exec.step, v)),
            (_, Ok(())) => {}
        }
    }
    Ok(CaseOutcome {
        violation,
        inconclusive,
        trace: exec.trace,
        exercised: exec.exercised,
        requests: exec.requests,
    })
}

struct Exec<'a> {
    env: &'a Env,
    client: ApiClient,
    isolated: bool,
    ledger: Ledger,
    /// The last request sent with each key (replays and mismatches reuse it).
    sent: BTreeMap<String, OrderRequest>,
    trace: Vec<Recorded>,
    step: usize,
    nonce: String,
    fresh_keys: u32,
    exercised: BTreeMap<CheckId, u64>,
    requests: u64,
    /// What is left of the case's one settle timeout, shared by every wait on a state
    /// change: a target whose orders never leave `pending` costs one settle timeout per
    /// case, not one per order. Only time spent waiting counts (a busy machine that
    /// makes the case slow does not eat it).
    settle_budget: Option<std::time::Duration>,
    /// The first request of the current step answered `429` past the pacing budget.
    limited: Option<String>,
    /// What each real order on the user's own agent was charged (settled against the
    /// spend cap), by order id: a failure gives exactly that back.
    spent: BTreeMap<String, crate::engine::spend::Spent>,
    /// What failed orders spent, given back to the cap only once a balance read agrees
    /// with the model that released it: the cap rests on the money, not on the word
    /// `failed`.
    released: Vec<crate::engine::spend::Spent>,
}

/// Which check a wrong balance after an event is blamed on.
#[derive(Debug, Clone)]
struct Blame {
    check: CheckId,
    event: String,
}

impl<'a> Exec<'a> {
    async fn start(env: &'a Env, case: &CaseSpec) -> Result<Exec<'a>, ProbeError> {
        let nonce = format!("n{:08x}", rand::random::<u32>());
        let mut exec = Exec {
            env,
            client: env.client.clone(),
            isolated: false,
            ledger: Ledger::default(),
            sent: BTreeMap::new(),
            trace: Vec::new(),
            step: 0,
            nonce,
            fresh_keys: 0,
            exercised: BTreeMap::new(),
            requests: 0,
            settle_budget: None,
            limited: None,
            spent: BTreeMap::new(),
            released: Vec::new(),
        };
        if env.mode.admin {
            let deposits: Vec<(String, Amount)> = env
                .currencies
                .iter()
                .zip(&case.funding)
                .filter(|(_, c)| **c > 0)
                .map(|(cur, c)| (cur.clone(), Amount::from_minor(*c)))
                .collect();
            let (client, setup) = env.isolated_agent(&deposits).await?;
            exec.requests += 1;
            exec.trace.push(Recorded {
                step: 0,
                role: Role::Setup,
                exchange: setup,
            });
            exec.client = client;
            exec.isolated = true;
            exec.ledger = Ledger::with_deposits(&deposits);
        } else {
            exec.baseline().await?;
        }
        Ok(exec)
    }

    // ---- transport -------------------------------------------------------------------

    fn record(&mut self, role: Role, exchange: &Exchange) {
        if exchange.status == 429 && self.limited.is_none() {
            self.limited = Some(format!(
                "the target kept answering 429 (rate limited) past the retry budget ({})",
                exchange.label()
            ));
        }
        self.requests += 1;
        self.trace.push(Recorded {
            step: self.step,
            role,
            exchange: exchange.clone(),
        });
    }

    fn no_response(check: CheckId, what: &str, e: TransportError) -> Violation {
        Violation::new(
            check,
            format!("no response to {what}"),
            "an HTTP response",
            e.to_string(),
        )
    }

    fn exercise(&mut self, check: CheckId) {
        *self.exercised.entry(check).or_default() += 1;
    }

    /// Counts the checks a judge exercised.
    fn exercise_all(&mut self, checks: Vec<CheckId>) {
        for check in checks {
            self.exercise(check);
        }
    }

    async fn get(
        &mut self,
        role: Role,
        path: String,
        check: CheckId,
    ) -> Result<Exchange, Violation> {
        let ex = self
            .client
            .get(path.clone())
            .send()
            .await
            .map_err(|e| Self::no_response(check, &format!("GET {path}"), e))?;
        self.record(role, &ex);
        Ok(ex)
    }

    async fn admin(&mut self, call: &AdminCall, check: CheckId) -> Result<Exchange, Violation> {
        let ex = AdminClient::new(&self.client)
            .send(call)
            .await
            .map_err(|e| {
                Self::no_response(check, &format!("{} {}", call.method(), call.path()), e)
            })?;
        self.record(Role::Action, &ex);
        Ok(ex)
    }

    // ---- setup -----------------------------------------------------------------------

    /// Without the admin API: the model starts from the agent's balances and its
    /// pending orders as they are now (read pending, balance, pending until stable).
    async fn baseline(&mut self) -> Result<(), ProbeError> {
        for _ in 0..5 {
            let before = self.pending_snapshot().await?;
            let ex = self
                .get(
                    Role::Observe,
                    self.client.agent_path("/balance"),
                    CheckId::LedgerIdentity,
                )
                .await
                .map_err(|v| ProbeError::Target(v.got))?;
            if ex.status == 429 {
                return Err(ProbeError::RateLimited(ex.label()));
            }
            let rows =
                balance_rows(&ex).map_err(|e| ProbeError::Target(format!("GET /balance: {e}")))?;
            let after = self.pending_snapshot().await?;
            if before.iter().map(|o| &o.id).eq(after.iter().map(|o| &o.id)) {
                let mut ledger = Ledger::default();
                for r in rows {
                    ledger.balances.insert(
                        r.currency.clone(),
                        crate::apis::gate::invariants::ledger::Balance {
                            available: r.available,
                            reserved: r.reserved,
                            listed: true,
                        },
                    );
                }
                for o in after {
                    ledger
                        .orders
                        .push(crate::apis::gate::invariants::ledger::ModelOrder {
                            id: o.id.clone(),
                            key: o.idempotency_key.clone(),
                            priced: Priced {
                                product_id: o.product_id,
                                currency: o.currency_code.clone(),
                                quantity: o.quantity,
                                charge: o.charged_amount,
                                is_test: o.is_test,
                                external_ref: o.external_ref.clone(),
                                rule: crate::apis::gate::invariants::catalog::PriceRule::Voucher {
                                    agent_price: o.charged_amount,
                                },
                                amount: None,
                            },
                            lifecycle: Lifecycle::AutoComplete,
                            status: OrderStatus::Pending,
                            balance_before: o.balance_before,
                            balance_after: o.balance_after,
                            created_at: Some(o.created_at.clone()),
                            terminal_at: None,
                            foreign: true,
                        });
                }
                self.ledger = ledger;
                return Ok(());
            }
        }
        Err(ProbeError::Target(
            "the agent's pending orders kept changing while reading its balance".into(),
        ))
    }

    async fn pending_snapshot(&mut self) -> Result<Vec<Order>, ProbeError> {
        let mut out = Vec::new();
        let mut pages = Pages::new(
            self.client.agent_path("/orders?status=pending"),
            Some(100),
            50,
        );
        while let Some(path) = pages.next_path() {
            let ex = self
                .get(Role::Observe, path, CheckId::LedgerIdentity)
                .await
                .map_err(|v| ProbeError::Target(v.got))?;
            for item in pages.accept_lenient(ex.json().as_ref()) {
                if let Ok(o) = serde_json::from_value::<Order>(item) {
                    out.push(o);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    // ---- operations ------------------------------------------------------------------

    async fn run_op(&mut self, op: &Op) -> Step {
        match op {
            Op::ReadBalance => {
                self.verify_balances(Blame {
                    check: CheckId::LedgerIdentity,
                    event: "reading the balance".into(),
                })
                .await
            }
            Op::ListOrders => self.list_orders().await,
            Op::ReadOrder(i) => match self.ledger.pick_order(i) {
                Some(idx) => self.read_order(idx).await,
                None => Ok(()),
            },
            Op::Deposit { currency, cents } => {
                let cur = self.env.currencies[currency.index(self.env.currencies.len())].clone();
                self.deposit(&cur, Amount::from_minor(*cents)).await
            }
            Op::Force { order, fail } => match self.ledger.pick_order(order) {
                Some(idx) => self.force(idx, *fail).await,
                None => Ok(()),
            },
            Op::Create {
                draft,
                key,
                lifecycle,
            } => {
                let tag = format!("{}-{}", self.nonce, self.step);
                let own =
                    draft.render(&self.env.catalog, *lifecycle, &tag, self.env.mode.test_only);
                self.create(own, key).await
            }
        }
    }
}

/// Kept for callers that want the poll pacing without an `Env`.
pub const DEFAULT_POLL: Duration = Duration::from_millis(20);
