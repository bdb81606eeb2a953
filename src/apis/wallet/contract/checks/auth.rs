//! §2 Authentication and scope: the raw key only, revoked keys refused, rotation, another
//! merchant's transactions invisible and untouched, no personal data echoed.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{expect, expect_status, Check, Param, Run, Skip};
use crate::apis::wallet::contract::context::{transaction_of, Ctx, Unrunnable, WObserved};
use crate::apis::wallet::wire::{self, OperationKind, WalletTransaction};
use crate::engine::client::Auth;
use crate::engine::contract::Req;
use crate::engine::model::Finding;

pub const MISSING_KEY: Check = Check::must(
    "wallet.auth.missing_key",
    "§2 Authentication",
    "A request without Authorization is 401 unauthorized (param Authorization)",
);
pub const UNKNOWN_KEY: Check = Check::must(
    "wallet.auth.unknown_key",
    "§2 Authentication",
    "An unknown key is 401 unauthorized",
);
pub const BEARER_REJECTED: Check = Check::must(
    "wallet.auth.bearer_rejected",
    "§2 Authentication",
    "`Bearer <valid key>` is 401 unauthorized: the key is sent raw",
);
pub const REVOKED_KEY: Check = Check::must(
    "wallet.auth.revoked_key",
    "§2 Authentication",
    "A revoked key is 401 unauthorized",
);
pub const ROTATION: Check = Check::must(
    "wallet.auth.rotation",
    "§2 Authentication",
    "A merchant's second key works, and keeps working when the first is revoked",
);
pub const OTHER_MERCHANT: Check = Check::must("wallet.auth.other_merchant", "§2 Scope", "Another merchant's transaction is 404 on read, capture, cancel and refund, and nothing changes");
pub const NO_PERSONAL_DATA: Check = Check::must(
    "wallet.auth.no_personal_data",
    "§2 Scope",
    "No response body contains a request's iin or phoneNumber",
);

fn probes(id: &str) -> Vec<Req> {
    let mut out = vec![
        Req::get(wire::LIST_PATH),
        Req::get(wire::transaction_path(id)),
    ];
    for op in OperationKind::ALL {
        out.push(Req::post(op.path(id)).json(&json!({"amount": 1})));
    }
    out
}

async fn all_401(ctx: &Ctx<'_>, check: &Check, auth: Auth, what: &str, id: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for req in probes(id) {
        let label = req.label();
        let sent = ctx.send(req.auth(auth.clone())).await;
        findings.extend(expect(
            check,
            &format!("{what} on {label}"),
            &sent,
            401,
            "unauthorized",
            Param::is("Authorization"),
        ));
    }
    findings
}

pub async fn missing_key(ctx: &Ctx<'_>, id: &str) -> Run {
    Ok(all_401(ctx, &MISSING_KEY, Auth::None, "no Authorization", id).await)
}

pub async fn unknown_key(ctx: &Ctx<'_>, id: &str) -> Run {
    let key = format!("gc-unknown-{}", uuid::Uuid::new_v4().simple());
    Ok(all_401(ctx, &UNKNOWN_KEY, Auth::Raw(key), "an unknown key", id).await)
}

pub async fn bearer(ctx: &Ctx<'_>, id: &str) -> Run {
    let key = ctx.client().target().api_key.expose().to_string();
    Ok(all_401(
        ctx,
        &BEARER_REJECTED,
        Auth::Raw(format!("Bearer {key}")),
        "Bearer <valid key>",
        id,
    )
    .await)
}

async fn list_status(ctx: &Ctx<'_>, key: &str) -> Result<Arc<WObserved>, String> {
    ctx.send(Req::get(wire::LIST_PATH).auth(Auth::Raw(key.to_string())))
        .await
        .map_err(|e| e.reason)
}

async fn revoke(ctx: &Ctx<'_>, key: &str) -> Result<(), Unrunnable> {
    let o = ctx
        .send(Req::new(reqwest::Method::DELETE, format!("/_sandbox/keys/{key}")).auth(Auth::Admin))
        .await
        .map_err(|e| Unrunnable::Unanswered(e.reason))?;
    (o.status() == 204).then_some(()).ok_or(Unrunnable::Admin {
        what: "DELETE /_sandbox/keys",
        status: o.status(),
    })
}

pub async fn revoked(ctx: &Ctx<'_>) -> Run {
    if !ctx.has_admin() {
        return Err(Skip(
            "needs the sandbox admin token (--admin-token) to make and revoke a key".into(),
        ));
    }
    let (_, key) = ctx.new_merchant(None).await?;
    let before = list_status(ctx, &key).await.map_err(Skip)?;
    if before.status() != 200 {
        return Err(Skip(format!(
            "a fresh merchant's key answered {} before revocation",
            before.status()
        )));
    }
    revoke(ctx, &key).await?;
    let mut findings = Vec::new();
    for req in probes("wt_01KHTPHWP8H8Q2X9K0R1ABCD12") {
        let label = req.label();
        let sent = ctx.send(req.auth(Auth::Raw(key.clone()))).await;
        findings.extend(expect(
            &REVOKED_KEY,
            &format!("revoked key on {label}"),
            &sent,
            401,
            "unauthorized",
            Param::is("Authorization"),
        ));
    }
    Ok(findings)
}

pub async fn rotation(ctx: &Ctx<'_>) -> Run {
    if !ctx.has_admin() {
        return Err(Skip(
            "needs the sandbox admin token (--admin-token) to add a key".into(),
        ));
    }
    let (merchant, first) = ctx.new_merchant(None).await?;
    let o = ctx
        .send(Req::post(format!("/_sandbox/merchants/{merchant}/keys")).auth(Auth::Admin))
        .await
        .map_err(|e| Skip(e.reason))?;
    let Some(second) = o
        .json
        .as_ref()
        .and_then(|j| j["api_key"].as_str())
        .map(str::to_string)
    else {
        return Err(Skip(format!(
            "POST /_sandbox/merchants/{{id}}/keys answered {}",
            o.status()
        )));
    };
    ctx.client()
        .masker()
        .add_numbered(&second, "GATECHECK_OTHER_KEY");
    let mut findings = Vec::new();
    for (what, key) in [("the first key", &first), ("the second key", &second)] {
        let sent = ctx
            .send(Req::get(wire::LIST_PATH).auth(Auth::Raw(key.clone())))
            .await;
        findings.extend(expect_status(
            &ROTATION,
            &format!("{what} of a merchant with two"),
            &sent,
            200,
        ));
    }
    revoke(ctx, &first).await?;
    let sent = ctx
        .send(Req::get(wire::LIST_PATH).auth(Auth::Raw(second.clone())))
        .await;
    findings.extend(expect_status(
        &ROTATION,
        "the second key after the first was revoked",
        &sent,
        200,
    ));
    Ok(findings)
}

/// Another merchant reads, captures, cancels and refunds our transaction: 404 each time,
/// it is absent from their list, and our transaction is unchanged afterwards.
pub async fn other_merchant(ctx: &Ctx<'_>, ours: Option<&WalletTransaction>) -> Run {
    if !ctx.has_admin() {
        return Err(Skip(
            "needs the sandbox admin token (--admin-token) to make a second merchant".into(),
        ));
    }
    let Some(ours) = ours else {
        return Err(Skip("no transaction of ours to probe".into()));
    };
    let (_, key) = ctx.new_merchant(None).await?;
    let other = ctx.as_merchant(&key);
    let before = ctx
        .get(&ours.wallet_transaction_id)
        .await
        .map_err(|e| Skip(e.reason))?;
    let before = transaction_of(&before).ok_or(Skip("cannot read our own transaction".into()))?;
    let mut findings = Vec::new();
    let id = &ours.wallet_transaction_id;
    let mut reqs = vec![Req::get(wire::transaction_path(id))];
    for op in OperationKind::ALL {
        reqs.push(Req::post(op.path(id)).json(&json!({"amount": 1})));
    }
    for req in reqs {
        let label = req.label();
        let sent = ctx.send_as(&other, req).await;
        findings.extend(expect(
            &OTHER_MERCHANT,
            &format!("another merchant's {label}"),
            &sent,
            404,
            "not_found",
            Param::Null,
        ));
    }
    let list = ctx
        .send_as(
            &other,
            Req::get(format!(
                "{}?orderReference={}",
                wire::LIST_PATH,
                ours.order_reference
            )),
        )
        .await;
    if let Ok(o) = &list {
        let leaked = o
            .json
            .as_ref()
            .and_then(|j| j["items"].as_array())
            .is_some_and(|items| {
                items
                    .iter()
                    .any(|i| i["walletTransactionId"] == id.as_str())
            });
        if leaked {
            findings.push(OTHER_MERCHANT.finding(
                "another merchant's list shows our transaction",
                "not listed",
                "listed",
                Some(o),
            ));
        }
    }
    if let Ok(after) = ctx.get(id).await {
        if let Some(now) = transaction_of(&after) {
            let moved = now.captured_amount != before.captured_amount
                || now.cancelled_amount != before.cancelled_amount
                || now.refunded_amount != before.refunded_amount;
            if moved {
                findings.push(OTHER_MERCHANT.finding(
                    "another merchant's operations moved our transaction's totals",
                    format!(
                        "captured {} cancelled {} refunded {}",
                        before.captured_amount, before.cancelled_amount, before.refunded_amount
                    ),
                    format!(
                        "captured {} cancelled {} refunded {}",
                        now.captured_amount, now.cancelled_amount, now.refunded_amount
                    ),
                    Some(&after),
                ));
            }
        }
    }
    Ok(findings)
}

/// Over every observed authorize: the response body never holds the request's `iin` or
/// `phoneNumber` (values of six characters or more, so an empty or tiny probe value does
/// not match by accident).
pub fn no_personal_data(all: &[Arc<WObserved>]) -> Run {
    let mut findings = Vec::new();
    for o in all {
        let Some(body) = &o.exchange.request.body else {
            continue;
        };
        let Ok(sent) = serde_json::from_slice::<Value>(body) else {
            continue;
        };
        let response = String::from_utf8_lossy(&o.exchange.body);
        for field in ["iin", "phoneNumber"] {
            let Some(value) = sent.get(field).and_then(Value::as_str) else {
                continue;
            };
            let value = value.trim();
            if value.len() >= 6 && response.contains(value) {
                findings.push(NO_PERSONAL_DATA.finding(
                    format!("{} echoed the request's {field}", o.label()),
                    format!("no {field} in the body"),
                    format!("the body contains {value:?}"),
                    Some(o),
                ));
                break;
            }
        }
    }
    Ok(findings)
}
