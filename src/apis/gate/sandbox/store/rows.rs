//! The Gate's rows as stored, the §5.3/§6/§7 objects they render as, what a create asks
//! for and does, and the list filters.

use serde::Serialize;

use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{Order, OrderStatus};
use crate::engine::sandbox::clock::rfc3339;
use crate::engine::sandbox::store::KeyUse;

/// The default agent and the admin token (§9.3).
#[derive(Debug, Clone)]
pub struct Identity {
    pub agent_id: String,
    pub api_key: String,
    pub admin_token: String,
}

/// An order as stored.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub agent_id: String,
    pub product_id: u64,
    pub product_kind: String,
    pub quantity: u32,
    pub external_ref: Option<String>,
    pub idempotency_key: Option<String>,
    pub status: String,
    pub order_content: String,
    pub currency: String,
    pub charged_minor: i64,
    pub before_minor: i64,
    pub after_minor: i64,
    pub is_test: bool,
    pub moves_money: bool,
    pub region_code: String,
    pub created_us: i64,
    pub completed_us: Option<i64>,
    pub failed_us: Option<i64>,
    pub due_ms: i64,
    pub outcome: Outcome,
}

impl OrderRow {
    /// The §5.3 Order.
    pub fn view(&self) -> Order {
        Order {
            id: self.id.clone(),
            product_id: self.product_id,
            quantity: self.quantity,
            external_ref: self.external_ref.clone(),
            idempotency_key: self.idempotency_key.clone(),
            status: self.order_status(),
            order_content: serde_json::from_str(&self.order_content).unwrap_or_default(),
            currency_code: self.currency.clone(),
            charged_amount: Amount::from_minor(self.charged_minor),
            balance_before: Amount::from_minor(self.before_minor),
            balance_after: Amount::from_minor(self.after_minor),
            is_test: self.is_test,
            region_code: self.region_code.clone(),
            created_at: rfc3339(self.created_us),
            completed_at: self.completed_us.map(rfc3339),
            failed_at: self.failed_us.map(rfc3339),
        }
    }

    /// The stored status (`pending`, `completed` or `failed`).
    pub fn order_status(&self) -> OrderStatus {
        match self.status.as_str() {
            "completed" => OrderStatus::Completed,
            "failed" => OrderStatus::Failed,
            _ => OrderStatus::Pending,
        }
    }

    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }
}

/// Where a pending order is headed when its time comes (§9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    Fail,
}

impl Outcome {
    /// The stored text (`outcome` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Fail => "fail",
        }
    }

    /// The stored text back; anything but `fail` completes.
    pub fn parse(stored: &str) -> Outcome {
        if stored == "fail" {
            Outcome::Fail
        } else {
            Outcome::Complete
        }
    }
}

/// A deposit as stored; serializes as the §7 AgentDeposit.
#[derive(Debug, Clone, Serialize)]
pub struct DepositView {
    pub id: String,
    pub currency_code: String,
    pub amount: Amount,
    pub amount_minor: i64,
    pub status: String,
    pub reference: Option<String>,
    pub created_at: String,
    pub posted_at: Option<String>,
    #[serde(skip)]
    pub created_us: i64,
}

/// An order to create, fully validated and priced.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub agent_id: String,
    pub product_id: u64,
    pub product_kind: String,
    pub quantity: u32,
    pub external_ref: Option<String>,
    pub currency: String,
    pub charged_minor: i64,
    pub is_test: bool,
    /// Whether the order reserves money (false for test orders).
    pub moves_money: bool,
    pub region_code: String,
    pub due_ms: i64,
    pub outcome: Outcome,
    pub idempotency: Option<KeyUse>,
    /// False only under the `overdraw-race` mutant (the check was done earlier, apart).
    pub check_balance: bool,
    /// False only under the `idempotency-race` mutant (the lookup was done earlier, apart).
    pub lookup_key: bool,
}

/// An Idempotency-Key and the fingerprint of the payload it came with.
/// What `create_order` did.
#[derive(Debug)]
pub enum Created {
    New(OrderRow),
    Replayed(OrderRow),
}

/// A durable key binding.
#[derive(Debug, Clone)]
pub struct Binding {
    pub payload_hash: String,
    pub order_id: Option<String>,
}

/// Why a forced transition did not happen.
#[derive(Debug)]
pub enum TransitionError {
    NotFound,
    Terminal,
    Store(rusqlite::Error),
}

impl From<rusqlite::Error> for TransitionError {
    fn from(e: rusqlite::Error) -> Self {
        TransitionError::Store(e)
    }
}

/// Filters of `GET /orders`.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub external_ref: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

/// Filters of `GET /deposits`.
#[derive(Debug, Clone, Default)]
pub struct DepositFilter {
    pub status: Option<String>,
    pub currency: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_round_trips_through_its_stored_text() {
        for o in [Outcome::Complete, Outcome::Fail] {
            assert_eq!(Outcome::parse(o.as_str()), o);
        }
    }

    #[test]
    fn a_row_renders_as_the_order_object() {
        let row = OrderRow {
            id: "o1".into(),
            agent_id: "a1".into(),
            product_id: 7,
            product_kind: "voucher".into(),
            quantity: 2,
            external_ref: Some("r".into()),
            idempotency_key: None,
            status: "completed".into(),
            order_content: r#"{"voucher_code":"AB"}"#.into(),
            currency: "USD".into(),
            charged_minor: 1_050,
            before_minor: 2_000,
            after_minor: 950,
            is_test: false,
            moves_money: true,
            region_code: "GLOBAL".into(),
            created_us: 1_000_000,
            completed_us: Some(2_000_000),
            failed_us: None,
            due_ms: 0,
            outcome: Outcome::Complete,
        };
        let v = serde_json::to_value(row.view()).unwrap();
        assert_eq!(v["charged_amount"], "10.50");
        assert_eq!(v["balance_before"], "20.00");
        assert_eq!(v["balance_after"], "9.50");
        assert_eq!(v["order_content"]["voucher_code"], "AB");
        assert_eq!(v["currency_code"], "USD");
        assert!(v["completed_at"].is_string());
        assert!(v["failed_at"].is_null());
        assert!(!row.is_pending());
        assert_eq!(v["status"], "completed");
        for (stored, status) in [
            ("pending", OrderStatus::Pending),
            ("completed", OrderStatus::Completed),
            ("failed", OrderStatus::Failed),
        ] {
            let r = OrderRow {
                status: stored.into(),
                ..row.clone()
            };
            assert_eq!(r.order_status(), status);
            assert_eq!(r.is_pending(), stored == "pending");
        }
    }
}
