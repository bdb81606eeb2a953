//! The APIs gatecheck certifies, one folder each. Each builds on `crate::engine`; the
//! engine never imports them.

pub mod gate;
pub mod wallet;
