//! The judges and the balance diff, on fake exchanges: no server.

use serde_json::{json, Value};

use super::balances::balance_diffs;
use super::judge::{judge_create, judge_order_json, Created, Sent};
use crate::apis::gate::invariants::balances::BalanceRow;
use crate::apis::gate::invariants::catalog::PriceRule;
use crate::apis::gate::invariants::checks::CheckId;
use crate::apis::gate::invariants::ledger::{Expect, Ledger, NewOrder};
use crate::apis::gate::invariants::payload::{Lifecycle, OrderRequest, Priced, Validity};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::OrderStatus;
use crate::engine::client::Exchange;

pub(super) fn exchange(status: u16, headers: &[(&str, &str)], body: &Value) -> Exchange {
    crate::engine::client::fake::exchange(
        "POST",
        "/v1/agents/a1/orders",
        status,
        headers,
        &body.to_string(),
    )
}

fn priced(charge: i64) -> Priced {
    Priced {
        product_id: 7,
        currency: "USD".into(),
        quantity: 2,
        charge: Amount::from_minor(charge),
        is_test: false,
        external_ref: Some("ref-1".into()),
        rule: PriceRule::Voucher {
            agent_price: Amount::from_minor(charge / 2),
        },
        amount: None,
    }
}

fn request(p: Option<Priced>) -> OrderRequest {
    OrderRequest {
        body: json!({"product_id": 7, "quantity": 2}),
        validity: match p {
            Some(p) => Validity::Valid(p),
            None => Validity::Invalid {
                code: "invalid_request",
                param: Some("quantity".into()),
                defect: "quantity 0".into(),
            },
        },
        lifecycle: Lifecycle::Held,
    }
}

fn order_json(id: &str, charged: &str, before: &str, after: &str) -> Value {
    json!({
        "id": id, "product_id": 7, "quantity": 2, "external_ref": "ref-1",
        "idempotency_key": "k1", "status": "pending", "order_content": {},
        "currency_code": "USD", "charged_amount": charged, "balance_before": before,
        "balance_after": after, "is_test": false, "region_code": "US",
        "created_at": "2026-01-01T00:00:00Z", "completed_at": null, "failed_at": null
    })
}

fn create_expect(charge: i64) -> Expect {
    Expect::Create {
        priced: priced(charge),
        balance_before: Amount::from_minor(10_000),
        balance_after: Amount::from_minor(10_000 - charge),
    }
}

#[test]
fn invalid_refused_as_the_contract_says_is_a_refusal() {
    let expect = Expect::Invalid {
        code: "invalid_request",
        param: Some("quantity".into()),
    };
    let req = request(None);
    let sent = Sent {
        expect: &expect,
        request: &req,
        key: Some("k1"),
        key_failed_before: false,
    };
    let body = json!({"error": {"code": "invalid_request", "param": "quantity", "message": "m"}});
    let mut exercised = Vec::new();
    let got = judge_create(
        &Ledger::default(),
        &sent,
        &exchange(400, &[], &body),
        &mut exercised,
    );
    assert!(matches!(got, Ok(Created::Refused)), "{got:?}");
    assert_eq!(exercised, vec![CheckId::InvalidPayloadRejected]);

    let mut exercised = Vec::new();
    let wrong =
        json!({"error": {"code": "invalid_request", "param": "product_id", "message": "m"}});
    let v = judge_create(
        &Ledger::default(),
        &sent,
        &exchange(400, &[], &wrong),
        &mut exercised,
    )
    .unwrap_err();
    assert_eq!(v.check, CheckId::InvalidPayloadRejected);
    assert!(v.expected.contains("\"quantity\""), "{}", v.expected);
}

#[test]
fn a_new_order_that_follows_the_contract_is_returned_for_the_model() {
    let expect = create_expect(500);
    let req = request(Some(priced(500)));
    let sent = Sent {
        expect: &expect,
        request: &req,
        key: Some("k1"),
        key_failed_before: false,
    };
    let body = order_json("o1", "5.00", "100.00", "95.00");
    let mut exercised = Vec::new();
    let got = judge_create(
        &Ledger::default(),
        &sent,
        &exchange(201, &[], &body),
        &mut exercised,
    );
    match got {
        Ok(Created::New(order)) => {
            assert_eq!(order.id, "o1");
            assert_eq!(order.key.as_deref(), Some("k1"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        exercised,
        vec![
            CheckId::ValidPayloadAccepted,
            CheckId::PricingVoucherTimesQuantity,
            CheckId::ChargeReserved,
            CheckId::OrdersMatchModel
        ]
    );
}

#[test]
fn a_wrong_charge_is_blamed_on_pricing_before_any_balance() {
    let expect = create_expect(500);
    let req = request(Some(priced(500)));
    let sent = Sent {
        expect: &expect,
        request: &req,
        key: None,
        key_failed_before: false,
    };
    let body = order_json("o1", "4.99", "100.00", "94.00");
    let v = judge_create(
        &Ledger::default(),
        &sent,
        &exchange(201, &[], &body),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(v.check, CheckId::PricingVoucherTimesQuantity);
    assert_eq!(v.got, "charged_amount 4.99");
}

#[test]
fn a_replayed_201_for_a_new_key_is_not_a_creation() {
    let expect = create_expect(500);
    let req = request(Some(priced(500)));
    let sent = Sent {
        expect: &expect,
        request: &req,
        key: Some("k1"),
        key_failed_before: true,
    };
    let body = order_json("o1", "5.00", "100.00", "95.00");
    let v = judge_create(
        &Ledger::default(),
        &sent,
        &exchange(201, &[("Idempotent-Replayed", "true")], &body),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(v.check, CheckId::ErrorDoesNotBindKey);
}

#[test]
fn a_terminal_order_must_keep_its_status_and_stamp() {
    let mut ledger = Ledger::default();
    let idx = ledger.created(NewOrder {
        id: "o1".into(),
        key: Some("k1".into()),
        body: json!({}),
        priced: priced(500),
        lifecycle: Lifecycle::Held,
        balance_before: Amount::from_minor(10_000),
        balance_after: Amount::from_minor(9_500),
        created_at: Some("2026-01-01T00:00:00Z".into()),
    });
    let mut read = order_json("o1", "5.00", "100.00", "95.00");
    let mut exercised = Vec::new();
    assert_eq!(
        judge_order_json(&ledger.orders[idx], &read, &mut exercised).unwrap(),
        OrderStatus::Pending
    );
    assert!(ledger.transition(idx, OrderStatus::Completed, Some("t1".into())));
    read["status"] = json!("completed");
    read["completed_at"] = json!("t1");
    assert_eq!(
        judge_order_json(&ledger.orders[idx], &read, &mut exercised).unwrap(),
        OrderStatus::Completed
    );
    read["completed_at"] = json!("t2");
    let v = judge_order_json(&ledger.orders[idx], &read, &mut exercised).unwrap_err();
    assert_eq!(v.check, CheckId::TransitionsAllowed);
    // A stamp that does not match the status is refused on its own.
    read["status"] = json!("pending");
    let v = judge_order_json(&ledger.orders[idx], &read, &mut exercised).unwrap_err();
    assert_eq!(v.message, "an order's timestamps do not match its status");
}

#[test]
fn balance_diffs_name_each_currency_that_disagrees() {
    let ledger = Ledger::with_deposits(&[("USD".into(), Amount::from_minor(10_000))]);
    let row = |c: &str, a: i64| BalanceRow {
        currency: c.into(),
        available: Amount::from_minor(a),
        reserved: Amount::ZERO,
        available_text: Amount::from_minor(a).to_string(),
        reserved_text: "0.00".into(),
    };
    assert!(balance_diffs(&ledger, &[row("USD", 10_000)]).is_empty());
    let diffs = balance_diffs(&ledger, &[row("USD", 9_000), row("EUR", 1)]);
    assert_eq!(diffs.len(), 2);
    assert_eq!(diffs[0].expected, "USD available 100.00 reserved 0.00");
    assert_eq!(diffs[0].got, "USD available 90.00 reserved 0.00");
    assert_eq!(diffs[1].expected, "EUR available 0.00 reserved 0.00");
    // A currency the model says is listed must have a row.
    let missing = balance_diffs(&ledger, &[]);
    assert_eq!(missing[0].got, "USD available (no row) reserved (no row)");
}
