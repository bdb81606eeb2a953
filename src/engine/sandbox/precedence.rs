//! The order of checks every API's sandbox applies, kept once (GATE_API.md §10,
//! WALLET_API.md §3): faults → 401 (→ the API's own check of the caller, the Gate's 403)
//! → 429 → unknown route 404 → 405 → the route's handler (415, its 400s, its domain
//! errors). The admin routes have their own order ([`crate::engine::sandbox::admin`]).
//!
//! An API hands in its pieces — its caller check, its route table, its handlers — through
//! [`Api`]; routing stays by hand, so no framework answer can bypass the order or the
//! Error model.

use axum::extract::Request;
use futures::future::BoxFuture;
use http::{HeaderMap, Method};

use crate::engine::sandbox::auth::RateLimiter;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::faults::FaultInjector;
use crate::engine::sandbox::reply::Handled;

/// A request's answer and the name of the route that gave it (`None`: no route matched).
pub type Routed = (Option<&'static str>, Handled);

/// A matched route: its name and the methods it answers.
pub trait Route {
    /// The operation's name when called with `method` (mutants and logs key on it).
    fn name(&self, method: &Method) -> &'static str;
    /// The methods the route answers, as the `Allow` header lists them (`"GET, POST"`).
    fn allow(&self) -> &'static str;
    /// Whether the route answers `method`.
    fn allows(&self, method: &Method) -> bool {
        self.allow().split(", ").any(|m| m == method.as_str())
    }
}

/// An API's pieces of the chain for its own routes.
pub trait Api: Sync {
    type Route<'a>: Route + Send;
    /// Who calls, as the handlers know them (the Gate's agent, the Wallet's merchant).
    type Caller: Send;
    fn faults(&self) -> &FaultInjector;
    fn limiter(&self) -> Option<&RateLimiter>;
    /// The caller's rate-limit key and identity (401; any check of the caller against
    /// the path, such as the Gate's 403, too). `rest`: the path under the API's prefix.
    fn caller(&self, headers: &HeaderMap, rest: &str) -> Result<(String, Self::Caller), ApiError>;
    /// An answer right after the rate limit (a test-only mutant's 429); none by default.
    fn after_rate_limit(&self) -> Option<ApiError> {
        None
    }
    /// The route `rest` names, if any.
    fn route<'a>(&self, rest: &'a str) -> Option<Self::Route<'a>>;
    /// Answers a request that passed every check before its route's own.
    fn handle<'a>(
        &'a self,
        route: Self::Route<'a>,
        caller: Self::Caller,
        req: Request,
    ) -> BoxFuture<'a, Handled>;
}

/// Applies the chain to a request under the API's prefix (`rest`: the path after it).
pub async fn dispatch<A: Api>(api: &A, req: Request, rest: &str) -> Routed {
    let faults = api.faults();
    if faults.is_active() {
        if let Err(e) = faults.apply().await {
            return (None, Err(e));
        }
    }
    let (key, caller) = match api.caller(req.headers(), rest) {
        Ok(who) => who,
        Err(e) => return (None, Err(e)),
    };
    if let Some(limiter) = api.limiter() {
        if let Err(e) = limiter.admit(&key) {
            return (None, Err(e));
        }
    }
    if let Some(e) = api.after_rate_limit() {
        return (None, Err(e));
    }
    let Some(route) = api.route(rest) else {
        return (None, Err(ApiError::unknown_route()));
    };
    let name = route.name(req.method());
    if !route.allows(req.method()) {
        return (Some(name), Err(ApiError::method_not_allowed(route.allow())));
    }
    (Some(name), api.handle(route, caller, req).await)
}
