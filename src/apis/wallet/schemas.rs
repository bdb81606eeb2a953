//! The names of the Wallet's schemas and the file each one lives in (`schemas/wallet/`),
//! embedded as one [`SchemaBundle`] with the OpenAPI document of the Wallet operations.

use std::fmt;

use crate::engine::schema::{SchemaBundle, SchemaKey};

/// One object of the Wallet contract that has a schema file in `schemas/wallet/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    pub const ALL: [WalletSchema; 6] = [
        WalletSchema::WalletTransaction,
        WalletSchema::WalletOperation,
        WalletSchema::AuthorizeRequest,
        WalletSchema::OperationRequest,
        WalletSchema::List,
        WalletSchema::Error,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            WalletSchema::WalletTransaction => "wallet-transaction.json",
            WalletSchema::WalletOperation => "wallet-operation.json",
            WalletSchema::AuthorizeRequest => "authorize-request.json",
            WalletSchema::OperationRequest => "operation-request.json",
            WalletSchema::List => "list.json",
            WalletSchema::Error => "error.json",
        }
    }
}

impl fmt::Display for WalletSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name().trim_end_matches(".json"))
    }
}

impl std::str::FromStr for WalletSchema {
    type Err = String;

    /// Accepts the contract's name (`WalletTransaction`) or the file stem
    /// (`wallet-transaction`), in any case, with `-` or `_`.
    fn from_str(s: &str) -> Result<WalletSchema, String> {
        let squash = |t: &str| {
            t.trim_end_matches(".json")
                .replace(['-', '_'], "")
                .to_ascii_lowercase()
        };
        let wanted = squash(s);
        WalletSchema::ALL
            .into_iter()
            .find(|name| squash(name.file_name()) == wanted)
            .ok_or_else(|| {
                let known: Vec<String> = WalletSchema::ALL.iter().map(|n| n.to_string()).collect();
                format!("unknown Wallet schema {s:?}; one of: {}", known.join(", "))
            })
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
pub const EMBEDDED_FILES: [(&str, &str); 7] = [
    (
        "wallet-transaction.json",
        include_str!("../../../schemas/wallet/wallet-transaction.json"),
    ),
    (
        "wallet-operation.json",
        include_str!("../../../schemas/wallet/wallet-operation.json"),
    ),
    (
        "authorize-request.json",
        include_str!("../../../schemas/wallet/authorize-request.json"),
    ),
    (
        "operation-request.json",
        include_str!("../../../schemas/wallet/operation-request.json"),
    ),
    (
        "list.json",
        include_str!("../../../schemas/wallet/list.json"),
    ),
    (
        "error.json",
        include_str!("../../../schemas/wallet/error.json"),
    ),
    (
        "common.json",
        include_str!("../../../schemas/wallet/common.json"),
    ),
];

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
