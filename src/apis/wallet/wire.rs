//! Typed Wallet objects for *using* responses (the harness side): WalletTransaction,
//! WalletOperation, statuses and minor units (`WALLET_API.md` §1, §4, §5). Conformance is
//! judged on the raw JSON by the schemas and checks, never by whether these parse: parsing
//! is lenient about extra fields and strict about the types the contract names — every
//! amount an integer (`u64`), never a float.

use serde::{Deserialize, Serialize};

/// The Wallet's path prefix (§1).
pub const PREFIX: &str = "/v1/wallet";

/// `walletTransactionStatus` (§4).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::Display,
)]
#[serde(rename_all = "UPPERCASE")]
#[strum(serialize_all = "UPPERCASE")]
pub enum WalletStatus {
    New,
    Processing,
    Success,
    Failed,
}

impl WalletStatus {
    pub const ALL: &'static [WalletStatus] = <WalletStatus as strum::VariantArray>::VARIANTS;

    /// `NEW` / `PROCESSING` / `SUCCESS` / `FAILED` (the wire value).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<WalletStatus> {
        crate::engine::names::by_name(s)
    }

    /// `SUCCESS` and `FAILED` never change again (§4).
    pub fn is_final(self) -> bool {
        matches!(self, WalletStatus::Success | WalletStatus::Failed)
    }

    /// Whether §4 allows a move from `self` to `to` (staying put is always allowed).
    pub fn may_become(self, to: WalletStatus) -> bool {
        use WalletStatus::*;
        self == to
            || matches!(
                (self, to),
                (New, Processing) | (New | Processing, Success | Failed)
            )
    }
}

/// Which operation a WalletOperation reports (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationKind {
    Capture,
    Cancel,
    Refund,
}

impl OperationKind {
    pub const ALL: [OperationKind; 3] = [
        OperationKind::Capture,
        OperationKind::Cancel,
        OperationKind::Refund,
    ];

    /// `capture` / `cancel` / `refund`: the path's last segment and the `operation` value.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Capture => "capture",
            OperationKind::Cancel => "cancel",
            OperationKind::Refund => "refund",
        }
    }

    /// `/v1/wallet/{id}/{operation}`.
    pub fn path(self, id: &str) -> String {
        format!("{PREFIX}/{id}/{}", self.as_str())
    }
}

/// §4 WalletTransaction. Amounts are minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletTransaction {
    pub wallet_transaction_id: String,
    pub wallet_transaction_status: WalletStatus,
    pub order_reference: String,
    pub amount: u64,
    pub currency: String,
    pub authorized_amount: u64,
    pub captured_amount: u64,
    pub cancelled_amount: u64,
    pub refunded_amount: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl WalletTransaction {
    /// `authorizedAmount − capturedAmount − cancelledAmount` (§5), `None` when the totals
    /// already break conservation.
    pub fn remaining(&self) -> Option<u64> {
        self.authorized_amount
            .checked_sub(self.captured_amount)?
            .checked_sub(self.cancelled_amount)
    }

    /// What a refund may still take: `capturedAmount − refundedAmount`.
    pub fn refundable(&self) -> Option<u64> {
        self.captured_amount.checked_sub(self.refunded_amount)
    }

    /// §4 conservation: captured + cancelled ≤ authorized, refunded ≤ captured, and all
    /// three zero unless `SUCCESS`.
    pub fn conserves(&self) -> bool {
        let sums = self
            .captured_amount
            .checked_add(self.cancelled_amount)
            .is_some_and(|s| s <= self.authorized_amount)
            && self.refunded_amount <= self.captured_amount;
        let zero_unless_success = self.wallet_transaction_status == WalletStatus::Success
            || (self.captured_amount == 0
                && self.cancelled_amount == 0
                && self.refunded_amount == 0);
        sums && zero_unless_success
    }

    /// `/v1/wallet/transaction/{id}`.
    pub fn path(&self) -> String {
        transaction_path(&self.wallet_transaction_id)
    }
}

/// `GET /v1/wallet/transaction/{id}`.
pub fn transaction_path(id: &str) -> String {
    format!("{PREFIX}/transaction/{id}")
}

/// `GET /v1/wallet/transactions/` (the canonical list path, with its slash).
pub const LIST_PATH: &str = "/v1/wallet/transactions/";

/// `POST /v1/wallet/authorize`.
pub const AUTHORIZE_PATH: &str = "/v1/wallet/authorize";

/// §5 WalletOperation: what one capture, cancel or refund processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletOperation {
    pub wallet_transaction_id: String,
    pub wallet_transaction_status: WalletStatus,
    pub order_reference: String,
    pub amount: u64,
    pub currency: String,
    pub operation: OperationKind,
}

/// The body of `POST /v1/wallet/authorize` (§5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeRequest {
    pub amount: u64,
    pub phone_number: String,
    pub iin: String,
    pub order_reference: String,
    pub currency: String,
}

/// The body of capture, cancel and refund (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountRequest {
    pub amount: u64,
}

/// The Wallet list envelope (§1 Lists): camelCase `nextCursor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The 1–1,000,000,000,000 bounds of a requested `amount` (§1 Money).
pub const MAX_AMOUNT: u64 = 1_000_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_examples() {
        let t: WalletTransaction = serde_json::from_str(
            r#"{"walletTransactionId": "wt_01KHTPHWP8H8Q2X9K0R1ABCD12", "walletTransactionStatus": "SUCCESS",
 "orderReference": "ORDER-100045", "amount": 15000, "currency": "KZT",
 "authorizedAmount": 15000, "capturedAmount": 10000, "cancelledAmount": 5000,
 "refundedAmount": 2000, "createdAt": "2026-02-19T10:18:58.120Z", "updatedAt": "2026-02-19T10:19:40.517Z", "extra": 1}"#,
        )
        .unwrap();
        assert_eq!(t.remaining(), Some(0));
        assert_eq!(t.refundable(), Some(8000));
        assert!(t.conserves());
        let op: WalletOperation = serde_json::from_str(
            r#"{"walletTransactionId": "wt_01KHTPHWP8H8Q2X9K0R1ABCD12", "walletTransactionStatus": "SUCCESS",
 "orderReference": "ORDER-100045", "amount": 5000, "currency": "KZT", "operation": "refund"}"#,
        )
        .unwrap();
        assert_eq!(op.operation, OperationKind::Refund);
        // A fractional amount is not a minor-unit integer.
        assert!(serde_json::from_str::<AmountRequest>(r#"{"amount": 150.5}"#).is_err());
        assert!(WalletStatus::New.may_become(WalletStatus::Processing));
        assert!(!WalletStatus::Success.may_become(WalletStatus::Failed));
        assert!(!WalletStatus::Processing.may_become(WalletStatus::New));
    }
}
