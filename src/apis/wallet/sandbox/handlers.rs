//! The Wallet's operations (WALLET_API.md §5) and reads: validation in the order §3 fixes
//! (Idempotency-Key, then the body's fields in the table's order), the key in flight
//! (`409`), then one store step that looks the key up, checks and moves.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, StatusCode};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::apis::wallet::sandbox::app::App;
use crate::apis::wallet::sandbox::fields;
use crate::apis::wallet::sandbox::mutants::WalletMutant;
use crate::apis::wallet::sandbox::store::{
    self, Done, Final, KeyUse, NewOp, NewTx, Operation, TxFilter, TxRow, FAILED, NEW, PROCESSING,
    SUCCESS,
};
use crate::engine::sandbox::clock::now_ms;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::idempotency::{fingerprint, header_key};
use crate::engine::sandbox::pagination::{Binding, Page, Position, Query};
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::json_object;

/// The gap the race mutants leave between their two steps.
const RACE_GAP: Duration = Duration::from_millis(50);

/// The payload an Idempotency-Key is bound to: method, path and JSON body (§5).
fn payload_hash(method: &str, path: &str, body: &Map<String, Value>) -> String {
    fingerprint(&json!({"method": method, "path": path, "body": body}))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// `POST /v1/wallet/authorize`.
pub async fn authorize(
    app: &App,
    merchant: &str,
    path: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Handled {
    let key = header_key(headers)?.ok_or_else(|| {
        ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key is required on authorize",
        )
    })?;
    let mut obj = json_object(&body)?;
    let accepted = app
        .merchants
        .read()
        .get(merchant)
        .cloned()
        .unwrap_or_default();
    // MUTANT HOOK (contract mutants of the field rules; none by default).
    crate::apis::wallet::sandbox::contract_mutants::loosen(app.mutant, &mut obj, &accepted)?;
    let amount = fields::amount(&obj)?;
    let phone = fields::phone_number(&obj)?;
    fields::iin(&obj)?;
    let order_reference = fields::order_reference(&obj)?.to_string();
    let currency = fields::currency(&obj, &accepted)?.to_string();
    // §6 scenarios by phone suffix.
    let (status, outcome, delay) = if phone.ends_with("0000") {
        (NEW, Final::Fail, app.complete_after)
    } else if phone.ends_with("1111") {
        (PROCESSING, Final::Success, app.slow_after)
    } else {
        (NEW, Final::Success, app.complete_after)
    };
    let new = NewTx {
        merchant_id: merchant.to_string(),
        order_reference,
        currency,
        amount,
        status,
        due_ms: now_ms() + ms(delay),
        outcome,
        key: KeyUse {
            payload_hash: payload_hash("POST", path, &obj),
            key,
        },
    };
    let _in_flight = app.in_flight.enter(merchant, &new.key.key)?;
    let mutant = app.mutant;
    let done = app
        .store
        .call(move |c| store::authorize(c, &new, mutant))
        .await?;
    if !done.replayed {
        app.schedule.add(done.tx.due_ms, done.tx.id.clone());
    }
    let location = format!("/v1/wallet/transaction/{}", done.tx.id);
    Ok(replayed(
        Reply::json(StatusCode::CREATED, &done.tx.view())
            .with_header(http::header::LOCATION, &location),
        done.replayed,
    ))
}

fn replayed(reply: Reply, replayed: bool) -> Reply {
    if replayed {
        reply.with_header(HeaderName::from_static("idempotent-replayed"), "true")
    } else {
        reply
    }
}

/// `POST /v1/wallet/{wallet_transaction_id}/capture|cancel|refund`.
pub async fn operate(
    app: &App,
    merchant: &str,
    path: &str,
    raw_id: &str,
    operation: Operation,
    headers: &HeaderMap,
    body: Bytes,
) -> Handled {
    let id = fields::transaction_id(raw_id)?;
    let key = header_key(headers)?;
    let obj = json_object(&body)?;
    let amount = fields::amount(&obj)?;
    let mut op = NewOp {
        merchant_id: merchant.to_string(),
        transaction_id: id,
        operation,
        amount,
        key: key.map(|key| KeyUse {
            payload_hash: payload_hash("POST", path, &obj),
            key,
        }),
        lookup_key: true,
        check_room: true,
    };
    // MUTANT HOOK (wallet-same-key-race): no in-flight guard; the key is looked up in its
    // own step, apart from the movement.
    let racy_keys = app.mutant_is(WalletMutant::SameKeyRace);
    let _in_flight = match (&op.key, racy_keys) {
        (Some(k), false) => Some(app.in_flight.enter(merchant, &k.key)?),
        _ => None,
    };
    if let (Some(k), true) = (&op.key, racy_keys) {
        let (m, key) = (merchant.to_string(), k.key.clone());
        if !app
            .store
            .call(move |c| Ok(store::is_bound(c, &m, &key)?))
            .await?
        {
            tokio::time::sleep(RACE_GAP).await;
            op.lookup_key = false;
        }
    }
    // MUTANT HOOK (wallet-capture-race): `remaining` is read in its own step, then the
    // capture moves later without a check.
    // MUTANT HOOK (wallet-refund-race): the same gap for refunds and what is refundable.
    let racy_room = (app.mutant_is(WalletMutant::CaptureRace) && operation == Operation::Capture)
        || (app.mutant_is(WalletMutant::RefundRace) && operation == Operation::Refund);
    if racy_room {
        let (m, t) = (merchant.to_string(), op.transaction_id.clone());
        let (status, room) = app
            .store
            .call(move |c| store::room(c, &m, &t, operation))
            .await?;
        if status == SUCCESS && amount <= room {
            tokio::time::sleep(RACE_GAP).await;
            op.check_room = false;
        }
    }
    let mutant = app.mutant;
    let done: Done = app
        .store
        .call(move |c| store::operate(c, &op, mutant))
        .await?;
    Ok(replayed(
        Reply::json(
            StatusCode::OK,
            &done.tx.operation_view(operation, done.amount),
        ),
        done.replayed,
    ))
}

/// `GET /v1/wallet/transaction/{wallet_transaction_id}`.
pub async fn transaction(app: &App, merchant: &str, raw_id: &str) -> Handled {
    let id = fields::transaction_id(raw_id)?;
    let row = app
        .store
        .call(move |c| Ok(store::transaction(c, &id)?))
        .await?;
    match row {
        // MUTANT HOOK (wallet-foreign-readable): any merchant reads any transaction.
        Some(t) if t.merchant_id == merchant || app.mutant_is(WalletMutant::ForeignReadable) => {
            Ok(Reply::json(StatusCode::OK, &t.view()))
        }
        _ => Err(ApiError::not_found("No such wallet transaction")),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T: Serialize> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

/// `GET /v1/wallet/transactions/` (and without the trailing slash).
pub async fn list(app: &App, merchant: &str, raw_query: Option<&str>) -> Handled {
    let q = Query::parse(raw_query)?;
    let limit = q.limit()?;
    let status = match q.get("status") {
        None => None,
        Some(s) if [NEW, PROCESSING, SUCCESS, FAILED].contains(&s) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::invalid(
                "status",
                "status must be one of NEW, PROCESSING, SUCCESS, FAILED",
            ))
        }
    };
    let filter = TxFilter {
        order_reference: q.get("orderReference").map(str::to_string),
        status,
    };
    let filter_text = format!("{filter:?}");
    let binding = Binding {
        list: "wallet_transactions",
        owner: merchant,
        filter: &filter_text,
    };
    let start = match q
        .cursor()
        .map(|c| app.cursors.check(&binding, c))
        .transpose()?
    {
        None => None,
        Some(Position::Time { created_us, id }) => Some((created_us, id)),
        Some(Position::Id(_)) => {
            return Err(ApiError::invalid(
                "cursor",
                "cursor was issued for another list",
            ))
        }
    };
    let m = merchant.to_string();
    let rows = app
        .store
        .call(move |c| Ok(store::list(c, &m, &filter, start, limit + 1)?))
        .await?;
    let page = Page::from_fetched(rows, limit, |t: &TxRow| Position::Time {
        created_us: t.created_us,
        id: t.id.clone(),
    });
    let next_cursor = page.next.map(|p| app.cursors.issue(&binding, &p));
    let items: Vec<_> = page.items.iter().map(TxRow::view).collect();
    Ok(Reply::json(
        StatusCode::OK,
        &Envelope { items, next_cursor },
    ))
}
