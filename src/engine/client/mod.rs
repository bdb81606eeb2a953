//! HTTP access to an API target. Every call returns an [`Exchange`]: the request as
//! sent and the response as received, so checks judge it and reports show it.
//!
//! **Invariant:** the client never decides whether a response is right; it only records.

mod exchange;
mod secret;

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;

pub use exchange::{curl_command, Exchange, SentRequest};
pub use secret::{Masker, Secret};

/// Who the caller is, beyond its key: named fields an API puts in its paths (the Gate's
/// `agent_id`). Empty for an API whose key alone names the caller.
pub type Identity = std::collections::BTreeMap<&'static str, String>;

/// Where and as whom to talk.
#[derive(Debug, Clone)]
pub struct Target {
    /// e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub base_url: String,
    pub identity: Identity,
    pub api_key: Secret,
    /// Sandbox admin token (§9.2); admin probes are skipped without it.
    pub admin_token: Option<Secret>,
}

impl Target {
    /// One identity field (`""` when the API has none of that name).
    pub fn identity(&self, field: &str) -> &str {
        self.identity.get(field).map_or("", String::as_str)
    }

    /// True when the host is loopback (127.0.0.0/8, ::1, localhost): orders there may
    /// move (sandbox) money without `--allow-spend`.
    pub fn is_loopback(&self) -> bool {
        let Ok(url) = reqwest::Url::parse(&self.base_url) else {
            return false;
        };
        match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }
}

/// A transport failure: no HTTP response at all.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("no response from {url} within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("request to {url} failed: {reason}")]
    Other { url: String, reason: String },
}

/// Which credentials a request carries.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Authorization: <api key>` — the normal case.
    ApiKey,
    /// No `Authorization` header.
    None,
    /// `Authorization: <this exact value>` (e.g. `Bearer <key>`, an unknown key).
    Raw(String),
    /// `X-Sandbox-Admin: <admin token>` and no `Authorization`.
    Admin,
}

/// The client of one API target: records every exchange, masks every secret.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    target: Target,
    masker: Masker,
    timeout: Duration,
}

impl ApiClient {
    pub fn new(target: Target, timeout: Duration) -> anyhow::Result<ApiClient> {
        ApiClient::with_key_variable(target, timeout, "GATECHECK_API_KEY")
    }

    /// As [`ApiClient::new`], masking the key as `$variable` in evidence.
    pub fn with_key_variable(
        target: Target,
        timeout: Duration,
        variable: &str,
    ) -> anyhow::Result<ApiClient> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64)
            .build()?;
        let masker = Masker::new();
        masker.add(target.api_key.expose(), variable);
        if let Some(admin) = &target.admin_token {
            masker.add(admin.expose(), "GATECHECK_ADMIN_TOKEN");
        }
        Ok(ApiClient {
            http,
            target: Target {
                base_url: target.base_url.trim_end_matches('/').to_string(),
                ..target
            },
            masker,
            timeout,
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    /// A client acting as another caller (e.g. one created through the admin API);
    /// shares the HTTP pool and the masker, and registers the new key as a secret.
    pub fn as_identity(&self, identity: Identity, api_key: &str) -> ApiClient {
        self.masker.add_numbered(api_key, "GATECHECK_OTHER_KEY");
        ApiClient {
            http: self.http.clone(),
            target: Target {
                identity,
                api_key: Secret::new(api_key),
                ..self.target.clone()
            },
            masker: self.masker.clone(),
            timeout: self.timeout,
        }
    }

    pub fn get(&self, path: impl Into<String>) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: impl Into<String>) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            method,
            path: path.into(),
            auth: Auth::ApiKey,
            headers: Vec::new(),
            body: None,
        }
    }
}

/// Builds one request. Headers are sent in the order given.
pub struct RequestBuilder<'a> {
    client: &'a ApiClient,
    method: Method,
    path: String,
    auth: Auth,
    headers: Vec<(String, String)>,
    body: Option<Bytes>,
}

impl RequestBuilder<'_> {
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        let bytes = serde_json::to_vec(body).expect("a JSON value always serializes");
        self.header("Content-Type", "application/json")
            .raw_body(bytes)
    }

    /// A body as given; add a `Content-Type` with [`Self::header`] if wanted.
    pub fn raw_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub async fn send(self) -> Result<Exchange, TransportError> {
        let client = self.client;
        let target = &client.target;
        let mut headers = Vec::with_capacity(self.headers.len() + 1);
        match &self.auth {
            Auth::ApiKey => headers.push((
                "Authorization".to_string(),
                target.api_key.expose().to_string(),
            )),
            Auth::Raw(value) => headers.push(("Authorization".to_string(), value.clone())),
            Auth::Admin => {
                if let Some(token) = &target.admin_token {
                    headers.push(("X-Sandbox-Admin".to_string(), token.expose().to_string()));
                }
            }
            Auth::None => {}
        }
        headers.extend(self.headers);
        let url = format!("{}{}", target.base_url, self.path);
        let mut req = client.http.request(self.method.clone(), &url);
        for (name, value) in &headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &self.body {
            req = req.body(body.clone());
        }
        let sent = SentRequest {
            method: self.method.to_string(),
            path: self.path,
            headers,
            body: self.body,
        };
        let started = Instant::now();
        let masked_url = client.masker.mask(&url);
        let response = req
            .send()
            .await
            .map_err(|e| classify(e, &masked_url, client.timeout))?;
        let status = response.status().as_u16();
        let resp_headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| classify(e, &masked_url, client.timeout))?;
        Ok(Exchange::new(
            target.base_url.clone(),
            sent,
            status,
            resp_headers,
            body,
            started.elapsed(),
            client.masker.clone(),
        ))
    }
}

fn classify(e: reqwest::Error, url: &str, timeout: Duration) -> TransportError {
    let url = url.to_string();
    if e.is_timeout() {
        TransportError::Timeout { url, timeout }
    } else if e.is_connect() {
        TransportError::Connect {
            url,
            reason: root_cause(&e),
        }
    } else {
        TransportError::Other {
            url,
            reason: root_cause(&e),
        }
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
