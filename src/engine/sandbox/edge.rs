//! The HTTP edge every embedded sandbox shares: an API plugs in as a [`Mount`] (which
//! requests it claims, and how it answers them); [`router`] composes any number of mounts
//! on one port; [`render`] turns a [`Reply`] into a response in one place (`Content-Type`,
//! `X-Request-Id`); [`guarded`] turns a panic into the Error model; [`post_body`] applies
//! the `415` rule before reading a body; [`listen`] binds and serves until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use http::{HeaderValue, Method};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{check_media_type, request_id, MAX_BODY};

/// One API served by a sandbox.
pub trait Mount: Send + Sync + 'static {
    /// Whether this request is this API's (by method and path; cheap, no I/O).
    fn claims(&self, method: &Method, path: &str) -> bool;
    /// Answers a claimed request.
    fn handle(self: Arc<Self>, req: Request) -> BoxFuture<'static, Response>;
}

/// One router over several mounts: the first that claims a request answers it; a request
/// nobody claims is an unknown route (404).
pub fn router(mounts: Vec<Arc<dyn Mount>>) -> axum::Router {
    axum::Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(mounts))
}

async fn dispatch(State(mounts): State<Arc<Vec<Arc<dyn Mount>>>>, req: Request) -> Response {
    let claimed = mounts
        .iter()
        .find(|m| m.claims(req.method(), req.uri().path()))
        .cloned();
    match claimed {
        Some(m) => m.handle(req).await,
        None => {
            let id = request_id(req.headers());
            render(Reply::from(ApiError::unknown_route()), &id)
        }
    }
}

/// Runs a handler; a panic becomes `500 internal_error` instead of a dropped connection.
pub async fn guarded<T>(fut: impl Future<Output = (T, Handled)>, on_panic: T) -> (T, Reply) {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok((t, handled)) => (t, handled.unwrap_or_else(Reply::from)),
        Err(_) => (
            on_panic,
            Reply::from(ApiError::internal("The sandbox failed on this request")),
        ),
    }
}

/// The one place a reply becomes a response: JSON `Content-Type` on every body, the
/// (echoed or fresh) `X-Request-Id`, then the reply's own headers.
pub fn render(reply: Reply, request_id: &str) -> Response {
    let has_body = reply.body.is_some();
    let mut response = Response::new(reply.body.map(Body::from).unwrap_or_else(Body::empty));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    if has_body {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", v);
    }
    for (name, value) in reply.headers {
        headers.insert(name, value);
    }
    response
}

/// Reads the body (bounded). An unreadable or oversized body counts as non-empty.
pub async fn read_body(body: Body) -> Result<Bytes, ()> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| ())
}

/// `415` first (it needs to know whether a body came), then the body itself.
pub async fn post_body(req: Request, skip_media_type: bool) -> Result<Bytes, ApiError> {
    let (parts, body) = req.into_parts();
    let body = read_body(body).await;
    let empty = matches!(&body, Ok(b) if b.is_empty());
    if !skip_media_type {
        check_media_type(&parts.headers, empty)?;
    }
    body.map_err(|_| ApiError::invalid_body("The body could not be read or exceeds 1 MiB"))
}

/// A server bound to its port: where it listens, and the task serving it.
pub struct Listening {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub server: JoinHandle<()>,
}

/// Binds `addr` (port 0 picks a free port) and serves `router` until `stop` flips,
/// finishing in-flight requests.
pub async fn listen(
    addr: SocketAddr,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Listening> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let host = if local.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if local.is_ipv6() {
        format!("[{}]", local.ip())
    } else {
        local.ip().to_string()
    };
    let base_url = format!("http://{host}:{}", local.port());
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "sandbox server stopped");
        }
    });
    Ok(Listening { base_url, server })
}
