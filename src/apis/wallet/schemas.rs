//! The names of the Wallet's schemas and the file each one lives in (`schemas/wallet/`),
//! embedded as one [`SchemaBundle`] with the OpenAPI document of the Wallet operations.

use std::fmt;

use strum::{IntoStaticStr, VariantArray};

use crate::engine::names::UnknownName;
use crate::engine::schema::{SchemaBundle, SchemaKey};

/// One object of the Wallet contract that has a schema file in `schemas/wallet/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, VariantArray, IntoStaticStr)]
#[strum(serialize_all = "kebab-case", suffix = ".json")]
pub enum WalletSchema {
    WalletTransaction,
    WalletOperation,
    AuthorizeRequest,
    OperationRequest,
    /// The list envelope `{"items": [...], "nextCursor": ...}` (§1 Lists).
    List,
    Error,
}

impl WalletSchema {
    pub const ALL: &'static [WalletSchema] = WalletSchema::VARIANTS;

    /// The file of this schema inside `schemas/wallet/` (`wallet-transaction.json`).
    pub fn file_name(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for WalletSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name().trim_end_matches(".json"))
    }
}

impl std::str::FromStr for WalletSchema {
    type Err = UnknownName;

    /// Accepts the contract's name (`WalletTransaction`) or the file stem
    /// (`wallet-transaction`), in any case, with `-` or `_`.
    fn from_str(s: &str) -> Result<WalletSchema, UnknownName> {
        let squash = |t: &str| {
            t.trim_end_matches(".json")
                .replace(['-', '_'], "")
                .to_ascii_lowercase()
        };
        let wanted = squash(s);
        WalletSchema::ALL
            .iter()
            .copied()
            .find(|name| squash(name.file_name()) == wanted)
            .ok_or_else(|| UnknownName::new("Wallet schema", s, WalletSchema::ALL))
    }
}

impl SchemaKey for WalletSchema {
    fn file_name(self) -> &'static str {
        WalletSchema::file_name(self)
    }
}

/// Files that only hold shared `$defs`.
pub const SUPPORT_FILES: [&str; 1] = ["common.json"];

/// The schema files compiled into the binary, by file name.
pub const EMBEDDED_FILES: [(&str, &str); 7] = crate::embedded_files!(
    "wallet":
    "wallet-transaction.json",
    "wallet-operation.json",
    "authorize-request.json",
    "operation-request.json",
    "list.json",
    "error.json",
    "common.json",
);

/// The OpenAPI 3.1 document of the Wallet operations.
pub const EMBEDDED_OPENAPI: &str = include_str!("../../../schemas/wallet/openapi.json");

/// The Wallet's schema files and OpenAPI document, as the engine's schema layer takes them.
pub static BUNDLE: SchemaBundle = SchemaBundle {
    api: "wallet",
    files: &EMBEDDED_FILES,
    support: &SUPPORT_FILES,
    openapi: EMBEDDED_OPENAPI,
    list: "list.json",
};
