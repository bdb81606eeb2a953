//! Typed views of the Gate API's objects (contract §4–§7), for the harness to *use*
//! responses (discover products, follow balances). Conformance is judged on the raw JSON
//! by the schemas and checks, never by whether these structs parse: parsing is lenient
//! about extra fields and strict about the types the contract names.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apis::gate::money::{Amount, Rate};

/// The list envelope of §1 Lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// §4 ProductType.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductType {
    pub id: u64,
    pub code: String,
    pub name: String,
}

/// §4 ProductCategory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCategory {
    pub id: u64,
    pub name: String,
    pub parent_id: Option<u64>,
}

/// One entry of a direct top-up's `customer_account_fields`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerAccountField {
    pub name: String,
    pub required: bool,
    pub pattern: Option<String>,
}

/// `voucher` or `direct_top_up` (other codes may appear later).
pub const VOUCHER: &str = "voucher";
pub const DIRECT_TOP_UP: &str = "direct_top_up";

/// §4 Product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: u64,
    pub name: String,
    #[serde(rename = "type")]
    pub product_type: String,
    pub category_id: u64,
    pub currency_code: String,
    pub region_code: String,
    pub is_available: bool,
    pub price: Option<Amount>,
    pub agent_price: Option<Amount>,
    pub agent_rate: Option<Rate>,
    pub min_amount: Option<Amount>,
    pub max_amount: Option<Amount>,
    pub customer_account_fields: Vec<CustomerAccountField>,
    pub updated_at: String,
}

impl Product {
    pub fn is_voucher(&self) -> bool {
        self.product_type == VOUCHER
    }

    pub fn is_direct_top_up(&self) -> bool {
        self.product_type == DIRECT_TOP_UP
    }
}

/// `pending`, `completed` or `failed` (§5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Completed,
    Failed,
}

impl OrderStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(self, OrderStatus::Pending)
    }
}

/// §5.3 Order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub product_id: u64,
    pub quantity: u32,
    pub external_ref: Option<String>,
    pub idempotency_key: Option<String>,
    pub status: OrderStatus,
    pub order_content: serde_json::Map<String, Value>,
    pub currency_code: String,
    pub charged_amount: Amount,
    pub balance_before: Amount,
    pub balance_after: Amount,
    pub is_test: bool,
    pub region_code: String,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub failed_at: Option<String>,
}

/// §6 AgentBalance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentBalance {
    pub currency_code: String,
    pub available: Amount,
    pub reserved: Amount,
    pub available_minor: i64,
    pub reserved_minor: i64,
    pub updated_at: String,
}

/// `pending`, `completed` or `rejected` (§7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepositStatus {
    Pending,
    Completed,
    Rejected,
}

/// §7 AgentDeposit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentDeposit {
    pub id: String,
    pub currency_code: String,
    pub amount: Amount,
    pub amount_minor: i64,
    pub status: DepositStatus,
    pub reference: Option<String>,
    pub created_at: String,
    pub posted_at: Option<String>,
}
