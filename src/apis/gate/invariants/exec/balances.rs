//! Balances against the model (§6), re-reading pending orders that ended on their own,
//! and §7's identity from the server's own records.

use serde_json::Value;

use super::{Blame, Exec, Role, Step};
use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::invariants::balances::{balance_rows, BalanceRow};
use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::ledger::Ledger;
use crate::apis::gate::ledger::{totals, Books};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{AgentDeposit, DepositStatus, Order, OrderStatus};
use crate::engine::client::pages::Pages;
use crate::engine::client::Exchange;

/// One currency where the API's balance and the model's disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Diff {
    pub expected: String,
    pub got: String,
}

impl Exec<'_> {
    /// The balances must equal the model's; an order that ended on its own meanwhile is
    /// found, checked and applied first (bounded re-reads). Agreement gives what failed
    /// orders spent back to the spend cap.
    pub(super) async fn verify_balances(&mut self, blame: Blame) -> Step {
        let mut last: Option<(Exchange, Vec<Diff>)> = None;
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
            let diffs = balance_diffs(&self.ledger, &rows);
            if diffs.is_empty() {
                self.exercise(blame.check);
                // The balance shows what the failed orders released: only now is it
                // headroom under the spend cap again.
                for spent in self.released.drain(..) {
                    spent.give_back();
                }
                return Ok(());
            }
            last = Some((ex, diffs));
            if !self.resync().await? {
                break;
            }
        }
        let (ex, diffs) = last.expect("a mismatch was recorded");
        let (expected, got): (Vec<_>, Vec<_>) =
            diffs.into_iter().map(|d| (d.expected, d.got)).unzip();
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
                self.judge_read(idx, &ex)?
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
    pub(super) async fn server_ledger_identity(&mut self) -> Step {
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
            let completed_deposits = totals(
                deposits
                    .iter()
                    .filter(|d| d.status == DepositStatus::Completed)
                    .map(|d| (d.currency_code.as_str(), d.amount)),
            );
            let real = |s: OrderStatus| {
                totals(
                    orders_after
                        .iter()
                        .filter(|o| !o.is_test && o.status == s)
                        .map(|o| (o.currency_code.as_str(), o.charged_amount)),
                )
            };
            let (completed, pending) = (real(OrderStatus::Completed), real(OrderStatus::Pending));
            for c in currencies {
                // A total that overflows cannot be judged (hostile amounts): no verdict.
                let Some(books) = Books::of(&c, &completed_deposits, &completed, &pending) else {
                    continue;
                };
                let (deposited, completed, pending) =
                    (books.deposited, books.completed, books.pending);
                let (available, reserved) = rows
                    .iter()
                    .find(|r| r.currency == c)
                    .map_or((Amount::ZERO, Amount::ZERO), |r| (r.available, r.reserved));
                if books.holds(available, reserved) == Some(false) {
                    return Err(Violation::new(
                        CheckId::LedgerIdentity,
                        format!("{c}: the agent's balance does not follow from its own deposits and orders"),
                        format!(
                            "available + reserved = {deposited} − {completed} = {}; reserved = {pending}",
                            books.total().unwrap_or(Amount::ZERO)
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
        let items = self.walk("/orders").await?;
        let mut out: Vec<Order> = items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn all_deposits(&mut self) -> Result<Vec<AgentDeposit>, Violation> {
        let items = self.walk("/deposits").await?;
        Ok(items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect())
    }

    async fn walk(&mut self, list: &str) -> Result<Vec<Value>, Violation> {
        let mut out = Vec::new();
        let mut pages = Pages::new(self.client.agent_path(list), Some(100), 50);
        while let Some(path) = pages.next_path() {
            let ex = self
                .get(Role::Observe, path, CheckId::LedgerIdentity)
                .await?;
            out.extend(pages.accept_lenient(ex.json().as_ref()));
        }
        Ok(out)
    }
}

/// Every currency (the model's, then any the API adds) whose balance differs from the
/// model's, or that the model says must be listed and is not.
pub(super) fn balance_diffs(ledger: &Ledger, rows: &[BalanceRow]) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let mut currencies: Vec<String> = ledger.balances.keys().cloned().collect();
    for r in rows {
        if !currencies.contains(&r.currency) {
            currencies.push(r.currency.clone());
        }
    }
    for c in currencies {
        let model = ledger.balance(&c);
        let row = rows.iter().find(|r| r.currency == c);
        let (available, reserved) =
            row.map_or((Amount::ZERO, Amount::ZERO), |r| (r.available, r.reserved));
        let listed_ok = row.is_some() || !model.listed;
        if model.available != available || model.reserved != reserved || !listed_ok {
            diffs.push(Diff {
                expected: format!(
                    "{c} available {} reserved {}",
                    model.available, model.reserved
                ),
                got: format!(
                    "{c} available {} reserved {}",
                    row.map_or("(no row)".to_string(), |r| r.available_text.clone()),
                    row.map_or("(no row)".to_string(), |r| r.reserved_text.clone()),
                ),
            });
        }
    }
    diffs
}
