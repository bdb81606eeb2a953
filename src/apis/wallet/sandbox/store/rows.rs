//! The Wallet's rows as stored, the §4/§5 objects they render as, what an authorization
//! or an operation asks for and did, and the list filter.

use serde::Serialize;

use crate::engine::sandbox::clock::rfc3339;
use crate::engine::sandbox::store::KeyUse;

/// `walletTransactionStatus` (§4).
pub const NEW: &str = "NEW";
pub const PROCESSING: &str = "PROCESSING";
pub const SUCCESS: &str = "SUCCESS";
pub const FAILED: &str = "FAILED";

/// A transaction as stored.
#[derive(Debug, Clone)]
pub struct TxRow {
    pub id: String,
    pub merchant_id: String,
    pub status: String,
    pub order_reference: String,
    pub currency: String,
    pub authorized: i64,
    pub captured: i64,
    pub cancelled: i64,
    pub refunded: i64,
    pub created_us: i64,
    pub updated_us: i64,
    pub due_ms: i64,
    pub outcome: Final,
}

/// The §4 WalletTransaction.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub wallet_transaction_id: String,
    pub wallet_transaction_status: String,
    pub order_reference: String,
    pub amount: i64,
    pub currency: String,
    pub authorized_amount: i64,
    pub captured_amount: i64,
    pub cancelled_amount: i64,
    pub refunded_amount: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The §5 WalletOperation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    pub wallet_transaction_id: String,
    pub wallet_transaction_status: String,
    pub order_reference: String,
    pub amount: i64,
    pub currency: String,
    pub operation: &'static str,
}

impl TxRow {
    pub fn view(&self) -> TransactionView {
        TransactionView {
            wallet_transaction_id: self.id.clone(),
            wallet_transaction_status: self.status.clone(),
            order_reference: self.order_reference.clone(),
            amount: self.authorized,
            currency: self.currency.clone(),
            authorized_amount: self.authorized,
            captured_amount: self.captured,
            cancelled_amount: self.cancelled,
            refunded_amount: self.refunded,
            created_at: rfc3339(self.created_us),
            updated_at: rfc3339(self.updated_us),
        }
    }

    pub fn operation_view(&self, operation: Operation, amount: i64) -> OperationView {
        OperationView {
            wallet_transaction_id: self.id.clone(),
            wallet_transaction_status: self.status.clone(),
            order_reference: self.order_reference.clone(),
            amount,
            currency: self.currency.clone(),
            operation: operation.as_str(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.status == NEW || self.status == PROCESSING
    }

    /// `authorizedAmount − capturedAmount − cancelledAmount`.
    pub fn remaining(&self) -> i64 {
        self.authorized - self.captured - self.cancelled
    }

    /// The room `operation` has (§5): `remaining` for a capture or a cancel, what was
    /// captured and not yet refunded for a refund.
    pub fn room(&self, operation: Operation) -> i64 {
        match operation {
            Operation::Capture | Operation::Cancel => self.remaining(),
            Operation::Refund => self.captured - self.refunded,
        }
    }
}

/// Where an open transaction is headed (§6 scenarios).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    Success,
    Fail,
}

impl Final {
    /// The stored text (`outcome` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Final::Success => "success",
            Final::Fail => "fail",
        }
    }

    /// The stored text back; anything but `fail` succeeds.
    pub fn parse(stored: &str) -> Final {
        if stored == "fail" {
            Final::Fail
        } else {
            Final::Success
        }
    }

    pub fn status(self) -> &'static str {
        match self {
            Final::Success => SUCCESS,
            Final::Fail => FAILED,
        }
    }
}

/// Capture, cancel or refund (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Capture,
    Cancel,
    Refund,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Capture => "capture",
            Operation::Cancel => "cancel",
            Operation::Refund => "refund",
        }
    }

    /// What a transaction was, in the `invalid_state` message.
    pub fn past_tense(self) -> &'static str {
        match self {
            Operation::Capture => "captured",
            Operation::Cancel => "cancelled",
            Operation::Refund => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        match s {
            "capture" => Some(Operation::Capture),
            "cancel" => Some(Operation::Cancel),
            "refund" => Some(Operation::Refund),
            _ => None,
        }
    }
}

/// A validated authorization.
#[derive(Debug, Clone)]
pub struct NewTx {
    pub merchant_id: String,
    pub order_reference: String,
    pub currency: String,
    pub amount: i64,
    /// `PROCESSING` for the `1111` scenario, else `NEW`.
    pub status: &'static str,
    pub due_ms: i64,
    pub outcome: Final,
    pub key: KeyUse,
}

/// A validated operation on one transaction.
#[derive(Debug, Clone)]
pub struct NewOp {
    pub merchant_id: String,
    pub transaction_id: String,
    pub operation: Operation,
    pub amount: i64,
    pub key: Option<KeyUse>,
    /// False only under `wallet-same-key-race`: the key was looked up apart, earlier.
    pub lookup_key: bool,
    /// False only under `wallet-capture-race` / `wallet-refund-race`: the room was read
    /// apart, earlier.
    pub check_room: bool,
}

/// What an authorization or an operation did: its transaction now, the operation's amount,
/// and whether it was a replay.
#[derive(Debug)]
pub struct Done {
    pub tx: TxRow,
    pub amount: i64,
    pub replayed: bool,
}

/// Why a forced outcome did not happen.
#[derive(Debug)]
pub enum SettleError {
    NotFound,
    Final,
    Store(rusqlite::Error),
}

impl From<rusqlite::Error> for SettleError {
    fn from(e: rusqlite::Error) -> Self {
        SettleError::Store(e)
    }
}

/// Filters of `GET /v1/wallet/transactions/`.
#[derive(Debug, Clone, Default)]
pub struct TxFilter {
    pub order_reference: Option<String>,
    pub status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, authorized: i64, captured: i64, cancelled: i64, refunded: i64) -> TxRow {
        TxRow {
            id: "t1".into(),
            merchant_id: "m1".into(),
            status: status.into(),
            order_reference: "r1".into(),
            currency: "KZT".into(),
            authorized,
            captured,
            cancelled,
            refunded,
            created_us: 1_000_000,
            updated_us: 2_000_000,
            due_ms: 0,
            outcome: Final::Success,
        }
    }

    #[test]
    fn room_is_remaining_for_capture_and_cancel_and_refundable_for_refund() {
        let t = row(SUCCESS, 1_000, 300, 200, 100);
        assert_eq!(t.remaining(), 500);
        assert_eq!(t.room(Operation::Capture), 500);
        assert_eq!(t.room(Operation::Cancel), 500);
        assert_eq!(t.room(Operation::Refund), 200);
    }

    #[test]
    fn only_new_and_processing_are_open() {
        assert!(row(NEW, 1, 0, 0, 0).is_open());
        assert!(row(PROCESSING, 1, 0, 0, 0).is_open());
        assert!(!row(SUCCESS, 1, 0, 0, 0).is_open());
        assert!(!row(FAILED, 1, 0, 0, 0).is_open());
    }

    #[test]
    fn names_round_trip() {
        for f in [Final::Success, Final::Fail] {
            assert_eq!(Final::parse(f.as_str()), f);
        }
        assert_eq!(Final::Fail.status(), FAILED);
        for op in [Operation::Capture, Operation::Cancel, Operation::Refund] {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
        }
        assert_eq!(Operation::parse("authorize"), None);
        assert_eq!(Operation::Cancel.past_tense(), "cancelled");
    }

    #[test]
    fn a_row_renders_as_the_transaction_and_the_operation() {
        let t = row(SUCCESS, 1_000, 300, 200, 100);
        let v = serde_json::to_value(t.view()).unwrap();
        assert_eq!(v["walletTransactionId"], "t1");
        assert_eq!(v["amount"], 1_000);
        assert_eq!(v["capturedAmount"], 300);
        assert_eq!(v["cancelledAmount"], 200);
        assert_eq!(v["refundedAmount"], 100);
        let op = serde_json::to_value(t.operation_view(Operation::Refund, 50)).unwrap();
        assert_eq!(op["operation"], "refund");
        assert_eq!(op["amount"], 50);
    }
}
