//! The judges: pure functions from (model, request, answer) to a verdict. They read the
//! model but never change it; the caller applies what a passed judgment means.

use crate::apis::wallet::invariants::checks::{Check, Violation};
use crate::apis::wallet::invariants::model::{conservation_broken, Expect, Totals, TxModel};
use crate::apis::wallet::wire::{OperationKind, WalletOperation, WalletStatus, WalletTransaction};
use crate::engine::client::Exchange;

use super::SentOp;

pub(super) type Step = Result<(), Violation>;

/// §4 conservation, alone: captured + cancelled ≤ authorized, refunded ≤ captured, all 0
/// unless `SUCCESS`.
pub(super) fn conservation(t: &WalletTransaction, ex: &Exchange) -> Step {
    match conservation_broken(t) {
        Some(what) => Err(fail(
            Check::Conservation,
            ex,
            format!("conservation broken: {what}"),
            "captured + cancelled ≤ authorized, refunded ≤ captured, all 0 unless SUCCESS",
        )),
        None => Ok(()),
    }
}

/// A status move §4 allows (pending → final, never back, never between finals).
pub(super) fn status_move(from: WalletStatus, to: WalletStatus, ex: &Exchange) -> Step {
    if from.may_become(to) {
        return Ok(());
    }
    Err(fail(
        Check::Transitions,
        ex,
        format!("the status moved {from} → {to}"),
        format!("a move §4 allows from {from}"),
    ))
}

/// A read of a transaction the model knows, after conservation passed: the totals only
/// grow, the status moves as §4 allows, `updatedAt` grows with a change, the authorization
/// is still echoed, and the totals are the model's (else `blame`, the step's event).
/// The checks it exercised are pushed onto `exercised`; on success, the totals seen.
pub(super) fn read(
    m: &TxModel,
    t: &WalletTransaction,
    ex: &Exchange,
    blame: Check,
    exercised: &mut Vec<Check>,
) -> Result<Totals, Violation> {
    let seen = Totals::of(t);
    if !seen.at_least(&m.seen) {
        return Err(fail(
            Check::Conservation,
            ex,
            "a total shrank since the last read (totals only grow)",
            format!("at least {}", m.seen),
        )
        .with_got(seen.to_string()));
    }
    exercised.push(Check::Transitions);
    let status = t.wallet_transaction_status;
    status_move(m.status, status, ex)?;
    let changed = status != m.status || seen != m.seen;
    let (Some(created), Some(updated), Some(before)) =
        (ts(&t.created_at), ts(&t.updated_at), ts(&m.updated_at))
    else {
        return Err(fail(
            Check::Transitions,
            ex,
            "createdAt/updatedAt are not RFC 3339 timestamps",
            "RFC 3339 UTC timestamps",
        ));
    };
    if updated < created || (changed && updated <= before) {
        return Err(fail(
            Check::Transitions,
            ex,
            format!(
                "updatedAt {} did not grow with the change (before: {})",
                t.updated_at, m.updated_at
            ),
            "updatedAt ≥ createdAt, strictly later after a status or total change",
        ));
    }
    if t.wallet_transaction_id != m.id
        || t.authorized_amount != m.authorized
        || t.currency != m.currency
        || t.order_reference != m.order_reference
    {
        return Err(fail(
            Check::AuthorizeMatchesModel,
            ex,
            "the transaction no longer echoes its authorization",
            format!("{} authorized {} {}", m.id, m.authorized, m.currency),
        ));
    }
    if seen != m.totals {
        return Err(fail(
            blame,
            ex,
            format!(
                "the totals disagree with the operations that got a 200 ({})",
                blame_note(blame)
            ),
            m.totals.to_string(),
        )
        .with_got(seen.to_string()));
    }
    Ok(seen)
}

/// What an authorization asked for.
pub(super) struct Asked<'a> {
    pub amount: u64,
    pub reference: &'a str,
    pub currency: &'a str,
}

/// A `201` authorization echoes the request: `NEW` or `PROCESSING`, `amount` =
/// `authorizedAmount` = the amount asked, the reference and currency, totals 0.
pub(super) fn created(t: &WalletTransaction, asked: &Asked<'_>, ex: &Exchange) -> Step {
    let echo = t.amount == asked.amount
        && t.authorized_amount == asked.amount
        && t.order_reference == asked.reference
        && t.currency == asked.currency
        && Totals::of(t) == Totals::default()
        && matches!(
            t.wallet_transaction_status,
            WalletStatus::New | WalletStatus::Processing
        );
    if echo {
        return Ok(());
    }
    Err(fail(
        Check::AuthorizeMatchesModel,
        ex,
        "the created transaction does not echo the authorization",
        format!(
            "status NEW or PROCESSING, amount = authorizedAmount = {}, orderReference {}, currency {}, totals 0",
            asked.amount, asked.reference, asked.currency
        ),
    ))
}

/// A replayed authorization answers as the first time (§5): `201`, the same transaction
/// and amount, `Idempotent-Replayed: true`.
pub(super) fn authorization_replayed(m: &TxModel, ex: &Exchange) -> Step {
    let same = ex.status == 201
        && serde_json::from_slice::<WalletTransaction>(&ex.body)
            .is_ok_and(|t| t.wallet_transaction_id == m.id && t.amount == m.authorized);
    if same && is_replay(ex) {
        return Ok(());
    }
    Err(fail(
        Check::ReplaySameAnswer,
        ex,
        "a replayed authorization did not answer as the first time",
        format!(
            "201, walletTransactionId {}, amount {}, Idempotent-Replayed: true",
            m.id, m.authorized
        ),
    ))
}

/// A replayed operation answers as the first time (§5): `200`, the same WalletOperation,
/// `Idempotent-Replayed: true`. `left` is what is left now, for the message.
pub(super) fn operation_replayed(sent: &SentOp, left: u64, ex: &Exchange) -> Step {
    let same = ex.status == 200
        && serde_json::from_slice::<WalletOperation>(&ex.body).is_ok_and(|o| {
            o.wallet_transaction_id == sent.answer.wallet_transaction_id
                && o.amount == sent.answer.amount
                && o.operation == sent.answer.operation
        });
    if same && is_replay(ex) {
        return Ok(());
    }
    Err(fail(
        Check::ReplaySameAnswer,
        ex,
        format!(
            "a replayed {} (what is left now: {left}) did not answer as the first time",
            sent.kind.as_str()
        ),
        format!(
            "200, the same WalletOperation (amount {}), Idempotent-Replayed: true",
            sent.amount
        ),
    ))
}

/// A key whose earlier request failed (400, 409) bound nothing: the answer is neither
/// `422` nor a replay.
pub(super) fn failed_key_unbound(ex: &Exchange) -> Step {
    if ex.status != 422 && !is_replay(ex) {
        return Ok(());
    }
    Err(fail(
        Check::ErrorDoesNotBindKey,
        ex,
        "a key whose earlier request failed (400/409) was treated as bound (422 or a replay)",
        "the answer for this payload alone (the failed request bound nothing)",
    ))
}

/// An operation within what is left was refused, confirmed by a control read: blamed on
/// `amount_exceeds_remaining` when that is what it answered, else on `check`.
pub(super) fn refused_within_room(
    check: Check,
    kind: OperationKind,
    left: u64,
    amount: u64,
    ex: &Exchange,
) -> Violation {
    let blame = if ex.error_code().as_deref() == Some("amount_exceeds_remaining") {
        Check::ExceedsRemainingRejected
    } else {
        check
    };
    fail(
        blame,
        ex,
        format!(
            "a {} within what is left ({left} ≥ {amount}) was refused",
            kind.as_str()
        ),
        "200 WalletOperation",
    )
}

/// A `200` operation reports exactly the requested operation on transaction `m`.
pub(super) fn operation(
    check: Check,
    m: &TxModel,
    kind: OperationKind,
    amount: u64,
    answer: &WalletOperation,
    ex: &Exchange,
) -> Step {
    let right = answer.wallet_transaction_id == m.id
        && answer.amount == amount
        && answer.operation == kind
        && answer.currency == m.currency
        && answer.order_reference == m.order_reference;
    if right {
        return Ok(());
    }
    Err(fail(
        check,
        ex,
        "the WalletOperation does not report exactly the requested operation",
        format!(
            "walletTransactionId {}, operation {}, amount {amount}",
            m.id,
            kind.as_str()
        ),
    ))
}

/// A forced outcome on a pending transaction answered `200` with the status forced.
pub(super) fn forced(succeed: bool, ex: &Exchange) -> Step {
    let (verb, want) = if succeed {
        ("succeed", WalletStatus::Success)
    } else {
        ("fail", WalletStatus::Failed)
    };
    let ok = ex.status == 200
        && serde_json::from_slice::<WalletTransaction>(&ex.body)
            .is_ok_and(|t| t.wallet_transaction_status == want);
    if ok {
        return Ok(());
    }
    Err(fail(
        Check::Transitions,
        ex,
        format!("forcing {verb} did not end the transaction {want}"),
        format!("200, walletTransactionStatus {want}"),
    ))
}

/// The items of a list page, each a WalletTransaction.
pub(super) fn list_items(ex: &Exchange, blame: Check) -> Result<Vec<WalletTransaction>, Violation> {
    ex.json()
        .and_then(|v| v.get("items").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| {
            fail(
                blame,
                ex,
                "the list is not a list of WalletTransaction",
                "200 {\"items\": [...], \"nextCursor\": …}",
            )
        })
}

/// The list filtered by `m`'s `orderReference` holds exactly `m`.
pub(super) fn list_holds_only(
    m: &TxModel,
    items: &[WalletTransaction],
    blame: Check,
    ex: &Exchange,
) -> Step {
    let ids: Vec<&str> = items
        .iter()
        .map(|t| t.wallet_transaction_id.as_str())
        .collect();
    if ids == [m.id.as_str()] {
        return Ok(());
    }
    Err(fail(
        blame,
        ex,
        format!(
            "the list by orderReference {} holds {} transaction(s)",
            m.order_reference,
            ids.len()
        ),
        format!("exactly {}", m.id),
    )
    .with_got(ids.join(", ")))
}

/// The error of §3: `status`, `code`, and `param` (or none).
pub(super) fn error(
    ex: &Exchange,
    check: Check,
    status: u16,
    code: &str,
    param: Option<&str>,
) -> Step {
    let got_param = ex.error_param().flatten();
    if ex.status == status
        && ex.error_code().as_deref() == Some(code)
        && got_param.as_deref() == param
    {
        return Ok(());
    }
    Err(fail(
        check,
        ex,
        format!("expected {status} {code}"),
        format!("{status} {code}, param {}", param.unwrap_or("null")),
    ))
}

/// `422 idempotency_key_mismatch`, `param: "Idempotency-Key"`.
pub(super) fn mismatch(ex: &Exchange) -> Step {
    error(
        ex,
        Check::MismatchRejected,
        422,
        "idempotency_key_mismatch",
        Some("Idempotency-Key"),
    )
}

/// `Idempotent-Replayed: true` (§5), the value's case and surrounding space aside.
pub(super) fn is_replay(ex: &Exchange) -> bool {
    ex.header("Idempotent-Replayed")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The check an operation's expected answer exercises.
pub(super) fn check_of(expect: Expect) -> Check {
    match expect {
        Expect::Moves => Check::OperationMovesExactly,
        Expect::InvalidState => Check::InvalidStateRejected,
        Expect::Exceeds => Check::ExceedsRemainingRejected,
    }
}

fn blame_note(check: Check) -> &'static str {
    match check {
        Check::OperationMovesExactly => "the operation just made moved another amount",
        Check::ExceedsRemainingRejected => "a refused operation moved money",
        Check::InvalidStateRejected => "an operation refused as invalid_state moved money",
        Check::ReplayMovesNothing | Check::ReplaySameAnswer => "a replay moved money",
        Check::MismatchRejected => "a mismatched key moved money",
        Check::OtherMerchantNotFound => "another merchant's request moved money",
        _ => "nothing should have moved",
    }
}

trait WithGot {
    fn with_got(self, got: String) -> Self;
}

impl WithGot for Violation {
    fn with_got(mut self, got: String) -> Self {
        self.got = got;
        self
    }
}

/// A violation with this exchange as evidence; `got` is its status and body.
pub(super) fn fail(
    check: Check,
    ex: &Exchange,
    message: impl Into<String>,
    expected: impl Into<String>,
) -> Violation {
    Violation::new(
        check,
        message,
        expected,
        format!("{} {}", ex.status, ex.body_excerpt()),
    )
    .with_exchange(Some(ex.evidence()))
}

/// The body as the contract's object, else a violation of `check`.
pub(super) fn parse<T: serde::de::DeserializeOwned>(
    ex: &Exchange,
    check: Check,
) -> Result<T, Violation> {
    serde_json::from_slice(&ex.body).map_err(|e| {
        fail(
            check,
            ex,
            format!("the body is not the contract's object (amounts integer minor units ≥ 0): {e}"),
            "the object of §4/§5",
        )
    })
}

fn ts(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}
