//! Test-only: an [`Exchange`] as if the target had answered, for unit-testing an API's
//! pure judges without a server.

use bytes::Bytes;
use serde_json::Value;

use crate::engine::client::{Exchange, Masker, SentRequest};

/// `method path` answered `status` with `headers` and the JSON `body`.
pub fn exchange(
    method: &str,
    path: &str,
    status: u16,
    headers: &[(&str, &str)],
    body: &Value,
) -> Exchange {
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        map.append(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("a header name"),
            reqwest::header::HeaderValue::from_str(v).expect("a header value"),
        );
    }
    Exchange::new(
        "http://127.0.0.1:1".into(),
        SentRequest {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
        },
        status,
        map,
        Bytes::from(body.to_string()),
        std::time::Duration::ZERO,
        Masker::new(),
    )
}
