//! The Plexy Pay API's Wallet (`WALLET_API.md`): authorize a hold in integer minor units,
//! then capture, cancel or refund parts of it. Built on the same engine as the Gate.

pub mod contract;
pub mod invariants;
pub mod load;
pub mod sandbox;
pub mod schemas;
pub mod wire;
