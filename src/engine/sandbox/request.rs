//! Reading a request: the `415` media-type rule (§1, §10), the body, the JSON document,
//! typed optional fields ("explicit null means absent"), and `X-Request-Id`.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::engine::sandbox::errors::ApiError;

/// Largest body the sandbox reads.
pub const MAX_BODY: usize = 1 << 20;

/// The `415` rule: a body needs `Content-Type: application/json` (case-insensitive,
/// parameters ignored); any other declared media type is refused even with no body.
pub fn check_media_type(headers: &HeaderMap, body_is_empty: bool) -> Result<(), ApiError> {
    match headers.get(http::header::CONTENT_TYPE) {
        None if body_is_empty => Ok(()),
        None => Err(ApiError::unsupported_media_type()),
        Some(v) => {
            let text = v.to_str().map_err(|_| ApiError::unsupported_media_type())?;
            let essence = text.split(';').next().unwrap_or("").trim();
            if essence.eq_ignore_ascii_case("application/json") {
                Ok(())
            } else {
                Err(ApiError::unsupported_media_type())
            }
        }
    }
}

/// The body as one JSON object; `400` when absent, malformed or not an object.
pub fn json_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::invalid_body("A JSON body is required"));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_body(format!("The body is not valid JSON: {e}")))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::invalid_body("The body must be a JSON object")),
    }
}

/// A field, with explicit `null` read as absent.
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

/// An optional non-negative integer field; `1.0`, strings and booleans are refused.
pub fn opt_u64(obj: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, ApiError> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::Number(n)) if n.is_u64() => Ok(n.as_u64()),
        Some(_) => Err(ApiError::invalid(
            name,
            format!("{name} must be a positive integer"),
        )),
    }
}

pub fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, ApiError> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(name, format!("{name} must be a string"))),
    }
}

pub fn opt_bool(obj: &Map<String, Value>, name: &'static str) -> Result<Option<bool>, ApiError> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid(name, format!("{name} must be a boolean"))),
    }
}

/// The request's `X-Request-Id` when it is 1–128 printable ASCII characters, else a new one.
pub fn request_id(headers: &HeaderMap) -> String {
    if let Some(v) = headers.get("x-request-id") {
        let b = v.as_bytes();
        if !b.is_empty() && b.len() <= 128 && b.iter().all(|c| (0x20..=0x7e).contains(c)) {
            if let Ok(s) = v.to_str() {
                return s.to_string();
            }
        }
    }
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// A code of exactly `len` capital ASCII letters (currency: 3, region: 2).
pub fn is_capital_code(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// A lowercase-or-uppercase hyphenated UUID; returns it lowercased.
pub fn parse_uuid(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    shape_ok.then(|| s.to_ascii_lowercase())
}

/// A percent-encoded path segment, decoded (`+` stays a plus).
pub fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("k={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A positive integer without sign or leading zeros.
pub fn parse_positive_id(s: &str) -> Option<u64> {
    let ok = !s.is_empty()
        && s.len() <= 19
        && s.bytes().all(|b| b.is_ascii_digit())
        && !s.starts_with('0');
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids() {
        assert_eq!(parse_positive_id("7"), Some(7));
        for bad in ["0", "007", "-1", "", "1.0", "abc", "99999999999999999999"] {
            assert_eq!(parse_positive_id(bad), None, "{bad}");
        }
        assert!(parse_uuid("5C1F4F9D-8B5A-4E8B-8C0E-1D1C2F3A4B5C").is_some());
        assert!(parse_uuid("5c1f4f9d8b5a4e8b8c0e1d1c2f3a4b5c").is_none());
    }

    #[test]
    fn media_types() {
        let mut h = HeaderMap::new();
        assert!(check_media_type(&h, true).is_ok());
        assert!(check_media_type(&h, false).is_err());
        h.insert(
            http::header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert!(check_media_type(&h, false).is_ok());
        h.insert(http::header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(check_media_type(&h, true).is_err());
    }
}
