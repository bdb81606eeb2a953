//! What a sandbox is started with: address, store, identity, lifecycle timing, rate limit,
//! fault injection and (for tests only) a mutant.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::apis::gate::sandbox::mutants::Mutant;
pub use crate::engine::sandbox::faults::{Faults, LatencyFault, Stall};

/// Everything [`crate::apis::gate::sandbox::start`] needs. `Default` = `127.0.0.1:0`, in-memory store,
/// completion after 100 ms, `sandbox-slow` orders after 5 s, random identity, no limits,
/// no faults, no mutant.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub addr: SocketAddr,
    /// `None`: an in-memory store; a path: a SQLite file that survives restarts.
    pub db: Option<PathBuf>,
    /// The default agent's id (a UUID); random when absent.
    pub agent_id: Option<String>,
    /// The default agent's API key; random when absent.
    pub api_key: Option<String>,
    /// The admin token of §9.2; random when absent.
    pub admin_token: Option<String>,
    /// Delay before an ordinary order completes (or a `sandbox-fail` one fails).
    pub complete_after: Duration,
    /// Delay before a `sandbox-slow` order completes.
    pub slow_after: Duration,
    /// Requests per API key per one-second window; `None` = unlimited.
    pub rate_limit: Option<u32>,
    pub faults: Faults,
    /// A deliberate contract violation, for proving that checks can fail. Test-only.
    #[doc(hidden)]
    pub mutant: Option<Mutant>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            agent_id: None,
            api_key: None,
            admin_token: None,
            complete_after: Duration::from_millis(100),
            slow_after: Duration::from_secs(5),
            rate_limit: None,
            faults: Faults::default(),
            mutant: None,
        }
    }
}
