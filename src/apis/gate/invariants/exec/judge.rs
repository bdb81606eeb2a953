//! The judges: pure functions from (model, request, response) to a verdict. They read the
//! reference [`Ledger`] but never change it; they say what the caller must apply
//! ([`Created`]) and which checks they exercised (pushed onto `exercised`).

use serde_json::{json, Value};

use crate::apis::gate::invariants::catalog::PriceRule;
use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::ledger::{Expect, Ledger, ModelOrder, NewOrder};
use crate::apis::gate::invariants::payload::{OrderRequest, Priced, Validity};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{Order, OrderStatus};
use crate::engine::client::Exchange;

/// What a judged create response asks of the model.
#[derive(Debug, Clone)]
pub(super) enum Created {
    /// Refused as the contract says: the key saw a failed attempt (binds nothing).
    Refused,
    /// Answered as the contract says, nothing to apply (mismatch, replay).
    Nothing,
    /// A new order to add to the model.
    New(Box<NewOrder>),
}

/// The create request as sent.
pub(super) struct Sent<'a> {
    pub expect: &'a Expect,
    pub request: &'a OrderRequest,
    pub key: Option<&'a str>,
    pub key_failed_before: bool,
}

/// Judges a create response against the expectation.
pub(super) fn judge_create(
    ledger: &Ledger,
    sent: &Sent<'_>,
    ex: &Exchange,
    exercised: &mut Vec<CheckId>,
) -> Result<Created, Violation> {
    let Sent {
        expect,
        request,
        key_failed_before,
        ..
    } = *sent;
    let code = ex.error_code();
    let param = ex.error_param().flatten();
    let got = || format!("{} {}", ex.status, ex.body_excerpt());
    match expect {
        Expect::Invalid {
            code: want,
            param: want_param,
        } => {
            exercised.push(CheckId::InvalidPayloadRejected);
            if ex.status == 400 && code.as_deref() == Some(*want) && param == *want_param {
                Ok(Created::Refused)
            } else {
                Err(Violation::new(
                    CheckId::InvalidPayloadRejected,
                    format!(
                        "a near-valid invalid order ({}) was not refused as the contract says",
                        defect_of(request)
                    ),
                    format!("400 {want}, param {}", show_param(want_param)),
                    got(),
                ))
            }
        }
        Expect::InvalidOrMismatch {
            code: want,
            param: want_param,
        } => {
            exercised.push(CheckId::InvalidPayloadRejected);
            let as_invalid =
                ex.status == 400 && code.as_deref() == Some(*want) && param == *want_param;
            let as_mismatch =
                ex.status == 422 && code.as_deref() == Some("idempotency_key_mismatch");
            if as_invalid || as_mismatch {
                Ok(Created::Refused)
            } else {
                Err(Violation::new(
                    CheckId::InvalidPayloadRejected,
                    "an order for an unavailable product on a used key was not refused",
                    format!("400 {want} or 422 idempotency_key_mismatch"),
                    got(),
                ))
            }
        }
        Expect::Mismatch { order } => {
            exercised.push(CheckId::MismatchRejected);
            if ex.status == 422 && code.as_deref() == Some("idempotency_key_mismatch") {
                Ok(Created::Nothing)
            } else {
                let original = &ledger.orders[*order].id;
                Err(Violation::new(
                    CheckId::MismatchRejected,
                    format!("a key bound to order {original} was reused with a different payload and not refused"),
                    "422 idempotency_key_mismatch, nothing created",
                    got(),
                ))
            }
        }
        Expect::Replay { order } => {
            exercised.push(CheckId::ReplayReturnsSameOrder);
            let model = &ledger.orders[*order];
            let body = ex.json().unwrap_or(Value::Null);
            let replayed = ex
                .header("Idempotent-Replayed")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let same = ex.status == 201
                && body.get("id").and_then(Value::as_str) == Some(model.id.as_str())
                && amount_field(&body, "charged_amount") == Some(model.priced.charge)
                && amount_field(&body, "balance_before") == Some(model.balance_before)
                && amount_field(&body, "balance_after") == Some(model.balance_after);
            if same && replayed {
                Ok(Created::Nothing)
            } else {
                let what = if !same {
                    "a different result"
                } else {
                    "no Idempotent-Replayed: true header"
                };
                Err(Violation::new(
                    CheckId::ReplayReturnsSameOrder,
                    format!("a replay (same key, same payload) returned {what}"),
                    format!(
                        "201, id {}, charged_amount {}, balance_before {}, balance_after {}, Idempotent-Replayed: true",
                        model.id, model.priced.charge, model.balance_before, model.balance_after
                    ),
                    format!(
                        "{}, Idempotent-Replayed: {}, {}",
                        ex.status,
                        ex.header("Idempotent-Replayed").unwrap_or("(absent)"),
                        ex.body_excerpt()
                    ),
                ))
            }
        }
        Expect::Insufficient { available, charge } => {
            exercised.push(CheckId::InsufficientBalanceRejected);
            if ex.status == 400 && code.as_deref() == Some("insufficient_balance") {
                return Ok(Created::Refused);
            }
            // Accepted: if it was priced below §5.1's charge, that is the bug.
            if let (201, Some(p)) = (ex.status, request.validity.priced()) {
                let charged = ex.json().and_then(|j| amount_field(&j, "charged_amount"));
                if let Some(c) = charged.filter(|c| *c != p.charge) {
                    let check = pricing_check(p);
                    exercised.push(check);
                    return Err(Violation::new(
                        check,
                        "the charge does not follow §5.1's formula (the order was accepted because it was under-priced)",
                        pricing_formula(p),
                        format!("charged_amount {c}"),
                    ));
                }
            }
            let check = if key_failed_before && (ex.status == 422 || ex.status == 409) {
                CheckId::ErrorDoesNotBindKey
            } else if ex.status == 400 && code.as_deref() != Some("insufficient_balance") {
                CheckId::ValidPayloadAccepted
            } else {
                CheckId::InsufficientBalanceRejected
            };
            let message = if check == CheckId::ValidPayloadAccepted {
                format!("a valid order charging {charge} against an available {available} was refused as invalid instead of for balance")
            } else {
                format!("an order charging {charge} against an available {available} was not refused for balance")
            };
            Err(Violation::new(
                check,
                message,
                "400 insufficient_balance, nothing created or moved",
                got(),
            ))
        }
        Expect::Create {
            priced,
            balance_before,
            balance_after,
        } => judge_new_order(
            ledger,
            sent,
            priced,
            (*balance_before, *balance_after),
            ex,
            exercised,
        ),
    }
}

/// A create that must make a new order: status, pricing (§5.1), the reservation, the echo.
fn judge_new_order(
    ledger: &Ledger,
    sent: &Sent<'_>,
    priced: &Priced,
    (want_before, want_after): (Amount, Amount),
    ex: &Exchange,
    exercised: &mut Vec<CheckId>,
) -> Result<Created, Violation> {
    let Sent {
        request,
        key,
        key_failed_before,
        ..
    } = *sent;
    let code = ex.error_code();
    let got = || format!("{} {}", ex.status, ex.body_excerpt());
    if key_failed_before {
        exercised.push(CheckId::ErrorDoesNotBindKey);
    }
    exercised.push(CheckId::ValidPayloadAccepted);
    let replayed = ex
        .header("Idempotent-Replayed")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if ex.status != 201 || replayed {
        let check = if key_failed_before {
            CheckId::ErrorDoesNotBindKey
        } else if priced.is_test && code.as_deref() == Some("insufficient_balance") {
            // §10: test orders are not checked against the balance.
            CheckId::TestOrdersMoveNoMoney
        } else if code.as_deref() == Some("insufficient_balance") {
            CheckId::InsufficientBalanceRejected
        } else {
            CheckId::ValidPayloadAccepted
        };
        let message = if key_failed_before {
            "a key whose earlier request failed did not create the order (a failed request bound its key)".to_string()
        } else {
            format!(
                "a valid order (charge {} {}, available {}) was not created",
                priced.charge, priced.currency, want_before
            )
        };
        return Err(Violation::new(
            check,
            message,
            "201 Created, a new pending order",
            got(),
        ));
    }
    let body = ex.json().unwrap_or(Value::Null);
    let order: Order = serde_json::from_value(body).map_err(|e| {
        Violation::new(
            CheckId::OrdersMatchModel,
            "the created order does not parse as an Order",
            "an Order object",
            format!("{e}: {}", ex.body_excerpt()),
        )
    })?;
    if ledger.order_by_id(&order.id).is_some() {
        let check = if key_failed_before {
            CheckId::ErrorDoesNotBindKey
        } else {
            CheckId::OrdersMatchModel
        };
        return Err(Violation::new(
            check,
            "a request that must create a new order returned an existing one",
            "a new order id",
            order.id,
        ));
    }
    // Pricing (§5.1), judged before any balance.
    let pricing_check = pricing_check(priced);
    exercised.push(pricing_check);
    if order.charged_amount != priced.charge {
        return Err(Violation::new(
            pricing_check,
            "the charge does not follow §5.1's formula",
            pricing_formula(priced),
            format!("charged_amount {}", order.charged_amount),
        ));
    }
    // Money in the response.
    let money_check = if priced.is_test {
        CheckId::TestOrdersMoveNoMoney
    } else {
        CheckId::ChargeReserved
    };
    exercised.push(money_check);
    if order.balance_before != want_before || order.balance_after != want_after {
        return Err(Violation::new(
            money_check,
            if priced.is_test {
                "a test order reports moving money"
            } else {
                "balance_before/balance_after do not show the reservation"
            },
            format!("balance_before {want_before}, balance_after {want_after}"),
            format!(
                "balance_before {}, balance_after {}",
                order.balance_before, order.balance_after
            ),
        ));
    }
    // The echo of the request (§5.3).
    exercised.push(CheckId::OrdersMatchModel);
    let echo = [
        (
            "product_id",
            json!(priced.product_id),
            json!(order.product_id),
        ),
        ("quantity", json!(priced.quantity), json!(order.quantity)),
        (
            "currency_code",
            json!(priced.currency),
            json!(order.currency_code),
        ),
        (
            "external_ref",
            json!(priced.external_ref),
            json!(order.external_ref),
        ),
        ("idempotency_key", json!(key), json!(order.idempotency_key)),
        ("is_test", json!(priced.is_test), json!(order.is_test)),
        ("status", json!("pending"), json!(order.status)),
    ];
    for (field, want, got_v) in echo {
        if want != got_v {
            return Err(Violation::new(
                CheckId::OrdersMatchModel,
                format!("the created order's `{field}` does not echo the request"),
                format!("{field}: {want}"),
                format!("{field}: {got_v}"),
            ));
        }
    }
    Ok(Created::New(Box::new(NewOrder {
        id: order.id.clone(),
        key: key.map(str::to_string),
        body: request.body.clone(),
        priced: priced.clone(),
        lifecycle: request.lifecycle,
        balance_before: order.balance_before,
        balance_after: order.balance_after,
        created_at: Some(order.created_at.clone()),
    })))
}

/// Compares a GET of `model`'s order with the model; returns the status it shows.
pub(super) fn judge_order_read(
    model: &ModelOrder,
    ex: &Exchange,
    exercised: &mut Vec<CheckId>,
) -> Result<OrderStatus, Violation> {
    if ex.status != 200 {
        return Err(Violation::new(
            CheckId::OrdersMatchModel,
            "an order the API created cannot be read back",
            "200 and the order",
            format!("{} {}", ex.status, ex.body_excerpt()),
        )
        .with_exchange(Some(ex.evidence())));
    }
    let json = ex.json().unwrap_or(Value::Null);
    judge_order_json(model, &json, exercised).map_err(|v| v.with_exchange(Some(ex.evidence())))
}

/// Compares an order as the API shows it with the model; returns the status it shows.
pub(super) fn judge_order_json(
    model: &ModelOrder,
    json: &Value,
    exercised: &mut Vec<CheckId>,
) -> Result<OrderStatus, Violation> {
    let order: Order = serde_json::from_value(json.clone()).map_err(|e| {
        Violation::new(
            CheckId::OrdersMatchModel,
            "an order does not parse as an Order",
            "an Order object",
            e.to_string(),
        )
    })?;
    exercised.push(CheckId::OrdersMatchModel);
    let fields = [
        ("id", json!(model.id), json!(order.id)),
        (
            "product_id",
            json!(model.priced.product_id),
            json!(order.product_id),
        ),
        (
            "quantity",
            json!(model.priced.quantity),
            json!(order.quantity),
        ),
        (
            "external_ref",
            json!(model.priced.external_ref),
            json!(order.external_ref),
        ),
        (
            "idempotency_key",
            json!(model.key),
            json!(order.idempotency_key),
        ),
        (
            "currency_code",
            json!(model.priced.currency),
            json!(order.currency_code),
        ),
        (
            "charged_amount",
            json!(model.priced.charge),
            json!(order.charged_amount),
        ),
        (
            "balance_before",
            json!(model.balance_before),
            json!(order.balance_before),
        ),
        (
            "balance_after",
            json!(model.balance_after),
            json!(order.balance_after),
        ),
        ("is_test", json!(model.priced.is_test), json!(order.is_test)),
        (
            "created_at",
            json!(model.created_at),
            json!(Some(order.created_at.clone())),
        ),
    ];
    for (field, want, got) in fields {
        if want != got {
            return Err(Violation::new(
                CheckId::OrdersMatchModel,
                format!("order {} read back with a different `{field}`", model.id),
                format!("{field}: {want}"),
                format!("{field}: {got}"),
            ));
        }
    }
    exercised.push(CheckId::TransitionsAllowed);
    let stamp_ok = match order.status {
        OrderStatus::Pending => order.completed_at.is_none() && order.failed_at.is_none(),
        OrderStatus::Completed => order.completed_at.is_some() && order.failed_at.is_none(),
        OrderStatus::Failed => order.failed_at.is_some() && order.completed_at.is_none(),
    };
    if !stamp_ok {
        return Err(Violation::new(
            CheckId::TransitionsAllowed,
            "an order's timestamps do not match its status",
            "completed_at non-null iff completed, failed_at non-null iff failed",
            format!(
                "status {:?}, completed_at {:?}, failed_at {:?}",
                order.status, order.completed_at, order.failed_at
            ),
        ));
    }
    if model.status.is_terminal() {
        let at = terminal_stamp(&order);
        if order.status != model.status || at != model.terminal_at {
            return Err(Violation::new(
                CheckId::TransitionsAllowed,
                format!("terminal order {} changed", model.id),
                format!(
                    "status {:?} at {:?}, forever",
                    model.status, model.terminal_at
                ),
                format!("status {:?} at {:?}", order.status, at),
            ));
        }
    }
    Ok(order.status)
}

fn amount_field(body: &Value, field: &str) -> Option<Amount> {
    body.get(field)
        .and_then(Value::as_str)
        .and_then(|s| Amount::parse_decimal_amount(s).ok())
}

fn pricing_check(p: &Priced) -> CheckId {
    match p.rule {
        PriceRule::Voucher { .. } => CheckId::PricingVoucherTimesQuantity,
        PriceRule::TopUp { .. } => CheckId::PricingHalfUp,
    }
}

fn pricing_formula(p: &Priced) -> String {
    match p.rule.formula(p.quantity, p.amount) {
        Some(formula) => format!("{formula} = {}", p.charge),
        None => p.charge.to_string(),
    }
}

pub(super) fn terminal_stamp(o: &Order) -> Option<String> {
    o.completed_at.clone().or_else(|| o.failed_at.clone())
}

fn defect_of(request: &OrderRequest) -> String {
    match &request.validity {
        Validity::Invalid { defect, .. } => defect.clone(),
        Validity::Valid(_) => "malformed Idempotency-Key".into(),
    }
}

fn show_param(p: &Option<String>) -> String {
    p.as_deref()
        .map_or("null".to_string(), |s| format!("\"{s}\""))
}
