//! §2 Authentication and scope: the raw key and nothing else authenticates (missing,
//! unknown, `Bearer`-prefixed and revoked keys get 401), several active keys work at
//! once, another agent's path is 403, and another agent's order is 404 — never disclosed.

use crate::apis::gate::admin::{self, AdminCall, NewAgent};
use crate::apis::gate::client::GateClientExt as _;
use std::time::Instant;

use serde_json::{json, Value};

use super::{expect_error, Check, ExpectError, Param, Run, Skip};
use crate::apis::gate::contract::context::{admin_req, Ctx, Observed, Req};
use crate::apis::gate::contract::discovery::Discovery;
use crate::engine::client::{ApiClient, Auth};
use crate::engine::model::{CheckResult, Finding};

pub const MISSING_KEY: Check = Check::must(
    "auth.missing_key_rejected",
    "§2 Authentication",
    "A request without Authorization gets 401 unauthorized on every route",
);
pub const UNKNOWN_KEY: Check = Check::must(
    "auth.unknown_key_rejected",
    "§2 Authentication",
    "An unknown key gets 401 unauthorized, before any 403",
);
pub const BEARER_REJECTED: Check = Check::must(
    "auth.bearer_prefix_rejected",
    "§2 Authentication",
    "Authorization: Bearer <valid key> gets 401 (only the raw key is accepted)",
);
pub const REVOKED_KEY: Check = Check::must(
    "auth.revoked_key_rejected",
    "§2 Authentication",
    "A revoked key gets 401 at once",
);
pub const SECOND_KEY: Check = Check::must(
    "auth.second_key_works",
    "§2 Authentication",
    "A second active key of the agent works alongside the first",
);
pub const OTHER_AGENT_PATH: Check = Check::must(
    "scope.other_agent_path_forbidden",
    "§2 Scope",
    "A valid key on another (or a malformed) agent path gets 403 forbidden and discloses nothing",
);
pub const OTHER_AGENT_ORDER: Check = Check::must(
    "scope.other_agent_order_hidden",
    "§2 Scope",
    "Another agent's order id read through one's own path gets 404 not_found",
);

fn unauthorized() -> ExpectError {
    ExpectError::new(401, "unauthorized", Param::is("Authorization"))
}

/// One request per agent route (the order creation carries a valid test body).
fn agent_routes(ctx: &Ctx<'_>, agent_path: &dyn Fn(&str) -> String, d: &Discovery) -> Vec<Req> {
    let product_id = d.catalog.first().map(|p| p.id).unwrap_or(1);
    let order_body = d
        .voucher()
        .map(|v| json!({"product_id": v.id, "test": true}))
        .unwrap_or_else(|| json!({"product_id": product_id, "test": true}));
    let _ = ctx;
    vec![
        Req::get(agent_path("/product-types")),
        Req::get(agent_path("/product-categories")),
        Req::get(agent_path("/products")),
        Req::get(agent_path(&format!("/products/{product_id}"))),
        Req::get(agent_path("/orders")),
        Req::get(agent_path(&format!("/orders/{}", uuid::Uuid::new_v4()))),
        Req::post(agent_path("/orders")).json(&order_body),
        Req::get(agent_path("/balance")),
        Req::get(agent_path("/deposits")),
    ]
}

async fn all_rejected(
    ctx: &Ctx<'_>,
    check: &Check,
    reqs: Vec<Req>,
    expected: ExpectError,
) -> Vec<Finding> {
    let results = futures::future::join_all(reqs.into_iter().map(|r| {
        let label = r.label();
        async move { (label, ctx.send(r).await) }
    }))
    .await;
    results
        .iter()
        .filter_map(|(label, r)| expect_error(check, label, r, &expected))
        .collect()
}

pub async fn missing_key(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let own = |s: &str| ctx.agent_path(s);
    let foreign_id = uuid::Uuid::new_v4().to_string();
    let foreign = |s: &str| format!("/agent/{foreign_id}{s}");
    let mut reqs: Vec<Req> = agent_routes(ctx, &own, d);
    reqs.push(Req::get(foreign("/orders")));
    let reqs = reqs.into_iter().map(|r| r.auth(Auth::None)).collect();
    Ok(all_rejected(ctx, &MISSING_KEY, reqs, unauthorized()).await)
}

pub async fn unknown_key(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let unknown = format!("gatecheck-unknown-{}", uuid::Uuid::new_v4().simple());
    let own = |s: &str| ctx.agent_path(s);
    let foreign_id = uuid::Uuid::new_v4().to_string();
    let mut reqs = agent_routes(ctx, &own, d);
    // 401 comes before 403 (§2, §10).
    reqs.push(Req::get(format!("/agent/{foreign_id}/balance")));
    let reqs = reqs
        .into_iter()
        .map(|r| r.auth(Auth::Raw(unknown.clone())))
        .collect();
    Ok(all_rejected(ctx, &UNKNOWN_KEY, reqs, unauthorized()).await)
}

pub async fn bearer_rejected(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let key = ctx.client.target().api_key.expose().to_string();
    let own = |s: &str| ctx.agent_path(s);
    let mut reqs: Vec<Req> = agent_routes(ctx, &own, d)
        .into_iter()
        .map(|r| r.auth(Auth::Raw(format!("Bearer {key}"))))
        .collect();
    reqs.push(Req::get(ctx.agent_path("/balance")).auth(Auth::Raw(format!("bearer {key}"))));
    Ok(all_rejected(ctx, &BEARER_REJECTED, reqs, unauthorized()).await)
}

/// `POST /_sandbox/agents/{id}/keys` → a fresh key of our agent.
async fn new_key(ctx: &Ctx<'_>) -> Result<String, Skip> {
    let call = AdminCall::AddKey {
        agent_id: ctx.agent_id().to_string(),
    };
    let o = ctx
        .send(admin_req(&call))
        .await
        .map_err(|e| Skip(format!("the admin API gave no answer: {}", e.reason)))?;
    admin::mask_issued_key(o.json.as_ref(), ctx.client.masker(), None);
    admin::new_key(o.status(), o.json.as_ref(), "").map_err(|_| {
        Skip(format!(
            "the admin API did not issue a key ({})",
            o.status()
        ))
    })
}

fn expect_ok(
    check: &Check,
    what: &str,
    r: &Result<std::sync::Arc<Observed>, crate::apis::gate::contract::context::NoResponse>,
) -> Option<Finding> {
    match r {
        Err(e) => Some(check.no_response(e)),
        Ok(o) if o.is_success() => None,
        Ok(o) => Some(check.finding(
            format!("{what}: refused"),
            "2xx",
            format!("{} {}", o.status(), o.error_code().unwrap_or("-")),
            Some(o),
        )),
    }
}

/// Second key works; then it is revoked and refused. Returns both checks' runs.
pub async fn key_rotation(ctx: &Ctx<'_>) -> (Run, Run) {
    if !ctx.has_admin() {
        let skip = Skip("needs --admin-token (sandbox admin API §9.2)".into());
        return (Err(skip.clone()), Err(skip));
    }
    let key = match new_key(ctx).await {
        Ok(k) => k,
        Err(s) => return (Err(s.clone()), Err(s)),
    };
    let second = ctx.client.as_agent(ctx.agent_id(), &key);
    // Both keys, side by side.
    let mut second_findings = Vec::new();
    for path in ["/balance", "/products"] {
        let p = ctx.agent_path(path);
        let with_second = ctx.send_as(&second, Req::get(p.clone())).await;
        let with_first = ctx.send(Req::get(p)).await;
        second_findings.extend(expect_ok(&SECOND_KEY, "the second key", &with_second));
        second_findings.extend(expect_ok(
            &SECOND_KEY,
            "the first key beside a second",
            &with_first,
        ));
    }
    let revoked = ctx
        .send(admin_req(&AdminCall::RevokeKey { key: key.clone() }))
        .await;
    match &revoked {
        Ok(o) if o.status() == 204 => {}
        Ok(o) => {
            let s = Skip(format!(
                "the admin API did not revoke the key ({})",
                o.status()
            ));
            return (Ok(second_findings), Err(s));
        }
        Err(e) => return (Ok(second_findings), Err(Skip(e.reason.clone()))),
    }
    let mut revoked_findings = Vec::new();
    for path in ["/balance", "/orders"] {
        let r = ctx.send_as(&second, Req::get(ctx.agent_path(path))).await;
        revoked_findings.extend(expect_error(
            &REVOKED_KEY,
            "a revoked key",
            &r,
            &unauthorized(),
        ));
    }
    let first = ctx.send(Req::get(ctx.agent_path("/balance"))).await;
    second_findings.extend(expect_ok(
        &SECOND_KEY,
        "the first key after revoking the second",
        &first,
    ));
    (Ok(second_findings), Ok(revoked_findings))
}

/// Another agent created through the admin API, with one test order of its own.
pub struct OtherAgent {
    pub agent_id: String,
    pub client: ApiClient,
    pub order_id: Option<String>,
}

pub async fn other_agent(ctx: &Ctx<'_>, d: &Discovery) -> Option<OtherAgent> {
    if !ctx.has_admin() {
        return None;
    }
    let o = ctx
        .send(admin_req(&AdminCall::CreateAgent { deposits: vec![] }))
        .await
        .ok()?;
    admin::mask_issued_key(o.json.as_ref(), ctx.client.masker(), None);
    let NewAgent { agent_id, api_key } = admin::new_agent(o.status(), o.json.as_ref(), "").ok()?;
    let client = ctx.client.as_agent(&agent_id, &api_key);
    let order_body = d
        .voucher()
        .map(|v| json!({"product_id": v.id, "test": true}))?;
    let created = ctx
        .send_as(
            &client,
            Req::post(client.agent_path("/orders")).json(&order_body),
        )
        .await
        .ok()?;
    let order_id = created
        .json
        .as_ref()
        .filter(|_| created.status() == 201)
        .and_then(|j| j.get("id")?.as_str().map(str::to_string));
    Some(OtherAgent {
        agent_id,
        client,
        order_id,
    })
}

fn discloses(o: &Observed, secret: Option<&str>) -> bool {
    let has_items = o.json.as_ref().and_then(|j| j.get("items")).is_some();
    let leaks_order = secret.is_some_and(|s| String::from_utf8_lossy(&o.exchange.body).contains(s));
    has_items || leaks_order
}

pub async fn other_agent_path(ctx: &Ctx<'_>, other: Option<&OtherAgent>) -> Run {
    let forbidden = ExpectError::new(403, "forbidden", Param::Null);
    let mut ids = vec![uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_string()];
    if let Some(o) = other {
        ids.push(o.agent_id.clone());
    }
    let secret = other.and_then(|o| o.order_id.clone());
    let mut findings = Vec::new();
    for id in ids {
        let mut paths = vec![
            format!("/agent/{id}/orders"),
            format!("/agent/{id}/balance"),
            format!("/agent/{id}/products"),
        ];
        if let Some(order) = &secret {
            paths.push(format!("/agent/{id}/orders/{order}"));
        }
        for path in paths {
            let r = ctx.send(Req::get(path.clone())).await;
            if let Some(f) = expect_error(&OTHER_AGENT_PATH, &format!("GET {path}"), &r, &forbidden)
            {
                findings.push(f);
            } else if let Ok(o) = &r {
                let secret = secret.as_deref().filter(|s| !path.contains(s));
                if discloses(o, secret) {
                    findings.push(OTHER_AGENT_PATH.finding(
                        format!("GET {path} disclosed the other agent's data"),
                        "an Error body only",
                        "items or the other agent's order id in the body",
                        Some(o),
                    ));
                }
            }
        }
    }
    Ok(findings)
}

pub async fn other_agent_order(ctx: &Ctx<'_>, other: Option<&OtherAgent>) -> Run {
    let Some(other) = other else {
        return Err(Skip(if ctx.has_admin() {
            "could not create a second agent through the admin API".into()
        } else {
            "needs --admin-token to create a second agent (§9.2)".into()
        }));
    };
    let Some(order_id) = &other.order_id else {
        return Err(Skip("the second agent could not create an order".into()));
    };
    let not_found = ExpectError::new(404, "not_found", Param::Any);
    let path = ctx.agent_path(&format!("/orders/{order_id}"));
    let r = ctx.send(Req::get(path.clone())).await;
    let mut findings: Vec<Finding> =
        expect_error(&OTHER_AGENT_ORDER, &format!("GET {path}"), &r, &not_found)
            .into_iter()
            .collect();
    let list = ctx
        .send(Req::get(format!("{}?limit=100", ctx.agent_path("/orders"))))
        .await;
    if let Ok(o) = &list {
        let leaked = o
            .json
            .as_ref()
            .and_then(|j| j.get("items")?.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .any(|i| i.get("id").and_then(Value::as_str) == Some(order_id));
        if leaked {
            findings.push(OTHER_AGENT_ORDER.finding(
                "the agent's order list holds another agent's order",
                "only the agent's own orders",
                format!("order {order_id} in the list"),
                Some(o),
            ));
        }
    }
    Ok(findings)
}

/// Runs the family.
pub async fn run(ctx: &Ctx<'_>, d: &Discovery) -> Vec<CheckResult> {
    let started = Instant::now();
    let (missing, unknown, bearer, (second, revoked), other) = futures::join!(
        missing_key(ctx, d),
        unknown_key(ctx, d),
        bearer_rejected(ctx, d),
        key_rotation(ctx),
        other_agent(ctx, d),
    );
    let path = other_agent_path(ctx, other.as_ref()).await;
    let order = other_agent_order(ctx, other.as_ref()).await;
    vec![
        MISSING_KEY.result(missing, started),
        UNKNOWN_KEY.result(unknown, started),
        BEARER_REJECTED.result(bearer, started),
        SECOND_KEY.result(second, started),
        REVOKED_KEY.result(revoked, started),
        OTHER_AGENT_PATH.result(path, started),
        OTHER_AGENT_ORDER.result(order, started),
    ]
}
