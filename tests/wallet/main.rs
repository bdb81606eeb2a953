//! Wallet API tests: the sandbox's Wallet half (WALLET_API.md), its mutants, the Wallet
//! schemas and OpenAPI document, and the Wallet invariants. One binary beside `tests/gate/`.

mod common;
mod contract;
mod contract_alternatives;
mod contract_rate_limit;
#[allow(dead_code)] // the Gate's hostile server; the Wallet uses its proxy half
#[path = "../gate/hostile.rs"]
mod hostile;
mod invariants_admin;
mod invariants_alternatives;
mod invariants_mutants;
mod invariants_spend;
mod load;
mod rate_limited;
mod sandbox_wallet_concurrency;
mod sandbox_wallet_crash;
mod sandbox_wallet_flow;
mod sandbox_wallet_mutants;
mod sandbox_wallet_rules;
mod schema_command;
mod schema_wallet;
#[path = "../support/mod.rs"]
mod support;
