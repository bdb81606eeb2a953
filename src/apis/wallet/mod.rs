//! The Plexy Pay API's Wallet (`WALLET_API.md`): authorize a hold in integer minor units,
//! then capture, cancel or refund parts of it. Built on the same engine as the Gate.

pub mod contract;
pub mod invariants;
pub mod load;
pub mod sandbox;
pub mod schemas;
pub mod wire;

use std::path::Path;

use crate::engine::client::Identity;
use crate::engine::exit::GateError;
use crate::engine::schema::openapi::OpenApi;
use crate::engine::target::{KeyFlag, TargetError, TargetProfile};

/// The Wallet as a target: the merchant's key alone names the caller (no identity in the
/// path); there is no health endpoint, so any HTTP answer to the list path, sent without
/// a key, means reachable (§1).
#[derive(Debug, Clone, Copy)]
pub struct WalletProfile;

/// The Wallet's target profile, handed to `TargetArgs::resolve`.
pub static WALLET: WalletProfile = WalletProfile;

impl TargetProfile for WalletProfile {
    fn identity(&self, _value: Option<&str>) -> Result<Identity, TargetError> {
        Ok(Identity::new())
    }

    fn health_path(&self) -> &'static str {
        wire::LIST_PATH
    }

    fn key_flag(&self) -> KeyFlag {
        KeyFlag::MerchantApiKey
    }
}

/// The Wallet's OpenAPI document: `DIR/openapi.json` with `--schemas DIR`, else the
/// embedded one.
pub fn openapi(dir: Option<&Path>) -> Result<std::sync::Arc<OpenApi>, GateError> {
    Ok(std::sync::Arc::new(OpenApi::load(&schemas::BUNDLE, dir)?))
}

/// The spend guard Wallet authorizations pass: the run's own (real money, capped by
/// `--max-spend`, refused without `--allow-spend` outside loopback), except on the
/// embedded sandbox, whose money is not real and is not capped. Decided by what the
/// harness started, never by the address: a real target tunnelled to 127.0.0.1 is capped.
pub fn authorization_guard(
    resolved: &crate::engine::target::ResolvedTarget,
) -> crate::engine::spend::SpendGuard {
    if resolved.embedded.is_some() {
        crate::engine::spend::SpendGuard::new(true, crate::engine::spend::Minor(i64::MAX))
    } else {
        resolved.spend.clone()
    }
}
