//! §7's ledger identity, once, for the contract check and the invariants: per currency,
//! `available + reserved = completed deposits − completed real charges` and
//! `reserved = pending real charges`.
//!
//! **Invariant:** pure and panic-free. A total that overflows (a hostile target can send
//! `"40000000000000000000000000000.00"`) makes that currency unjudgeable, never a finding
//! and never a panic.

use std::collections::BTreeMap;

use crate::apis::gate::money::Amount;

/// Per-currency sums; `None` for a currency whose sum overflows.
pub fn totals<'a>(
    items: impl IntoIterator<Item = (&'a str, Amount)>,
) -> BTreeMap<String, Option<Amount>> {
    let mut out: BTreeMap<String, Option<Amount>> = BTreeMap::new();
    for (c, a) in items {
        let e = out.entry(c.to_string()).or_insert(Some(Amount::ZERO));
        *e = e.and_then(|t| t.checked_add(a));
    }
    out
}

/// One currency's money as the server's records show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Books {
    /// Completed deposits.
    pub deposited: Amount,
    /// Charges of completed real orders.
    pub completed: Amount,
    /// Charges of pending real orders.
    pub pending: Amount,
}

impl Books {
    /// The currency's books from the per-currency totals (absent: zero); `None` when a
    /// total overflowed.
    pub fn of(
        currency: &str,
        deposited: &BTreeMap<String, Option<Amount>>,
        completed: &BTreeMap<String, Option<Amount>>,
        pending: &BTreeMap<String, Option<Amount>>,
    ) -> Option<Books> {
        let get = |m: &BTreeMap<String, Option<Amount>>| {
            m.get(currency).copied().unwrap_or(Some(Amount::ZERO))
        };
        Some(Books {
            deposited: get(deposited)?,
            completed: get(completed)?,
            pending: get(pending)?,
        })
    }

    /// What `available + reserved` must be; `None` on overflow.
    pub fn total(&self) -> Option<Amount> {
        self.deposited.checked_sub(self.completed)
    }

    /// Whether a balance of `available`/`reserved` follows from these books; `None` when
    /// an operand overflows (cannot be judged).
    pub fn holds(&self, available: Amount, reserved: Amount) -> Option<bool> {
        let total = available.checked_add(reserved)?;
        Some(Some(total) == self.total() && reserved == self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(minor: i64) -> Amount {
        Amount::from_minor(minor)
    }

    #[test]
    fn the_identity_holds_for_consistent_books() {
        let dep = totals([("USD", a(10_000)), ("USD", a(500)), ("EUR", a(100))]);
        let done = totals([("USD", a(1_000))]);
        let pend = totals([("USD", a(250))]);
        let usd = Books::of("USD", &dep, &done, &pend).unwrap();
        assert_eq!(usd.total(), Some(a(9_500)));
        assert_eq!(usd.holds(a(9_250), a(250)), Some(true));
        assert_eq!(usd.holds(a(9_500), a(0)), Some(false));
        assert_eq!(usd.holds(a(9_000), a(250)), Some(false));
        let eur = Books::of("EUR", &dep, &done, &pend).unwrap();
        assert_eq!(eur.holds(a(100), a(0)), Some(true));
        let gbp = Books::of("GBP", &dep, &done, &pend).unwrap();
        assert_eq!(gbp.holds(Amount::ZERO, Amount::ZERO), Some(true));
    }

    #[test]
    fn hostile_amounts_are_unjudgeable_not_a_panic() {
        let huge = Amount::parse_decimal_amount("40000000000000000000000000000.00").unwrap();
        let dep = totals([("USD", huge), ("USD", huge)]);
        assert_eq!(dep["USD"], None);
        let none = BTreeMap::new();
        assert_eq!(Books::of("USD", &dep, &none, &none), None);
        let one = totals([("USD", huge)]);
        let books = Books::of("USD", &one, &none, &none).unwrap();
        assert_eq!(books.holds(huge, huge), None);
    }
}
