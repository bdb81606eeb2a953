//! The APIs gatecheck certifies, one folder each. Each builds on `crate::engine`; the
//! engine never imports them.

pub mod gate;
pub mod schemas_command;
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

/// The `--api` flag, flattened into every command that certifies one API.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct ApiArg {
    /// Which API the target serves: the Gate or the Pay API's Wallet.
    #[arg(long, value_enum, default_value_t = ApiName::Gate)]
    pub api: ApiName,
}

/// `gatecheck contract [--api gate|wallet] …`.
#[derive(Debug, Clone, clap::Args)]
pub struct ContractCommand {
    #[command(flatten)]
    pub api: ApiArg,
    #[command(flatten)]
    pub args: crate::engine::contract::cli::ContractArgs,
}

impl ContractCommand {
    /// Runs the chosen API's suite, printing to stdout.
    pub async fn run(self) -> Result<crate::Exit, crate::GateError> {
        match self.api.api {
            ApiName::Gate => gate::contract::cli::run(self.args).await,
            ApiName::Wallet => {
                let launcher = crate::sandbox::Launcher {
                    config: crate::sandbox::SandboxConfig::default(),
                    api: ApiName::Wallet,
                };
                wallet::contract::cli::run(self.args, &launcher).await
            }
        }
    }
}

/// `gatecheck invariants [--api gate|wallet]`.
#[derive(Debug, Clone, clap::Args)]
pub struct InvariantsCommand {
    #[command(flatten)]
    pub api: ApiArg,
    #[command(flatten)]
    pub args: crate::engine::invariants::cli::InvariantsArgs,
}

impl InvariantsCommand {
    /// Runs the chosen API's probes, printing to stdout.
    pub async fn run(self) -> Result<crate::Exit, crate::GateError> {
        match self.api.api {
            ApiName::Gate => gate::invariants::cli::run(self.args).await,
            ApiName::Wallet => {
                let launcher = crate::sandbox::Launcher {
                    config: crate::sandbox::SandboxConfig::default(),
                    api: ApiName::Wallet,
                };
                wallet::invariants::cli::run(self.args, &launcher).await
            }
        }
    }
}

/// `gatecheck load [--api gate|wallet] …`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadCommand {
    #[command(flatten)]
    pub api: ApiArg,
    #[command(flatten)]
    pub args: crate::engine::load::plan::LoadArgs,
}

impl LoadCommand {
    /// Runs the chosen API's load scenario, printing to stdout.
    pub async fn run(self) -> Result<crate::Exit, crate::GateError> {
        match self.api.api {
            ApiName::Gate => gate::load::cli::run(self.args).await,
            ApiName::Wallet => {
                let launcher = crate::sandbox::Launcher {
                    config: crate::sandbox::SandboxConfig::default(),
                    api: ApiName::Wallet,
                };
                wallet::load::cli::run(self.args, &launcher).await
            }
        }
    }
}
