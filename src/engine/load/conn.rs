//! The fast request path: each load user owns one HTTP/1.1 keep-alive connection (as each
//! of wrk's connections does), made with hyper's connection API on the user's own runtime.
//! No pool, no lock, no URL parsing per request: the request line and headers are values
//! prepared before the run, cloned per request.
//!
//! Used for `http://` targets when goose's per-request metrics are off (the default); an
//! `https://` target, or `--goose-metrics`, goes through goose's reqwest client instead.
//! **Invariant:** a connection that failed or was closed is dropped and the next request
//! opens a new one; a response is never read from a connection another request used.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, HOST, USER_AGENT};
use http::{Method, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use crate::engine::load::recorder::ErrorReason;

/// Where the fast path connects, and what every request carries.
#[derive(Debug, Clone)]
pub struct Direct {
    /// `host:port` to connect to.
    authority: String,
    host: HeaderValue,
    /// The key, in the header the API takes it in.
    auth: (HeaderName, HeaderValue),
    timeout: Duration,
}

impl Direct {
    /// `None` unless the base URL is plain `http://` with a host.
    pub fn for_base(
        base: &reqwest::Url,
        auth: (HeaderName, HeaderValue),
        timeout: Duration,
    ) -> Option<Direct> {
        if base.scheme() != "http" {
            return None;
        }
        let host = base.host_str()?;
        let port = base.port_or_known_default()?;
        let authority = match base.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Some(Direct {
            authority: format!("{host}:{port}"),
            host: HeaderValue::from_str(&authority).ok()?,
            auth,
            timeout,
        })
    }
}

/// A prepared request target for the fast path: the origin-form URI (path and query).
pub fn origin_form(url: &reqwest::Url) -> Option<Uri> {
    let mut pq = url.path().to_string();
    if let Some(q) = url.query() {
        pq.push('?');
        pq.push_str(q);
    }
    pq.parse().ok()
}

/// One user's connection. Cloning a user (goose clones session data) gives the clone no
/// connection: it opens its own.
#[derive(Default)]
pub struct UserConn {
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Clone for UserConn {
    fn clone(&self) -> Self {
        UserConn::default()
    }
}

/// A response as the load path needs it.
pub struct Answer {
    pub status: u16,
    pub replayed: bool,
    pub body: Result<Bytes, ErrorReason>,
}

const IDEMPOTENCY_KEY: http::HeaderName = http::HeaderName::from_static("idempotency-key");
const REPLAYED: &str = "idempotent-replayed";

impl UserConn {
    /// Sends one request on this user's connection (opening it if needed) within the
    /// request timeout.
    pub async fn send(
        &mut self,
        direct: &Direct,
        uri: &Uri,
        post: Option<(&HeaderValue, &Bytes)>,
    ) -> Result<Answer, ErrorReason> {
        match tokio::time::timeout(direct.timeout, self.exchange(direct, uri, post)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(reason)) => {
                self.sender = None;
                Err(reason)
            }
            Err(_) => {
                // The connection may still carry the late answer: never reuse it.
                self.sender = None;
                Err(ErrorReason::Timeout)
            }
        }
    }

    async fn exchange(
        &mut self,
        direct: &Direct,
        uri: &Uri,
        post: Option<(&HeaderValue, &Bytes)>,
    ) -> Result<Answer, ErrorReason> {
        let sender = match &mut self.sender {
            Some(s) if !s.is_closed() => s,
            _ => self.sender.insert(connect(direct).await?),
        };
        if sender.ready().await.is_err() {
            self.sender = None;
            return Err(ErrorReason::Transport);
        }
        let mut request = http::Request::new(Full::new(
            post.map_or_else(Bytes::new, |(_, body)| body.clone()),
        ));
        *request.uri_mut() = uri.clone();
        let headers = request.headers_mut();
        headers.insert(HOST, direct.host.clone());
        headers.insert(direct.auth.0.clone(), direct.auth.1.clone());
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("gatecheck/", env!("CARGO_PKG_VERSION"))),
        );
        if let Some((key, _)) = post {
            *request.method_mut() = Method::POST;
            let headers = request.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(IDEMPOTENCY_KEY, key.clone());
        }
        let response = sender
            .send_request(request)
            .await
            .map_err(|_| ErrorReason::Transport)?;
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get(REPLAYED)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let body = match response.into_body().collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(_) => {
                self.sender = None;
                Err(ErrorReason::Transport)
            }
        };
        Ok(Answer {
            status,
            replayed,
            body,
        })
    }
}

async fn connect(direct: &Direct) -> Result<SendRequest<Full<Bytes>>, ErrorReason> {
    let stream = tokio::net::TcpStream::connect(direct.authority.as_str())
        .await
        .map_err(|_| ErrorReason::Transport)?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| ErrorReason::Transport)?;
    // The connection task lives on the user's runtime and ends when the sender is dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path sends the key in the API's own auth header, and only there.
    #[tokio::test]
    async fn the_key_goes_in_the_apis_auth_header() {
        let (url, server) = crate::engine::client::fake::one_answer().await;
        let base = reqwest::Url::parse(&url).unwrap();
        let auth = (
            HeaderName::from_static("x-api-key"),
            HeaderValue::from_static("mk_live_load_key"),
        );
        let direct = Direct::for_base(&base, auth, Duration::from_secs(5)).expect("http");
        let uri = origin_form(&base.join("/payments").unwrap()).expect("a uri");
        let answer = UserConn::default().send(&direct, &uri, None).await;
        assert_eq!(answer.ok().map(|a| a.status), Some(200));
        let seen = server.await.unwrap().to_ascii_lowercase();
        assert!(seen.contains("x-api-key: mk_live_load_key"), "{seen}");
        assert!(!seen.contains("authorization"), "{seen}");
    }
}
