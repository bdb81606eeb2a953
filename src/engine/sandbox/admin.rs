//! What every API's sandbox admin routes (`/_sandbox/…`) share: their order of checks —
//! admin token 401 → unknown route 404 → an unreadable body (415, else 400) → 405 → 415 →
//! the handler — and the handlers that mean the same for every API (revoking a key).

use axum::extract::Request;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::Method;
use rusqlite::Connection;

use crate::engine::sandbox::auth::{check_admin, KeyRing};
use crate::engine::sandbox::edge::read_body;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::precedence::{Route, Routed};
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{check_media_type, percent_decode};
use crate::engine::sandbox::store::Store;

/// An API's admin routes under `/_sandbox/`.
pub trait Admin: Sync {
    type Route<'a>: Route + Send;
    /// The `X-Sandbox-Admin` token.
    fn admin_token(&self) -> &str;
    /// Whether a request without the admin token passes anyway (a test-only mutant).
    fn lax_admin(&self) -> bool {
        false
    }
    /// The route the segments after `/_sandbox/` name, if any.
    fn admin_route<'a>(&self, segments: &[&'a str]) -> Option<Self::Route<'a>>;
    /// Answers a matched admin request with the right method and media type.
    fn admin_handle<'a>(&'a self, route: Self::Route<'a>, body: Bytes) -> BoxFuture<'a, Handled>;
}

/// Applies the admin chain to a request under `/_sandbox`.
pub async fn dispatch<A: Admin>(api: &A, req: Request) -> Routed {
    if let Err(e) = check_admin(req.headers(), api.admin_token()) {
        if !api.lax_admin() {
            return (None, Err(e));
        }
    }
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_start_matches("/_sandbox/").split('/').collect();
    let Some(route) = api.admin_route(&segments) else {
        return (None, Err(ApiError::unknown_route()));
    };
    let method = req.method().clone();
    let name = route.name(&method);
    let (parts, body) = req.into_parts();
    let body = if method == Method::POST {
        read_body(body).await
    } else {
        Ok(Bytes::new())
    };
    let body = match body {
        Ok(b) => b,
        Err(()) => {
            let media = check_media_type(&parts.headers, false);
            return (
                Some(name),
                media.and(Err(ApiError::invalid_body("The body could not be read"))),
            );
        }
    };
    if !route.allows(&method) {
        return (Some(name), Err(ApiError::method_not_allowed(route.allow())));
    }
    if method == Method::POST {
        if let Err(e) = check_media_type(&parts.headers, body.is_empty()) {
            return (Some(name), Err(e));
        }
    }
    (Some(name), api.admin_handle(route, body).await)
}

/// `DELETE /_sandbox/keys/{key}`: `revoke` marks the key revoked in the API's table
/// (`false`: no such key, 404); then the ring stops accepting it unless `keep_active` (a
/// test-only mutant). Revoking twice is fine.
pub async fn revoke_key(
    store: &Store,
    ring: &KeyRing,
    raw_key: &str,
    revoke: fn(&Connection, &str) -> rusqlite::Result<bool>,
    keep_active: bool,
) -> Handled {
    let key = percent_decode(raw_key);
    let owned = key.clone();
    let known = store.call(move |c| Ok(revoke(c, &owned)?)).await?;
    if !known {
        return Err(ApiError::not_found("No such API key"));
    }
    if !keep_active {
        ring.revoke(&key);
    }
    Ok(Reply::no_content())
}
