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

/// A server on a free loopback port that answers one request `200 {}` and hands back the
/// request's head as it arrived: `(base URL, the head)`.
#[cfg(test)]
pub async fn one_answer() -> (String, tokio::task::JoinHandle<String>) {
    answer_once(200, "{}").await
}

/// [`one_answer`], answering `status` with the JSON `body`.
#[cfg(test)]
pub async fn answer_once(status: u16, body: &str) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = body.to_string();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            seen.extend_from_slice(&buf[..n]);
        }
        let answer = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&seen).into_owned()
    });
    (url, server)
}

/// Every form a hostile target echoes `secret` in (and an output could leak it in): raw,
/// JSON-escaped (also with `\/` and all `\uXXXX`), percent- and form-encoded, base64
/// (standard and URL-safe), HTML-escaped, and two of those layered.
pub fn echoes(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    let json = serde_json::to_string(secret).expect("a string serializes");
    let inner = json[1..json.len() - 1].to_string();
    let php = inner.replace('/', "\\/");
    let unicode: String = secret
        .encode_utf16()
        .map(|u| format!("\\u{u:04x}"))
        .collect();
    let percent = |text: &str| -> String { text.bytes().map(|b| format!("%{b:02X}")).collect() };
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let html = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    let json_of_html = serde_json::to_string(&html).expect("a string serializes");
    let mut forms = vec![
        secret.to_string(),
        inner,
        php,
        unicode,
        percent(secret),
        form,
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        html,
        json_of_html,
        percent(&json),
    ];
    forms.sort();
    forms.dedup();
    forms
}
