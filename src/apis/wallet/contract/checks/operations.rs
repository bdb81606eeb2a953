//! §5 Operations: the authorize response, capture/cancel/refund arithmetic and their
//! WalletOperation, `amount_exceeds_remaining` and `invalid_state` changing nothing, and
//! idempotency (replay, mismatch, a failed request leaves the key free).

use std::sync::Arc;

use serde_json::{json, Value};

use super::{expect, expect_status, Check, Param, Run, Skip};
use crate::apis::wallet::contract::context::{transaction_of, Ctx, WObserved, SHOWN_TIME_GAP};
use crate::apis::wallet::wire::{self, OperationKind, WalletStatus, WalletTransaction};
use crate::engine::contract::Req;
use crate::engine::model::Finding;

pub const AUTHORIZE: Check = Check::must("wallet.operations.authorize", "§5 Operations", "authorize answers 201 with status NEW or PROCESSING, totals 0, amount = authorizedAmount, orderReference and currency echoed");
pub const LOCATION: Check = Check::should(
    "wallet.operations.location",
    "§5 Operations",
    "authorize's 201 carries Location: /v1/wallet/transaction/{id}",
);
pub const ARITHMETIC: Check = Check::must("wallet.operations.arithmetic", "§5 Operations", "capture, cancel and refund move exactly their amount, partial ones included, and answer the WalletOperation");
pub const EXCEEDS_REMAINING: Check = Check::must(
    "wallet.operations.exceeds_remaining",
    "§5 Operations",
    "More than what remains is 400 amount_exceeds_remaining (param amount) and nothing changes",
);
pub const INVALID_STATE: Check = Check::must(
    "wallet.operations.invalid_state",
    "§5 Operations",
    "An operation on a transaction not in SUCCESS is 409 invalid_state and nothing changes",
);
pub const IDEMPOTENCY: Check = Check::must("wallet.operations.idempotency", "§5 Idempotency", "A replay answers the same with Idempotent-Replayed: true and moves nothing; another payload is 422; a failed request leaves the key free");

/// Whether an answer says it is a replay (`Idempotent-Replayed: true`, §5).
pub fn is_replay(o: &WObserved) -> bool {
    o.exchange
        .header("idempotent-replayed")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Judges authorize's 201s: every one the suite made.
pub fn authorize_responses(all: &[Arc<WObserved>]) -> Run {
    let mut findings = Vec::new();
    for o in all
        .iter()
        .filter(|o| o.path() == wire::AUTHORIZE_PATH && o.method() == "POST" && o.status() == 201)
    {
        if is_replay(o) {
            continue; // a replay may show the current state
        }
        let Some(body) = &o.json else { continue };
        let sent: Value = o
            .exchange
            .request
            .body
            .as_ref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let mut wrong = Vec::new();
        let status = body["walletTransactionStatus"]
            .as_str()
            .and_then(WalletStatus::parse);
        if !matches!(status, Some(WalletStatus::New | WalletStatus::Processing)) {
            wrong.push(format!(
                "walletTransactionStatus {}",
                body["walletTransactionStatus"]
            ));
        }
        for total in ["capturedAmount", "cancelledAmount", "refundedAmount"] {
            if body[total] != json!(0) {
                wrong.push(format!("{total} {}", body[total]));
            }
        }
        if body["amount"] != body["authorizedAmount"] || body["amount"] != sent["amount"] {
            wrong.push(format!(
                "amount {} / authorizedAmount {} for a request of {}",
                body["amount"], body["authorizedAmount"], sent["amount"]
            ));
        }
        for echo in ["orderReference", "currency"] {
            if body[echo] != sent[echo] {
                wrong.push(format!(
                    "{echo} {} for a request of {}",
                    body[echo], sent[echo]
                ));
            }
        }
        if !wrong.is_empty() {
            findings.push(AUTHORIZE.finding(
                format!("{} answered a wrong new transaction", o.label()),
                "status NEW|PROCESSING, totals 0, the request echoed",
                wrong.join("; "),
                Some(o),
            ));
        }
    }
    Ok(findings)
}

pub fn location(all: &[Arc<WObserved>]) -> Run {
    let mut findings = Vec::new();
    // A replay answers "the same status code and the same body" (§5): its headers are
    // not the first answer's, so only first answers are asked for Location.
    for o in all
        .iter()
        .filter(|o| o.path() == wire::AUTHORIZE_PATH && o.status() == 201 && !is_replay(o))
    {
        let Some(id) = o
            .json
            .as_ref()
            .and_then(|j| j["walletTransactionId"].as_str())
        else {
            continue;
        };
        let want = wire::transaction_path(id);
        let got = o.exchange.header("location").unwrap_or("");
        let ok = got == want || got.ends_with(&want) && got.starts_with("http");
        if !ok {
            findings.push(LOCATION.finding(
                format!("{} Location header", o.label()),
                format!("Location: {want}"),
                format!("Location: {got}"),
                Some(o),
            ));
            break;
        }
    }
    Ok(findings)
}

async fn operate(
    ctx: &Ctx<'_>,
    op: OperationKind,
    id: &str,
    amount: u64,
    key: Option<&str>,
) -> super::super::context::Sent {
    let mut req = Req::post(op.path(id)).json(&json!({ "amount": amount }));
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    ctx.send(req).await
}

/// The WalletOperation of a 200: the transaction's id, reference and currency, exactly
/// the amount asked, the operation's name.
fn judge_operation(
    check: &Check,
    sent: &super::super::context::Sent,
    tx: &WalletTransaction,
    op: OperationKind,
    amount: u64,
) -> Option<Finding> {
    if let Some(f) = expect_status(check, &format!("{} {amount}", op.as_str()), sent, 200) {
        return Some(f);
    }
    let o = sent.as_ref().ok()?;
    if o.status() != 200 {
        return None;
    }
    let body = o.json.clone().unwrap_or(Value::Null);
    let want = json!({
        "walletTransactionId": tx.wallet_transaction_id,
        "orderReference": tx.order_reference,
        "amount": amount,
        "currency": tx.currency,
        "operation": op.as_str(),
    });
    let wrong: Vec<String> = want
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(k, v)| body.get(k.as_str()) != Some(v))
        .map(|(k, v)| {
            format!(
                "{k}: want {v}, got {}",
                body.get(k.as_str()).unwrap_or(&Value::Null)
            )
        })
        .collect();
    (!wrong.is_empty()).then(|| {
        check.finding(
            format!("{} answered a wrong WalletOperation", o.label()),
            "the WalletOperation of exactly this operation",
            wrong.join("; "),
            Some(o),
        )
    })
}

async fn read(ctx: &Ctx<'_>, id: &str) -> Option<(Arc<WObserved>, WalletTransaction)> {
    let o = ctx.get(id).await.ok()?;
    let tx = transaction_of(&o)?;
    Some((o, tx))
}

fn totals(t: &WalletTransaction) -> (u64, u64, u64) {
    (t.captured_amount, t.cancelled_amount, t.refunded_amount)
}

fn totals_finding(
    check: &Check,
    what: &str,
    o: &WObserved,
    want: (u64, u64, u64),
    got: (u64, u64, u64),
) -> Option<Finding> {
    (want != got).then(|| {
        check.finding(
            format!("{what}: totals are wrong"),
            format!("captured/cancelled/refunded {want:?}"),
            format!("{got:?}"),
            Some(o),
        )
    })
}

/// On a settled SUCCESS transaction of 1,000: capture 300, capture 200, cancel 100, refund
/// 150, then beyond-remaining capture/cancel/refund, then capture the exact rest.
pub async fn arithmetic(ctx: &Ctx<'_>, tx: Option<&WalletTransaction>) -> (Run, Run) {
    let Some(tx) = tx.filter(|t| {
        t.wallet_transaction_status == WalletStatus::Success
            && t.authorized_amount == 1000
            && totals(t) == (0, 0, 0)
    }) else {
        let skip = Skip("no fresh SUCCESS transaction of 1,000 to operate on".into());
        return (Err(skip.clone()), Err(skip));
    };
    let id = &tx.wallet_transaction_id;
    let mut arith = Vec::new();
    let mut exceed = Vec::new();
    let mut want = (0u64, 0u64, 0u64);
    for (op, amount) in [
        (OperationKind::Capture, 300),
        (OperationKind::Capture, 200),
        (OperationKind::Cancel, 100),
        (OperationKind::Refund, 150),
    ] {
        // Apart by SHOWN_TIME_GAP: each change must show a later updatedAt (§4).
        tokio::time::sleep(SHOWN_TIME_GAP).await;
        let sent = operate(ctx, op, id, amount, None).await;
        if matches!(&sent, Ok(o) if o.status() == 429) {
            return (
                Err(Skip("rate limited".into())),
                Err(Skip("rate limited".into())),
            );
        }
        arith.extend(judge_operation(&ARITHMETIC, &sent, tx, op, amount));
        match op {
            OperationKind::Capture => want.0 += amount,
            OperationKind::Cancel => want.1 += amount,
            OperationKind::Refund => want.2 += amount,
        }
        if let Some((o, now)) = read(ctx, id).await {
            arith.extend(totals_finding(
                &ARITHMETIC,
                &format!("after {} {amount}", op.as_str()),
                &o,
                want,
                totals(&now),
            ));
        }
    }
    // remaining = 1000 - 500 - 100 = 400; refundable = 500 - 150 = 350.
    for (op, amount) in [
        (OperationKind::Capture, 401),
        (OperationKind::Cancel, 401),
        (OperationKind::Refund, 351),
    ] {
        let sent = operate(ctx, op, id, amount, Some(&ctx.key())).await;
        exceed.extend(expect(
            &EXCEEDS_REMAINING,
            &format!("{} {amount} beyond what remains", op.as_str()),
            &sent,
            400,
            "amount_exceeds_remaining",
            Param::is("amount"),
        ));
        if let Some((o, now)) = read(ctx, id).await {
            exceed.extend(totals_finding(
                &EXCEEDS_REMAINING,
                &format!("after a refused {} {amount}", op.as_str()),
                &o,
                want,
                totals(&now),
            ));
        }
    }
    // The exact rest is allowed.
    for (op, amount) in [(OperationKind::Capture, 400), (OperationKind::Refund, 750)] {
        tokio::time::sleep(SHOWN_TIME_GAP).await;
        let sent = operate(ctx, op, id, amount, None).await;
        arith.extend(judge_operation(&ARITHMETIC, &sent, tx, op, amount));
    }
    (Ok(arith), Ok(exceed))
}

/// Capture, cancel and refund on a FAILED transaction (and on one not yet final when the
/// target shows one): 409 invalid_state, param null, nothing moves.
pub async fn invalid_state(ctx: &Ctx<'_>, failed: Option<&str>) -> Run {
    let Some(id) = failed else {
        return Err(Skip(
            "no FAILED transaction (needs the admin token, or the sandbox's 0000 phone suffix)"
                .into(),
        ));
    };
    let mut findings = Vec::new();
    for op in OperationKind::ALL {
        let sent = operate(ctx, op, id, 1, None).await;
        findings.extend(expect(
            &INVALID_STATE,
            &format!("{} on a FAILED transaction", op.as_str()),
            &sent,
            409,
            "invalid_state",
            Param::Null,
        ));
    }
    if let Some((o, now)) = read(ctx, id).await {
        findings.extend(totals_finding(
            &INVALID_STATE,
            "the FAILED transaction",
            &o,
            (0, 0, 0),
            totals(&now),
        ));
        if now.wallet_transaction_status != WalletStatus::Failed {
            findings.push(INVALID_STATE.finding(
                "a FAILED transaction changed status",
                "FAILED",
                now.wallet_transaction_status.to_string(),
                Some(&o),
            ));
        }
    }
    Ok(findings)
}

/// Replays and mismatches of authorize and capture; a refused capture leaves its key free.
pub async fn idempotency(ctx: &Ctx<'_>, tx: Option<&WalletTransaction>) -> Run {
    let Some(tx) = tx.filter(|t| t.wallet_transaction_status == WalletStatus::Success) else {
        return Err(Skip("no SUCCESS transaction to capture".into()));
    };
    ctx.may_spend(20)?;
    let mut findings = Vec::new();
    let replayed = is_replay;
    // Authorize twice with one key: one transaction.
    let key = ctx.key();
    let body = ctx.body(10, &ctx.reference("replay"));
    let first = ctx
        .send(
            Req::post(wire::AUTHORIZE_PATH)
                .header("Idempotency-Key", key.clone())
                .json(&body),
        )
        .await;
    let Ok(first) = first else {
        return Err(Skip("authorize got no response".into()));
    };
    if first.status() != 201 {
        return Err(Skip(format!(
            "the control authorize answered {}",
            first.status()
        )));
    }
    // Key order and white space do not matter: the same JSON.
    let respaced = serde_json::to_string_pretty(&json!({
        "currency": body["currency"], "orderReference": body["orderReference"], "iin": body["iin"],
        "phoneNumber": body["phoneNumber"], "amount": body["amount"],
    }))
    .unwrap_or_default();
    let again = ctx
        .send(
            Req::post(wire::AUTHORIZE_PATH)
                .header("Idempotency-Key", key.clone())
                .header("Content-Type", "application/json")
                .raw_body(respaced),
        )
        .await;
    findings.extend(expect_status(
        &IDEMPOTENCY,
        "authorize replayed (same key, same JSON)",
        &again,
        201,
    ));
    if let Ok(again) = &again {
        if again.status() == 201 {
            let same = again
                .json
                .as_ref()
                .map(|j| (&j["walletTransactionId"], &j["amount"]))
                == first
                    .json
                    .as_ref()
                    .map(|j| (&j["walletTransactionId"], &j["amount"]));
            if !same || !replayed(again) {
                findings.push(IDEMPOTENCY.finding(
                    "an authorize replay is not the first answer",
                    "the same walletTransactionId and amount, Idempotent-Replayed: true",
                    format!(
                            "{} / Idempotent-Replayed: {}",
                            again.exchange.body_excerpt(),
                            again
                                .exchange
                                .header("idempotent-replayed")
                                .unwrap_or("absent")
                        ),
                    Some(again),
                ));
            }
        }
    }
    let mut other = body.clone();
    other["amount"] = json!(11);
    let mismatch = ctx
        .send(
            Req::post(wire::AUTHORIZE_PATH)
                .header("Idempotency-Key", key.clone())
                .json(&other),
        )
        .await;
    findings.extend(expect(
        &IDEMPOTENCY,
        "authorize with a used key and another amount",
        &mismatch,
        422,
        "idempotency_key_mismatch",
        Param::is("Idempotency-Key"),
    ));
    // The same key on another path is a mismatch too.
    let elsewhere = operate(
        ctx,
        OperationKind::Capture,
        &tx.wallet_transaction_id,
        1,
        Some(&key),
    )
    .await;
    findings.extend(expect(
        &IDEMPOTENCY,
        "the authorize key used on a capture",
        &elsewhere,
        422,
        "idempotency_key_mismatch",
        Param::is("Idempotency-Key"),
    ));
    let list = ctx
        .send(Req::get(format!(
            "{}?orderReference={}",
            wire::LIST_PATH,
            body["orderReference"].as_str().unwrap_or("")
        )))
        .await;
    if let Ok(list) = &list {
        let n = list
            .json
            .as_ref()
            .and_then(|j| j["items"].as_array())
            .map_or(0, Vec::len);
        if list.status() == 200 && n != 1 {
            findings.push(IDEMPOTENCY.finding(
                "one key made more than one transaction",
                "1 transaction with this orderReference",
                format!("{n}"),
                Some(list),
            ));
        }
    }
    // Capture: a refused one (too large) leaves the key free; then a replay moves nothing.
    let id = &tx.wallet_transaction_id;
    let Some((_, before)) = read(ctx, id).await else {
        return Ok(findings);
    };
    let Some(remaining) = before.remaining().filter(|r| *r >= 2) else {
        return Ok(findings);
    };
    let ckey = ctx.key();
    let refused = operate(ctx, OperationKind::Capture, id, remaining + 1, Some(&ckey)).await;
    findings.extend(expect(
        &IDEMPOTENCY,
        "a capture beyond what remains (the control)",
        &refused,
        400,
        "amount_exceeds_remaining",
        Param::is("amount"),
    ));
    let ok = operate(ctx, OperationKind::Capture, id, 1, Some(&ckey)).await;
    findings.extend(expect_status(
        &IDEMPOTENCY,
        "the key of a refused capture, used for a valid one",
        &ok,
        200,
    ));
    let replay = operate(ctx, OperationKind::Capture, id, 1, Some(&ckey)).await;
    findings.extend(expect_status(
        &IDEMPOTENCY,
        "that capture replayed",
        &replay,
        200,
    ));
    if let Ok(r) = &replay {
        if r.status() == 200 && !replayed(r) {
            findings.push(
                IDEMPOTENCY.finding(
                    "a capture replay lacks Idempotent-Replayed: true",
                    "Idempotent-Replayed: true",
                    r.exchange
                        .header("idempotent-replayed")
                        .unwrap_or("absent")
                        .to_string(),
                    Some(r),
                ),
            );
        }
    }
    if let Some((o, after)) = read(ctx, id).await {
        if after.captured_amount != before.captured_amount + 1 {
            findings.push(IDEMPOTENCY.finding(
                "a replayed capture moved money",
                format!("capturedAmount {}", before.captured_amount + 1),
                format!("capturedAmount {}", after.captured_amount),
                Some(&o),
            ));
        }
    }
    Ok(findings)
}
