//! The names of the schemas gatecheck validates against, and the file each one lives in.

use std::fmt;

use strum::{IntoStaticStr, VariantArray};

use crate::engine::names::UnknownName;
use crate::engine::schema::{SchemaBundle, SchemaKey};

/// One object of the Gate API contract that has a schema file in `schemas/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, VariantArray, IntoStaticStr)]
#[strum(serialize_all = "kebab-case", suffix = ".json")]
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
    pub const ALL: &'static [SchemaName] = SchemaName::VARIANTS;

    /// The file of this schema inside a schema directory (`product-type.json`).
    pub fn file_name(self) -> &'static str {
        self.into()
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
    type Err = UnknownName;

    /// Accepts the contract's name (`AgentDeposit`) or the file stem (`agent-deposit`),
    /// in any case, with `-` or `_`.
    fn from_str(s: &str) -> Result<SchemaName, UnknownName> {
        let wanted = s
            .trim_end_matches(".json")
            .replace(['-', '_'], "")
            .to_ascii_lowercase();
        SchemaName::ALL
            .iter()
            .copied()
            .find(|name| name.title().to_ascii_lowercase() == wanted)
            .ok_or_else(|| UnknownName::new("schema", s, SchemaName::ALL.iter().map(|n| n.title())))
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

/// The schema files compiled into the binary, by file name (`schemas/gate/` at build time).
pub const EMBEDDED_FILES: [(&str, &str); 13] = crate::embedded_files!(
    "gate":
    "order.json",
    "product.json",
    "product-type.json",
    "product-category.json",
    "agent-balance.json",
    "agent-deposit.json",
    "topup-request.json",
    "create-order-request.json",
    "error.json",
    "decimal-amount.json",
    "list.json",
    "health.json",
    "common.json",
);

/// The OpenAPI 3.1 document of the Gate API, embedded like the schemas it references.
pub const EMBEDDED_OPENAPI: &str = include_str!("../../../schemas/gate/openapi.json");

/// The Gate API's schema files and OpenAPI document, as the engine's schema layer takes them.
pub static BUNDLE: SchemaBundle = SchemaBundle {
    api: "gate",
    files: &EMBEDDED_FILES,
    support: &SUPPORT_FILES,
    openapi: EMBEDDED_OPENAPI,
    list: "list.json",
};

impl SchemaKey for SchemaName {
    fn file_name(self) -> &'static str {
        SchemaName::file_name(self)
    }
}
