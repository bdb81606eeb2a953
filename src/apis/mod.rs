//! The APIs gatecheck certifies, one folder each. Each builds on `crate::engine`; the
//! engine never imports them.

pub mod gate;
pub mod wallet;

/// Which API a command certifies: `--api gate|wallet`, `api = "wallet"` in `gatecheck.toml`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    clap::ValueEnum,
    serde::Deserialize,
    serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ApiName {
    /// The Gate API (`GATE_API.md`): agents buy vouchers and top-ups.
    #[default]
    Gate,
    /// The Pay API's Wallet (`WALLET_API.md`): authorize, capture, cancel, refund.
    Wallet,
}

impl ApiName {
    /// Every API gatecheck knows, in report order.
    pub const ALL: [ApiName; 2] = [ApiName::Gate, ApiName::Wallet];

    /// `gate` / `wallet`: the CLI value, the report's section name, the schema folder.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiName::Gate => "gate",
            ApiName::Wallet => "wallet",
        }
    }
}
