//! Shared helpers for the load tests: target flags that make gatecheck start its embedded
//! sandbox (in-process, 127.0.0.1:0).
#![allow(dead_code)]

use std::time::Duration;

use gatecheck::model::Amount;
use gatecheck::target::TargetArgs;

/// No `--base-url`: the embedded sandbox is the target.
pub fn embedded_sandbox() -> TargetArgs {
    TargetArgs {
        base_url: None,
        agent_id: None,
        api_key: None,
        admin_token: None,
        timeout: Duration::from_secs(10),
        allow_spend: false,
        max_spend: Amount::from_minor(10_000),
    }
}
