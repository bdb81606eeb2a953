//! Wallet API tests (`WALLET_API.md`): one binary, as the Gate's.

mod invariants_mutants;
