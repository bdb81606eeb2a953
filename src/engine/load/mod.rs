//! The load engine: open-model pacing, the latency recorder, HdrHistogram logs and their
//! exact merge, thresholds and the run summary. Knows no API.

pub mod attack;
pub mod goose;
pub mod histlog;
pub mod pacing;
pub mod recorder;
pub mod scenario;
pub mod summary;
pub mod thresholds;

pub use thresholds::Threshold;
