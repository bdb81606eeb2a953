//! Reading `GET /balance` for the probes: strict DecimalAmounts, and negative amounts kept
//! as negative (an overdraw must be seen, never clamped or dropped).

use serde_json::Value;

use crate::apis::gate::money::Amount;
use crate::engine::client::Exchange;

/// One row of `GET /balance`, strictly parsed.
#[derive(Debug, Clone)]
pub struct BalanceRow {
    pub currency: String,
    pub available: Amount,
    pub reserved: Amount,
    pub available_text: String,
    pub reserved_text: String,
}

/// Parses `GET /balance`. A negative amount is reported as such (never clamped).
pub fn balance_rows(ex: &Exchange) -> Result<Vec<BalanceRow>, String> {
    if ex.status != 200 {
        return Err(format!("{} {}", ex.status, ex.body_excerpt()));
    }
    let json = ex.json().ok_or("the body is not JSON")?;
    let items = json
        .get("items")
        .and_then(Value::as_array)
        .ok_or("no `items` array")?;
    items
        .iter()
        .map(|item| {
            let currency = item
                .get("currency_code")
                .and_then(Value::as_str)
                .ok_or("a row without currency_code")?;
            let text = |f: &str| {
                item.get(f)
                    .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
                    .unwrap_or_default()
            };
            let (a, r) = (text("available"), text("reserved"));
            Ok(BalanceRow {
                currency: currency.to_string(),
                available: parse_signed(&a)
                    .ok_or_else(|| format!("available `{a}` is not an amount"))?,
                reserved: parse_signed(&r)
                    .ok_or_else(|| format!("reserved `{r}` is not an amount"))?,
                available_text: a,
                reserved_text: r,
            })
        })
        .collect()
}

/// A DecimalAmount, or its negative (so a negative balance is compared, not lost).
pub fn parse_signed(s: &str) -> Option<Amount> {
    match s.strip_prefix('-') {
        Some(rest) => Amount::parse_decimal_amount(rest)
            .ok()
            .and_then(|a| Amount::ZERO.checked_sub(a)),
        None => Amount::parse_decimal_amount(s).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_amounts_are_kept_and_junk_is_refused() {
        assert_eq!(parse_signed("-38.40"), Some(Amount::from_minor(-3_840)));
        assert_eq!(parse_signed("12.50"), Some(Amount::from_minor(1_250)));
        assert_eq!(parse_signed("12.5"), None);
        assert_eq!(parse_signed("--1.00"), None);
    }
}
