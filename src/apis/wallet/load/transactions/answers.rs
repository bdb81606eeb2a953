//! Pure pieces of the Wallet's transactions: the authorization each one sends, and what
//! each answer says (the transaction made, what was held, which transaction a read shows,
//! whether an operation names ours).

use bytes::Bytes;
use serde_json::{json, Value};

use crate::apis::wallet::wire::WalletStatus;

/// A phone number of the sandbox's plain scenario (ends in neither 0000 nor 1111, §6).
const PHONE: &str = "+77011234567";
/// A valid IIN (the contract's own example).
const IIN: &str = "900101300007";

/// The §3 authorization body.
pub(super) fn authorize_body(amount: u64, reference: &str, currency: &str) -> Bytes {
    let body = json!({
        "amount": amount,
        "phoneNumber": PHONE,
        "iin": IIN,
        "orderReference": reference,
        "currency": currency,
    });
    Bytes::from(body.to_string())
}

/// The id of a transaction as the answer gave it, when it is safe to put in a path.
fn path_id(body: &Value) -> Option<&str> {
    body.get("walletTransactionId")
        .and_then(Value::as_str)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

fn status_of(body: &Value) -> Option<WalletStatus> {
    body.get("walletTransactionStatus")
        .and_then(Value::as_str)
        .and_then(WalletStatus::parse)
}

/// The transaction a `201` made: its id (safe in a path) and status.
pub(super) fn made(body: Option<&Value>) -> Option<(String, WalletStatus)> {
    let j = body?;
    Some((path_id(j)?.to_string(), status_of(j)?))
}

/// What an authorization of `amount` held: at least what was asked, more when the
/// answer's `authorizedAmount` says so.
pub(super) fn held_amount(body: Option<&Value>, amount: u64) -> u64 {
    body.and_then(|j| j.get("authorizedAmount"))
        .and_then(Value::as_u64)
        .map_or(amount, |a| a.max(amount))
}

/// What a read of transaction `id` shows: whether it is that transaction, and its status
/// (`None` when the answer is no transaction).
pub(super) fn seen(body: Option<&Value>, id: &str) -> Option<(bool, WalletStatus)> {
    let j = body?;
    let same = j.get("walletTransactionId").and_then(Value::as_str) == Some(id);
    Some((same, status_of(j)?))
}

/// §5: the WalletOperation names our transaction and exactly the amount asked for.
pub(super) fn operation_agrees(body: Option<&Value>, id: &str, amount: u64) -> bool {
    body.is_some_and(|j| {
        j.get("walletTransactionId").and_then(Value::as_str) == Some(id)
            && j.get("amount").and_then(Value::as_u64) == Some(amount)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_is_the_plain_scenario() {
        let v: Value = serde_json::from_slice(&authorize_body(500, "gcl-1", "KZT")).unwrap();
        assert_eq!(v["amount"], 500);
        assert_eq!(v["orderReference"], "gcl-1");
        assert_eq!(v["currency"], "KZT");
        let phone = v["phoneNumber"].as_str().unwrap();
        assert!(!phone.ends_with("0000") && !phone.ends_with("1111"));
    }

    #[test]
    fn a_made_transaction_needs_a_path_safe_id_and_a_status() {
        let ok = json!({"walletTransactionId": "wt_1-a", "walletTransactionStatus": "NEW"});
        assert_eq!(made(Some(&ok)), Some(("wt_1-a".into(), WalletStatus::New)));
        for bad in [
            json!({"walletTransactionId": "../x", "walletTransactionStatus": "NEW"}),
            json!({"walletTransactionId": "", "walletTransactionStatus": "NEW"}),
            json!({"walletTransactionId": "a".repeat(65), "walletTransactionStatus": "NEW"}),
            json!({"walletTransactionId": "a", "walletTransactionStatus": "DONE"}),
            json!({"walletTransactionStatus": "NEW"}),
        ] {
            assert_eq!(made(Some(&bad)), None, "{bad}");
        }
        assert_eq!(made(None), None);
    }

    #[test]
    fn what_was_held_is_never_less_than_asked() {
        assert_eq!(
            held_amount(Some(&json!({"authorizedAmount": 700})), 500),
            700
        );
        assert_eq!(
            held_amount(Some(&json!({"authorizedAmount": 300})), 500),
            500
        );
        assert_eq!(
            held_amount(Some(&json!({"authorizedAmount": "x"})), 500),
            500
        );
        assert_eq!(held_amount(None, 500), 500);
    }

    #[test]
    fn a_read_names_its_transaction() {
        let t = json!({"walletTransactionId": "t1", "walletTransactionStatus": "SUCCESS"});
        assert_eq!(seen(Some(&t), "t1"), Some((true, WalletStatus::Success)));
        assert_eq!(seen(Some(&t), "t2"), Some((false, WalletStatus::Success)));
        assert_eq!(
            seen(Some(&json!({"walletTransactionId": "t1"})), "t1"),
            None
        );
    }

    #[test]
    fn an_operation_must_name_our_transaction_and_amount() {
        let op = json!({"walletTransactionId": "t1", "amount": 40});
        assert!(operation_agrees(Some(&op), "t1", 40));
        assert!(!operation_agrees(Some(&op), "t1", 41));
        assert!(!operation_agrees(Some(&op), "t2", 40));
        assert!(!operation_agrees(None, "t1", 40));
    }
}
