//! The state every request handler shares.

use std::time::Duration;

use crate::apis::gate::sandbox::catalog::Catalog;
use crate::apis::gate::sandbox::lifecycle::Schedule;
use crate::apis::gate::sandbox::mutants::Mutant;
use crate::apis::gate::sandbox::store::Store;
use crate::engine::sandbox::auth::{KeyRing, RateLimiter};
use crate::engine::sandbox::faults::FaultInjector;
use crate::engine::sandbox::idempotency::InFlight;
use crate::engine::sandbox::pagination::Cursors;

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
