//! Hand-made exchanges, as if a target had answered: for unit tests of judges and checks
//! that run without a server.

use bytes::Bytes;

use super::{Exchange, Masker, SentRequest};

/// `method path` (sent with `X-Request-Id: rid-1`) answered `status` with `headers` and
/// `body`. Header pairs that are not valid HTTP are left out.
pub fn exchange(
    method: &str,
    path: &str,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Exchange {
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(k.as_bytes()),
            reqwest::header::HeaderValue::from_str(v),
        ) {
            map.append(name, value);
        }
    }
    Exchange::new(
        "http://127.0.0.1:1".into(),
        SentRequest {
            method: method.into(),
            path: path.into(),
            headers: vec![("X-Request-Id".into(), "rid-1".into())],
            body: None,
        },
        status,
        map,
        Bytes::from(body.to_string()),
        std::time::Duration::ZERO,
        Masker::new(),
    )
}
