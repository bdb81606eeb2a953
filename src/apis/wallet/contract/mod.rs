//! The Wallet contract suite (`WALLET_API.md` §1–§6): every MUST and SHOULD as a named check.
