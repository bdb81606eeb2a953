//! Pure pieces of the Gate's transactions: the order body each create sends, and what
//! each answer says (the order created, how a poll stands, whether a replay agrees).

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use crate::apis::gate::load::catalog::Orderable;
use crate::apis::gate::wire::OrderStatus;

/// The §5.1 create body: the product's own fields, `quantity` for a voucher, and `test`.
pub(super) fn order_body(product: &Orderable, quantity: u32, test: bool) -> Bytes {
    let mut body = product.body.clone();
    if product.is_voucher {
        body.insert("quantity".into(), Value::from(quantity));
    }
    body.insert("test".into(), Value::Bool(test));
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

/// What the transactions read of an Order (§5.3).
#[derive(Debug, Deserialize)]
pub(super) struct OrderRef {
    pub id: String,
    pub status: OrderStatus,
}

/// The order a create answered with, when it is a `201` with an Order.
pub(super) fn created(status: Option<u16>, body: &[u8]) -> Option<OrderRef> {
    match (status, serde_json::from_slice::<OrderRef>(body)) {
        (Some(201), Ok(order)) => Some(order),
        _ => None,
    }
}

/// How a polled order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Polled {
    /// `completed` or `failed`: the poll is done.
    Ended(OrderStatus),
    /// Still `pending`: read again.
    Pending,
    /// Not an Order: a schema violation.
    Unreadable,
}

pub(super) fn polled(body: &[u8]) -> Polled {
    match serde_json::from_slice::<OrderRef>(body) {
        Ok(o) if o.status.is_terminal() => Polled::Ended(o.status),
        Ok(_) => Polled::Pending,
        Err(_) => Polled::Unreadable,
    }
}

/// Why a replay of order `first_id` disagrees with the first answer (§5.2: the same order,
/// `Idempotent-Replayed: true`), or `None` when it agrees.
pub(super) fn replay_disagrees(
    body: &[u8],
    first_id: &str,
    replayed: bool,
) -> Option<&'static str> {
    let same = serde_json::from_slice::<OrderRef>(body).is_ok_and(|o| o.id == first_id);
    match (same, replayed) {
        (true, true) => None,
        (true, false) => Some("lacked `Idempotent-Replayed: true`"),
        (false, _) => Some("returned another order"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::gate::money::{Amount, Rate};
    use crate::apis::gate::pricing::PriceRule;
    use serde_json::json;

    fn product(is_voucher: bool) -> Orderable {
        let body = if is_voucher {
            json!({"product_id": 7})
        } else {
            json!({"product_id": 8, "topup_request": {"phone": "+7701"}})
        };
        Orderable {
            product_id: 7,
            currency: "USD".into(),
            is_voucher,
            body: body.as_object().unwrap().clone(),
            unit_charge: Amount::from_minor(100),
            price: if is_voucher {
                PriceRule::Voucher {
                    agent_price: Amount::from_minor(100),
                }
            } else {
                PriceRule::TopUp {
                    rate: Rate::parse("1.0000").unwrap(),
                    min: Amount::from_minor(100),
                    max: Amount::from_minor(100),
                }
            },
        }
    }

    #[test]
    fn a_voucher_body_carries_its_quantity_and_a_top_up_does_not() {
        let v: Value = serde_json::from_slice(&order_body(&product(true), 3, false)).unwrap();
        assert_eq!(v, json!({"product_id": 7, "quantity": 3, "test": false}));
        let t: Value = serde_json::from_slice(&order_body(&product(false), 3, true)).unwrap();
        assert_eq!(
            t,
            json!({"product_id": 8, "topup_request": {"phone": "+7701"}, "test": true})
        );
    }

    #[test]
    fn only_a_201_order_is_created() {
        let body = br#"{"id": "o1", "status": "pending"}"#;
        assert_eq!(created(Some(201), body).map(|o| o.id), Some("o1".into()));
        assert!(created(Some(200), body).is_none());
        assert!(created(None, body).is_none());
        assert!(created(Some(201), b"{}").is_none());
    }

    #[test]
    fn a_poll_ends_on_a_terminal_status_only() {
        assert_eq!(polled(br#"{"id":"o","status":"pending"}"#), Polled::Pending);
        assert_eq!(
            polled(br#"{"id":"o","status":"failed"}"#),
            Polled::Ended(OrderStatus::Failed)
        );
        assert_eq!(
            polled(br#"{"id":"o","status":"completed"}"#),
            Polled::Ended(OrderStatus::Completed)
        );
        assert_eq!(polled(br#"{"id":"o","status":"lost"}"#), Polled::Unreadable);
        assert_eq!(polled(b"<html>"), Polled::Unreadable);
    }

    #[test]
    fn a_replay_must_be_the_same_order_marked_replayed() {
        let body = br#"{"id":"o1","status":"pending"}"#;
        assert_eq!(replay_disagrees(body, "o1", true), None);
        assert_eq!(
            replay_disagrees(body, "o1", false),
            Some("lacked `Idempotent-Replayed: true`")
        );
        assert_eq!(
            replay_disagrees(body, "o2", true),
            Some("returned another order")
        );
        assert_eq!(
            replay_disagrees(b"{}", "o1", true),
            Some("returned another order")
        );
    }
}
