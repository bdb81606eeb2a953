//! The names of the schemas gatecheck validates against, and the file each one lives in.

use std::fmt;

/// One object of the Gate API contract that has a schema file in `schemas/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaName {
    Order,
    Product,
    ProductType,
    ProductCategory,
    AgentBalance,
    AgentDeposit,
    TopupRequest,
    CreateOrderRequest,
    Error,
    DecimalAmount,
    /// The list envelope `{"items": [...], "next_cursor": ...}` (§1 Lists).
    List,
    Health,
}

impl SchemaName {
    /// Every schema name, in a fixed order.
    pub const ALL: [SchemaName; 12] = [
        SchemaName::Order,
        SchemaName::Product,
        SchemaName::ProductType,
        SchemaName::ProductCategory,
        SchemaName::AgentBalance,
        SchemaName::AgentDeposit,
        SchemaName::TopupRequest,
        SchemaName::CreateOrderRequest,
        SchemaName::Error,
        SchemaName::DecimalAmount,
        SchemaName::List,
        SchemaName::Health,
    ];

    /// The file of this schema inside a schema directory.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaName::Order => "order.json",
            SchemaName::Product => "product.json",
            SchemaName::ProductType => "product-type.json",
            SchemaName::ProductCategory => "product-category.json",
            SchemaName::AgentBalance => "agent-balance.json",
            SchemaName::AgentDeposit => "agent-deposit.json",
            SchemaName::TopupRequest => "topup-request.json",
            SchemaName::CreateOrderRequest => "create-order-request.json",
            SchemaName::Error => "error.json",
            SchemaName::DecimalAmount => "decimal-amount.json",
            SchemaName::List => "list.json",
            SchemaName::Health => "health.json",
        }
    }

    /// The contract's name for the object (`"AgentDeposit"`), as used in reports.
    pub fn title(self) -> &'static str {
        match self {
            SchemaName::Order => "Order",
            SchemaName::Product => "Product",
            SchemaName::ProductType => "ProductType",
            SchemaName::ProductCategory => "ProductCategory",
            SchemaName::AgentBalance => "AgentBalance",
            SchemaName::AgentDeposit => "AgentDeposit",
            SchemaName::TopupRequest => "TopupRequest",
            SchemaName::CreateOrderRequest => "CreateOrderRequest",
            SchemaName::Error => "Error",
            SchemaName::DecimalAmount => "DecimalAmount",
            SchemaName::List => "List",
            SchemaName::Health => "Health",
        }
    }
}

impl std::str::FromStr for SchemaName {
    type Err = String;

    /// Accepts the contract's name (`AgentDeposit`) or the file stem (`agent-deposit`),
    /// in any case, with `-` or `_`.
    fn from_str(s: &str) -> Result<SchemaName, String> {
        let wanted = s
            .trim_end_matches(".json")
            .replace(['-', '_'], "")
            .to_ascii_lowercase();
        SchemaName::ALL
            .into_iter()
            .find(|name| name.title().to_ascii_lowercase() == wanted)
            .ok_or_else(|| {
                let known: Vec<&str> = SchemaName::ALL.iter().map(|n| n.title()).collect();
                format!("unknown schema {s:?}; one of: {}", known.join(", "))
            })
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// Files a schema directory holds besides the named schemas: shared `$defs` they reference.
pub const SUPPORT_FILES: [&str; 1] = ["common.json"];

/// Every file a schema directory must hold: the named schemas, then the support files.
pub fn all_file_names() -> impl Iterator<Item = &'static str> {
    SchemaName::ALL
        .iter()
        .map(|name| name.file_name())
        .chain(SUPPORT_FILES)
}
