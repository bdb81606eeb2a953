//! Typed Wallet objects for *using* responses (the harness side): WalletTransaction,
//! WalletOperation, statuses and minor units.
