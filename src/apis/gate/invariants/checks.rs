//! The invariants this phase enforces: one stable id, contract section and title each,
//! and the collector that turns violations into `CheckResult`s.
//!
//! **Invariant:** every finding names exactly one of these checks; a check that was never
//! exercised is reported as skipped with the reason, never as passed.

use strum::VariantArray;

use crate::engine::invariants::book::{self, InvariantCheck};

/// One money invariant of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::VariantArray)]
pub enum CheckId {
    ReplayReturnsSameOrder,
    ReplayMovesNoMoney,
    MismatchRejected,
    ErrorDoesNotBindKey,
    OneOrderUnderConcurrency,
    ChargeReserved,
    InsufficientBalanceRejected,
    NoOverdrawUnderConcurrency,
    PricingHalfUp,
    PricingVoucherTimesQuantity,
    TestOrdersMoveNoMoney,
    FailedReleasesReservation,
    TransitionsAllowed,
    OrdersMatchModel,
    InvalidPayloadRejected,
    ValidPayloadAccepted,
    LedgerIdentity,
}

impl CheckId {
    pub fn id(self) -> &'static str {
        match self {
            CheckId::ReplayReturnsSameOrder => "idempotency.replay_returns_same_order",
            CheckId::ReplayMovesNoMoney => "idempotency.replay_moves_no_money",
            CheckId::MismatchRejected => "idempotency.mismatch_rejected",
            CheckId::ErrorDoesNotBindKey => "idempotency.error_does_not_bind_key",
            CheckId::OneOrderUnderConcurrency => "idempotency.one_order_under_concurrency",
            CheckId::ChargeReserved => "reservation.charge_reserved",
            CheckId::InsufficientBalanceRejected => "reservation.insufficient_balance_rejected",
            CheckId::NoOverdrawUnderConcurrency => "reservation.no_overdraw_under_concurrency",
            CheckId::PricingHalfUp => "pricing.half_up",
            CheckId::PricingVoucherTimesQuantity => "pricing.voucher_price_times_quantity",
            CheckId::TestOrdersMoveNoMoney => "test_orders.move_no_money",
            CheckId::FailedReleasesReservation => "lifecycle.failed_releases_reservation",
            CheckId::TransitionsAllowed => "lifecycle.transitions_allowed",
            CheckId::OrdersMatchModel => "orders.match_model",
            CheckId::InvalidPayloadRejected => "validation.near_valid_rejected",
            CheckId::ValidPayloadAccepted => "validation.valid_accepted",
            CheckId::LedgerIdentity => "ledger.identity",
        }
    }

    pub fn section(self) -> &'static str {
        match self {
            CheckId::ReplayReturnsSameOrder
            | CheckId::ReplayMovesNoMoney
            | CheckId::MismatchRejected
            | CheckId::ErrorDoesNotBindKey
            | CheckId::OneOrderUnderConcurrency => "§5.2",
            CheckId::ChargeReserved
            | CheckId::InsufficientBalanceRejected
            | CheckId::NoOverdrawUnderConcurrency
            | CheckId::PricingHalfUp
            | CheckId::PricingVoucherTimesQuantity
            | CheckId::TestOrdersMoveNoMoney
            | CheckId::InvalidPayloadRejected
            | CheckId::ValidPayloadAccepted => "§5.1",
            CheckId::FailedReleasesReservation
            | CheckId::TransitionsAllowed
            | CheckId::OrdersMatchModel => "§5.3",
            CheckId::LedgerIdentity => "§7",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            CheckId::ReplayReturnsSameOrder => {
                "same key + same payload replays: 201, the same order id, amounts and Idempotent-Replayed: true"
            }
            CheckId::ReplayMovesNoMoney => "a replay moves no money",
            CheckId::MismatchRejected => {
                "same key + different payload → 422 idempotency_key_mismatch; nothing created or moved"
            }
            CheckId::ErrorDoesNotBindKey => {
                "only a 201 binds a key: after a failed request the same key creates the order"
            }
            CheckId::OneOrderUnderConcurrency => {
                "parallel requests with one key yield at most one order and one reservation"
            }
            CheckId::ChargeReserved => {
                "an order moves its charge from available to reserved; balance_before/balance_after agree"
            }
            CheckId::InsufficientBalanceRejected => {
                "charge > available → 400 insufficient_balance and nothing moves; otherwise accepted"
            }
            CheckId::NoOverdrawUnderConcurrency => {
                "parallel orders never overdraw: exactly the orders that fit succeed, available ≥ 0"
            }
            CheckId::PricingHalfUp => "a top-up's charge is round_half_up(amount × agent_rate, 2)",
            CheckId::PricingVoucherTimesQuantity => "a voucher's charge is agent_price × quantity",
            CheckId::TestOrdersMoveNoMoney => {
                "test orders: balance_before == balance_after == available, no balance moves"
            }
            CheckId::FailedReleasesReservation => {
                "a failed order releases its reservation back to available"
            }
            CheckId::TransitionsAllowed => {
                "statuses go pending → completed | failed only, with their timestamps; terminal never changes"
            }
            CheckId::OrdersMatchModel => {
                "created, read and listed orders agree with the request and with each other"
            }
            CheckId::InvalidPayloadRejected => {
                "a near-valid invalid order → 400 with the contract's code and param; nothing created"
            }
            CheckId::ValidPayloadAccepted => "a valid order is never refused as invalid",
            CheckId::LedgerIdentity => {
                "available + reserved = deposits − completed charges; reserved = pending charges"
            }
        }
    }

    pub fn from_id(id: &str) -> Option<CheckId> {
        CheckId::VARIANTS.iter().copied().find(|c| c.id() == id)
    }
}

impl InvariantCheck for CheckId {
    const ALL: &'static [CheckId] = CheckId::VARIANTS;

    fn id(self) -> &'static str {
        CheckId::id(self)
    }

    fn section(self) -> &'static str {
        CheckId::section(self)
    }

    fn title(self) -> &'static str {
        CheckId::title(self)
    }
}

/// A broken Gate invariant, as a probe first sees it.
pub type Violation = book::Violation<CheckId>;

/// Collects what the Gate's probes found, exercised and skipped.
pub type Ledgerbook = book::Ledgerbook<CheckId>;

pub use book::failed_ids;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let ids: BTreeSet<_> = CheckId::VARIANTS.iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), CheckId::VARIANTS.len());
        for &c in CheckId::VARIANTS {
            assert_eq!(CheckId::from_id(c.id()), Some(c));
            assert!(c.section().starts_with('§'));
        }
    }

    #[test]
    fn unexercised_checks_are_skipped_not_passed() {
        let mut book = Ledgerbook::default();
        book.exercised(CheckId::PricingHalfUp, 3);
        book.skip(CheckId::NoOverdrawUnderConcurrency, "needs --admin-token");
        let results = book.results();
        let get = |c: CheckId| results.iter().find(|r| r.id == c.id()).unwrap().clone();
        assert_eq!(
            get(CheckId::PricingHalfUp).outcome,
            crate::engine::model::Outcome::Passed
        );
        assert_eq!(
            get(CheckId::NoOverdrawUnderConcurrency).outcome,
            crate::engine::model::Outcome::Skipped {
                reason: "needs --admin-token".into()
            }
        );
        assert!(matches!(
            get(CheckId::LedgerIdentity).outcome,
            crate::engine::model::Outcome::Skipped { .. }
        ));
    }
}
