//! The Wallet's HTTP front: one handler that applies WALLET_API.md §3's order of checks to
//! every request under `/v1/wallet/` — faults, 401, 429, unknown route 404, 405, 415, then
//! the route's own 400s (path id, query, Idempotency-Key, body) and its domain errors — and
//! the Wallet's admin routes under `/_sandbox` (admin token first). Routing is by hand, so
//! no framework answer can bypass the precedence or the Error model.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::Method;

use crate::apis::wallet::sandbox::admin;
use crate::apis::wallet::sandbox::app::App;
use crate::apis::wallet::sandbox::contract_mutants;
use crate::apis::wallet::sandbox::handlers;
use crate::apis::wallet::sandbox::mutants;
use crate::apis::wallet::sandbox::store::Operation;
use crate::engine::sandbox::auth::check_admin;
use crate::engine::sandbox::edge::{guarded, post_body, read_body, render, Mount};
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::reply::Handled;
use crate::engine::sandbox::request::{check_media_type, percent_decode, request_id};

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

type Routed = (Option<&'static str>, Handled);

async fn dispatch(app: &App, req: Request) -> Routed {
    let path = req.uri().path().to_string();
    match path.strip_prefix(PREFIX) {
        Some(rest) => wallet_dispatch(app, req, rest).await,
        None => admin_dispatch(app, req).await,
    }
}

async fn admin_dispatch(app: &App, req: Request) -> Routed {
    if let Err(e) = check_admin(req.headers(), &app.admin_token) {
        return (None, Err(e));
    }
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_start_matches("/_sandbox/").split('/').collect();
    let Some(route) = admin::route(&segments) else {
        return (None, Err(ApiError::unknown_route()));
    };
    let method = req.method().clone();
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
                Some(route.name()),
                media.and(Err(ApiError::invalid_body("The body could not be read"))),
            );
        }
    };
    (
        Some(route.name()),
        admin::handle(app, route, &method, &parts.headers, body).await,
    )
}

/// A Wallet route under `/v1/wallet/`.
#[derive(Debug, Clone, Copy)]
enum Route<'a> {
    Authorize,
    Operate(&'a str, Operation),
    Transaction(&'a str),
    Transactions,
}

impl Route<'_> {
    fn name(&self) -> &'static str {
        match self {
            Route::Authorize => "authorize",
            Route::Operate(_, Operation::Capture) => "capture",
            Route::Operate(_, Operation::Cancel) => "cancel",
            Route::Operate(_, Operation::Refund) => "refund",
            Route::Transaction(_) => "get_transaction",
            Route::Transactions => "list_transactions",
        }
    }

    fn method(&self) -> (Method, &'static str) {
        match self {
            Route::Authorize | Route::Operate(..) => (Method::POST, "POST"),
            Route::Transaction(_) | Route::Transactions => (Method::GET, "GET"),
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

async fn wallet_dispatch(app: &App, req: Request, rest: &str) -> Routed {
    if app.faults.is_active() {
        if let Err(e) = app.faults.apply().await {
            return (None, Err(e));
        }
    }
    let (key, merchant) = match app.keys.authenticate(req.headers()) {
        Ok(who) => who,
        Err(e) => return (None, Err(e)),
    };
    if let Some(limiter) = &app.limiter {
        if let Err(e) = limiter.admit(&key) {
            return (None, Err(e));
        }
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let Some(route) = route(&segments) else {
        return (None, Err(ApiError::unknown_route()));
    };
    let name = route.name();
    let (allowed, allow) = route.method();
    if req.method() != allowed {
        return (Some(name), Err(ApiError::method_not_allowed(allow)));
    }
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let handled = match route {
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
    };
    (Some(name), handled)
}
