//! The reference model of one agent's ledger: available/reserved per currency, its orders
//! and its idempotency keys, and what the contract says the next request must get.
//!
//! **Invariant:** the model changes only through the contract's rules (§5.1 reservation,
//! §5.2 idempotency, §5.3 transitions, §7 deposits); it never copies a number from the
//! server except the identity of what the server created (order id, timestamps).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::apis::gate::invariants::payload::{Lifecycle, Priced, Validity};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::OrderStatus;

/// One currency's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    pub available: Amount,
    pub reserved: Amount,
    /// The agent has a completed deposit in it: the balance list must show it (§6).
    pub listed: bool,
}

/// The state of an idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyState {
    /// Never bound; `failed_attempts` requests with it were refused (they bind nothing).
    Free {
        failed_attempts: u32,
        last_body: Value,
    },
    /// Bound by a 201 to this order and payload.
    Bound { order: usize, body: Value },
}

/// An order the model knows.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOrder {
    pub id: String,
    pub key: Option<String>,
    pub priced: Priced,
    pub lifecycle: Lifecycle,
    pub status: OrderStatus,
    pub balance_before: Amount,
    pub balance_after: Amount,
    pub created_at: Option<String>,
    /// `completed_at`/`failed_at` as first seen: it must never change.
    pub terminal_at: Option<String>,
    /// Created before this run (a shared agent): not one of ours, only its money counts.
    pub foreign: bool,
}

/// What the contract says a create request must get.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// `400` with this code and param (validation first, §10); nothing moves.
    Invalid {
        code: &'static str,
        param: Option<String>,
    },
    /// `400` (the unavailable product) or `422` (key lookup first): §10 leaves the order of
    /// these two open for a used key, so both are accepted.
    InvalidOrMismatch {
        code: &'static str,
        param: Option<String>,
    },
    /// `422 idempotency_key_mismatch`; nothing moves.
    Mismatch { order: usize },
    /// `201` replay of this order; nothing moves.
    Replay { order: usize },
    /// `400 insufficient_balance`; nothing moves.
    Insufficient { available: Amount, charge: Amount },
    /// `201`, a new pending order; `moves` when it is a real order.
    Create {
        priced: Priced,
        balance_before: Amount,
        balance_after: Amount,
    },
}

/// A 201 the model accepts as a new order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: String,
    pub key: Option<String>,
    pub body: Value,
    pub priced: Priced,
    pub lifecycle: Lifecycle,
    pub balance_before: Amount,
    pub balance_after: Amount,
    pub created_at: Option<String>,
}

/// The model.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub balances: BTreeMap<String, Balance>,
    pub orders: Vec<ModelOrder>,
    /// Keys in first-use order (operations pick them by index).
    pub keys: Vec<String>,
    pub key_states: HashMap<String, KeyState>,
}

impl Ledger {
    /// A fresh agent with these completed deposits.
    pub fn with_deposits(deposits: &[(String, Amount)]) -> Ledger {
        let mut l = Ledger::default();
        for (c, a) in deposits {
            l.deposit(c, *a);
        }
        l
    }

    pub fn balance(&self, currency: &str) -> Balance {
        self.balances.get(currency).copied().unwrap_or_default()
    }

    pub fn deposit(&mut self, currency: &str, amount: Amount) {
        let b = self.balances.entry(currency.to_string()).or_default();
        b.available = b.available.saturating_add(amount);
        b.listed = true;
    }

    /// What `POST /orders` with this body and key must get (§5.1, §5.2, §10).
    pub fn expect_create(&self, validity: &Validity, body: &Value, key: Option<&str>) -> Expect {
        let bound = key.and_then(|k| match self.key_states.get(k) {
            Some(KeyState::Bound { order, body }) => Some((*order, body)),
            _ => None,
        });
        let priced = match validity {
            Validity::Invalid { code, param, .. } => {
                return match (bound, *code) {
                    (Some(_), "product_unavailable") => Expect::InvalidOrMismatch {
                        code,
                        param: param.clone(),
                    },
                    _ => Expect::Invalid {
                        code,
                        param: param.clone(),
                    },
                };
            }
            Validity::Valid(p) => p,
        };
        if let Some((order, bound_body)) = bound {
            return if bound_body == body {
                Expect::Replay { order }
            } else {
                Expect::Mismatch { order }
            };
        }
        let available = self.balance(&priced.currency).available;
        if priced.is_test {
            return Expect::Create {
                priced: priced.clone(),
                balance_before: available,
                balance_after: available,
            };
        }
        if priced.charge > available {
            return Expect::Insufficient {
                available,
                charge: priced.charge,
            };
        }
        Expect::Create {
            priced: priced.clone(),
            balance_before: available,
            balance_after: available.saturating_sub(priced.charge),
        }
    }

    /// Records a created order (the reservation of §5.1) and binds its key.
    pub fn created(&mut self, new: NewOrder) -> usize {
        let NewOrder {
            id,
            key,
            body,
            priced,
            lifecycle,
            balance_before,
            balance_after,
            created_at,
        } = new;
        if !priced.is_test {
            let b = self.balances.entry(priced.currency.clone()).or_default();
            b.available = b.available.saturating_sub(priced.charge);
            b.reserved = b.reserved.saturating_add(priced.charge);
        }
        let index = self.orders.len();
        if let Some(k) = &key {
            self.use_key(k);
            self.key_states
                .insert(k.clone(), KeyState::Bound { order: index, body });
        }
        self.orders.push(ModelOrder {
            id,
            key,
            priced,
            lifecycle,
            status: OrderStatus::Pending,
            balance_before,
            balance_after,
            created_at,
            terminal_at: None,
            foreign: false,
        });
        index
    }

    /// Records a refused request: the key stays free (§5.2 "only a 201 binds a key").
    pub fn refused(&mut self, key: Option<&str>, body: &Value) {
        let Some(k) = key else { return };
        self.use_key(k);
        match self.key_states.get_mut(k) {
            Some(KeyState::Bound { .. }) => {}
            Some(KeyState::Free {
                failed_attempts,
                last_body,
            }) => {
                *failed_attempts += 1;
                *last_body = body.clone();
            }
            None => {
                self.key_states.insert(
                    k.to_string(),
                    KeyState::Free {
                        failed_attempts: 1,
                        last_body: body.clone(),
                    },
                );
            }
        }
    }

    fn use_key(&mut self, k: &str) {
        if !self.keys.iter().any(|x| x == k) {
            self.keys.push(k.to_string());
        }
    }

    /// Whether a key was refused before and never bound (a retry must create).
    pub fn key_failed_before(&self, key: Option<&str>) -> bool {
        matches!(
            key.and_then(|k| self.key_states.get(k)),
            Some(KeyState::Free { failed_attempts, .. }) if *failed_attempts > 0
        )
    }

    /// The payload last sent with a key (bound or not).
    pub fn last_body(&self, key: &str) -> Option<&Value> {
        match self.key_states.get(key)? {
            KeyState::Free { last_body, .. } => Some(last_body),
            KeyState::Bound { body, .. } => Some(body),
        }
    }

    /// Applies a transition the contract allows (§5.3). `false` when it is not allowed
    /// (the order is already terminal with another status, or the target is `pending`).
    pub fn transition(&mut self, order: usize, to: OrderStatus, at: Option<String>) -> bool {
        let Some(o) = self.orders.get_mut(order) else {
            return false;
        };
        if o.status == to {
            return true;
        }
        if o.status.is_terminal() || to == OrderStatus::Pending {
            return false;
        }
        o.status = to;
        o.terminal_at = at;
        if !o.priced.is_test {
            let b = self.balances.entry(o.priced.currency.clone()).or_default();
            b.reserved = b.reserved.saturating_sub(o.priced.charge);
            if to == OrderStatus::Failed {
                b.available = b.available.saturating_add(o.priced.charge);
            }
        }
        true
    }

    pub fn pending_orders(&self) -> impl Iterator<Item = (usize, &ModelOrder)> {
        self.orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.status == OrderStatus::Pending)
    }

    /// An order picked by an operation's index, when any exists.
    pub fn pick_order(&self, index: &proptest::sample::Index) -> Option<usize> {
        let ours: Vec<usize> = (0..self.orders.len())
            .filter(|i| !self.orders[*i].foreign)
            .collect();
        if ours.is_empty() {
            None
        } else {
            Some(ours[index.index(ours.len())])
        }
    }

    pub fn pick_key(&self, index: &proptest::sample::Index) -> Option<&str> {
        if self.keys.is_empty() {
            None
        } else {
            Some(&self.keys[index.index(self.keys.len())])
        }
    }

    pub fn order_by_id(&self, id: &str) -> Option<usize> {
        self.orders.iter().position(|o| o.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::gate::invariants::catalog::PriceRule;
    use serde_json::json;

    fn priced(charge: i64, is_test: bool) -> Priced {
        Priced {
            product_id: 1,
            currency: "USD".into(),
            quantity: 1,
            charge: Amount::from_minor(charge),
            is_test,
            external_ref: None,
            rule: PriceRule::Voucher {
                agent_price: Amount::from_minor(charge),
            },
            amount: None,
        }
    }

    fn new(
        id: &str,
        key: Option<&str>,
        body: &Value,
        priced: Priced,
        before: Amount,
        after: Amount,
    ) -> NewOrder {
        NewOrder {
            id: id.into(),
            key: key.map(str::to_string),
            body: body.clone(),
            priced,
            lifecycle: Lifecycle::Held,
            balance_before: before,
            balance_after: after,
            created_at: None,
        }
    }

    fn usd(l: &Ledger) -> (i64, i64) {
        let b = l.balance("USD");
        (b.available.minor(), b.reserved.minor())
    }

    #[test]
    fn reservation_then_completion_and_failure_follow_the_contract() {
        let mut l = Ledger::with_deposits(&[("USD".into(), Amount::from_minor(10_000))]);
        let body = json!({"product_id": 1});
        let v = Validity::Valid(priced(2_500, false));
        let Expect::Create {
            priced: p,
            balance_before,
            balance_after,
        } = l.expect_create(&v, &body, Some("k1"))
        else {
            panic!("expected a create")
        };
        assert_eq!(
            (balance_before.minor(), balance_after.minor()),
            (10_000, 7_500)
        );
        let a = l.created(new(
            "a",
            Some("k1"),
            &body,
            p.clone(),
            balance_before,
            balance_after,
        ));
        assert_eq!(usd(&l), (7_500, 2_500));
        assert_eq!(
            l.expect_create(&v, &body, Some("k1")),
            Expect::Replay { order: a }
        );
        let other = json!({"product_id": 1, "quantity": 2});
        assert_eq!(
            l.expect_create(&v, &other, Some("k1")),
            Expect::Mismatch { order: a }
        );
        let b = l.created(new(
            "b",
            None,
            &body,
            p,
            Amount::from_minor(7_500),
            Amount::from_minor(5_000),
        ));
        assert_eq!(usd(&l), (5_000, 5_000));
        assert!(l.transition(a, OrderStatus::Completed, Some("t".into())));
        assert_eq!(usd(&l), (5_000, 2_500));
        assert!(l.transition(b, OrderStatus::Failed, None));
        assert_eq!(usd(&l), (7_500, 0));
        assert!(
            !l.transition(b, OrderStatus::Completed, None),
            "terminal never changes"
        );
        assert!(
            l.transition(b, OrderStatus::Failed, None),
            "same status is no change"
        );
        assert_eq!(usd(&l), (7_500, 0));
    }

    #[test]
    fn insufficient_balance_and_test_orders_move_nothing_and_free_keys_stay_free() {
        let mut l = Ledger::with_deposits(&[("USD".into(), Amount::from_minor(1_000))]);
        let body = json!({"product_id": 1});
        let real = Validity::Valid(priced(2_500, false));
        assert_eq!(
            l.expect_create(&real, &body, Some("k")),
            Expect::Insufficient {
                available: Amount::from_minor(1_000),
                charge: Amount::from_minor(2_500)
            }
        );
        l.refused(Some("k"), &body);
        assert!(l.key_failed_before(Some("k")));
        l.deposit("USD", Amount::from_minor(5_000));
        assert!(matches!(
            l.expect_create(&real, &body, Some("k")),
            Expect::Create { .. }
        ));
        let test = Validity::Valid(priced(99_999, true));
        let Expect::Create {
            balance_before,
            balance_after,
            priced: p,
        } = l.expect_create(&test, &body, None)
        else {
            panic!("test orders are never refused for balance")
        };
        assert_eq!(balance_before, balance_after);
        l.created(new("t", None, &body, p, balance_before, balance_after));
        assert_eq!(usd(&l), (6_000, 0));
        let t = l.order_by_id("t").unwrap();
        l.transition(t, OrderStatus::Failed, None);
        assert_eq!(usd(&l), (6_000, 0));
    }

    #[test]
    fn validation_comes_before_the_key() {
        let mut l = Ledger::with_deposits(&[("USD".into(), Amount::from_minor(10_000))]);
        let body = json!({"product_id": 1});
        let v = Validity::Valid(priced(100, false));
        l.created(new(
            "a",
            Some("k"),
            &body,
            priced(100, false),
            Amount::ZERO,
            Amount::ZERO,
        ));
        let invalid = Validity::Invalid {
            code: "invalid_request",
            param: Some("quantity".into()),
            defect: "QuantityZero".into(),
        };
        assert!(matches!(
            l.expect_create(&invalid, &body, Some("k")),
            Expect::Invalid { .. }
        ));
        let unavailable = Validity::Invalid {
            code: "product_unavailable",
            param: Some("product_id".into()),
            defect: "UnavailableProduct".into(),
        };
        assert!(matches!(
            l.expect_create(&unavailable, &body, Some("k")),
            Expect::InvalidOrMismatch { .. }
        ));
        assert!(matches!(
            l.expect_create(&v, &body, Some("k")),
            Expect::Replay { .. }
        ));
    }
}
