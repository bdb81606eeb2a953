//! The judges on fake exchanges: no server.

use serde_json::{json, Value};

use super::judge::{self, Asked};
use super::SentOp;
use crate::apis::wallet::invariants::checks::Check;
use crate::apis::wallet::invariants::model::{Expect, Totals, TxModel};
use crate::apis::wallet::wire::{OperationKind, WalletOperation, WalletStatus, WalletTransaction};
use crate::engine::client::fake;
use crate::engine::client::Exchange;

fn answer(status: u16, headers: &[(&str, &str)], body: &Value) -> Exchange {
    fake::exchange(
        "POST",
        "/v1/wallet/transactions/t1/capture",
        status,
        headers,
        &body.to_string(),
    )
}

fn tx(status: WalletStatus, captured: u64, cancelled: u64, refunded: u64) -> WalletTransaction {
    WalletTransaction {
        wallet_transaction_id: "t1".into(),
        wallet_transaction_status: status,
        order_reference: "n1-0".into(),
        amount: 1_000,
        currency: "KZT".into(),
        authorized_amount: 1_000,
        captured_amount: captured,
        cancelled_amount: cancelled,
        refunded_amount: refunded,
        created_at: "2026-01-01T00:00:00.000001Z".into(),
        updated_at: "2026-01-01T00:00:01.000001Z".into(),
    }
}

fn model() -> TxModel {
    TxModel::from_created(&WalletTransaction {
        wallet_transaction_status: WalletStatus::New,
        updated_at: "2026-01-01T00:00:00.000001Z".into(),
        ..tx(WalletStatus::New, 0, 0, 0)
    })
}

fn as_json(t: &WalletTransaction) -> Value {
    serde_json::to_value(t).unwrap()
}

fn error(code: &str, param: Option<&str>) -> Value {
    json!({"error": {"code": code, "message": "m", "param": param}})
}

#[test]
fn conservation_holds_or_is_the_finding() {
    let t = tx(WalletStatus::Success, 600, 300, 100);
    assert!(judge::conservation(&t, &answer(200, &[], &as_json(&t))).is_ok());
    let broken = tx(WalletStatus::Success, 800, 300, 0);
    let v = judge::conservation(&broken, &answer(200, &[], &as_json(&broken))).unwrap_err();
    assert_eq!(v.check, Check::Conservation);
    let unsettled = tx(WalletStatus::New, 1, 0, 0);
    assert!(judge::conservation(&unsettled, &answer(200, &[], &as_json(&unsettled))).is_err());
}

#[test]
fn a_status_moves_only_forward() {
    let ex = answer(200, &[], &json!({}));
    assert!(judge::status_move(WalletStatus::New, WalletStatus::Success, &ex).is_ok());
    assert!(judge::status_move(WalletStatus::Processing, WalletStatus::Failed, &ex).is_ok());
    let v = judge::status_move(WalletStatus::Success, WalletStatus::Failed, &ex).unwrap_err();
    assert_eq!(v.check, Check::Transitions);
    assert!(v.message.contains("SUCCESS → FAILED"), "{}", v.message);
}

#[test]
fn a_read_that_agrees_with_the_model_passes_and_says_what_it_saw() {
    let mut m = model();
    m.totals = Totals {
        captured: 400,
        cancelled: 0,
        refunded: 0,
    };
    let t = tx(WalletStatus::Success, 400, 0, 0);
    let mut exercised = Vec::new();
    let seen = judge::read(
        &m,
        &t,
        &answer(200, &[], &as_json(&t)),
        Check::OperationMovesExactly,
        &mut exercised,
    )
    .unwrap();
    assert_eq!(seen, m.totals);
    assert_eq!(exercised, [Check::Transitions]);
}

#[test]
fn a_read_blames_the_steps_event_when_the_totals_disagree() {
    let m = model();
    let t = tx(WalletStatus::Success, 5, 0, 0);
    let v = judge::read(
        &m,
        &t,
        &answer(200, &[], &as_json(&t)),
        Check::ReplayMovesNothing,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(v.check, Check::ReplayMovesNothing);
    assert!(v.message.contains("a replay moved money"), "{}", v.message);
    assert_eq!(v.got, "captured 5, cancelled 0, refunded 0");
}

#[test]
fn a_read_catches_shrinking_totals_a_stale_clock_and_a_lost_echo() {
    let mut m = model();
    m.seen = Totals {
        captured: 10,
        cancelled: 0,
        refunded: 0,
    };
    m.totals = m.seen;
    m.status = WalletStatus::Success;
    let shrank = tx(WalletStatus::Success, 5, 0, 0);
    let ex = answer(200, &[], &as_json(&shrank));
    let v = judge::read(&m, &shrank, &ex, Check::Transitions, &mut Vec::new()).unwrap_err();
    assert_eq!(v.check, Check::Conservation);

    let mut stale = tx(WalletStatus::Success, 20, 0, 0);
    stale.updated_at = m.updated_at.clone();
    m.totals.captured = 20;
    let ex = answer(200, &[], &as_json(&stale));
    let v = judge::read(&m, &stale, &ex, Check::Transitions, &mut Vec::new()).unwrap_err();
    assert_eq!(v.check, Check::Transitions);
    assert!(v.message.contains("did not grow"), "{}", v.message);

    let mut other = tx(WalletStatus::Success, 20, 0, 0);
    other.currency = "USD".into();
    let ex = answer(200, &[], &as_json(&other));
    let v = judge::read(&m, &other, &ex, Check::Transitions, &mut Vec::new()).unwrap_err();
    assert_eq!(v.check, Check::AuthorizeMatchesModel);
}

#[test]
fn a_created_transaction_echoes_the_authorization() {
    let t = WalletTransaction {
        wallet_transaction_status: WalletStatus::New,
        ..tx(WalletStatus::New, 0, 0, 0)
    };
    let ex = answer(201, &[], &as_json(&t));
    let asked = Asked {
        amount: 1_000,
        reference: "n1-0",
        currency: "KZT",
    };
    assert!(judge::created(&t, &asked, &ex).is_ok());
    let more = Asked {
        amount: 999,
        ..asked
    };
    let v = judge::created(&t, &more, &ex).unwrap_err();
    assert_eq!(v.check, Check::AuthorizeMatchesModel);
    let settled = tx(WalletStatus::Success, 0, 0, 0);
    let asked = Asked {
        amount: 1_000,
        reference: "n1-0",
        currency: "KZT",
    };
    assert!(judge::created(&settled, &asked, &ex).is_err());
}

#[test]
fn a_replay_is_the_same_answer_marked_replayed() {
    let m = model();
    let body = as_json(&tx(WalletStatus::New, 0, 0, 0));
    let replayed = [("Idempotent-Replayed", " True ")];
    assert!(judge::authorization_replayed(&m, &answer(201, &replayed, &body)).is_ok());
    let v = judge::authorization_replayed(&m, &answer(201, &[], &body)).unwrap_err();
    assert_eq!(v.check, Check::ReplaySameAnswer);
    assert!(judge::authorization_replayed(&m, &answer(200, &replayed, &body)).is_err());

    let op = WalletOperation {
        wallet_transaction_id: "t1".into(),
        wallet_transaction_status: WalletStatus::Success,
        order_reference: "n1-0".into(),
        amount: 40,
        currency: "KZT".into(),
        operation: OperationKind::Capture,
    };
    let sent = SentOp {
        key: "k".into(),
        kind: OperationKind::Capture,
        tx: 0,
        amount: 40,
        answer: op.clone(),
    };
    let same = serde_json::to_value(&op).unwrap();
    assert!(judge::operation_replayed(&sent, 960, &answer(200, &replayed, &same)).is_ok());
    let other = serde_json::to_value(WalletOperation { amount: 41, ..op }).unwrap();
    let v = judge::operation_replayed(&sent, 960, &answer(200, &replayed, &other)).unwrap_err();
    assert_eq!(v.check, Check::ReplaySameAnswer);
}

#[test]
fn a_failed_key_binds_nothing() {
    let fresh = answer(400, &[], &error("amount_exceeds_remaining", Some("amount")));
    assert!(judge::failed_key_unbound(&fresh).is_ok());
    let v = judge::failed_key_unbound(&answer(422, &[], &error("x", None))).unwrap_err();
    assert_eq!(v.check, Check::ErrorDoesNotBindKey);
    let replay = answer(200, &[("Idempotent-Replayed", "true")], &json!({}));
    assert!(judge::failed_key_unbound(&replay).is_err());
}

#[test]
fn a_refusal_within_room_is_blamed_on_what_it_claimed() {
    let exceeds = answer(400, &[], &error("amount_exceeds_remaining", Some("amount")));
    let v = judge::refused_within_room(
        Check::OperationMovesExactly,
        OperationKind::Refund,
        50,
        40,
        &exceeds,
    );
    assert_eq!(v.check, Check::ExceedsRemainingRejected);
    assert!(v.message.contains("refund within what is left (50 ≥ 40)"));
    let other = answer(500, &[], &json!({}));
    let v = judge::refused_within_room(
        Check::OperationMovesExactly,
        OperationKind::Capture,
        50,
        40,
        &other,
    );
    assert_eq!(v.check, Check::OperationMovesExactly);
}

#[test]
fn an_operation_reports_exactly_what_was_asked() {
    let m = model();
    let op = WalletOperation {
        wallet_transaction_id: "t1".into(),
        wallet_transaction_status: WalletStatus::Success,
        order_reference: "n1-0".into(),
        amount: 40,
        currency: "KZT".into(),
        operation: OperationKind::Cancel,
    };
    let ex = answer(200, &[], &serde_json::to_value(&op).unwrap());
    let check = Check::OperationMovesExactly;
    assert!(judge::operation(check, &m, OperationKind::Cancel, 40, &op, &ex).is_ok());
    assert!(judge::operation(check, &m, OperationKind::Capture, 40, &op, &ex).is_err());
    assert!(judge::operation(check, &m, OperationKind::Cancel, 39, &op, &ex).is_err());
}

#[test]
fn a_forced_outcome_shows_the_status_forced() {
    let ok = answer(200, &[], &as_json(&tx(WalletStatus::Failed, 0, 0, 0)));
    assert!(judge::forced(false, &ok).is_ok());
    let v = judge::forced(true, &ok).unwrap_err();
    assert_eq!(v.check, Check::Transitions);
    assert!(judge::forced(false, &answer(409, &[], &error("conflict", None))).is_err());
}

#[test]
fn the_list_by_reference_holds_exactly_the_transaction() {
    let m = model();
    let one = as_json(&tx(WalletStatus::New, 0, 0, 0));
    let mut two = tx(WalletStatus::New, 0, 0, 0);
    two.wallet_transaction_id = "t2".into();
    let ex = answer(200, &[], &json!({"items": [one], "nextCursor": null}));
    let items = judge::list_items(&ex, Check::AuthorizeMatchesModel).unwrap();
    assert!(judge::list_holds_only(&m, &items, Check::AuthorizeMatchesModel, &ex).is_ok());
    let ex = answer(200, &[], &json!({"items": [one, as_json(&two)]}));
    let items = judge::list_items(&ex, Check::AuthorizeMatchesModel).unwrap();
    let v = judge::list_holds_only(&m, &items, Check::AuthorizeMatchesModel, &ex).unwrap_err();
    assert_eq!(v.got, "t1, t2");
    let bad = answer(200, &[], &json!({"data": []}));
    assert!(judge::list_items(&bad, Check::AuthorizeMatchesModel).is_err());
}

#[test]
fn an_error_must_match_status_code_and_param() {
    let check = Check::ExceedsRemainingRejected;
    let ex = answer(400, &[], &error("amount_exceeds_remaining", Some("amount")));
    assert!(judge::error(&ex, check, 400, "amount_exceeds_remaining", Some("amount")).is_ok());
    assert!(judge::error(&ex, check, 400, "amount_exceeds_remaining", None).is_err());
    assert!(judge::error(&ex, check, 409, "amount_exceeds_remaining", Some("amount")).is_err());
    let mismatch = answer(
        422,
        &[],
        &error("idempotency_key_mismatch", Some("Idempotency-Key")),
    );
    assert!(judge::mismatch(&mismatch).is_ok());
    assert_eq!(
        judge::mismatch(&ex).unwrap_err().check,
        Check::MismatchRejected
    );
}

#[test]
fn each_expectation_has_its_check() {
    assert_eq!(judge::check_of(Expect::Moves), Check::OperationMovesExactly);
    assert_eq!(
        judge::check_of(Expect::InvalidState),
        Check::InvalidStateRejected
    );
    assert_eq!(
        judge::check_of(Expect::Exceeds),
        Check::ExceedsRemainingRejected
    );
    assert!(!judge::is_replay(&answer(200, &[], &json!({}))));
    assert!(!judge::is_replay(&answer(
        200,
        &[("Idempotent-Replayed", "false")],
        &json!({})
    )));
}
