//! How much an invariants run does: the options every API's probes share.

use std::path::PathBuf;
use std::time::Duration;

/// Cases of a run when `--cases` is not given (the Gate's default run stays well under
/// 15 s locally).
pub const DEFAULT_CASES: u32 = 256;

/// How much the probes do.
#[derive(Debug, Clone)]
pub struct InvariantOptions {
    /// Generated cases of the stateful probe.
    pub cases: u32,
    /// Run seed; random when `None` (printed either way).
    pub seed: Option<u64>,
    /// Longest generated operation sequence.
    pub max_ops: usize,
    /// Cases run at once (isolated callers only).
    pub parallel_cases: usize,
    /// Rounds of each concurrency probe.
    pub concurrency_rounds: u32,
    /// Requests in flight at once in a concurrency probe.
    pub concurrency_width: usize,
    pub max_shrink_iters: u32,
    pub shrink_time: Duration,
    /// How long to wait for an order or transaction to end on its own.
    pub settle_timeout: Duration,
    pub poll_interval: Duration,
    /// Seeds of failing cases: retried first, appended on failure. `None`: not kept.
    pub regressions: Option<PathBuf>,
    pub stateful: bool,
    pub concurrency: bool,
}

impl Default for InvariantOptions {
    fn default() -> Self {
        InvariantOptions {
            cases: DEFAULT_CASES,
            seed: None,
            max_ops: 12,
            parallel_cases: 8,
            concurrency_rounds: 4,
            concurrency_width: 12,
            max_shrink_iters: 256,
            shrink_time: Duration::from_secs(10),
            settle_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(20),
            regressions: None,
            stateful: true,
            concurrency: true,
        }
    }
}
