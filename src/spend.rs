//! The spend policy: whether the harness may create real (non-test) orders, and the cap it
//! never exceeds. Against a host outside loopback only test orders are created unless the
//! user opts in with `--allow-spend`; real orders stop at `--max-spend` per currency.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::model::Amount;

/// Refused: spending this would pass the cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "spend cap reached: {requested} {currency} would bring the total to {would_be} (cap {cap})"
)]
pub struct SpendCapReached {
    pub currency: String,
    pub requested: Amount,
    pub would_be: Amount,
    pub cap: Amount,
}

/// Tracks real money the harness has committed, per currency. Clones share the tally.
#[derive(Debug, Clone)]
pub struct SpendGuard {
    real_orders_allowed: bool,
    cap_per_currency: Amount,
    spent: Arc<Mutex<HashMap<String, Amount>>>,
}

impl SpendGuard {
    pub fn new(real_orders_allowed: bool, cap_per_currency: Amount) -> SpendGuard {
        SpendGuard {
            real_orders_allowed,
            cap_per_currency,
            spent: Arc::default(),
        }
    }

    /// False: every order the harness creates must be `"test": true`.
    pub fn real_orders_allowed(&self) -> bool {
        self.real_orders_allowed
    }

    pub fn cap(&self) -> Amount {
        self.cap_per_currency
    }

    /// Records `amount` as spent, or refuses without recording when it passes the cap
    /// or real orders are not allowed at all.
    pub fn try_spend(&self, currency: &str, amount: Amount) -> Result<(), SpendCapReached> {
        let mut spent = self.spent.lock();
        let so_far = spent.get(currency).copied().unwrap_or(Amount::ZERO);
        let would_be = so_far
            .checked_add(amount)
            .unwrap_or(Amount::from_minor(i64::MAX));
        if !self.real_orders_allowed || would_be > self.cap_per_currency {
            return Err(SpendCapReached {
                currency: currency.to_string(),
                requested: amount,
                would_be,
                cap: if self.real_orders_allowed {
                    self.cap_per_currency
                } else {
                    Amount::ZERO
                },
            });
        }
        spent.insert(currency.to_string(), would_be);
        Ok(())
    }

    /// Gives back a spend that did not happen (the order was refused or failed).
    pub fn refund(&self, currency: &str, amount: Amount) {
        let mut spent = self.spent.lock();
        if let Some(total) = spent.get_mut(currency) {
            *total = total
                .checked_sub(amount)
                .unwrap_or(Amount::ZERO)
                .max(Amount::ZERO);
        }
    }

    pub fn spent(&self, currency: &str) -> Amount {
        self.spent
            .lock()
            .get(currency)
            .copied()
            .unwrap_or(Amount::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_cap_per_currency() {
        let g = SpendGuard::new(true, Amount::from_minor(10_000));
        assert!(g.try_spend("USD", Amount::from_minor(6_000)).is_ok());
        assert!(g.try_spend("USD", Amount::from_minor(5_000)).is_err());
        assert!(g.try_spend("EUR", Amount::from_minor(5_000)).is_ok());
        g.refund("USD", Amount::from_minor(6_000));
        assert!(g.try_spend("USD", Amount::from_minor(10_000)).is_ok());
        assert_eq!(g.spent("USD"), Amount::from_minor(10_000));
    }

    #[test]
    fn refuses_everything_when_real_orders_are_not_allowed() {
        let g = SpendGuard::new(false, Amount::from_minor(10_000));
        assert!(g.try_spend("USD", Amount::from_minor(1)).is_err());
    }
}
