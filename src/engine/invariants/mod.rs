//! Invariants plumbing shared by every API: persisted failing seeds.

pub mod persist;
