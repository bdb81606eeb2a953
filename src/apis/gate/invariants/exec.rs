//! The stateful probe's executor: runs one generated case against the live API, keeps the
//! reference [`Ledger`] in step, and stops at the first disagreement.
//!
//! After every step the balances must equal the model's. Orders that end on their own
//! (the sandbox's completion delay) are handled without guessing: an order created to end
//! on its own is waited for right away, so each money movement is checked in isolation
//! and a wrong balance is blamed on the one event that explains it; any other transition
//! (a `sandbox-slow` order passing its 5 s) is found by re-reading the pending orders and
//! accepted only as a transition the contract allows.

use crate::apis::gate::client::{GateClientExt as _, GateTarget as _};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::apis::gate::invariants::balances::{balance_rows, BalanceRow};
use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::ledger::{Expect, Ledger};
use crate::apis::gate::invariants::payload::{
    render_body, tweak, Lifecycle, OrderRequest, Priced, Validity,
};
use crate::apis::gate::invariants::strategy::{CaseSpec, KeyUse, Op};
use crate::apis::gate::invariants::{Env, ProbeError};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{AgentDeposit, Order, OrderStatus};
use crate::engine::client::{ApiClient, Auth, Exchange, TransportError};

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
}

type Step = Result<(), Violation>;

/// Runs `case` on a fresh isolated agent (admin) or on the target's agent.
pub async fn execute(env: &Env, case: &CaseSpec) -> Result<CaseOutcome, ProbeError> {
    let mut exec = Exec::start(env, case).await?;
    let mut violation = None;
    for (i, op) in case.ops.iter().enumerate() {
        exec.step = i + 1;
        if let Err(v) = exec.run_op(op).await {
            violation = Some((i + 1, v));
            break;
        }
    }
    if violation.is_none() && exec.isolated {
        exec.step = case.ops.len() + 1;
        if let Err(v) = exec.server_ledger_identity().await {
            violation = Some((exec.step, v));
        }
    }
    Ok(CaseOutcome {
        violation,
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

    async fn admin_post(
        &mut self,
        path: String,
        body: Option<Value>,
        check: CheckId,
    ) -> Result<Exchange, Violation> {
        let mut rb = self.client.post(path.clone()).auth(Auth::Admin);
        if let Some(b) = &body {
            rb = rb.json(b);
        }
        let ex = rb
            .send()
            .await
            .map_err(|e| Self::no_response(check, &format!("POST {path}"), e))?;
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
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let mut path = self.client.agent_path("/orders?status=pending&limit=100");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", url_component(c)));
            }
            let ex = self
                .get(Role::Observe, path, CheckId::LedgerIdentity)
                .await
                .map_err(|v| ProbeError::Target(v.got))?;
            let json = ex.json().unwrap_or(Value::Null);
            for item in json
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Ok(o) = serde_json::from_value::<Order>(item.clone()) {
                    out.push(o);
                }
            }
            cursor = json
                .get("next_cursor")
                .and_then(Value::as_str)
                .map(str::to_string);
            if cursor.is_none() {
                break;
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

    fn fresh_key(&mut self) -> String {
        self.fresh_keys += 1;
        format!("gc-{}-{}", self.nonce, self.fresh_keys)
    }

    async fn create(&mut self, own: OrderRequest, key_use: &KeyUse) -> Step {
        let mut style = 0u8;
        let (key, mut request) = match key_use {
            KeyUse::None => (None, own),
            KeyUse::Fresh => (Some(self.fresh_key()), own),
            KeyUse::Malformed => (Some("k".repeat(256)), own),
            KeyUse::Reuse(i) => match self.ledger.pick_key(i).map(str::to_string) {
                Some(k) => (Some(k), own),
                None => (Some(self.fresh_key()), own),
            },
            KeyUse::Replay { key, style: s } => match self.ledger.pick_key(key).map(str::to_string)
            {
                Some(k) => {
                    style = *s;
                    let last = self.sent.get(&k).cloned().unwrap_or(own);
                    (Some(k), last)
                }
                None => (Some(self.fresh_key()), own),
            },
            KeyUse::Mismatch { key, variant } => {
                match self.ledger.pick_key(key).map(str::to_string) {
                    Some(k) => {
                        let mut last = self.sent.get(&k).cloned().unwrap_or(own);
                        last.body = tweak(&last.body, *variant);
                        (Some(k), last)
                    }
                    None => (Some(self.fresh_key()), own),
                }
            }
        };
        let malformed = matches!(key_use, KeyUse::Malformed);
        let mut expect = if malformed {
            Expect::Invalid {
                code: "invalid_request",
                param: Some("Idempotency-Key".into()),
            }
        } else {
            self.ledger
                .expect_create(&request.validity, &request.body, key.as_deref())
        };
        // Spend policy on the user's own agent: a real order that the cap refuses is sent
        // as a test order instead.
        let mut spent: Option<(String, Amount)> = None;
        if !self.isolated {
            if let Expect::Create { priced, .. } = &expect {
                if !priced.is_test {
                    if self
                        .env
                        .spend
                        .try_spend(&priced.currency, priced.charge.into())
                        .is_ok()
                    {
                        spent = Some((priced.currency.clone(), priced.charge));
                    } else {
                        make_test(&mut request);
                        expect = self.ledger.expect_create(
                            &request.validity,
                            &request.body,
                            key.as_deref(),
                        );
                    }
                }
            }
        }
        let text = render_body(&request.body, style);
        let mut rb = self
            .client
            .post(self.client.agent_path("/orders"))
            .header("Content-Type", "application/json");
        if let Some(k) = &key {
            rb = rb.header("Idempotency-Key", k.clone());
        }
        let primary = primary_check(&expect, &request);
        let sent = rb.raw_body(text).send().await;
        let ex = match sent {
            Ok(ex) => ex,
            Err(e) => {
                if let Some((c, a)) = &spent {
                    self.env.spend.refund(c, (*a).into());
                }
                return Err(Self::no_response(primary, "POST /orders", e));
            }
        };
        self.record(Role::Action, &ex);
        if !malformed {
            if let Some(k) = &key {
                self.sent.insert(k.clone(), request.clone());
            }
        }
        let key_failed_before = self.ledger.key_failed_before(key.as_deref());
        let judged = self.judge_create(&expect, &request, key.as_deref(), key_failed_before, &ex);
        let created = match judged {
            Ok(created) => created,
            Err(v) => {
                if let Some((c, a)) = &spent {
                    if ex.status != 201 {
                        self.env.spend.refund(c, (*a).into());
                    }
                }
                return Err(v.with_exchange(Some(ex.evidence())));
            }
        };
        if created.is_none() {
            if let Some((c, a)) = &spent {
                self.env.spend.refund(c, (*a).into());
            }
        }
        let blame = Blame {
            check: primary,
            event: format!("step {}: {}", self.step, describe_expect(&expect)),
        };
        self.verify_balances(blame).await?;
        if let Some(idx) = created {
            if matches!(
                request.lifecycle,
                Lifecycle::AutoComplete | Lifecycle::AutoFail
            ) {
                self.settle(idx).await?;
            }
        }
        Ok(())
    }

    /// Judges a create response against the expectation; returns the new order's index.
    fn judge_create(
        &mut self,
        expect: &Expect,
        request: &OrderRequest,
        key: Option<&str>,
        key_failed_before: bool,
        ex: &Exchange,
    ) -> Result<Option<usize>, Violation> {
        let code = ex.error_code();
        let param = ex.error_param().flatten();
        let got = || format!("{} {}", ex.status, ex.body_excerpt());
        match expect {
            Expect::Invalid {
                code: want,
                param: want_param,
            } => {
                self.exercise(CheckId::InvalidPayloadRejected);
                if ex.status == 400 && code.as_deref() == Some(*want) && param == *want_param {
                    self.ledger_refused(key, request);
                    Ok(None)
                } else {
                    Err(Violation::new(
                        CheckId::InvalidPayloadRejected,
                        format!(
                            "a near-valid invalid order ({}) was not refused as the contract says",
                            defect_of(request)
                        ),
                        format!("400 {want}, param {}", show_param(want_param)),
                        got(),
                    ))
                }
            }
            Expect::InvalidOrMismatch {
                code: want,
                param: want_param,
            } => {
                self.exercise(CheckId::InvalidPayloadRejected);
                let as_invalid =
                    ex.status == 400 && code.as_deref() == Some(*want) && param == *want_param;
                let as_mismatch =
                    ex.status == 422 && code.as_deref() == Some("idempotency_key_mismatch");
                if as_invalid || as_mismatch {
                    self.ledger_refused(key, request);
                    Ok(None)
                } else {
                    Err(Violation::new(
                        CheckId::InvalidPayloadRejected,
                        "an order for an unavailable product on a used key was not refused",
                        format!("400 {want} or 422 idempotency_key_mismatch"),
                        got(),
                    ))
                }
            }
            Expect::Mismatch { order } => {
                self.exercise(CheckId::MismatchRejected);
                if ex.status == 422 && code.as_deref() == Some("idempotency_key_mismatch") {
                    Ok(None)
                } else {
                    let original = &self.ledger.orders[*order].id;
                    Err(Violation::new(
                        CheckId::MismatchRejected,
                        format!("a key bound to order {original} was reused with a different payload and not refused"),
                        "422 idempotency_key_mismatch, nothing created",
                        got(),
                    ))
                }
            }
            Expect::Replay { order } => {
                self.exercise(CheckId::ReplayReturnsSameOrder);
                let model = self.ledger.orders[*order].clone();
                let body = ex.json().unwrap_or(Value::Null);
                let replayed = ex
                    .header("Idempotent-Replayed")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                let same = ex.status == 201
                    && body.get("id").and_then(Value::as_str) == Some(model.id.as_str())
                    && amount_field(&body, "charged_amount") == Some(model.priced.charge)
                    && amount_field(&body, "balance_before") == Some(model.balance_before)
                    && amount_field(&body, "balance_after") == Some(model.balance_after);
                if same && replayed {
                    Ok(None)
                } else {
                    let what = if !same {
                        "a different result"
                    } else {
                        "no Idempotent-Replayed: true header"
                    };
                    Err(Violation::new(
                        CheckId::ReplayReturnsSameOrder,
                        format!("a replay (same key, same payload) returned {what}"),
                        format!(
                            "201, id {}, charged_amount {}, balance_before {}, balance_after {}, Idempotent-Replayed: true",
                            model.id, model.priced.charge, model.balance_before, model.balance_after
                        ),
                        format!(
                            "{}, Idempotent-Replayed: {}, {}",
                            ex.status,
                            ex.header("Idempotent-Replayed").unwrap_or("(absent)"),
                            ex.body_excerpt()
                        ),
                    ))
                }
            }
            Expect::Insufficient { available, charge } => {
                self.exercise(CheckId::InsufficientBalanceRejected);
                if ex.status == 400 && code.as_deref() == Some("insufficient_balance") {
                    self.ledger_refused(key, request);
                    return Ok(None);
                }
                // Accepted: if it was priced below §5.1's charge, that is the bug.
                if let (201, Some(p)) = (ex.status, request.validity.priced()) {
                    let charged = ex.json().and_then(|j| amount_field(&j, "charged_amount"));
                    if let Some(c) = charged.filter(|c| *c != p.charge) {
                        let check = pricing_check(p);
                        self.exercise(check);
                        return Err(Violation::new(
                            check,
                            "the charge does not follow §5.1's formula (the order was accepted because it was under-priced)",
                            pricing_formula(p),
                            format!("charged_amount {c}"),
                        ));
                    }
                }
                let check = if key_failed_before && (ex.status == 422 || ex.status == 409) {
                    CheckId::ErrorDoesNotBindKey
                } else if ex.status == 400 && code.as_deref() != Some("insufficient_balance") {
                    CheckId::ValidPayloadAccepted
                } else {
                    CheckId::InsufficientBalanceRejected
                };
                Err(Violation::new(
                    check,
                    format!("an order charging {charge} against an available {available} was not refused for balance"),
                    "400 insufficient_balance, nothing created or moved",
                    got(),
                ))
            }
            Expect::Create {
                priced,
                balance_before,
                balance_after,
            } => self.judge_new_order(
                request,
                key,
                key_failed_before,
                priced,
                *balance_before,
                *balance_after,
                ex,
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn judge_new_order(
        &mut self,
        request: &OrderRequest,
        key: Option<&str>,
        key_failed_before: bool,
        priced: &Priced,
        want_before: Amount,
        want_after: Amount,
        ex: &Exchange,
    ) -> Result<Option<usize>, Violation> {
        let code = ex.error_code();
        let got = || format!("{} {}", ex.status, ex.body_excerpt());
        if key_failed_before {
            self.exercise(CheckId::ErrorDoesNotBindKey);
        }
        self.exercise(CheckId::ValidPayloadAccepted);
        let replayed = ex
            .header("Idempotent-Replayed")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if ex.status != 201 || replayed {
            let check = if key_failed_before {
                CheckId::ErrorDoesNotBindKey
            } else if priced.is_test && code.as_deref() == Some("insufficient_balance") {
                // §10: test orders are not checked against the balance.
                CheckId::TestOrdersMoveNoMoney
            } else if code.as_deref() == Some("insufficient_balance") {
                CheckId::InsufficientBalanceRejected
            } else {
                CheckId::ValidPayloadAccepted
            };
            let message = if key_failed_before {
                "a key whose earlier request failed did not create the order (a failed request bound its key)".to_string()
            } else {
                format!(
                    "a valid order (charge {} {}, available {}) was not created",
                    priced.charge, priced.currency, want_before
                )
            };
            return Err(Violation::new(
                check,
                message,
                "201 Created, a new pending order",
                got(),
            ));
        }
        let body = ex.json().unwrap_or(Value::Null);
        let order: Order = serde_json::from_value(body.clone()).map_err(|e| {
            Violation::new(
                CheckId::OrdersMatchModel,
                "the created order does not parse as an Order",
                "an Order object",
                format!("{e}: {}", ex.body_excerpt()),
            )
        })?;
        if self.ledger.order_by_id(&order.id).is_some() {
            let check = if key_failed_before {
                CheckId::ErrorDoesNotBindKey
            } else {
                CheckId::OrdersMatchModel
            };
            return Err(Violation::new(
                check,
                "a request that must create a new order returned an existing one",
                "a new order id",
                order.id,
            ));
        }
        // Pricing (§5.1), judged before any balance.
        let pricing_check = pricing_check(priced);
        self.exercise(pricing_check);
        if order.charged_amount != priced.charge {
            return Err(Violation::new(
                pricing_check,
                "the charge does not follow §5.1's formula",
                pricing_formula(priced),
                format!("charged_amount {}", order.charged_amount),
            ));
        }
        // Money in the response.
        let money_check = if priced.is_test {
            CheckId::TestOrdersMoveNoMoney
        } else {
            CheckId::ChargeReserved
        };
        self.exercise(money_check);
        if order.balance_before != want_before || order.balance_after != want_after {
            return Err(Violation::new(
                money_check,
                if priced.is_test {
                    "a test order reports moving money"
                } else {
                    "balance_before/balance_after do not show the reservation"
                },
                format!("balance_before {want_before}, balance_after {want_after}"),
                format!(
                    "balance_before {}, balance_after {}",
                    order.balance_before, order.balance_after
                ),
            ));
        }
        // The echo of the request (§5.3).
        self.exercise(CheckId::OrdersMatchModel);
        let echo = [
            (
                "product_id",
                json!(priced.product_id),
                json!(order.product_id),
            ),
            ("quantity", json!(priced.quantity), json!(order.quantity)),
            (
                "currency_code",
                json!(priced.currency),
                json!(order.currency_code),
            ),
            (
                "external_ref",
                json!(priced.external_ref),
                json!(order.external_ref),
            ),
            ("idempotency_key", json!(key), json!(order.idempotency_key)),
            ("is_test", json!(priced.is_test), json!(order.is_test)),
            ("status", json!("pending"), json!(order.status)),
        ];
        for (field, want, got_v) in echo {
            if want != got_v {
                return Err(Violation::new(
                    CheckId::OrdersMatchModel,
                    format!("the created order's `{field}` does not echo the request"),
                    format!("{field}: {want}"),
                    format!("{field}: {got_v}"),
                ));
            }
        }
        let idx = self
            .ledger
            .created(crate::apis::gate::invariants::ledger::NewOrder {
                id: order.id.clone(),
                key: key.map(str::to_string),
                body: request.body.clone(),
                priced: priced.clone(),
                lifecycle: request.lifecycle,
                balance_before: order.balance_before,
                balance_after: order.balance_after,
                created_at: Some(order.created_at.clone()),
            });
        Ok(Some(idx))
    }

    fn ledger_refused(&mut self, key: Option<&str>, request: &OrderRequest) {
        if key.is_some_and(|k| k.len() <= 255) {
            self.ledger.refused(key, &request.body);
        }
    }

    /// Waits for an order created to end on its own, then checks the money it moved.
    async fn settle(&mut self, idx: usize) -> Step {
        let deadline = Instant::now() + self.env.settle_timeout;
        let path = self
            .client
            .agent_path(&format!("/orders/{}", self.ledger.orders[idx].id));
        loop {
            tokio::time::sleep(self.env.poll_interval).await;
            let ex = self
                .get(Role::Poll, path.clone(), CheckId::TransitionsAllowed)
                .await?;
            let status = self.judge_order_read(idx, &ex)?;
            if status.is_terminal() {
                return self.observed_transition(idx, status, &ex).await;
            }
            if Instant::now() > deadline {
                tracing::warn!(order = %self.ledger.orders[idx].id, "order still pending after the settle timeout");
                return Ok(());
            }
        }
    }

    /// Reads one order, compares it with the model, follows a transition.
    async fn read_order(&mut self, idx: usize) -> Step {
        let path = self
            .client
            .agent_path(&format!("/orders/{}", self.ledger.orders[idx].id));
        let ex = self
            .get(Role::Action, path, CheckId::OrdersMatchModel)
            .await?;
        let status = self.judge_order_read(idx, &ex)?;
        if status != self.ledger.orders[idx].status {
            return self.observed_transition(idx, status, &ex).await;
        }
        self.verify_balances(Blame {
            check: CheckId::LedgerIdentity,
            event: format!("step {}: reading an order", self.step),
        })
        .await
    }

    /// Compares a GET of order `idx` with the model; returns the status it shows.
    fn judge_order_read(&mut self, idx: usize, ex: &Exchange) -> Result<OrderStatus, Violation> {
        if ex.status != 200 {
            return Err(Violation::new(
                CheckId::OrdersMatchModel,
                "an order the API created cannot be read back",
                "200 and the order",
                format!("{} {}", ex.status, ex.body_excerpt()),
            )
            .with_exchange(Some(ex.evidence())));
        }
        let json = ex.json().unwrap_or(Value::Null);
        self.judge_order_json(idx, &json)
            .map_err(|v| v.with_exchange(Some(ex.evidence())))
    }

    fn judge_order_json(&mut self, idx: usize, json: &Value) -> Result<OrderStatus, Violation> {
        let model = self.ledger.orders[idx].clone();
        let order: Order = serde_json::from_value(json.clone()).map_err(|e| {
            Violation::new(
                CheckId::OrdersMatchModel,
                "an order does not parse as an Order",
                "an Order object",
                e.to_string(),
            )
        })?;
        self.exercise(CheckId::OrdersMatchModel);
        let fields = [
            ("id", json!(model.id), json!(order.id)),
            (
                "product_id",
                json!(model.priced.product_id),
                json!(order.product_id),
            ),
            (
                "quantity",
                json!(model.priced.quantity),
                json!(order.quantity),
            ),
            (
                "external_ref",
                json!(model.priced.external_ref),
                json!(order.external_ref),
            ),
            (
                "idempotency_key",
                json!(model.key),
                json!(order.idempotency_key),
            ),
            (
                "currency_code",
                json!(model.priced.currency),
                json!(order.currency_code),
            ),
            (
                "charged_amount",
                json!(model.priced.charge),
                json!(order.charged_amount),
            ),
            (
                "balance_before",
                json!(model.balance_before),
                json!(order.balance_before),
            ),
            (
                "balance_after",
                json!(model.balance_after),
                json!(order.balance_after),
            ),
            ("is_test", json!(model.priced.is_test), json!(order.is_test)),
            (
                "created_at",
                json!(model.created_at),
                json!(Some(order.created_at.clone())),
            ),
        ];
        for (field, want, got) in fields {
            if want != got {
                return Err(Violation::new(
                    CheckId::OrdersMatchModel,
                    format!("order {} read back with a different `{field}`", model.id),
                    format!("{field}: {want}"),
                    format!("{field}: {got}"),
                ));
            }
        }
        self.exercise(CheckId::TransitionsAllowed);
        let stamp_ok = match order.status {
            OrderStatus::Pending => order.completed_at.is_none() && order.failed_at.is_none(),
            OrderStatus::Completed => order.completed_at.is_some() && order.failed_at.is_none(),
            OrderStatus::Failed => order.failed_at.is_some() && order.completed_at.is_none(),
        };
        if !stamp_ok {
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                "an order's timestamps do not match its status",
                "completed_at non-null iff completed, failed_at non-null iff failed",
                format!(
                    "status {:?}, completed_at {:?}, failed_at {:?}",
                    order.status, order.completed_at, order.failed_at
                ),
            ));
        }
        if model.status.is_terminal() {
            let at = terminal_stamp(&order);
            if order.status != model.status || at != model.terminal_at {
                return Err(Violation::new(
                    CheckId::TransitionsAllowed,
                    format!("terminal order {} changed", model.id),
                    format!(
                        "status {:?} at {:?}, forever",
                        model.status, model.terminal_at
                    ),
                    format!("status {:?} at {:?}", order.status, at),
                ));
            }
        }
        Ok(order.status)
    }

    /// A pending order was seen terminal: checks the transition is allowed, applies it
    /// to the model and checks the money it moved (§5.3).
    async fn observed_transition(
        &mut self,
        idx: usize,
        status: OrderStatus,
        ex: &Exchange,
    ) -> Step {
        self.accept_transition(idx, status, ex)?;
        let o = &self.ledger.orders[idx];
        let blame = transition_blame(o.priced.is_test, status, &o.id, self.step);
        self.verify_balances(blame).await
    }

    fn accept_transition(&mut self, idx: usize, status: OrderStatus, ex: &Exchange) -> Step {
        let o = self.ledger.orders[idx].clone();
        let expected_end = match (self.env.mode.admin, o.lifecycle) {
            (true, Lifecycle::AutoFail) => Some(OrderStatus::Failed),
            (true, Lifecycle::AutoComplete | Lifecycle::Held) => Some(OrderStatus::Completed),
            _ => None,
        };
        if let Some(want) = expected_end {
            if status != want {
                return Err(Violation::new(
                    CheckId::TransitionsAllowed,
                    format!(
                        "order {} (external_ref {:?}) ended {:?} on its own (§9.1)",
                        o.id, o.priced.external_ref, status
                    ),
                    format!("{want:?}"),
                    format!("{status:?}"),
                )
                .with_exchange(Some(ex.evidence())));
            }
        }
        let at = ex
            .json()
            .and_then(|j| serde_json::from_value::<Order>(j).ok())
            .and_then(|o| terminal_stamp(&o));
        let was_pending = !o.status.is_terminal();
        if !self.ledger.transition(idx, status, at) {
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                format!("order {} moved {:?} → {:?}", o.id, o.status, status),
                "pending → completed | failed only",
                format!("{status:?}"),
            )
            .with_exchange(Some(ex.evidence())));
        }
        // A failed real order on the user's own agent gives its spend back.
        if was_pending
            && status == OrderStatus::Failed
            && !self.isolated
            && !o.foreign
            && !o.priced.is_test
        {
            self.env
                .spend
                .refund(&o.priced.currency, o.priced.charge.into());
        }
        Ok(())
    }

    async fn force(&mut self, idx: usize, fail: bool) -> Step {
        let id = self.ledger.orders[idx].id.clone();
        let verb = if fail { "fail" } else { "complete" };
        let ex = self
            .admin_post(
                format!("/_sandbox/orders/{id}/{verb}"),
                None,
                CheckId::TransitionsAllowed,
            )
            .await?;
        self.exercise(CheckId::TransitionsAllowed);
        let target = if fail {
            OrderStatus::Failed
        } else {
            OrderStatus::Completed
        };
        if self.ledger.orders[idx].status.is_terminal() {
            if ex.status == 409 && ex.error_code().as_deref() == Some("conflict") {
                return self
                    .verify_after(format!(
                        "step {}: forcing a terminal order (refused)",
                        self.step
                    ))
                    .await;
            }
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                format!("forcing terminal order {id} to {verb} was not refused (§9.2)"),
                "409 conflict, nothing changes",
                format!("{} {}", ex.status, ex.body_excerpt()),
            )
            .with_exchange(Some(ex.evidence())));
        }
        if ex.status == 409 {
            // It may have ended on its own meanwhile (sandbox-slow after 5 s): read it.
            let path = self.client.agent_path(&format!("/orders/{id}"));
            let read = self
                .get(Role::Observe, path, CheckId::TransitionsAllowed)
                .await?;
            let status = self.judge_order_read(idx, &read)?;
            if status.is_terminal() {
                return self.observed_transition(idx, status, &read).await;
            }
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                format!("forcing pending order {id} to {verb} was refused"),
                "200 and the order, now terminal",
                format!("{} {}", ex.status, ex.body_excerpt()),
            )
            .with_exchange(Some(ex.evidence())));
        }
        if ex.status != 200 {
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                format!("forcing pending order {id} to {verb} failed"),
                "200 and the order",
                format!("{} {}", ex.status, ex.body_excerpt()),
            )
            .with_exchange(Some(ex.evidence())));
        }
        let json = ex.json().unwrap_or(Value::Null);
        let status = self
            .judge_order_json(idx, &json)
            .map_err(|v| v.with_exchange(Some(ex.evidence())))?;
        if status != target {
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                format!("forcing order {id} to {verb} answered another status"),
                format!("{target:?}"),
                format!("{status:?}"),
            )
            .with_exchange(Some(ex.evidence())));
        }
        let at = serde_json::from_value::<Order>(json)
            .ok()
            .and_then(|o| terminal_stamp(&o));
        if !self.ledger.transition(idx, status, at) {
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                "an impossible transition was accepted",
                "pending → terminal",
                format!("{status:?}"),
            ));
        }
        let o = &self.ledger.orders[idx];
        let blame = transition_blame(o.priced.is_test, status, &o.id, self.step);
        self.verify_balances(blame).await
    }

    async fn verify_after(&mut self, event: String) -> Step {
        self.verify_balances(Blame {
            check: CheckId::LedgerIdentity,
            event,
        })
        .await
    }

    async fn deposit(&mut self, currency: &str, amount: Amount) -> Step {
        let agent = self.client.target().agent_id().to_string();
        let ex = self
            .admin_post(
                format!("/_sandbox/agents/{agent}/deposits"),
                Some(json!({"currency_code": currency, "amount": amount.to_string()})),
                CheckId::LedgerIdentity,
            )
            .await?;
        if ex.status != 201 {
            return Err(Violation::new(
                CheckId::LedgerIdentity,
                "the sandbox refused a completed deposit (§9.2)",
                "201 and the deposit",
                format!("{} {}", ex.status, ex.body_excerpt()),
            )
            .with_exchange(Some(ex.evidence())));
        }
        self.ledger.deposit(currency, amount);
        self.verify_after(format!(
            "step {}: a deposit of {amount} {currency}",
            self.step
        ))
        .await
    }

    async fn list_orders(&mut self) -> Step {
        let ex = self
            .get(
                Role::Action,
                self.client.agent_path("/orders?limit=100"),
                CheckId::OrdersMatchModel,
            )
            .await?;
        let json = ex.json().unwrap_or(Value::Null);
        let items: Vec<Value> = json
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        self.exercise(CheckId::OrdersMatchModel);
        let ours: Vec<usize> = (0..self.ledger.orders.len())
            .filter(|i| !self.ledger.orders[*i].foreign)
            .collect();
        let mut moved = Vec::new();
        for idx in ours.iter().copied() {
            let id = self.ledger.orders[idx].id.clone();
            let hits: Vec<&Value> = items
                .iter()
                .filter(|i| i.get("id").and_then(Value::as_str) == Some(id.as_str()))
                .collect();
            if hits.len() != 1 && ours.len() <= 100 {
                return Err(Violation::new(
                    CheckId::OrdersMatchModel,
                    format!("order {id} appears {} times in the list", hits.len()),
                    "exactly once",
                    format!("{} times", hits.len()),
                )
                .with_exchange(Some(ex.evidence())));
            }
            if let Some(hit) = hits.first() {
                let status = self
                    .judge_order_json(idx, hit)
                    .map_err(|v| v.with_exchange(Some(ex.evidence())))?;
                if status != self.ledger.orders[idx].status {
                    moved.push((idx, status));
                }
            }
        }
        if self.isolated {
            let known = items
                .iter()
                .filter_map(|i| i.get("id").and_then(Value::as_str))
                .filter(|id| self.ledger.order_by_id(id).is_none())
                .collect::<Vec<_>>();
            if let Some(unknown) = known.first() {
                return Err(Violation::new(
                    CheckId::OrdersMatchModel,
                    "the agent has an order no successful create returned",
                    format!("only the {} orders created", ours.len()),
                    format!("also order {unknown}"),
                )
                .with_exchange(Some(ex.evidence())));
            }
        }
        for (idx, status) in moved {
            self.accept_transition(idx, status, &ex)?;
        }
        self.verify_after(format!("step {}: listing orders", self.step))
            .await
    }

    // ---- balances --------------------------------------------------------------------

    /// The balances must equal the model's; an order that ended on its own meanwhile is
    /// found, checked and applied first (bounded re-reads).
    async fn verify_balances(&mut self, blame: Blame) -> Step {
        let mut last: Option<(Exchange, Vec<String>)> = None;
        for _ in 0..4 {
            let ex = self
                .get(
                    Role::Observe,
                    self.client.agent_path("/balance"),
                    blame.check,
                )
                .await?;
            let rows = match balance_rows(&ex) {
                Ok(r) => r,
                Err(e) => {
                    return Err(Violation::new(
                        blame.check,
                        format!("the balance cannot be read after {}", blame.event),
                        "a balance list of DecimalAmounts",
                        e,
                    )
                    .with_exchange(Some(ex.evidence())))
                }
            };
            let diffs = self.balance_diffs(&rows);
            if diffs.is_empty() {
                self.exercise(blame.check);
                return Ok(());
            }
            last = Some((ex, diffs));
            if !self.resync().await? {
                break;
            }
        }
        let (ex, diffs) = last.expect("a mismatch was recorded");
        let (expected, got): (Vec<_>, Vec<_>) = diffs
            .iter()
            .map(|d| {
                let (e, g) = d.split_once(" | ").unwrap_or((d.as_str(), ""));
                (e.to_string(), g.to_string())
            })
            .unzip();
        Err(Violation::new(
            blame.check,
            format!(
                "the balance disagrees with the ledger after {}",
                blame.event
            ),
            expected.join("; "),
            got.join("; "),
        )
        .with_exchange(Some(ex.evidence())))
    }

    fn balance_diffs(&self, rows: &[BalanceRow]) -> Vec<String> {
        let mut diffs = Vec::new();
        let mut currencies: Vec<String> = self.ledger.balances.keys().cloned().collect();
        for r in rows {
            if !currencies.contains(&r.currency) {
                currencies.push(r.currency.clone());
            }
        }
        for c in currencies {
            let model = self.ledger.balance(&c);
            let row = rows.iter().find(|r| r.currency == c);
            let (available, reserved) =
                row.map_or((Amount::ZERO, Amount::ZERO), |r| (r.available, r.reserved));
            let listed_ok = row.is_some() || !model.listed;
            if model.available != available || model.reserved != reserved || !listed_ok {
                diffs.push(format!(
                    "{c} available {} reserved {} | {c} available {} reserved {}{}",
                    model.available,
                    model.reserved,
                    row.map_or("(no row)".to_string(), |r| r.available_text.clone()),
                    row.map_or("(no row)".to_string(), |r| r.reserved_text.clone()),
                    ""
                ));
            }
        }
        diffs
    }

    /// Re-reads every order the model holds pending; applies allowed transitions.
    /// `true` when something had moved.
    async fn resync(&mut self) -> Result<bool, Violation> {
        let pending: Vec<usize> = self.ledger.pending_orders().map(|(i, _)| i).collect();
        let mut moved = false;
        for idx in pending {
            let path = self
                .client
                .agent_path(&format!("/orders/{}", self.ledger.orders[idx].id));
            let ex = self
                .get(Role::Observe, path, CheckId::TransitionsAllowed)
                .await?;
            let status = if self.ledger.orders[idx].foreign {
                ex.json()
                    .and_then(|j| serde_json::from_value::<Order>(j).ok())
                    .map_or(OrderStatus::Pending, |o| o.status)
            } else {
                self.judge_order_read(idx, &ex)?
            };
            if status.is_terminal() {
                self.accept_transition(idx, status, &ex)?;
                moved = true;
            }
        }
        Ok(moved)
    }

    /// §7 from the server's own records (isolated agents only, whose only money
    /// movements are deposits and orders): deposits, orders and balances must agree.
    async fn server_ledger_identity(&mut self) -> Step {
        for _ in 0..4 {
            let orders_before = self.all_orders().await?;
            let deposits = self.all_deposits().await?;
            let bal = self
                .get(
                    Role::Observe,
                    self.client.agent_path("/balance"),
                    CheckId::LedgerIdentity,
                )
                .await?;
            let orders_after = self.all_orders().await?;
            let stable = orders_before.len() == orders_after.len()
                && orders_before
                    .iter()
                    .zip(&orders_after)
                    .all(|(a, b)| a.id == b.id && a.status == b.status);
            if !stable {
                continue;
            }
            self.exercise(CheckId::LedgerIdentity);
            let rows = balance_rows(&bal).map_err(|e| {
                Violation::new(
                    CheckId::LedgerIdentity,
                    "the balance cannot be read",
                    "a balance list",
                    e,
                )
                .with_exchange(Some(bal.evidence()))
            })?;
            let mut currencies: Vec<String> = rows.iter().map(|r| r.currency.clone()).collect();
            for d in &deposits {
                if !currencies.contains(&d.currency_code) {
                    currencies.push(d.currency_code.clone());
                }
            }
            for c in currencies {
                let deposited: Amount = deposits
                    .iter()
                    .filter(|d| {
                        d.currency_code == c
                            && d.status == crate::apis::gate::wire::DepositStatus::Completed
                    })
                    .map(|d| d.amount)
                    .sum();
                let real = |s: OrderStatus| -> Amount {
                    orders_after
                        .iter()
                        .filter(|o| o.currency_code == c && !o.is_test && o.status == s)
                        .map(|o| o.charged_amount)
                        .sum()
                };
                let (completed, pending) =
                    (real(OrderStatus::Completed), real(OrderStatus::Pending));
                let (available, reserved) = rows
                    .iter()
                    .find(|r| r.currency == c)
                    .map_or((Amount::ZERO, Amount::ZERO), |r| (r.available, r.reserved));
                let total_ok = available.checked_add(reserved) == deposited.checked_sub(completed);
                if !total_ok || reserved != pending {
                    return Err(Violation::new(
                        CheckId::LedgerIdentity,
                        format!("{c}: the agent's balance does not follow from its own deposits and orders"),
                        format!(
                            "available + reserved = {deposited} − {completed} = {}; reserved = {pending}",
                            deposited.checked_sub(completed).unwrap_or(Amount::ZERO)
                        ),
                        format!("available {available} + reserved {reserved}"),
                    )
                    .with_exchange(Some(bal.evidence())));
                }
            }
            return Ok(());
        }
        Ok(())
    }

    async fn all_orders(&mut self) -> Result<Vec<Order>, Violation> {
        let items = self.walk("/orders?limit=100").await?;
        let mut out: Vec<Order> = items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn all_deposits(&mut self) -> Result<Vec<AgentDeposit>, Violation> {
        let items = self.walk("/deposits?limit=100").await?;
        Ok(items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect())
    }

    async fn walk(&mut self, first: &str) -> Result<Vec<Value>, Violation> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let mut path = self.client.agent_path(first);
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", url_component(c)));
            }
            let ex = self
                .get(Role::Observe, path, CheckId::LedgerIdentity)
                .await?;
            let json = ex.json().unwrap_or(Value::Null);
            out.extend(
                json.get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            cursor = json
                .get("next_cursor")
                .and_then(Value::as_str)
                .map(str::to_string);
            if cursor.is_none() {
                break;
            }
        }
        Ok(out)
    }
}

fn amount_field(body: &Value, field: &str) -> Option<Amount> {
    body.get(field)
        .and_then(Value::as_str)
        .and_then(|s| Amount::parse_decimal_amount(s).ok())
}

fn pricing_check(p: &Priced) -> CheckId {
    match p.rule {
        crate::apis::gate::invariants::catalog::PriceRule::Voucher { .. } => {
            CheckId::PricingVoucherTimesQuantity
        }
        crate::apis::gate::invariants::catalog::PriceRule::TopUp { .. } => CheckId::PricingHalfUp,
    }
}

fn pricing_formula(p: &Priced) -> String {
    match (&p.rule, p.amount) {
        (crate::apis::gate::invariants::catalog::PriceRule::Voucher { agent_price }, _) => {
            format!(
                "agent_price {agent_price} × quantity {} = {}",
                p.quantity, p.charge
            )
        }
        (crate::apis::gate::invariants::catalog::PriceRule::TopUp { rate, .. }, Some(a)) => {
            format!("round_half_up({a} × {rate}, 2) = {}", p.charge)
        }
        _ => p.charge.to_string(),
    }
}

fn terminal_stamp(o: &Order) -> Option<String> {
    o.completed_at.clone().or_else(|| o.failed_at.clone())
}

fn transition_blame(is_test: bool, status: OrderStatus, id: &str, step: usize) -> Blame {
    let check = if is_test {
        CheckId::TestOrdersMoveNoMoney
    } else if status == OrderStatus::Failed {
        CheckId::FailedReleasesReservation
    } else {
        CheckId::LedgerIdentity
    };
    Blame {
        check,
        event: format!("step {step}: order {id} became {status:?}"),
    }
}

/// The check a wrong outcome of this create is blamed on.
fn primary_check(expect: &Expect, request: &OrderRequest) -> CheckId {
    match expect {
        Expect::Invalid { .. } | Expect::InvalidOrMismatch { .. } => {
            CheckId::InvalidPayloadRejected
        }
        Expect::Mismatch { .. } => CheckId::MismatchRejected,
        Expect::Replay { .. } => CheckId::ReplayMovesNoMoney,
        Expect::Insufficient { .. } => CheckId::InsufficientBalanceRejected,
        Expect::Create { .. } => match request.validity.priced() {
            Some(p) if p.is_test => CheckId::TestOrdersMoveNoMoney,
            _ => CheckId::ChargeReserved,
        },
    }
}

fn describe_expect(expect: &Expect) -> String {
    match expect {
        Expect::Invalid { code, .. } => format!("an order refused as {code}"),
        Expect::InvalidOrMismatch { .. } => {
            "an order for an unavailable product on a used key".into()
        }
        Expect::Mismatch { .. } => "a key reused with a different payload".into(),
        Expect::Replay { .. } => "a replay".into(),
        Expect::Insufficient { .. } => "an order refused for balance".into(),
        Expect::Create { priced, .. } if priced.is_test => {
            format!("a test order of {} {}", priced.charge, priced.currency)
        }
        Expect::Create { priced, .. } => {
            format!("an order of {} {}", priced.charge, priced.currency)
        }
    }
}

fn defect_of(request: &OrderRequest) -> String {
    match &request.validity {
        Validity::Invalid { defect, .. } => defect.clone(),
        Validity::Valid(_) => "malformed Idempotency-Key".into(),
    }
}

fn show_param(p: &Option<String>) -> String {
    p.as_deref()
        .map_or("null".to_string(), |s| format!("\"{s}\""))
}

fn make_test(request: &mut OrderRequest) {
    if let Some(map) = request.body.as_object_mut() {
        map.insert("test".into(), json!(true));
    }
    if let Validity::Valid(p) = &mut request.validity {
        p.is_test = true;
    }
}

pub(crate) fn url_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Kept for callers that want the poll pacing without an `Env`.
pub const DEFAULT_POLL: Duration = Duration::from_millis(20);
