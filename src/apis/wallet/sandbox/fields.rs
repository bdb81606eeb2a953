//! The Wallet's field rules (WALLET_API.md §1 Money, §5): amounts, currencies, phone
//! numbers, IINs, order references and path ids. Every failure is `400 invalid_request`
//! naming the field; no message ever repeats the value it refuses (§2: personal data).

use serde_json::{Map, Value};

use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::request::{field, is_capital_code};

/// Largest amount a request may carry (§1 Money).
pub const MAX_AMOUNT: u64 = 1_000_000_000_000;

/// `amount`: a JSON integer, 1 ≤ amount ≤ 10¹². `150.0`, `1e3`, strings, booleans and
/// null are refused.
pub fn amount(obj: &Map<String, Value>) -> Result<i64, ApiError> {
    match field(obj, "amount") {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(a) if (1..=MAX_AMOUNT).contains(&a) => Ok(a as i64),
            _ => Err(ApiError::invalid(
                "amount",
                "amount must be an integer from 1 to 1000000000000 (minor units)",
            )),
        },
        Some(_) => Err(ApiError::invalid(
            "amount",
            "amount must be an integer number of minor units",
        )),
        None => Err(ApiError::invalid("amount", "amount is required")),
    }
}

fn required_str<'a>(obj: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, ApiError> {
    match field(obj, name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid(name, format!("{name} must be a string"))),
        None => Err(ApiError::invalid(name, format!("{name} is required"))),
    }
}

/// `phoneNumber`: E.164, `^\+[1-9][0-9]{7,14}$`.
pub fn phone_number(obj: &Map<String, Value>) -> Result<&str, ApiError> {
    let p = required_str(obj, "phoneNumber")?;
    let digits = p.strip_prefix('+').unwrap_or("");
    let ok = p.starts_with('+')
        && (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(p)
    } else {
        Err(ApiError::invalid(
            "phoneNumber",
            "phoneNumber must be an E.164 number: + and 8 to 15 digits, the first not 0",
        ))
    }
}

/// `iin`: 12 digits, a real birth date in the century the 7th digit names, and the check
/// digit of §5.
pub fn iin(obj: &Map<String, Value>) -> Result<(), ApiError> {
    let s = required_str(obj, "iin")?;
    if is_valid_iin(s) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "iin",
            "iin must be a valid Kazakhstan IIN: 12 digits, a birth date, a century digit 1-6 and the check digit",
        ))
    }
}

/// The IIN rule of §5.
pub fn is_valid_iin(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d: Vec<u32> = b.iter().map(|c| u32::from(c - b'0')).collect();
    let century = match d[6] {
        1 | 2 => 1800,
        3 | 4 => 1900,
        5 | 6 => 2000,
        _ => return false,
    };
    let year = century + (d[0] * 10 + d[1]) as i32;
    let Ok(month) = time::Month::try_from((d[2] * 10 + d[3]) as u8) else {
        return false;
    };
    if time::Date::from_calendar_date(year, month, (d[4] * 10 + d[5]) as u8).is_err() {
        return false;
    }
    check_digit(&d[..11]) == Some(d[11])
}

/// `Σ dᵢ·i mod 11`; when 10, again with weights 3…11,1,2; when 10 again, none.
pub fn check_digit(first_eleven: &[u32]) -> Option<u32> {
    const SECOND: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
    let first = first_eleven
        .iter()
        .zip(1..)
        .map(|(d, w)| d * w)
        .sum::<u32>()
        % 11;
    if first != 10 {
        return Some(first);
    }
    let second = first_eleven
        .iter()
        .zip(SECOND)
        .map(|(d, w)| d * w)
        .sum::<u32>()
        % 11;
    (second != 10).then_some(second)
}

/// `orderReference`: 1–64 printable ASCII characters.
pub fn order_reference(obj: &Map<String, Value>) -> Result<&str, ApiError> {
    let r = required_str(obj, "orderReference")?;
    if (1..=64).contains(&r.len()) && r.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        Ok(r)
    } else {
        Err(ApiError::invalid(
            "orderReference",
            "orderReference must be 1 to 64 printable ASCII characters",
        ))
    }
}

/// `currency`: `^[A-Z]{3}$` and one the merchant accepts.
pub fn currency<'a>(obj: &'a Map<String, Value>, accepted: &[String]) -> Result<&'a str, ApiError> {
    let c = required_str(obj, "currency")?;
    if !is_capital_code(c, 3) {
        return Err(ApiError::invalid(
            "currency",
            "currency must be an ISO 4217 code of three capital letters",
        ));
    }
    if !accepted.iter().any(|a| a == c) {
        return Err(ApiError::invalid(
            "currency",
            "this merchant does not accept that currency",
        ));
    }
    Ok(c)
}

/// A path's `wallet_transaction_id`: `wt_` and 26 upper-case Crockford characters.
pub fn transaction_id(raw: &str) -> Result<String, ApiError> {
    if crate::apis::wallet::sandbox::ids::is_transaction_id(raw) {
        Ok(raw.to_string())
    } else {
        Err(ApiError::invalid(
            "wallet_transaction_id",
            "wallet_transaction_id must be wt_ followed by a 26-character ULID",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iins_of_the_contract() {
        for good in ["900101300007", "900101300811", "000229500008"] {
            assert!(is_valid_iin(good), "{good}");
        }
        for bad in [
            "900101300008",
            "901301300007",
            "000229300005",
            "90010130000",
            "9001013000a7",
        ] {
            assert!(!is_valid_iin(bad), "{bad}");
        }
        for x in 0..10 {
            assert!(!is_valid_iin(&format!("90010130080{x}")));
        }
    }
}
