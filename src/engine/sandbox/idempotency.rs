//! Idempotency (contract §5.2, §10): the `Idempotency-Key` header's syntax, the
//! JSON-equality fingerprint of a payload, and the in-memory set of keys in flight (for
//! `409 idempotency_in_progress`). The durable key binding lives in the store, written in
//! the same transaction as the order it binds.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::engine::sandbox::errors::ApiError;

pub const MAX_KEY_LEN: usize = 255;

/// Validates an `Idempotency-Key` header value: 1–255 printable ASCII characters.
pub fn parse_key(raw: &[u8]) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_KEY_LEN
        && raw.iter().all(|b| (0x20..=0x7e).contains(b));
    match (ok, std::str::from_utf8(raw)) {
        (true, Ok(s)) => Ok(s.to_string()),
        _ => Err(ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key must be 1-255 printable ASCII characters",
        )),
    }
}

/// The `Idempotency-Key` header, when sent (once): `400` when empty, too long, not
/// printable ASCII, or given twice.
pub fn header_key(headers: &http::HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all("idempotency-key").iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => parse_key(v.as_bytes()).map(Some),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key is given more than once",
        )),
    }
}

/// A fingerprint under which JSON-equal bodies are equal: object key order and white space
/// do not matter, `1` equals `1.0`, `true` is not `1`, unknown fields count.
pub fn fingerprint(body: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(body, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&canonical_number(n)),
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(item) = map.get(k) {
                    write_canonical(item, out);
                }
            }
            out.push('}');
        }
    }
}

/// Integers and integral floats render as the integer; other floats by their shortest
/// round-trip form. (The fingerprint compares values; it never feeds a computation.)
fn canonical_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
        Some(f) => format!("{f:e}"),
        None => n.to_string(),
    }
}

/// Keys whose first request is still being processed, per owner (who sent them).
#[derive(Debug, Default, Clone)]
pub struct InFlight {
    keys: Arc<Mutex<HashSet<(String, String)>>>,
}

/// Held while a keyed request is processed; frees the key when dropped.
#[derive(Debug)]
pub struct InFlightGuard {
    keys: Arc<Mutex<HashSet<(String, String)>>>,
    entry: (String, String),
}

impl InFlight {
    /// Marks the key in flight, or `409 idempotency_in_progress` when it already is.
    pub fn enter(&self, owner: &str, key: &str) -> Result<InFlightGuard, ApiError> {
        let entry = (owner.to_string(), key.to_string());
        if !self.keys.lock().insert(entry.clone()) {
            return Err(ApiError::idempotency_in_progress());
        }
        Ok(InFlightGuard {
            keys: Arc::clone(&self.keys),
            entry,
        })
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.keys.lock().remove(&self.entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_equal_payloads_share_a_fingerprint() {
        let a: Value =
            serde_json::from_str(r#"{"product_id": 1, "x": {"b": 1, "a": [1, 2]}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"x":{"a":[1,2.0],"b":1.0},"product_id":1.0}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(
            fingerprint(&json!({})),
            fingerprint(&json!({"quantity": 1}))
        );
        assert_ne!(
            fingerprint(&json!({"test": true})),
            fingerprint(&json!({"test": 1}))
        );
        assert_ne!(
            fingerprint(&json!({"a": "1"})),
            fingerprint(&json!({"a": 1}))
        );
    }

    #[test]
    fn key_syntax() {
        assert!(parse_key(b"order-1").is_ok());
        assert!(parse_key(&[b'a'; 255]).is_ok());
        assert!(parse_key(&[b'a'; 256]).is_err());
        assert!(parse_key(b"").is_err());
        assert!(parse_key(b"caf\xc3\xa9").is_err());
    }

    #[test]
    fn in_flight_refuses_a_second_entry_until_released() {
        let f = InFlight::default();
        let g = f.enter("a", "k").unwrap();
        assert!(f.enter("a", "k").is_err());
        assert!(f.enter("b", "k").is_ok());
        drop(g);
        assert!(f.enter("a", "k").is_ok());
    }
}
