//! The state every request handler shares.

use std::time::Duration;

use super::auth::{KeyRing, RateLimiter};
use super::catalog::Catalog;
use super::faults::FaultInjector;
use super::idempotency::InFlight;
use super::lifecycle::Schedule;
use super::mutants::Mutant;
use super::pagination::Cursors;
use super::store::Store;

pub struct App {
    pub catalog: Catalog,
    pub store: Store,
    pub keys: KeyRing,
    pub admin_token: String,
    pub in_flight: InFlight,
    pub limiter: Option<RateLimiter>,
    pub faults: FaultInjector,
    pub cursors: Cursors,
    pub schedule: Schedule,
    pub complete_after: Duration,
    pub slow_after: Duration,
    pub mutant: Option<Mutant>,
}

impl App {
    /// True when the given semantic mutant is active (see `mutants.rs`).
    pub fn mutant_is(&self, m: Mutant) -> bool {
        self.mutant == Some(m)
    }
}
