//! The spend policy: whether the harness may create real (non-test) orders, and the cap it
//! never exceeds. Against a host outside loopback only test orders are created unless the
//! user opts in with `--allow-spend`; real orders stop at `--max-spend` per currency.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

/// An amount in minor units (hundredths of the currency unit): the unit of the spend cap,
/// whatever money type an API's wire uses. Printed and parsed as `12.34`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minor(pub i64);

impl Minor {
    pub const ZERO: Minor = Minor(0);

    pub fn checked_add(self, other: Minor) -> Option<Minor> {
        self.0.checked_add(other.0).map(Minor)
    }

    pub fn checked_sub(self, other: Minor) -> Option<Minor> {
        self.0.checked_sub(other.0).map(Minor)
    }
}

impl std::fmt::Display for Minor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// Why a cap text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an amount like 100.00 (digits, at most two decimals, not negative)")]
pub struct BadAmount(String);

impl std::str::FromStr for Minor {
    type Err = BadAmount;

    /// `100`, `100.5`, `100.00`; no sign, no exponent, at most 15 integer digits.
    fn from_str(s: &str) -> Result<Minor, BadAmount> {
        let bad = || BadAmount(s.chars().take(32).collect());
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || int.len() > 15 || frac.len() > 2 || !digits(int) || !digits(frac) {
            return Err(bad());
        }
        if s.contains('.') && frac.is_empty() {
            return Err(bad());
        }
        let units: i64 = int.parse().map_err(|_| bad())?;
        let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        Ok(Minor(units * 100 + cents))
    }
}

/// Refused: spending this would pass the cap — for good, or only while other real orders
/// in flight hold the headroom ([`SpendCapReached::is_busy`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct SpendCapReached {
    pub currency: String,
    pub requested: Minor,
    pub would_be: Minor,
    pub cap: Minor,
    /// What reservations of real orders still in flight held in `currency` when refused.
    pub held: Minor,
}

impl SpendCapReached {
    /// Refused only because real orders in flight hold the headroom: it would fit once
    /// they are settled at no more than they hold.
    pub fn is_busy(&self) -> bool {
        self.held > Minor::ZERO
            && self
                .would_be
                .checked_sub(self.held)
                .is_some_and(|rest| rest <= self.cap)
    }

    fn describe(&self) -> String {
        let SpendCapReached {
            currency,
            requested,
            would_be,
            cap,
            held,
        } = self;
        if self.is_busy() {
            format!(
                "spend cap {cap} {currency} held: real orders in flight reserve {held} of it, so \
                 {requested} more waits for their answers"
            )
        } else {
            format!(
                "spend cap reached: {requested} {currency} would bring the total to {would_be} \
                 (cap {cap})"
            )
        }
    }
}

/// Tracks real money the harness has committed, per currency. Clones share the tally.
#[derive(Debug, Clone)]
pub struct SpendGuard {
    real_orders_allowed: bool,
    cap_per_currency: Minor,
    spent: Arc<Mutex<HashMap<String, Minor>>>,
    /// Per currency, the worst (charged, claimed) pair seen: a server that charged twice
    /// its price has every later claim doubled before it is let through.
    inflation: Arc<Mutex<HashMap<String, (Minor, Minor)>>>,
    /// Per currency, what open reservations hold (part of `spent`): tells a refusal that
    /// waits for an answer from one that is final.
    held: Arc<Mutex<HashMap<String, Minor>>>,
}

impl SpendGuard {
    pub fn new(real_orders_allowed: bool, cap_per_currency: Minor) -> SpendGuard {
        SpendGuard {
            real_orders_allowed,
            cap_per_currency,
            spent: Arc::default(),
            inflation: Arc::default(),
            held: Arc::default(),
        }
    }

    /// False: every order the harness creates must be `"test": true`.
    pub fn real_orders_allowed(&self) -> bool {
        self.real_orders_allowed
    }

    pub fn cap(&self) -> Minor {
        self.cap_per_currency
    }

    /// Records `amount` as spent, or refuses without recording when it passes the cap
    /// or real orders are not allowed at all.
    pub fn try_spend(&self, currency: &str, amount: Minor) -> Result<(), SpendCapReached> {
        let mut spent = self.spent.lock();
        let so_far = spent.get(currency).copied().unwrap_or(Minor::ZERO);
        let would_be = so_far.checked_add(amount).unwrap_or(Minor(i64::MAX));
        if !self.real_orders_allowed || would_be > self.cap_per_currency {
            drop(spent);
            return Err(SpendCapReached {
                currency: currency.to_string(),
                requested: amount,
                would_be,
                cap: if self.real_orders_allowed {
                    self.cap_per_currency
                } else {
                    Minor::ZERO
                },
                held: self.held(currency),
            });
        }
        spent.insert(currency.to_string(), would_be);
        Ok(())
    }

    /// Gives back a spend that did not happen (the order was refused or failed).
    pub fn refund(&self, currency: &str, amount: Minor) {
        let mut spent = self.spent.lock();
        if let Some(total) = spent.get_mut(currency) {
            *total = total
                .checked_sub(amount)
                .unwrap_or(Minor::ZERO)
                .max(Minor::ZERO);
        }
    }

    /// Reserves the worst case of one real order before it is sent: everything the cap
    /// still allows in `currency` (a catalog price is a claim, not a fact — a server may
    /// charge more than it shows). `claimed` must fit. One real order per currency is in
    /// flight at a time; the others wait for a settlement or go as test orders.
    ///
    /// The reservation counts as spent until [`Reservation::settle`] (what the server
    /// charged) or [`Reservation::release`] (proven not charged). Dropped unsettled — a
    /// timeout, a reset, a 5xx — it stays spent: an unknown outcome is a spend.
    pub fn reserve(&self, currency: &str, claimed: Minor) -> Result<Reservation, SpendCapReached> {
        let headroom = {
            let spent = self.spent.lock();
            let so_far = spent.get(currency).copied().unwrap_or(Minor::ZERO);
            self.cap_per_currency
                .checked_sub(so_far)
                .unwrap_or(Minor::ZERO)
        };
        let believable = self.inflated(currency, claimed);
        if believable > headroom {
            return Err(SpendCapReached {
                currency: currency.to_string(),
                requested: believable,
                would_be: self
                    .spent(currency)
                    .checked_add(believable)
                    .unwrap_or(Minor(i64::MAX)),
                cap: self.cap_per_currency,
                held: self.held(currency),
            });
        }
        let worst = headroom.max(believable).max(Minor(1));
        self.try_spend(currency, worst)?;
        self.hold(currency, worst, true);
        Ok(Reservation {
            guard: self.clone(),
            currency: currency.to_string(),
            claimed,
            reserved: worst,
            open: true,
        })
    }

    /// Reserves exactly `amount` of real money the harness itself chose (a Wallet
    /// authorization's `amount`: ours, not a server's claim), so many may be in flight at
    /// once. Settled, released or kept as [`SpendGuard::reserve`]'s reservation.
    pub fn reserve_exact(
        &self,
        currency: &str,
        amount: Minor,
    ) -> Result<Reservation, SpendCapReached> {
        let amount = amount.max(Minor(1));
        self.try_spend(currency, amount)?;
        self.hold(currency, amount, true);
        Ok(Reservation {
            guard: self.clone(),
            currency: currency.to_string(),
            claimed: amount,
            reserved: amount,
            open: true,
        })
    }

    /// Whether `amount` more of real money in `currency` would be allowed now.
    pub fn allows(&self, currency: &str, amount: Minor) -> bool {
        self.real_orders_allowed
            && self
                .spent(currency)
                .checked_add(amount)
                .is_some_and(|total| total <= self.cap_per_currency)
    }

    /// `claimed` scaled by the worst overcharge seen in `currency` (rounded up).
    fn inflated(&self, currency: &str, claimed: Minor) -> Minor {
        match self.inflation.lock().get(currency) {
            Some(&(charged, base)) if charged > base && base > Minor::ZERO => {
                let scaled =
                    (claimed.0 as i128 * charged.0 as i128 + base.0 as i128 - 1) / base.0 as i128;
                Minor(scaled.min(i64::MAX as i128) as i64)
            }
            Some(&(charged, base)) if charged > base => Minor(i64::MAX),
            _ => claimed,
        }
    }

    /// A second opinion on a price (a quote: the same order sent as a test order, which
    /// moves no money): when the server quotes more than the catalog `claimed`, every later
    /// claim in `currency` is scaled up the same way before a real order is reserved.
    pub fn quoted(&self, currency: &str, claimed: Minor, quoted: Minor) {
        self.learn(currency, claimed, quoted);
    }

    /// Remembers that `claimed` turned out to cost `charged`.
    fn learn(&self, currency: &str, claimed: Minor, charged: Minor) {
        if charged <= claimed {
            return;
        }
        let mut inflation = self.inflation.lock();
        let worse = match inflation.get(currency) {
            None => true,
            Some(&(c, b)) => charged.0 as i128 * b.0 as i128 > c.0 as i128 * claimed.0 as i128,
        };
        if worse {
            tracing::warn!(
                currency,
                claimed = %claimed,
                charged = %charged,
                "the server charged more than the price it showed; later real orders are bounded accordingly"
            );
            inflation.insert(currency.to_string(), (charged, claimed));
        }
    }

    /// Replaces a reservation of `reserved` by the `charged` that happened (whatever the
    /// cap), in one step: no other reservation can take the reserved headroom in between
    /// and then see the charge land on top of it.
    fn swap_spend(&self, currency: &str, reserved: Minor, charged: Minor) {
        let mut spent = self.spent.lock();
        let total = spent.entry(currency.to_string()).or_insert(Minor::ZERO);
        let released = total
            .checked_sub(reserved)
            .unwrap_or(Minor::ZERO)
            .max(Minor::ZERO);
        *total = released.checked_add(charged).unwrap_or(Minor(i64::MAX));
    }

    /// What open reservations hold in `currency`.
    pub fn held(&self, currency: &str) -> Minor {
        self.held
            .lock()
            .get(currency)
            .copied()
            .unwrap_or(Minor::ZERO)
    }

    /// A reservation of `amount` opened (`true`) or closed.
    fn hold(&self, currency: &str, amount: Minor, open: bool) {
        let mut held = self.held.lock();
        let total = held.entry(currency.to_string()).or_insert(Minor::ZERO);
        *total = if open {
            total.checked_add(amount).unwrap_or(Minor(i64::MAX))
        } else {
            total
                .checked_sub(amount)
                .unwrap_or(Minor::ZERO)
                .max(Minor::ZERO)
        };
    }

    pub fn spent(&self, currency: &str) -> Minor {
        self.spent
            .lock()
            .get(currency)
            .copied()
            .unwrap_or(Minor::ZERO)
    }
}

/// The worst case of one real order, held against the cap until its outcome is known.
#[derive(Debug)]
#[must_use = "settle or release it; dropped, it stays spent"]
pub struct Reservation {
    guard: SpendGuard,
    currency: String,
    claimed: Minor,
    reserved: Minor,
    open: bool,
}

impl Reservation {
    /// The server charged `charged`: the tally keeps that, and never less than the price
    /// the order was reserved at (a server's answer that it charged less is a claim: the
    /// cap does not give headroom back on it). More than reserved is counted too — the cap
    /// then refuses every further real order. The [`Spent`] it returns gives exactly the
    /// counted amount back if the order is later proven not charged.
    pub fn settle(mut self, charged: Minor) -> Spent {
        self.close();
        let charged = charged.max(self.claimed).max(Minor::ZERO);
        self.guard
            .swap_spend(&self.currency, self.reserved, charged);
        self.guard.learn(&self.currency, self.claimed, charged);
        Spent {
            guard: self.guard.clone(),
            currency: std::mem::take(&mut self.currency),
            amount: charged,
        }
    }

    /// Proven not charged (a refusal, a read that shows no order and no balance movement).
    pub fn release(mut self) {
        self.close();
        self.guard.refund(&self.currency, self.reserved);
    }

    /// Outcome unknown: it stays spent (the same as dropping it, said out loud).
    pub fn keep(mut self) {
        self.close();
    }

    /// No longer in flight: its hold ends (what it counts as spent is the caller's).
    fn close(&mut self) {
        if std::mem::take(&mut self.open) {
            self.guard.hold(&self.currency, self.reserved, false);
        }
    }

    #[cfg(test)]
    fn reserved(&self) -> Minor {
        self.reserved
    }
}

/// What one settled real order spent. Dropped, it stays spent; a failed order (its
/// reservation released by the server) gives back exactly this, never the catalog's
/// claim: a server that charged less than it showed must not be refunded the difference.
#[derive(Debug)]
pub struct Spent {
    guard: SpendGuard,
    currency: String,
    amount: Minor,
}

impl Spent {
    #[cfg(test)]
    fn amount(&self) -> Minor {
        self.amount
    }

    /// The order failed: what it spent is spent no more.
    pub fn give_back(self) {
        self.guard.refund(&self.currency, self.amount);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.open {
            tracing::debug!(
                currency = %self.currency,
                reserved = %self.reserved,
                "a real order of unknown outcome stays counted as spent"
            );
            self.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settling swaps the reservation for the charge in one step: lanes that reserve and
    /// settle at once never see the tally pass the cap (two holds of 60 under a cap of
    /// 100 cannot both be counted).
    #[test]
    fn concurrent_settlements_never_pass_the_cap() {
        let guard = SpendGuard::new(true, Minor(100));
        let lanes: Vec<_> = (0..4)
            .map(|_| {
                let guard = guard.clone();
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        if let Ok(r) = guard.reserve_exact("KZT", Minor(60)) {
                            assert!(guard.spent("KZT") <= Minor(100), "after a reserve");
                            r.settle(Minor(60)).give_back();
                        }
                        assert!(guard.spent("KZT") <= Minor(100), "after a settle");
                    }
                })
            })
            .collect();
        for lane in lanes {
            lane.join().expect("no lane saw the tally pass the cap");
        }
        assert_eq!(guard.spent("KZT"), Minor::ZERO);
    }

    #[test]
    fn a_refusal_says_whether_it_waits_for_orders_in_flight_or_is_final() {
        let g = SpendGuard::new(true, Minor(100));
        let r = g.reserve("USD", Minor(30)).unwrap();
        assert_eq!(g.held("USD"), Minor(100));
        let busy = g.reserve("USD", Minor(30)).unwrap_err();
        assert!(busy.is_busy(), "{busy}");
        assert!(busy.to_string().contains("in flight"), "{busy}");
        r.settle(Minor(80));
        assert_eq!(g.held("USD"), Minor::ZERO);
        let reached = g.reserve("USD", Minor(30)).unwrap_err();
        assert!(!reached.is_busy(), "{reached}");
        assert!(
            reached.to_string().starts_with("spend cap reached"),
            "{reached}"
        );
        // Every way a reservation ends, ends its hold.
        let g = SpendGuard::new(true, Minor(100));
        g.reserve_exact("KZT", Minor(10)).unwrap().release();
        g.reserve_exact("KZT", Minor(10)).unwrap().keep();
        drop(g.reserve_exact("KZT", Minor(10)).unwrap());
        assert_eq!(g.held("KZT"), Minor::ZERO);
        assert_eq!(g.spent("KZT"), Minor(20));
    }

    #[test]
    fn stops_at_the_cap_per_currency() {
        let g = SpendGuard::new(true, Minor(10_000));
        assert!(g.try_spend("USD", Minor(6_000)).is_ok());
        assert!(g.try_spend("USD", Minor(5_000)).is_err());
        assert!(g.try_spend("EUR", Minor(5_000)).is_ok());
        g.refund("USD", Minor(6_000));
        assert!(g.try_spend("USD", Minor(10_000)).is_ok());
        assert_eq!(g.spent("USD"), Minor(10_000));
    }

    #[test]
    fn parses_and_prints_caps() {
        assert_eq!("100.00".parse::<Minor>(), Ok(Minor(10_000)));
        assert_eq!("7.5".parse::<Minor>(), Ok(Minor(750)));
        assert_eq!("12".parse::<Minor>(), Ok(Minor(1_200)));
        for bad in [
            "",
            "-1",
            "1.234",
            "1e3",
            "1.",
            ".5",
            "abc",
            "1234567890123456",
        ] {
            assert!(bad.parse::<Minor>().is_err(), "{bad}");
        }
        assert_eq!(Minor(123_456).to_string(), "1234.56");
    }

    #[test]
    fn a_reservation_holds_the_headroom_until_settled_with_the_charge() {
        let g = SpendGuard::new(true, Minor(100));
        let r = g.reserve("USD", Minor(1)).unwrap();
        assert_eq!(r.reserved(), Minor(100));
        // One real order per currency in flight.
        assert!(g.reserve("USD", Minor(1)).is_err());
        r.settle(Minor(10)); // the server charged 10 where the catalog said 1
        assert_eq!(g.spent("USD"), Minor(10));
        // Every later claim is believed ×10: 10 would be 100, over the 90 left.
        assert!(g.reserve("USD", Minor(10)).is_err());
        let r = g.reserve("USD", Minor(1)).unwrap();
        r.settle(Minor(10));
        let r = g.reserve("USD", Minor(1)).unwrap();
        drop(r); // timed out: unknown, so spent
        assert_eq!(g.spent("USD"), Minor(100));
        assert!(g.reserve("USD", Minor(1)).is_err());
        let e = g.reserve("EUR", Minor(1)).unwrap();
        e.release();
        assert_eq!(g.spent("EUR"), Minor::ZERO);
    }

    #[test]
    fn a_settlement_counts_no_less_than_the_reserved_price_and_gives_back_what_it_counted() {
        let g = SpendGuard::new(true, Minor(1_000));
        let first = g.reserve("USD", Minor(500)).unwrap().settle(Minor(500));
        // The catalog says 5.00; the server says it charged 1.00 (a claim: counted as 5.00).
        let second = g.reserve("USD", Minor(500)).unwrap().settle(Minor(100));
        assert_eq!(
            (g.spent("USD"), second.amount()),
            (Minor(1_000), Minor(500))
        );
        // More than the price is counted as charged.
        second.give_back();
        let third = g.reserve("USD", Minor(200)).unwrap().settle(Minor(300));
        assert_eq!(third.amount(), Minor(300));
        third.give_back();
        assert_eq!(
            g.spent("USD"),
            first.amount(),
            "the first order's 5.00 stays spent"
        );
    }

    #[test]
    fn a_quote_above_the_claim_bounds_the_first_real_order() {
        let g = SpendGuard::new(true, Minor(100));
        // The catalog says 1.00 a unit; a test order of it was charged 4.80.
        g.quoted("USD", Minor(100), Minor(480));
        assert!(
            g.reserve("USD", Minor(100)).is_err(),
            "4.80 does not fit 1.00"
        );
        assert!(
            g.reserve("USD", Minor(20)).is_ok(),
            "0.20 believed 0.96 fits"
        );
        // A quote at or below the claim teaches nothing.
        let g = SpendGuard::new(true, Minor(100));
        g.quoted("USD", Minor(100), Minor(90));
        assert!(g.reserve("USD", Minor(100)).is_ok());
    }

    #[test]
    fn refuses_everything_when_real_orders_are_not_allowed() {
        let g = SpendGuard::new(false, Minor(10_000));
        assert!(g.try_spend("USD", Minor(1)).is_err());
        assert!(g.reserve_exact("USD", Minor(1)).is_err());
        assert!(!g.allows("USD", Minor(1)));
    }

    #[test]
    fn exact_reservations_count_what_was_asked_and_more_when_more_was_held() {
        let g = SpendGuard::new(true, Minor(1_000));
        let a = g.reserve_exact("KZT", Minor(400)).unwrap();
        let b = g.reserve_exact("KZT", Minor(400)).unwrap();
        assert!(g.allows("KZT", Minor(200)) && !g.allows("KZT", Minor(201)));
        assert!(g.reserve_exact("KZT", Minor(400)).is_err());
        a.release(); // refused: not held
        b.settle(Minor(500)); // the server held more than asked: that counts
        assert_eq!(g.spent("KZT"), Minor(500));
        let c = g.reserve_exact("KZT", Minor(500)).unwrap();
        drop(c); // unknown outcome: spent
        assert_eq!(g.spent("KZT"), Minor(1_000));
        assert!(!g.allows("KZT", Minor(1)));
    }
}
