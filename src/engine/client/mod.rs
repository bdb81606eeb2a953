//! HTTP access to an API target. Every call returns an [`Exchange`]: the request as
//! sent and the response as received, so checks judge it and reports show it.
//!
//! **Invariant:** the client never decides whether a response is right; it only records.

mod escapes;
mod exchange;
pub mod fake;
mod journal;
mod pace;
pub mod pages;
mod secret;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;

pub use exchange::{curl_command, excerpt, Exchange, SentRequest, EXCERPT_BYTES};
pub use journal::{Answer, ExchangeJournal, Recorded};
pub use pace::{retry_after_seconds, PaceConfig, Pacer, PacingSummary};
pub use secret::{mask_middle, BadSecret, Masker, Secret};

/// How a key learned during the run is shown: `$GATECHECK_OTHER_KEY_n`.
pub const OTHER_KEY_PREFIX: &str = "GATECHECK_OTHER_KEY";

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
    /// The body passed the size cap: reading stopped there (never buffered whole).
    #[error("the response of {url} is larger than the {limit}-byte cap (--max-response-bytes)")]
    TooLarge { url: String, limit: usize },
}

/// The default response-size cap: 4 MiB, well above any Plexy API page.
pub const DEFAULT_MAX_BODY: usize = 4 << 20;

/// The header an API reads its key from, raw (no `Bearer`): `Authorization` for the Gate
/// and the Wallet; the Pay API's merchant payments will name `x-api-key`.
pub const DEFAULT_AUTH_HEADER: &str = "Authorization";

/// Which credentials a request carries (in the client's auth header, see
/// [`ApiClient::with_auth_header`]).
#[derive(Debug, Clone)]
pub enum Auth {
    /// `<auth header>: <api key>` — the normal case.
    ApiKey,
    /// No auth header.
    None,
    /// `<auth header>: <this exact value>` (e.g. `Bearer <key>`, an unknown key).
    Raw(String),
    /// `X-Sandbox-Admin: <admin token>` and no auth header.
    Admin,
}

/// The client of one API target: records every exchange, masks every secret.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    target: Target,
    masker: Masker,
    timeout: Duration,
    pacer: std::sync::Arc<Pacer>,
    /// Where every exchange is also kept (the run's HAR), when the run keeps them.
    journal: Option<Arc<dyn ExchangeJournal>>,
    max_body: usize,
    /// The header the API key goes in.
    auth_header: &'static str,
}

impl ApiClient {
    /// The same client with another response-size cap.
    pub fn with_max_body(mut self, bytes: usize) -> ApiClient {
        self.max_body = bytes;
        self
    }

    /// The same client sending its key in `header` instead of `Authorization`.
    pub fn with_auth_header(mut self, header: &'static str) -> ApiClient {
        self.auth_header = header;
        self
    }

    /// The header the API key goes in.
    pub fn auth_header(&self) -> &'static str {
        self.auth_header
    }

    pub fn new(target: Target, timeout: Duration) -> anyhow::Result<ApiClient> {
        ApiClient::build(target, timeout, PaceConfig::default(), "GATECHECK_API_KEY")
    }

    /// A client whose requests go through a [`Pacer`] with this configuration.
    pub fn paced(target: Target, timeout: Duration, pace: PaceConfig) -> anyhow::Result<ApiClient> {
        ApiClient::build(target, timeout, pace, "GATECHECK_API_KEY")
    }

    /// As [`ApiClient::new`], masking the key as `$variable` in evidence.
    pub fn with_key_variable(
        target: Target,
        timeout: Duration,
        variable: &str,
    ) -> anyhow::Result<ApiClient> {
        ApiClient::build(target, timeout, PaceConfig::default(), variable)
    }

    /// A paced client whose key is masked as `$variable` in evidence.
    pub fn build(
        target: Target,
        timeout: Duration,
        pace: PaceConfig,
        variable: &str,
    ) -> anyhow::Result<ApiClient> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64)
            .build()?;
        // The process-wide list: every output (console, logs, files) masks these too.
        let masker = Masker::global();
        masker.add(target.api_key.expose(), variable);
        masker.add_url_userinfo(&target.base_url);
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
            pacer: std::sync::Arc::new(Pacer::new(pace)),
            journal: None,
            max_body: DEFAULT_MAX_BODY,
            auth_header: DEFAULT_AUTH_HEADER,
        })
    }

    /// The pacing shared by this client and every identity made from it.
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// Keeps every later exchange of this client (and of the clients made from it) in
    /// `journal`; each exchange then carries its entry index.
    pub fn record_into(&mut self, journal: Arc<dyn ExchangeJournal>) {
        self.journal = Some(journal);
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
        self.masker.add_numbered(api_key, OTHER_KEY_PREFIX);
        ApiClient {
            http: self.http.clone(),
            target: Target {
                identity,
                api_key: Secret::new(api_key),
                ..self.target.clone()
            },
            masker: self.masker.clone(),
            timeout: self.timeout,
            pacer: self.pacer.clone(),
            journal: self.journal.clone(),
            max_body: self.max_body,
            auth_header: self.auth_header,
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
            paced: true,
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
    paced: bool,
}

impl RequestBuilder<'_> {
    /// Part of a deliberate burst (a concurrency probe): not held by the pacer and not
    /// retried after a `429`, which is handed back as a request that did not run.
    pub fn unpaced(mut self) -> Self {
        self.paced = false;
        self
    }

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

    /// Sends through the pacer: waits for the credential's turn, and after a `429` waits
    /// and sends again within the budget (see [`pace`]).
    pub async fn send(self) -> Result<Exchange, TransportError> {
        let pacer = self.client.pacer.clone();
        let paced = self.paced;
        let mut attempt = 0;
        let mut waited = Duration::ZERO;
        loop {
            let credential = self.credential();
            if paced {
                pacer.acquire(&credential).await;
            }
            let ex = self.send_once().await?;
            if ex.status != 429 {
                pacer.answered(&credential);
                return Ok(ex);
            }
            match pacer.limited(&credential, &ex, attempt, waited, paced) {
                (pace::AfterLimit::Retry, pause) => {
                    attempt += 1;
                    waited += pause;
                }
                (pace::AfterLimit::GiveUp, _) => return Ok(ex),
            }
        }
    }

    /// The credential the target limits by: the key (or raw header, or admin token).
    fn credential(&self) -> String {
        let target = &self.client.target;
        match &self.auth {
            Auth::ApiKey => format!("key:{}", target.api_key.expose()),
            Auth::Raw(v) => format!("raw:{v}"),
            Auth::Admin => "admin".to_string(),
            Auth::None => "none".to_string(),
        }
    }

    async fn send_once(&self) -> Result<Exchange, TransportError> {
        let client = self.client;
        let target = &client.target;
        let mut headers = Vec::with_capacity(self.headers.len() + 1);
        match &self.auth {
            Auth::ApiKey => headers.push((
                client.auth_header.to_string(),
                target.api_key.expose().to_string(),
            )),
            Auth::Raw(value) => headers.push((client.auth_header.to_string(), value.clone())),
            Auth::Admin => {
                if let Some(token) = &target.admin_token {
                    headers.push(("X-Sandbox-Admin".to_string(), token.expose().to_string()));
                }
            }
            Auth::None => {}
        }
        headers.extend(self.headers.iter().cloned());
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
            path: self.path.clone(),
            headers,
            body: self.body.clone(),
        };
        let started = Instant::now();
        let started_wall = SystemTime::now();
        let masked_url = client.masker.mask(&url);
        let record = |answer: Answer<'_>| {
            client.journal.as_ref().and_then(|journal| {
                journal.record(&Recorded {
                    base_url: &target.base_url,
                    request: &sent,
                    started: started_wall,
                    answer,
                    masker: &client.masker,
                })
            })
        };
        // No response: the journal still keeps the request, with why.
        let fail = |e: reqwest::Error| {
            let error = classify(e, &masked_url, client.timeout);
            record(Answer::Failed {
                error: error.to_string(),
                elapsed: started.elapsed(),
            });
            error
        };
        let response = req.send().await.map_err(&fail)?;
        let wait = started.elapsed();
        let status = response.status().as_u16();
        let version = response.version();
        let resp_headers = response.headers().clone();
        let body = match read_capped(response, client.max_body, &masked_url, client.timeout).await {
            Ok(body) => body,
            Err(error) => {
                record(Answer::Failed {
                    error: error.to_string(),
                    elapsed: started.elapsed(),
                });
                return Err(error);
            }
        };
        let elapsed = started.elapsed();
        let har_entry = record(Answer::Response {
            status,
            version,
            headers: &resp_headers,
            body: &body,
            wait,
            receive: elapsed.saturating_sub(wait),
        });
        let mut exchange = Exchange::new(
            target.base_url.clone(),
            sent,
            status,
            resp_headers,
            body,
            elapsed,
            client.masker.clone(),
        );
        exchange.har_entry = har_entry;
        Ok(exchange)
    }
}

/// Reads a body as a stream, stopping at `limit` bytes (a declared length over it is
/// refused before reading).
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
    url: &str,
    timeout: Duration,
) -> Result<Bytes, TransportError> {
    let too_large = || TransportError::TooLarge {
        url: url.to_string(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| classify(e, url, timeout))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_key_goes_in_the_apis_auth_header_and_is_masked_there() {
        let (url, server) = super::fake::one_answer().await;
        let target = Target {
            base_url: url,
            identity: Identity::new(),
            api_key: Secret::new("mk_live_header_test_9f2"),
            admin_token: None,
        };
        let client =
            ApiClient::with_key_variable(target, Duration::from_secs(5), "GATECHECK_MERCHANT_KEY")
                .unwrap()
                .with_auth_header("x-api-key");
        let ex = client.get("/payments").send().await.expect("an answer");
        let seen = server.await.unwrap().to_ascii_lowercase();
        assert!(
            seen.contains("x-api-key: mk_live_header_test_9f2"),
            "{seen}"
        );
        assert!(!seen.contains("authorization:"), "{seen}");
        let curl = ex.curl();
        assert!(
            curl.contains(r#"-H "x-api-key: $GATECHECK_MERCHANT_KEY""#),
            "{curl}"
        );
        assert!(!curl.contains("mk_live_header_test_9f2"), "{curl}");
    }
}
