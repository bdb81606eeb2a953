//! Talking to a sandbox with reqwest: one request sent with raw headers and body, its
//! response read whole into a [`Resp`] with the Error model's readers and assertions.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn code(&self) -> Option<String> {
        self.json()["error"]["code"].as_str().map(str::to_string)
    }
    pub fn param(&self) -> Value {
        self.json()["error"]["param"].clone()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }
    /// Asserts status and error code, returning self for more checks.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Resp {
        assert_eq!(self.status(), status, "status; body: {}", self.text);
        assert_eq!(
            self.code().as_deref(),
            Some(code),
            "code; body: {}",
            self.text
        );
        self
    }
    #[track_caller]
    pub fn expect_param(&self, param: Option<&str>) -> &Resp {
        assert_eq!(
            self.param(),
            param.map_or(Value::Null, |p| json!(p)),
            "param; body: {}",
            self.text
        );
        self
    }
    /// Asserts status, error code and param.
    #[track_caller]
    pub fn expect(&self, status: u16, code: &str, param: Option<&str>) -> &Resp {
        self.expect_error(status, code).expect_param(param)
    }
    /// Asserts the status; returns the body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status(), status, "status; body: {}", self.text);
        self.json()
    }
}

/// The tests' HTTP client (30 s timeout).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Sends a request with the given headers and optional raw body.
pub async fn send(
    http: &reqwest::Client,
    method: Method,
    url: String,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Resp {
    let mut rb = http.request(method, url);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.body(b);
    }
    let r = rb.send().await.expect("request sent");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    Resp {
        status,
        headers,
        text,
    }
}

/// A sandbox admin call: `X-Sandbox-Admin`, and a JSON body when one is given.
pub async fn admin(
    http: &reqwest::Client,
    method: Method,
    url: String,
    token: &str,
    body: Option<&Value>,
) -> Resp {
    let mut headers = vec![("x-sandbox-admin", token)];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = body.map(|b| serde_json::to_vec(b).expect("json"));
    send(http, method, url, &headers, body).await
}

/// `GET url` with `Authorization: key`; the JSON body.
pub async fn get_json(http: &reqwest::Client, url: String, key: &str) -> Value {
    http.get(url)
        .header("authorization", key)
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a JSON body")
}
