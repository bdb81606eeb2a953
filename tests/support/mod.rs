//! Helpers every test binary shares (`tests/gate`, `tests/wallet`): included by path from
//! each binary's `main.rs`, so they are written once.
#![allow(dead_code)]

pub mod http;
pub mod invariants;
pub mod process;
