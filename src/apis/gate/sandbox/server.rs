//! The HTTP front: one handler that applies the contract's order of checks (§10) to every
//! request — faults, 401, 403, 429, unknown route 404, 405, 415, then the route's own
//! 400s and domain errors — and renders every answer in one place (`Content-Type`,
//! `X-Request-Id`, the wire-mutant layer). Routing is done here by hand, so no framework
//! answer (404, 405, extractor rejections) can bypass the precedence or the Error model.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{Method, StatusCode};
use serde_json::json;

use crate::apis::gate::sandbox::admin;
use crate::apis::gate::sandbox::app::App;
use crate::apis::gate::sandbox::gate;
use crate::apis::gate::sandbox::mutants::{self, Seen};
use crate::apis::gate::sandbox::orders;
use crate::engine::sandbox::auth::check_admin;
use crate::engine::sandbox::clock::{now_us, rfc3339};
use crate::engine::sandbox::edge::{guarded, post_body, read_body, render, Mount};
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{check_media_type, parse_uuid, request_id};

/// The Gate as one [`Mount`] of a sandbox: it claims every path (it owns `/health`,
/// `/agent/…`, `/_sandbox/…` and the unknown routes), so it is mounted last.
pub struct GateMount(pub Arc<App>);

impl Mount for GateMount {
    fn claims(&self, _method: &Method, _path: &str) -> bool {
        true
    }

    fn handle(self: Arc<Self>, req: Request) -> BoxFuture<'static, Response> {
        Box::pin(async move { handle(&self.0, req).await })
    }
}

/// Every Gate request enters here.
async fn handle(app: &App, req: Request) -> Response {
    let request_id = request_id(req.headers());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (route, reply) = guarded(dispatch(app, req), None).await;
    let reply = mutants::rewrite(
        app.mutant,
        &Seen {
            method: &method,
            path: &path,
            route,
        },
        reply,
    );
    render(reply, &request_id)
}

type Routed = (Option<&'static str>, Handled);

async fn dispatch(app: &App, req: Request) -> Routed {
    let path = req.uri().path();
    if path == "/health" {
        return (Some("health"), health(app, req.method()).await);
    }
    if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        return admin_dispatch(app, req).await;
    }
    if let Some(rest) = path.strip_prefix("/agent/") {
        let rest = rest.to_string();
        return gate_dispatch(app, req, &rest).await;
    }
    (None, Err(ApiError::unknown_route()))
}

async fn health(app: &App, method: &Method) -> Handled {
    if method != Method::GET {
        return Err(ApiError::method_not_allowed("GET"));
    }
    let body = |status: &str| json!({"status": status, "version": env!("CARGO_PKG_VERSION"), "time": rfc3339(now_us())});
    match app.faults.apply().await {
        Ok(()) => Ok(Reply::json(StatusCode::OK, &body("ok"))),
        Err(e) => {
            let mut b = body("unavailable");
            b["error"] = e.body()["error"].clone();
            Ok(Reply::json(StatusCode::SERVICE_UNAVAILABLE, &b))
        }
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

/// A Gate route under `/agent/{agent_id}/`.
#[derive(Debug, Clone, Copy)]
enum GateRoute<'a> {
    ProductTypes,
    ProductCategories,
    Products,
    Product(&'a str),
    Orders,
    Order(&'a str),
    Balance,
    Deposits,
}

impl GateRoute<'_> {
    fn allow(&self) -> &'static str {
        match self {
            GateRoute::Orders => "GET, POST",
            _ => "GET",
        }
    }

    fn name(&self, method: &Method) -> &'static str {
        match self {
            GateRoute::ProductTypes => "list_product_types",
            GateRoute::ProductCategories => "list_product_categories",
            GateRoute::Products => "list_products",
            GateRoute::Product(_) => "get_product",
            GateRoute::Orders if method == Method::POST => "create_order",
            GateRoute::Orders => "list_orders",
            GateRoute::Order(_) => "get_order",
            GateRoute::Balance => "balance",
            GateRoute::Deposits => "list_deposits",
        }
    }
}

fn gate_route<'a>(segments: &[&'a str]) -> Option<GateRoute<'a>> {
    match segments {
        ["product-types"] => Some(GateRoute::ProductTypes),
        ["product-categories"] => Some(GateRoute::ProductCategories),
        ["products"] => Some(GateRoute::Products),
        ["products", id] => Some(GateRoute::Product(id)),
        ["orders"] => Some(GateRoute::Orders),
        ["orders", id] => Some(GateRoute::Order(id)),
        ["balance"] => Some(GateRoute::Balance),
        ["deposits"] => Some(GateRoute::Deposits),
        _ => None,
    }
}

/// The path's agent id names the caller's agent (a UUID in either case counts).
fn same_agent(path_agent: &str, caller: &str) -> bool {
    path_agent == caller || parse_uuid(path_agent).is_some_and(|p| p == caller)
}

async fn gate_dispatch(app: &App, req: Request, rest: &str) -> Routed {
    if app.faults.is_active() {
        if let Err(e) = app.faults.apply().await {
            return (None, Err(e));
        }
    }
    let mut segments: Vec<&str> = rest.split('/').collect();
    let path_agent = segments.remove(0);
    let (key, agent) = match app.keys.authenticate(req.headers()) {
        Ok(who) => who,
        // MUTANT HOOK (accepts-bearer-prefix, accepts-missing-key, accepts-unknown-key)
        Err(e) => match mutants::lax_auth(app.mutant, req.headers(), &app.keys, path_agent) {
            Some(who) => who,
            None => return (None, Err(e)),
        },
    };
    // MUTANT HOOK (other-agent-path-allowed): the path's agent is not compared.
    if !same_agent(path_agent, &agent) && !app.mutant_is(mutants::Mutant::OtherAgentPathAllowed) {
        return (None, Err(ApiError::forbidden()));
    }
    if let Some(limiter) = &app.limiter {
        if let Err(e) = limiter.admit(&key) {
            return (None, Err(e));
        }
    }
    let Some(route) = gate_route(&segments) else {
        return (None, Err(ApiError::unknown_route()));
    };
    let method = req.method().clone();
    let name = route.name(&method);
    let allowed = match route {
        GateRoute::Orders => method == Method::GET || method == Method::POST,
        _ => method == Method::GET,
    };
    if !allowed {
        return (Some(name), Err(ApiError::method_not_allowed(route.allow())));
    }
    let query = req.uri().query().map(str::to_string);
    let query = query.as_deref();
    let handled = match route {
        GateRoute::ProductTypes => gate::product_types(app, &agent, query),
        GateRoute::ProductCategories => gate::product_categories(app, &agent, query),
        GateRoute::Products => gate::products(app, &agent, query),
        GateRoute::Product(id) => gate::product(app, id),
        GateRoute::Orders if method == Method::POST => {
            let headers = req.headers().clone();
            // MUTANT HOOK (ignores-content-type): the media type is not checked.
            let lax = app.mutant_is(mutants::Mutant::IgnoresContentType);
            match post_body(req, lax).await {
                Ok(body) => orders::create(app, &agent, &headers, body).await,
                Err(e) => Err(e),
            }
        }
        GateRoute::Orders => gate::orders(app, &agent, query).await,
        GateRoute::Order(id) => gate::order(app, &agent, id).await,
        GateRoute::Balance => gate::balance(app, &agent, query).await,
        GateRoute::Deposits => gate::deposits(app, &agent, query).await,
    };
    (Some(name), handled)
}
