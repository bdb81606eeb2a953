//! The Wallet's HTTP front: its pieces of the engine's order of checks ([`precedence`],
//! WALLET_API.md §3) for every request under `/v1/wallet/` — faults, 401, 429, unknown
//! route 404, 405, then the route's own 415, 400s (path id, query, Idempotency-Key, body)
//! and its domain errors — and for the Wallet's admin routes under `/_sandbox` (admin
//! token first). Routing is by hand, so no framework answer can bypass the precedence or
//! the Error model.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{HeaderMap, Method};

use crate::apis::wallet::sandbox::admin;
use crate::apis::wallet::sandbox::app::App;
use crate::apis::wallet::sandbox::contract_mutants;
use crate::apis::wallet::sandbox::handlers;
use crate::apis::wallet::sandbox::mutants;
use crate::apis::wallet::sandbox::store::Operation;
use crate::engine::sandbox::admin as admin_routes;
use crate::engine::sandbox::auth::RateLimiter;
use crate::engine::sandbox::edge::{guarded, post_body, render, Mount};
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::faults::FaultInjector;
use crate::engine::sandbox::precedence::{self, Routed};
use crate::engine::sandbox::reply::Handled;
use crate::engine::sandbox::request::{percent_decode, request_id};

/// Where the Wallet's API lives.
pub const PREFIX: &str = "/v1/wallet/";

/// The Wallet as one mount of a sandbox: `/v1/wallet/…`, `/_sandbox/merchants…`,
/// `/_sandbox/wallet/…`, and `DELETE /_sandbox/keys/{key}` for a merchant's key.
pub struct WalletMount(pub Arc<App>);

impl Mount for WalletMount {
    fn claims(&self, _method: &Method, path: &str) -> bool {
        if path.starts_with(PREFIX)
            || path == "/_sandbox/merchants"
            || path.starts_with("/_sandbox/merchants/")
            || path.starts_with("/_sandbox/wallet/")
        {
            return true;
        }
        path.strip_prefix("/_sandbox/keys/")
            .filter(|k| !k.contains('/'))
            .is_some_and(|k| self.0.known_keys.read().contains(&percent_decode(k)))
    }

    fn handle(self: Arc<Self>, req: Request) -> BoxFuture<'static, Response> {
        Box::pin(async move { handle(&self.0, req).await })
    }
}

async fn handle(app: &App, req: Request) -> Response {
    let request_id = request_id(req.headers());
    let (req, seen) = contract_mutants::observe(app, req).await;
    let (route, reply) = guarded(dispatch(app, req), None).await;
    let reply = mutants::rewrite(app.mutant, route, reply);
    if let Some(seen) = &seen {
        contract_mutants::remember(app, seen, &reply);
    }
    render(
        contract_mutants::rewrite(app.mutant, seen.as_ref(), reply),
        &request_id,
    )
}

async fn dispatch(app: &App, req: Request) -> Routed {
    let path = req.uri().path().to_string();
    match path.strip_prefix(PREFIX) {
        Some(rest) => precedence::dispatch(app, req, rest).await,
        None => admin_routes::dispatch(app, req).await,
    }
}

/// A Wallet route under `/v1/wallet/`.
#[derive(Debug, Clone, Copy)]
pub enum Route<'a> {
    Authorize,
    Operate(&'a str, Operation),
    Transaction(&'a str),
    Transactions,
}

impl precedence::Route for Route<'_> {
    fn name(&self, _method: &Method) -> &'static str {
        match self {
            Route::Authorize => "authorize",
            Route::Operate(_, Operation::Capture) => "capture",
            Route::Operate(_, Operation::Cancel) => "cancel",
            Route::Operate(_, Operation::Refund) => "refund",
            Route::Transaction(_) => "get_transaction",
            Route::Transactions => "list_transactions",
        }
    }

    fn allow(&self) -> &'static str {
        match self {
            Route::Authorize | Route::Operate(..) => "POST",
            Route::Transaction(_) | Route::Transactions => "GET",
        }
    }
}

fn route<'a>(segments: &[&'a str]) -> Option<Route<'a>> {
    match segments {
        ["authorize"] => Some(Route::Authorize),
        ["transaction", id] => Some(Route::Transaction(id)),
        // The list alone has a trailing-slash twin (§1 Lists).
        ["transactions"] | ["transactions", ""] => Some(Route::Transactions),
        [id, op] => Operation::parse(op).map(|op| Route::Operate(id, op)),
        _ => None,
    }
}

impl precedence::Api for App {
    type Route<'a> = Route<'a>;
    /// The caller's merchant id.
    type Caller = String;

    fn faults(&self) -> &FaultInjector {
        &self.faults
    }

    fn limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_ref()
    }

    fn caller(&self, headers: &HeaderMap, _rest: &str) -> Result<(String, String), ApiError> {
        self.keys.authenticate(headers)
    }

    fn route<'a>(&self, rest: &'a str) -> Option<Route<'a>> {
        let segments: Vec<&str> = rest.split('/').collect();
        route(&segments)
    }

    fn handle<'a>(
        &'a self,
        route: Route<'a>,
        merchant: String,
        req: Request,
    ) -> BoxFuture<'a, Handled> {
        Box::pin(wallet_handle(self, route, merchant, req))
    }
}

async fn wallet_handle(app: &App, route: Route<'_>, merchant: String, req: Request) -> Handled {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    match route {
        Route::Authorize | Route::Operate(..) => {
            let headers = req.headers().clone();
            match post_body(req, false).await {
                Err(e) => Err(e),
                Ok(body) => match route {
                    Route::Operate(id, op) => {
                        handlers::operate(app, &merchant, &path, id, op, &headers, body).await
                    }
                    _ => handlers::authorize(app, &merchant, &path, &headers, body).await,
                },
            }
        }
        Route::Transaction(id) => handlers::transaction(app, &merchant, id).await,
        Route::Transactions => handlers::list(app, &merchant, query.as_deref()).await,
    }
}

impl admin_routes::Admin for App {
    type Route<'a> = admin::AdminRoute<'a>;

    fn admin_token(&self) -> &str {
        &self.admin_token
    }

    fn admin_route<'a>(&self, segments: &[&'a str]) -> Option<admin::AdminRoute<'a>> {
        admin::route(segments)
    }

    fn admin_handle<'a>(
        &'a self,
        route: admin::AdminRoute<'a>,
        body: Bytes,
    ) -> BoxFuture<'a, Handled> {
        Box::pin(admin::handle(self, route, body))
    }
}
