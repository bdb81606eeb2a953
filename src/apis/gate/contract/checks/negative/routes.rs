//! Paths and methods (§3): malformed path ids, unknown ids and routes, wrong methods.

use super::{case, expect_status, invalid, run_cases};
use reqwest::Method;
use serde_json::json;

use crate::apis::gate::contract::checks::{expect_error, Check, ExpectError, Param, Run};
use crate::apis::gate::contract::context::{Ctx, Req};
use crate::apis::gate::contract::discovery::Discovery;

pub const PATH_IDS: Check = Check::must(
    "negative.malformed_path_ids",
    "§3 Errors",
    "A path id of the wrong shape gets 400 invalid_request naming productId/orderId",
);
pub const NOT_FOUND: Check = Check::must(
    "negative.unknown_ids_not_found",
    "§3 Errors",
    "A well-formed but unknown product or order id gets 404 not_found",
);
pub const UNKNOWN_ROUTE: Check = Check::must(
    "negative.unknown_route",
    "§3 Errors",
    "An unknown route gets 404 not_found",
);
pub const WRONG_METHOD: Check = Check::must(
    "negative.wrong_method",
    "§3 Errors",
    "An unsupported method on a known path gets 405 method_not_allowed with an Allow header",
);

pub async fn path_ids(ctx: &Ctx<'_>) -> Run {
    let mut cases = Vec::new();
    for bad in ["abc", "0", "007", "-1", "1.5", "1e3"] {
        cases.push(case(
            format!("product id {bad:?}"),
            Req::get(ctx.agent_path(&format!("/products/{bad}"))),
            invalid("productId"),
        ));
    }
    for bad in ["not-a-uuid", "12345", "5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5"] {
        cases.push(case(
            format!("order id {bad:?}"),
            Req::get(ctx.agent_path(&format!("/orders/{bad}"))),
            invalid("orderId"),
        ));
    }
    Ok(run_cases(ctx, &PATH_IDS, cases).await)
}

pub async fn not_found(ctx: &Ctx<'_>, d: &Discovery, own_order: Option<&str>) -> Run {
    let nf = ExpectError::new(404, "not_found", Param::Any);
    let cases = vec![
        case(
            "an unknown product id",
            Req::get(ctx.agent_path(&format!("/products/{}", d.unknown_product_id()))),
            nf.clone(),
        ),
        case(
            "an unknown order id",
            Req::get(ctx.agent_path(&format!("/orders/{}", uuid::Uuid::new_v4()))),
            nf,
        ),
    ];
    let mut findings = run_cases(ctx, &NOT_FOUND, cases).await;
    // An order id is a UUID in either case (§10): the upper-case form finds the order.
    if let Some(id) = own_order {
        let r = ctx
            .send(Req::get(
                ctx.agent_path(&format!("/orders/{}", id.to_ascii_uppercase())),
            ))
            .await;
        findings.extend(expect_status(
            &NOT_FOUND,
            "an existing order id in upper case",
            &r,
            200,
        ));
    }
    Ok(findings)
}

pub async fn unknown_route(ctx: &Ctx<'_>) -> Run {
    let nf = ExpectError::new(404, "not_found", Param::Any);
    let cases = vec![
        case(
            "GET an unknown agent route",
            Req::get(ctx.agent_path("/gatecheck-nowhere")),
            nf.clone(),
        ),
        case(
            "POST an unknown agent route",
            Req::post(ctx.agent_path("/gatecheck-nowhere")).json(&json!({})),
            nf.clone(),
        ),
        case(
            "GET below an order",
            Req::get(ctx.agent_path(&format!("/orders/{}/gatecheck", uuid::Uuid::new_v4()))),
            nf.clone(),
        ),
        case(
            "GET an unknown top-level route",
            Req::get("/gatecheck-nowhere"),
            nf,
        ),
    ];
    Ok(run_cases(ctx, &UNKNOWN_ROUTE, cases).await)
}

pub async fn wrong_method(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let product = d.catalog.first().map(|p| p.id).unwrap_or(1);
    let order_id = uuid::Uuid::new_v4();
    let calls: Vec<(Method, String)> = vec![
        (Method::DELETE, ctx.agent_path("/products")),
        (Method::PUT, ctx.agent_path("/orders")),
        (
            Method::PATCH,
            ctx.agent_path(&format!("/orders/{order_id}")),
        ),
        (Method::PUT, ctx.agent_path(&format!("/products/{product}"))),
        (Method::DELETE, ctx.agent_path("/balance")),
        (Method::POST, ctx.agent_path("/deposits")),
        (Method::POST, ctx.agent_path("/product-types")),
        (Method::POST, ctx.agent_path("/product-categories")),
        (Method::POST, "/health".to_string()),
        (Method::HEAD, ctx.agent_path("/products")),
        (Method::OPTIONS, ctx.agent_path("/orders")),
    ];
    let results = futures::future::join_all(calls.into_iter().map(|(method, path)| async move {
        let is_head = method == Method::HEAD;
        // What the Allow header must list: the document's methods for the path.
        let allow = ctx
            .openapi
            .match_path(&path)
            .and_then(|template| ctx.openapi.allowed_methods(template))
            .unwrap_or_default();
        let r = ctx.send(Req::new(method, path)).await;
        (r, allow, is_head)
    }))
    .await;
    let expected = ExpectError::new(405, "method_not_allowed", Param::Any);
    let mut findings = Vec::new();
    for (r, allow, is_head) in &results {
        let o = match r {
            Ok(o) => o,
            Err(e) => {
                findings.push(WRONG_METHOD.no_response(e));
                continue;
            }
        };
        let label = o.label();
        if *is_head {
            if o.status() != 405 {
                findings.push(WRONG_METHOD.finding(
                    format!("{label}: wrong status"),
                    "405",
                    o.status().to_string(),
                    Some(o),
                ));
                continue;
            }
        } else if let Some(f) = expect_error(&WRONG_METHOD, &label, r, &expected) {
            findings.push(f);
            continue;
        }
        let listed: Vec<String> = o
            .exchange
            .header("allow")
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect();
        let missing: Vec<&String> = allow.iter().filter(|a| !listed.contains(a)).collect();
        if !missing.is_empty() {
            findings.push(
                WRONG_METHOD.finding(
                    format!("{label}: the Allow header does not list the supported methods"),
                    format!("Allow: {}", allow.join(", ")),
                    o.exchange
                        .header("allow")
                        .map(|a| format!("Allow: {a}"))
                        .unwrap_or_else(|| "no Allow header".into()),
                    Some(o),
                ),
            );
        }
    }
    Ok(findings)
}
