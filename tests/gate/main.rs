//! Gate API tests: the sandbox, the schemas, contract, invariants, load, certify and the
//! README. One binary, so `cargo test` links goose, axum and SQLite once for all of them.

mod certify_run;
mod common;
mod contract_mutants;
mod contract_sandbox;
mod contract_snapshots;
mod invariants_cli;
mod invariants_modes;
mod invariants_mutants;
mod invariants_no_flake;
mod invariants_reproductions;
mod load_capacity;
mod load_checks;
mod load_co;
mod load_merge;
mod load_run;
mod load_support;
mod readme;
mod sandbox_admin;
mod sandbox_auth;
mod sandbox_catalog;
mod sandbox_cli;
mod sandbox_concurrency;
mod sandbox_crash;
mod sandbox_faults;
mod sandbox_fuzz;
mod sandbox_idempotency;
mod sandbox_lists;
mod sandbox_mutants;
mod sandbox_orders;
mod schema_command;
mod schema_examples;
mod schema_invalid;
mod schema_loading;
mod schema_openapi;
mod schema_sandbox;
