//! Shared helpers for the load tests: target flags that make gatecheck start its embedded
//! sandbox (in-process, 127.0.0.1:0).
#![allow(dead_code)]

use gatecheck::engine::target::TargetArgs;

/// No `--base-url`: the embedded sandbox is the target.
pub fn embedded_sandbox() -> TargetArgs {
    TargetArgs::default()
}
