//! Money: exact decimal amounts in major units, never `f64`.
//!
//! The contract (§1 Money) has two textual forms:
//! - a *response* `DecimalAmount`: `^(0|[1-9][0-9]*)\.[0-9]{2}$` (`"12.50"`);
//! - a *request* amount: `^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$` and > 0 (`"10"`, `"10.5"`).
//!
//! Rates (`agent_rate`) are 4-decimal strings `^[0-9]+\.[0-9]{4}$`.
//! Charges computed from a rate are rounded half up to 2 decimals.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a money string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not a decimal amount of the form 12.50")]
    NotDecimalAmount(String),
    #[error("`{0}` is not a request amount (digits, optionally 1-2 decimals)")]
    NotRequestAmount(String),
    #[error("`{0}` is not a 4-decimal rate")]
    NotRate(String),
    #[error("amount overflows")]
    Overflow,
}

/// An amount of money in major units with exactly two decimals (cents).
///
/// Stored as a [`Decimal`] with scale 2; `Display` always prints two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::from_parts(0, 0, 0, false, 2));

    /// From an integer number of minor units (cents).
    pub fn from_minor(minor: i64) -> Amount {
        Amount(Decimal::new(minor, 2))
    }

    /// From any decimal, rounded half up (away from zero at .5) to 2 decimals.
    pub fn round_half_up(value: Decimal) -> Amount {
        let mut d = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        d.rescale(2);
        Amount(d)
    }

    /// Parses a response `DecimalAmount` strictly (`"12.50"`, `"0.00"`).
    pub fn parse_decimal_amount(s: &str) -> Result<Amount, MoneyError> {
        let err = || MoneyError::NotDecimalAmount(s.to_string());
        let (int, frac) = s.split_once('.').ok_or_else(err)?;
        if !valid_integer_part(int) || frac.len() != 2 || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        Decimal::from_str(s).map(Amount).map_err(|_| err())
    }

    /// Parses a request amount (`"10"`, `"10.5"`, `"10.50"`); zero is accepted here,
    /// the caller decides whether zero is allowed.
    pub fn parse_request_amount(s: &str) -> Result<Amount, MoneyError> {
        let err = || MoneyError::NotRequestAmount(s.to_string());
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        if !valid_integer_part(int) {
            return Err(err());
        }
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 2 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
        }
        if int.len() > 15 {
            return Err(MoneyError::Overflow);
        }
        let mut d = Decimal::from_str(s).map_err(|_| err())?;
        d.rescale(2);
        Ok(Amount(d))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// Minor units (cents). Amounts are bounded far below `i64::MAX / 100`.
    pub fn minor(self) -> i64 {
        let mut d = self.0;
        d.rescale(2);
        i64::try_from(d.mantissa()).unwrap_or(i64::MAX)
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount::normalized)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount::normalized)
    }

    /// `self + other`, held at the largest or smallest amount instead of overflowing
    /// (for the reference model, whose numbers come from a target that may be hostile).
    pub fn saturating_add(self, other: Amount) -> Amount {
        Amount::normalized(self.0.saturating_add(other.0))
    }

    /// `self − other`, held at the bounds like [`Amount::saturating_add`].
    pub fn saturating_sub(self, other: Amount) -> Amount {
        Amount::normalized(self.0.saturating_sub(other.0))
    }

    /// `self × quantity`, exact.
    pub fn times(self, quantity: u32) -> Option<Amount> {
        self.0
            .checked_mul(Decimal::from(quantity))
            .map(Amount::normalized)
    }

    /// `round_half_up(self × rate, 2)` — the direct top-up charge of §5.1.
    pub fn times_rate(self, rate: Rate) -> Option<Amount> {
        self.0.checked_mul(rate.0).map(Amount::round_half_up)
    }

    fn normalized(mut d: Decimal) -> Amount {
        d.rescale(2);
        Amount(d)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0;
        d.rescale(2);
        write!(f, "{d}")
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let s = String::deserialize(d)?;
        Amount::parse_decimal_amount(&s).map_err(serde::de::Error::custom)
    }
}

/// A 4-decimal rate such as `agent_rate: "1.2500"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(Decimal);

impl Rate {
    pub fn parse(s: &str) -> Result<Rate, MoneyError> {
        let err = || MoneyError::NotRate(s.to_string());
        let (int, frac) = s.split_once('.').ok_or_else(err)?;
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() != 4
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err());
        }
        Decimal::from_str(s).map(Rate).map_err(|_| err())
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0;
        d.rescale(4);
        write!(f, "{d}")
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
        let s = String::deserialize(d)?;
        Rate::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn valid_integer_part(int: &str) -> bool {
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
}

impl From<Amount> for crate::engine::spend::Minor {
    /// The spend cap's unit: hundredths, as `Amount` has exactly two decimals.
    fn from(a: Amount) -> Self {
        crate::engine::spend::Minor(a.minor())
    }
}

impl From<crate::engine::spend::Minor> for Amount {
    fn from(m: crate::engine::spend::Minor) -> Self {
        Amount::from_minor(m.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amount_is_strict() {
        assert_eq!(Amount::parse_decimal_amount("12.50").unwrap().minor(), 1250);
        assert_eq!(Amount::parse_decimal_amount("0.00").unwrap().minor(), 0);
        for bad in [
            "12.5", "12", "012.50", "-1.00", "1e2", " 1.00", "1.000", ".50", "1.",
        ] {
            assert!(Amount::parse_decimal_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_amount_forms() {
        assert_eq!(
            Amount::parse_request_amount("10").unwrap().to_string(),
            "10.00"
        );
        assert_eq!(
            Amount::parse_request_amount("10.5").unwrap().to_string(),
            "10.50"
        );
        assert_eq!(Amount::parse_request_amount("10.50").unwrap().minor(), 1050);
        for bad in [
            "-1", "1.234", "1e3", " 1", "1 ", "01", "1.", "", "+1", "0x10",
        ] {
            assert!(Amount::parse_request_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn half_up_rounding_matches_contract_example() {
        let amount = Amount::parse_request_amount("3.34").unwrap();
        let rate = Rate::parse("1.2500").unwrap();
        assert_eq!(amount.times_rate(rate).unwrap().to_string(), "4.18");
        let amount = Amount::parse_request_amount("0.02").unwrap();
        assert_eq!(
            amount
                .times_rate(Rate::parse("0.2500").unwrap())
                .unwrap()
                .to_string(),
            "0.01"
        );
    }

    #[test]
    fn display_and_arithmetic() {
        let a = Amount::from_minor(1000);
        let b = Amount::parse_decimal_amount("2.50").unwrap();
        assert_eq!(a.checked_sub(b).unwrap().to_string(), "7.50");
        let huge = Amount::parse_decimal_amount("40000000000000000000000000000.00").unwrap();
        assert_eq!(huge.checked_add(huge), None);
        assert_eq!(
            huge.saturating_add(huge).cmp(&huge),
            std::cmp::Ordering::Greater
        );
        assert_eq!(b.times(3).unwrap().to_string(), "7.50");
        assert_eq!(Amount::ZERO.to_string(), "0.00");
    }
}
