//! Wallet load transactions: authorize → poll → capture → (some) refund, plus list reads.
