//! Wallet money invariants: a reference model of transactions and totals, driven by proptest.
