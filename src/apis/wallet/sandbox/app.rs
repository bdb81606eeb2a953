//! The state every Wallet request handler shares.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use parking_lot::RwLock;

use crate::apis::wallet::sandbox::mutants::WalletMutant;
use crate::engine::sandbox::auth::{KeyRing, RateLimiter};
use crate::engine::sandbox::faults::FaultInjector;
use crate::engine::sandbox::idempotency::InFlight;
use crate::engine::sandbox::pagination::Cursors;
use crate::engine::sandbox::schedule::Schedule;
use crate::engine::sandbox::store::Store;

pub struct App {
    pub store: Store,
    /// Active merchant keys → merchant id.
    pub keys: KeyRing,
    /// Every merchant key ever issued, revoked ones included (to route `DELETE
    /// /_sandbox/keys/{key}` to the Wallet).
    pub known_keys: RwLock<HashSet<String>>,
    /// Merchant id → the currencies it accepts.
    pub merchants: RwLock<HashMap<String, Vec<String>>>,
    pub admin_token: String,
    pub in_flight: InFlight,
    pub limiter: Option<RateLimiter>,
    pub faults: FaultInjector,
    pub cursors: Cursors,
    pub schedule: Schedule,
    pub complete_after: Duration,
    pub slow_after: Duration,
    pub mutant: Option<WalletMutant>,
    /// The default merchant's key (contract mutants act as it).
    pub default_key: String,
    /// Keys added to a merchant that had one (the `SecondKeyRefused` mutant).
    pub second_keys: RwLock<HashSet<String>>,
}

impl App {
    /// True when the given semantic mutant is active (see `mutants.rs`).
    pub fn mutant_is(&self, m: WalletMutant) -> bool {
        self.mutant == Some(m)
    }

    /// Activates a merchant key.
    pub fn add_key(&self, key: String, merchant_id: String) {
        self.known_keys.write().insert(key.clone());
        self.keys.add(key, merchant_id);
    }
}
