//! The goose glue: what each transaction sends when the engine runs it, how an
//! authorization's spend is reserved and settled, and how the user's bookkeeping follows
//! the answers.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::answers::{authorize_body, held_amount, made, operation_agrees, seen};
use super::held::{Held, Paths};
use super::{WalletLoad, WalletUser};
use crate::apis::wallet::schemas::WalletSchema;
use crate::apis::wallet::wire::{self, OperationKind, WalletStatus};
use crate::engine::load::goose::{LoadUser, Outcome, Request, Response};
use crate::engine::load::recorder::ErrorReason;
use crate::engine::load::txn::{fresh_key, Poll};
use crate::engine::spend::Minor;

pub(super) fn minor(amount: u64) -> Minor {
    Minor(i64::try_from(amount).unwrap_or(i64::MAX))
}

pub(super) async fn authorize(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    amount: u64,
    currency: &str,
    validate: bool,
) -> Option<Outcome> {
    let reservation = match load.spend.reserve_exact(currency, minor(amount)) {
        Ok(r) => r,
        // Authorizations in flight hold the rest of the cap: not sent this turn.
        Err(held) if held.is_busy() => return None,
        Err(cap) => {
            load.refused_by_cap.fetch_add(1, Ordering::Relaxed);
            load.cap_noted.note(user, || {
                format!("{cap}: later authorizations were not sent")
            });
            return None;
        }
    };
    let n = load.next_reference.fetch_add(1, Ordering::Relaxed);
    let body = authorize_body(amount, &format!("{}-{n}", load.tag), currency);
    let key = fresh_key(&load.tag);
    let r = user
        .send(Request {
            endpoint: &load.authorize,
            expect: 201,
            post: Some((&key, &body)),
        })
        .await;
    let mut outcome = user.checked(
        &r,
        load.check(validate, WalletSchema::WalletTransaction, false),
    );
    let json = serde_json::from_slice::<Value>(&r.body).ok();
    match r.status {
        Some(201) => {
            // Spent stays spent: a held authorization is never given back here.
            reservation.settle(minor(held_amount(json.as_ref(), amount)));
        }
        Some(400..=499) => reservation.release(),
        _ => reservation.keep(),
    }
    if r.status != Some(201) || outcome.error.is_some() {
        return Some(outcome);
    }
    let Some((id, status)) = made(json.as_ref()) else {
        user.note("authorize: a 201 without a usable walletTransactionId and status".into());
        outcome.error = Some(ErrorReason::SchemaViolation);
        return Some(outcome);
    };
    let paths = Paths {
        get: user.endpoint(wire::transaction_path(&id)),
        capture: user.endpoint(OperationKind::Capture.path(&id)),
        cancel: user.endpoint(OperationKind::Cancel.path(&id)),
        refund: user.endpoint(OperationKind::Refund.path(&id)),
        id,
    };
    if let Some(state) = user.state_mut() {
        state.latest = Some(Held::new(paths, status, amount));
    }
    Some(outcome)
}

/// `GET` the user's latest transaction; the outcome and the status it shows.
pub(super) async fn get_transaction(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    held: &Held,
    validate: bool,
) -> (Outcome, Option<WalletStatus>) {
    let r = user.send(Request::get(&held.paths.get)).await;
    let mut outcome = user.checked(
        &r,
        load.check(validate, WalletSchema::WalletTransaction, false),
    );
    if outcome.error.is_some() {
        return (outcome, None);
    }
    let json = serde_json::from_slice::<Value>(&r.body).ok();
    match seen(json.as_ref(), &held.paths.id) {
        Some((true, status)) => (outcome, Some(status)),
        Some((false, _)) => {
            user.note(format!(
                "GET of {} answered another transaction",
                held.paths.id
            ));
            outcome.error = Some(ErrorReason::AnswerMismatch);
            (outcome, None)
        }
        None => {
            outcome.error = Some(ErrorReason::SchemaViolation);
            (outcome, None)
        }
    }
}

/// The user's latest transaction, when it is still `held`'s (a later authorization
/// replaced it otherwise).
fn latest_of<'a>(user: &'a mut LoadUser<'_, WalletUser>, held: &Held) -> Option<&'a mut Held> {
    user.state_mut()
        .and_then(|s| s.latest.as_mut())
        .filter(|latest| Arc::ptr_eq(&latest.paths, &held.paths))
}

pub(super) async fn poll(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    held: &Held,
    interval: Duration,
    timeout: Duration,
    validate: bool,
) -> Outcome {
    let poll = Poll::start(interval, timeout);
    loop {
        let (outcome, status) = get_transaction(load, user, held, validate).await;
        let Some(status) = status else {
            return outcome;
        };
        if status != held.status {
            if let Some(latest) = latest_of(user, held) {
                latest.status = status;
            }
        }
        if status.is_final() {
            return outcome;
        }
        if let Err(timed_out) = poll.wait(outcome).await {
            return timed_out;
        }
    }
}

pub(super) async fn operate(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    held: &Held,
    kind: OperationKind,
    amount: u64,
    validate: bool,
) -> Outcome {
    let body = bytes::Bytes::from(json!({ "amount": amount }).to_string());
    let key = fresh_key(&load.tag);
    let r: Response = user
        .send(Request {
            endpoint: held.paths.operation(kind),
            expect: 200,
            post: Some((&key, &body)),
        })
        .await;
    let mut outcome = user.checked(
        &r,
        load.check(validate, WalletSchema::WalletOperation, false),
    );
    if outcome.error.is_some() {
        return outcome;
    }
    let json = serde_json::from_slice::<Value>(&r.body).ok();
    if !operation_agrees(json.as_ref(), &held.paths.id, amount) {
        user.note(format!(
            "{} of {amount} on {}: the WalletOperation names another transaction or amount",
            kind.as_str(),
            held.paths.id
        ));
        outcome.error = Some(ErrorReason::AnswerMismatch);
    }
    // Bookkeeping follows what was sent and answered 200 either way: the money moved.
    if let Some(latest) = latest_of(user, held) {
        latest.apply(kind, amount);
    }
    outcome
}
