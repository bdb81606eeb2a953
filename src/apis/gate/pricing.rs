//! §5.1 "The charge", once, for the contract checks and the invariants: a voucher costs
//! `agent_price × quantity`; a direct top-up costs `round_half_up(amount × agent_rate, 2)`.
//!
//! **Invariant:** pure, exact decimal arithmetic; an overflow is `None`, never a panic
//! and never a substitute number.

use crate::apis::gate::money::{Amount, Rate};

/// How a product prices an order.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceRule {
    /// `agent_price × quantity`.
    Voucher { agent_price: Amount },
    /// `round_half_up(amount × agent_rate, 2)` with `min ≤ amount ≤ max`.
    TopUp {
        rate: Rate,
        min: Amount,
        max: Amount,
    },
}

/// The charge of `quantity` of a voucher.
pub fn voucher(agent_price: Amount, quantity: u32) -> Option<Amount> {
    agent_price.times(quantity)
}

/// The charge of a top-up of `amount`.
pub fn topup(amount: Amount, rate: Rate) -> Option<Amount> {
    amount.times_rate(rate)
}

/// The formula, for evidence: `agent_price 5.00 × quantity 2`, `round_half_up(10.00 × 1.2500, 2)`.
pub fn voucher_formula(agent_price: Amount, quantity: u32) -> String {
    format!("agent_price {agent_price} × quantity {quantity}")
}

/// See [`voucher_formula`].
pub fn topup_formula(amount: Amount, rate: Rate) -> String {
    format!("round_half_up({amount} × {rate}, 2)")
}

/// An amount inside `[min, max]` whose charge at `rate` exercises half-up rounding (the
/// exact product ends in a 5 at the third decimal) when one exists near `min`.
pub fn half_up_amount(min: Amount, max: Amount, rate: Rate) -> Amount {
    let hundred = rust_decimal::Decimal::from(100);
    let half = rust_decimal::Decimal::new(5, 1);
    let first = min.minor().max(1);
    let top = max.minor().min(first.saturating_add(5_000));
    for minor in first..=top {
        let amount = Amount::from_minor(minor);
        let scaled = amount
            .decimal()
            .checked_mul(rate.decimal())
            .and_then(|d| d.checked_mul(hundred));
        if scaled.is_some_and(|s| s.fract() == half) {
            return amount;
        }
    }
    min.max(Amount::from_minor(1)).min(max)
}

impl PriceRule {
    /// The charge of an order of `quantity` (vouchers) or `amount` (top-ups); `None` on
    /// overflow or a top-up without an amount.
    pub fn charge(&self, quantity: u32, amount: Option<Amount>) -> Option<Amount> {
        match self {
            PriceRule::Voucher { agent_price } => voucher(*agent_price, quantity),
            PriceRule::TopUp { rate, .. } => topup(amount?, *rate),
        }
    }

    /// The formula of [`PriceRule::charge`], for evidence.
    pub fn formula(&self, quantity: u32, amount: Option<Amount>) -> Option<String> {
        match self {
            PriceRule::Voucher { agent_price } => Some(voucher_formula(*agent_price, quantity)),
            PriceRule::TopUp { rate, .. } => Some(topup_formula(amount?, *rate)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vouchers_multiply_and_topups_round_half_up() {
        let price = Amount::parse_decimal_amount("4.99").unwrap();
        let rule = PriceRule::Voucher { agent_price: price };
        assert_eq!(rule.charge(3, None), Some(Amount::from_minor(1_497)));
        assert_eq!(
            rule.formula(3, None).unwrap(),
            "agent_price 4.99 × quantity 3"
        );
        let rate = Rate::parse("1.2345").unwrap();
        let rule = PriceRule::TopUp {
            rate,
            min: Amount::from_minor(100),
            max: Amount::from_minor(100_000),
        };
        // 10.02 × 1.2345 = 12.36969 → 12.37; 0.02 × 1.2500 = 0.025 → 0.03 (half up).
        assert_eq!(
            rule.charge(1, Some(Amount::from_minor(1_002))),
            Some(Amount::from_minor(1_237))
        );
        assert_eq!(
            topup(Amount::from_minor(2), Rate::parse("1.2500").unwrap()),
            Some(Amount::from_minor(3))
        );
        assert_eq!(rule.charge(1, None), None);
        assert_eq!(
            rule.formula(1, Some(Amount::from_minor(1_002))).unwrap(),
            "round_half_up(10.02 × 1.2345, 2)"
        );
    }

    #[test]
    fn picks_an_amount_that_rounds_half_up() {
        let rate = Rate::parse("1.2500").unwrap();
        let a = half_up_amount(Amount::from_minor(100), Amount::from_minor(50_000), rate);
        assert_eq!(a.to_string(), "1.02"); // 1.02 × 1.25 = 1.275 → 1.28
        assert_eq!(topup(a, rate).unwrap().to_string(), "1.28");
        let huge = Amount::parse_decimal_amount("40000000000000000000000000000.00").unwrap();
        assert_eq!(
            half_up_amount(huge, huge, rate),
            huge,
            "no panic on a hostile range"
        );
    }

    #[test]
    fn an_overflowing_charge_is_none() {
        let huge = Amount::parse_decimal_amount("40000000000000000000000000000.00").unwrap();
        assert_eq!(voucher(huge, 3), None);
    }
}
