//! The load engine: open-model pacing, the latency recorder, HdrHistogram logs and their
//! exact merge, thresholds and the run summary; the flags and plan (`plan`), one run of
//! compiled transactions (`run`), its report (`report`) and the sampled body check
//! (`validate`). Knows no API.

pub mod attack;
pub mod capacity;
pub mod conn;
pub mod goose;
pub mod histlog;
pub mod pacing;
pub mod plan;
pub mod recorder;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod summary;
pub mod thresholds;
pub mod txn;
pub mod validate;

pub use thresholds::Threshold;
