//! The HTTP front: the Gate's pieces of the engine's order of checks
//! ([`precedence`]: faults, 401, 403, 429, unknown route 404, 405, then the route's own
//! 415, 400s and domain errors), `/health`, and the wire-mutant layer over every answer.
//! Routing is done here by hand, so no framework answer (404, 405, extractor rejections)
//! can bypass the precedence or the Error model.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{HeaderMap, Method, StatusCode};
use serde_json::json;

use crate::apis::gate::sandbox::admin;
use crate::apis::gate::sandbox::app::App;
use crate::apis::gate::sandbox::gate;
use crate::apis::gate::sandbox::mutants::{self, Seen};
use crate::apis::gate::sandbox::orders;
use crate::engine::sandbox::admin as admin_routes;
use crate::engine::sandbox::auth::RateLimiter;
use crate::engine::sandbox::clock::{now_us, rfc3339};
use crate::engine::sandbox::edge::{guarded, post_body, render, Mount};
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::faults::FaultInjector;
use crate::engine::sandbox::precedence::{self, Route, Routed};
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{parse_uuid, request_id};

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

async fn dispatch(app: &App, req: Request) -> Routed {
    let path = req.uri().path();
    if path == "/health" {
        return (Some("health"), health(app, req.method()).await);
    }
    if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        return admin_routes::dispatch(app, req).await;
    }
    if let Some(rest) = path.strip_prefix("/agent/") {
        let rest = rest.to_string();
        return precedence::dispatch(app, req, &rest).await;
    }
    (None, Err(ApiError::unknown_route()))
}

async fn health(app: &App, method: &Method) -> Handled {
    if method != Method::GET {
        return Err(ApiError::method_not_allowed("GET"));
    }
    if let Some(e) = app.spurious_429(true) {
        return Err(e);
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

/// A Gate route under `/agent/{agent_id}/`.
#[derive(Debug, Clone, Copy)]
pub enum GateRoute<'a> {
    ProductTypes,
    ProductCategories,
    Products,
    Product(&'a str),
    Orders,
    Order(&'a str),
    Balance,
    Deposits,
}

impl Route for GateRoute<'_> {
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

impl precedence::Api for App {
    type Route<'a> = GateRoute<'a>;
    /// The caller's agent id.
    type Caller = String;

    fn faults(&self) -> &FaultInjector {
        &self.faults
    }

    fn limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_ref()
    }

    /// 401, then 403 when the path names another agent.
    fn caller(&self, headers: &HeaderMap, rest: &str) -> Result<(String, String), ApiError> {
        let path_agent = rest.split('/').next().unwrap_or_default();
        let (key, agent) = match self.keys.authenticate(headers) {
            Ok(who) => who,
            // MUTANT HOOK (accepts-bearer-prefix, accepts-missing-key, accepts-unknown-key)
            Err(e) => mutants::lax_auth(self.mutant, headers, &self.keys, path_agent).ok_or(e)?,
        };
        // MUTANT HOOK (other-agent-path-allowed): the path's agent is not compared.
        if !same_agent(path_agent, &agent)
            && !self.mutant_is(mutants::Mutant::OtherAgentPathAllowed)
        {
            return Err(ApiError::forbidden(
                "This API key does not belong to the agent in the path",
            ));
        }
        Ok((key, agent))
    }

    fn after_rate_limit(&self) -> Option<ApiError> {
        self.spurious_429(false)
    }

    fn route<'a>(&self, rest: &'a str) -> Option<GateRoute<'a>> {
        let segments: Vec<&str> = rest.split('/').skip(1).collect();
        gate_route(&segments)
    }

    fn handle<'a>(
        &'a self,
        route: GateRoute<'a>,
        agent: String,
        req: Request,
    ) -> BoxFuture<'a, Handled> {
        Box::pin(gate_handle(self, route, agent, req))
    }
}

async fn gate_handle(app: &App, route: GateRoute<'_>, agent: String, req: Request) -> Handled {
    let method = req.method().clone();
    let query = req.uri().query().map(str::to_string);
    let query = query.as_deref();
    match route {
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
    }
}

impl admin_routes::Admin for App {
    type Route<'a> = admin::AdminRoute<'a>;

    fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// MUTANT HOOK (admin-accepts-any-token): any X-Sandbox-Admin, or none, passes.
    fn lax_admin(&self) -> bool {
        self.mutant_is(mutants::Mutant::AdminAcceptsAnyToken)
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
