//! An order's life after its creation: waiting for it to end, reading it back, listing,
//! forcing it through the sandbox's admin routes, deposits, and each transition checked
//! against §5.3 and applied to the model.

use std::time::Instant;

use serde_json::Value;

use super::judge::{judge_order_json, judge_order_read, terminal_stamp};
use super::{Blame, Exec, Role, Step};
use crate::apis::gate::admin::AdminCall;
use crate::apis::gate::client::{GateClientExt as _, GateTarget as _};
use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::payload::Lifecycle;
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{Order, OrderStatus};
use crate::engine::client::Exchange;

impl Exec<'_> {
    /// [`judge_order_read`] on order `idx`, counting what it exercised.
    pub(super) fn judge_read(
        &mut self,
        idx: usize,
        ex: &Exchange,
    ) -> Result<OrderStatus, Violation> {
        let mut exercised = Vec::new();
        let judged = judge_order_read(&self.ledger.orders[idx], ex, &mut exercised);
        self.exercise_all(exercised);
        judged
    }

    /// [`judge_order_json`] on order `idx`, counting what it exercised.
    pub(super) fn judge_json(
        &mut self,
        idx: usize,
        json: &Value,
    ) -> Result<OrderStatus, Violation> {
        let mut exercised = Vec::new();
        let judged = judge_order_json(&self.ledger.orders[idx], json, &mut exercised);
        self.exercise_all(exercised);
        judged
    }

    /// Waits for an order created to end on its own, then checks the money it moved.
    pub(super) async fn settle(&mut self, idx: usize) -> Step {
        let started = Instant::now();
        let budget = *self.settle_budget.get_or_insert(self.env.settle_timeout);
        let deadline = started + budget;
        let path = self
            .client
            .agent_path(&format!("/orders/{}", self.ledger.orders[idx].id));
        loop {
            tokio::time::sleep(self.env.poll_interval).await;
            let ex = self
                .get(Role::Poll, path.clone(), CheckId::TransitionsAllowed)
                .await?;
            let status = self.judge_read(idx, &ex)?;
            self.settle_budget = Some(budget.saturating_sub(started.elapsed()));
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
    pub(super) async fn read_order(&mut self, idx: usize) -> Step {
        let path = self
            .client
            .agent_path(&format!("/orders/{}", self.ledger.orders[idx].id));
        let ex = self
            .get(Role::Action, path, CheckId::OrdersMatchModel)
            .await?;
        let status = self.judge_read(idx, &ex)?;
        if status != self.ledger.orders[idx].status {
            return self.observed_transition(idx, status, &ex).await;
        }
        self.verify_balances(Blame {
            check: CheckId::LedgerIdentity,
            event: format!("step {}: reading an order", self.step),
        })
        .await
    }

    /// A pending order was seen terminal: checks the transition is allowed, applies it
    /// to the model and checks the money it moved (§5.3).
    pub(super) async fn observed_transition(
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

    pub(super) fn accept_transition(
        &mut self,
        idx: usize,
        status: OrderStatus,
        ex: &Exchange,
    ) -> Step {
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
        // A failed real order on the user's own agent gives back what it was charged,
        // once a balance read shows the money back (`verify_balances`).
        if was_pending && status == OrderStatus::Failed {
            if let Some(spent) = self.spent.remove(&o.id) {
                self.released.push(spent);
            }
        }
        Ok(())
    }

    pub(super) async fn force(&mut self, idx: usize, fail: bool) -> Step {
        let id = self.ledger.orders[idx].id.clone();
        let verb = if fail { "fail" } else { "complete" };
        let ex = self
            .admin(
                &AdminCall::Force {
                    order_id: id.clone(),
                    fail,
                },
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
            let status = self.judge_read(idx, &read)?;
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
            .judge_json(idx, &json)
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

    pub(super) async fn verify_after(&mut self, event: String) -> Step {
        self.verify_balances(Blame {
            check: CheckId::LedgerIdentity,
            event,
        })
        .await
    }

    pub(super) async fn deposit(&mut self, currency: &str, amount: Amount) -> Step {
        let agent = self.client.target().agent_id().to_string();
        let ex = self
            .admin(
                &AdminCall::deposit(&agent, currency, amount),
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

    pub(super) async fn list_orders(&mut self) -> Step {
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
                    .judge_json(idx, hit)
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
