//! §3 Order of checks, path ids, unknown routes and methods, and §1's transport edges
//! (HEAD/OPTIONS → 405 with Allow, header values trimmed).

use serde_json::json;

use super::{expect, expect_status, invalid, Check, Param, Run, Skip};
use crate::apis::wallet::contract::context::Ctx;
use crate::apis::wallet::wire::{self, OperationKind};
use crate::engine::client::Auth;
use crate::engine::contract::Req;
use crate::engine::model::Finding;

pub const ORDER_OF_CHECKS: Check = Check::must("wallet.precedence.order_of_checks", "§3 Order of checks", "401 → 404 route → 405 → 415 → 400 (path id, Idempotency-Key, body fields in order) → key lookup → 404 → 409 → amount_exceeds_remaining");
pub const PATH_ID: Check = Check::must(
    "wallet.precedence.path_id",
    "§1 Transport",
    "A path id not matching ^wt_[0-9A-HJKMNP-TV-Z]{26}$ is 400 (param wallet_transaction_id)",
);
pub const NOT_FOUND: Check = Check::must(
    "wallet.precedence.not_found",
    "§3 Errors",
    "A well-formed unknown transaction id is 404 not_found on read and every operation",
);
pub const UNKNOWN_ROUTE: Check = Check::must(
    "wallet.precedence.unknown_route",
    "§3 Errors",
    "Unknown routes are 404 not_found; outside /v1/wallet/ even without a key",
);
pub const METHODS: Check = Check::must("wallet.precedence.methods", "§3 Errors", "A known path with another method (HEAD and OPTIONS included) is 405 method_not_allowed with Allow");
pub const HEADER_TRIM: Check = Check::must(
    "wallet.precedence.header_trim",
    "§1 Transport",
    "Header values are trimmed of surrounding spaces",
);

/// A well-formed id no transaction has (time part in 2001).
pub const UNKNOWN_ID: &str = "wt_00ZZZZZZZZ0000000000000000";

pub async fn path_id(ctx: &Ctx<'_>, own: &str) -> Run {
    let mut findings = Vec::new();
    let lower = own.to_ascii_lowercase();
    let mut bad = vec![
        "not-an-id".to_string(),
        "wt_123".to_string(),
        format!("{own}0"),
        lower,
        own.replacen("wt_", "tx_", 1),
    ];
    // A letter Crockford base32 excludes (I, L, O, U).
    bad.push(format!("wt_{}U", &own[3..own.len() - 1]));
    for id in bad {
        let sent = ctx.get(&id).await;
        findings.extend(invalid(
            &PATH_ID,
            &format!("GET transaction {id}"),
            &sent,
            "wallet_transaction_id",
        ));
        for op in OperationKind::ALL {
            let sent = ctx
                .send(Req::post(op.path(&id)).json(&json!({"amount": 1})))
                .await;
            findings.extend(invalid(
                &PATH_ID,
                &format!("{} {id}", op.as_str()),
                &sent,
                "wallet_transaction_id",
            ));
        }
    }
    Ok(findings)
}

pub async fn not_found(ctx: &Ctx<'_>) -> Run {
    let mut findings = Vec::new();
    let sent = ctx.get(UNKNOWN_ID).await;
    findings.extend(expect(
        &NOT_FOUND,
        "GET an unknown transaction",
        &sent,
        404,
        "not_found",
        Param::Null,
    ));
    for op in OperationKind::ALL {
        let sent = ctx
            .send(Req::post(op.path(UNKNOWN_ID)).json(&json!({"amount": 1})))
            .await;
        findings.extend(expect(
            &NOT_FOUND,
            &format!("{} an unknown transaction", op.as_str()),
            &sent,
            404,
            "not_found",
            Param::Null,
        ));
    }
    Ok(findings)
}

pub async fn unknown_route(ctx: &Ctx<'_>, own: &str) -> Run {
    let mut findings = Vec::new();
    let paths = [
        "/v1/wallet/nope".to_string(),
        "/v1/wallet/authorize/".to_string(),
        format!("/v1/wallet/transaction/{own}/"),
        format!("/v1/wallet/{own}/capture/"),
        format!("/v1/wallet/{own}/void"),
        "/v1/wallet/transactions/x".to_string(),
    ];
    for path in &paths {
        let sent = ctx.send(Req::get(path.as_str())).await;
        findings.extend(expect(
            &UNKNOWN_ROUTE,
            &format!("GET {path}"),
            &sent,
            404,
            "not_found",
            Param::Null,
        ));
    }
    let sent = ctx
        .send(Req::post("/v1/wallet/authorize/").json(&json!({})))
        .await;
    findings.extend(expect(
        &UNKNOWN_ROUTE,
        "POST /v1/wallet/authorize/ (no trailing-slash twin)",
        &sent,
        404,
        "not_found",
        Param::Null,
    ));
    for path in [
        "/v1/other",
        "/v2/wallet/transactions/",
        "/wallet/transactions/",
    ] {
        let sent = ctx.send(Req::get(path).auth(Auth::None)).await;
        findings.extend(expect(
            &UNKNOWN_ROUTE,
            &format!("GET {path} without a key"),
            &sent,
            404,
            "not_found",
            Param::Null,
        ));
    }
    Ok(findings)
}

/// A 405 must list the supported methods in `Allow`.
fn allow_lists(
    check: &Check,
    what: &str,
    sent: &super::super::context::Sent,
    method: &str,
) -> Option<Finding> {
    let o = sent.as_ref().ok()?;
    if o.status() != 405 {
        return None;
    }
    // RFC 9110: Allow may come as several field lines; together they are one list.
    let allow = o
        .exchange
        .headers
        .get_all("allow")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    let listed = allow
        .split(',')
        .any(|m| m.trim().eq_ignore_ascii_case(method));
    (!listed).then(|| {
        check.finding(
            format!("{what}: Allow does not list {method}"),
            format!("Allow: … {method} …"),
            format!("Allow: {allow}"),
            Some(o),
        )
    })
}

pub async fn methods(ctx: &Ctx<'_>, own: &str) -> Run {
    use reqwest::Method as M;
    let mut findings = Vec::new();
    let cases: Vec<(M, String, &str)> = vec![
        (M::DELETE, wire::LIST_PATH.to_string(), "GET"),
        (M::POST, wire::LIST_PATH.to_string(), "GET"),
        (M::HEAD, wire::LIST_PATH.to_string(), "GET"),
        (M::OPTIONS, wire::LIST_PATH.to_string(), "GET"),
        (M::GET, wire::AUTHORIZE_PATH.to_string(), "POST"),
        (M::PUT, wire::AUTHORIZE_PATH.to_string(), "POST"),
        (M::HEAD, wire::AUTHORIZE_PATH.to_string(), "POST"),
        (M::DELETE, wire::transaction_path(own), "GET"),
        (M::OPTIONS, wire::transaction_path(own), "GET"),
        (M::GET, OperationKind::Capture.path(own), "POST"),
        (M::PATCH, OperationKind::Refund.path(own), "POST"),
    ];
    for (method, path, allowed) in cases {
        let what = format!("{method} {path}");
        let sent = ctx.send(Req::new(method.clone(), path)).await;
        if method == M::HEAD {
            // A HEAD answer has no body: judge the status and Allow only.
            match &sent {
                Ok(o) if o.status() != 405 => findings.push(METHODS.finding(
                    format!("{what}: wrong answer"),
                    "405",
                    o.status().to_string(),
                    Some(o),
                )),
                Err(e) => findings.push(METHODS.no_response(e)),
                _ => {}
            }
        } else {
            findings.extend(expect(
                &METHODS,
                &what,
                &sent,
                405,
                "method_not_allowed",
                Param::Null,
            ));
        }
        findings.extend(allow_lists(&METHODS, &what, &sent, allowed));
    }
    Ok(findings)
}

pub async fn header_trim(ctx: &Ctx<'_>) -> Run {
    let key = ctx.client().target().api_key.expose().to_string();
    let sent = ctx
        .send(Req::get(wire::LIST_PATH).auth(Auth::Raw(format!("  {key}  "))))
        .await;
    Ok(expect_status(
        &HEADER_TRIM,
        "Authorization with surrounding spaces",
        &sent,
        200,
    )
    .into_iter()
    .collect())
}

/// One probe of the order of checks: two faults, the earlier must win.
struct Case {
    what: &'static str,
    req: Req,
    status: u16,
    code: &'static str,
    param: Param,
}

fn authorize_body(ctx: &Ctx<'_>, edits: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut body = ctx.body(10, &ctx.reference("order"));
    for (k, v) in edits {
        body[*k] = v.clone();
    }
    body
}

pub async fn order_of_checks(ctx: &Ctx<'_>, own: &str, failed: Option<&str>) -> Run {
    let key = ctx.key();
    let post = |path: String| Req::post(path);
    let authorize = |edits: &[(&str, serde_json::Value)]| {
        Req::post(wire::AUTHORIZE_PATH)
            .header("Idempotency-Key", ctx.key())
            .json(&authorize_body(ctx, edits))
    };
    let bad = json!("bad");
    let mut cases = vec![
        Case {
            what: "no key on an unknown /v1/wallet/ route: 401 first",
            req: Req::get("/v1/wallet/nope").auth(Auth::None),
            status: 401,
            code: "unauthorized",
            param: Param::is("Authorization"),
        },
        Case {
            what: "no key, wrong method: 401 before 405",
            req: Req::new(reqwest::Method::DELETE, wire::AUTHORIZE_PATH).auth(Auth::None),
            status: 401,
            code: "unauthorized",
            param: Param::is("Authorization"),
        },
        Case {
            what: "wrong method with a text/plain body: 405 before 415",
            req: Req::new(reqwest::Method::PUT, wire::AUTHORIZE_PATH)
                .header("Content-Type", "text/plain")
                .raw_body("x"),
            status: 405,
            code: "method_not_allowed",
            param: Param::Null,
        },
        Case {
            what: "text/plain with a bad amount: 415 before 400",
            req: Req::post(wire::AUTHORIZE_PATH)
                .header("Content-Type", "text/plain")
                .raw_body("{\"amount\":0}"),
            status: 415,
            code: "unsupported_media_type",
            param: Param::is("Content-Type"),
        },
        Case {
            what: "malformed path id with a bad amount: the path id first",
            req: post(OperationKind::Capture.path("nope"))
                .header("Idempotency-Key", "")
                .json(&json!({"amount": 0})),
            status: 400,
            code: "invalid_request",
            param: Param::is("wallet_transaction_id"),
        },
        Case {
            what: "missing Idempotency-Key with a bad amount: the key first",
            req: Req::post(wire::AUTHORIZE_PATH)
                .json(&authorize_body(ctx, &[("amount", json!(0))])),
            status: 400,
            code: "invalid_request",
            param: Param::is("Idempotency-Key"),
        },
        Case {
            what: "empty Idempotency-Key on capture with a bad amount: the key first",
            req: post(OperationKind::Capture.path(own))
                .header("Idempotency-Key", "")
                .json(&json!({"amount": 0})),
            status: 400,
            code: "invalid_request",
            param: Param::is("Idempotency-Key"),
        },
        Case {
            what: "bad amount and currency: amount first",
            req: authorize(&[("amount", json!(0)), ("currency", bad.clone())]),
            status: 400,
            code: "invalid_request",
            param: Param::is("amount"),
        },
        Case {
            what: "bad phoneNumber and iin: phoneNumber first",
            req: authorize(&[("phoneNumber", bad.clone()), ("iin", bad.clone())]),
            status: 400,
            code: "invalid_request",
            param: Param::is("phoneNumber"),
        },
        Case {
            what: "bad iin and orderReference: iin first",
            req: authorize(&[("iin", bad.clone()), ("orderReference", json!(""))]),
            status: 400,
            code: "invalid_request",
            param: Param::is("iin"),
        },
        Case {
            what: "bad orderReference and currency: orderReference first",
            req: authorize(&[("orderReference", json!("")), ("currency", bad.clone())]),
            status: 400,
            code: "invalid_request",
            param: Param::is("orderReference"),
        },
        Case {
            what: "bad amount on an unknown transaction: 400 before 404",
            req: post(OperationKind::Refund.path(UNKNOWN_ID)).json(&json!({"amount": 0})),
            status: 400,
            code: "invalid_request",
            param: Param::is("amount"),
        },
        Case {
            what: "a huge amount on an unknown transaction: 404 before amount_exceeds_remaining",
            req: post(OperationKind::Capture.path(UNKNOWN_ID))
                .json(&json!({"amount": 999_999_999})),
            status: 404,
            code: "not_found",
            param: Param::Null,
        },
    ];
    if let Some(failed) = failed {
        cases.push(Case { what: "an amount beyond the hold on a FAILED transaction: 409 before amount_exceeds_remaining", req: post(OperationKind::Capture.path(failed)).json(&json!({"amount": 999_999_999})), status: 409, code: "invalid_state", param: Param::Null });
    }
    if ctx.may_spend(0).is_err() {
        cases.retain(|c| {
            !c.req.path.ends_with("/authorize")
                || c.status != 400
                || c.param == Param::is("Idempotency-Key")
        });
    }
    let mut findings = Vec::new();
    for c in cases {
        let sent = ctx.send(c.req).await;
        findings.extend(expect(
            &ORDER_OF_CHECKS,
            c.what,
            &sent,
            c.status,
            c.code,
            c.param,
        ));
    }
    // The whole request is validated before the key is looked up: a key that captured
    // one transaction, sent again on an unknown one, is a mismatch (422), not a 404.
    let first = ctx
        .send(
            post(OperationKind::Capture.path(own))
                .header("Idempotency-Key", key.clone())
                .json(&json!({"amount": 1})),
        )
        .await;
    match &first {
        Ok(o) if o.status() == 200 => {
            let again = ctx
                .send(
                    post(OperationKind::Capture.path(UNKNOWN_ID))
                        .header("Idempotency-Key", key)
                        .json(&json!({"amount": 1})),
                )
                .await;
            findings.extend(expect(
                &ORDER_OF_CHECKS,
                "a used capture key on an unknown transaction: 422 before 404",
                &again,
                422,
                "idempotency_key_mismatch",
                Param::is("Idempotency-Key"),
            ));
        }
        Ok(_) | Err(_) => {
            if findings.is_empty() {
                return Err(Skip("the control capture of 1 was not answered 200".into()));
            }
        }
    }
    Ok(findings)
}
