//! The Wallet's money invariants (`WALLET_API.md`): one stable id, section and title each.

use crate::engine::invariants::book::{self, InvariantCheck};

/// One money invariant of the Wallet contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::VariantArray)]
pub enum Check {
    Conservation,
    AuthorizeMatchesModel,
    OperationMovesExactly,
    ExceedsRemainingRejected,
    InvalidStateRejected,
    ReplaySameAnswer,
    ReplayMovesNothing,
    MismatchRejected,
    ErrorDoesNotBindKey,
    OtherMerchantNotFound,
    Transitions,
    PartialCapturesRace,
    RefundsRace,
    SameKeyRace,
}

impl InvariantCheck for Check {
    const ALL: &'static [Check] = <Check as strum::VariantArray>::VARIANTS;

    fn id(self) -> &'static str {
        match self {
            Check::Conservation => "wallet.conservation",
            Check::AuthorizeMatchesModel => "wallet.authorize_matches_model",
            Check::OperationMovesExactly => "wallet.operation_moves_exactly",
            Check::ExceedsRemainingRejected => "wallet.exceeds_remaining_rejected",
            Check::InvalidStateRejected => "wallet.invalid_state_rejected",
            Check::ReplaySameAnswer => "wallet.idempotency.replay_same_answer",
            Check::ReplayMovesNothing => "wallet.idempotency.replay_moves_nothing",
            Check::MismatchRejected => "wallet.idempotency.mismatch_rejected",
            Check::ErrorDoesNotBindKey => "wallet.idempotency.error_does_not_bind_key",
            Check::OtherMerchantNotFound => "wallet.scope.other_merchant_not_found",
            Check::Transitions => "wallet.lifecycle.transitions",
            Check::PartialCapturesRace => "wallet.concurrency.partial_captures",
            Check::RefundsRace => "wallet.concurrency.refunds",
            Check::SameKeyRace => "wallet.concurrency.same_key_moves_once",
        }
    }

    fn section(self) -> &'static str {
        match self {
            Check::Conservation | Check::Transitions => "§4",
            Check::OtherMerchantNotFound => "§2",
            Check::AuthorizeMatchesModel
            | Check::OperationMovesExactly
            | Check::ExceedsRemainingRejected
            | Check::InvalidStateRejected
            | Check::PartialCapturesRace
            | Check::RefundsRace => "§5",
            Check::ReplaySameAnswer
            | Check::ReplayMovesNothing
            | Check::MismatchRejected
            | Check::ErrorDoesNotBindKey
            | Check::SameKeyRace => "§5 Idempotency",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Check::Conservation => {
                "at every read: captured + cancelled ≤ authorized, refunded ≤ captured, all three 0 unless SUCCESS, totals only grow"
            }
            Check::AuthorizeMatchesModel => {
                "authorize answers 201 NEW|PROCESSING with totals 0 and the request echoed; reads and lists agree"
            }
            Check::OperationMovesExactly => {
                "a 200 capture/cancel/refund processed exactly the requested amount and moved exactly that total"
            }
            Check::ExceedsRemainingRejected => {
                "more than remains → 400 amount_exceeds_remaining and nothing moves; within → accepted"
            }
            Check::InvalidStateRejected => {
                "an operation on a transaction not in SUCCESS → 409 invalid_state and nothing moves"
            }
            Check::ReplaySameAnswer => {
                "same key + same payload: the same status and body (id, amount), Idempotent-Replayed: true, even after remaining dropped"
            }
            Check::ReplayMovesNothing => "a replay moves nothing and creates nothing",
            Check::MismatchRejected => {
                "same key + other payload (another amount or path) → 422 idempotency_key_mismatch; nothing moves"
            }
            Check::ErrorDoesNotBindKey => {
                "only a 2xx binds a key: after a 400 or 409 invalid_state the same key is free"
            }
            Check::OtherMerchantNotFound => {
                "another merchant's read, capture, cancel or refund → 404 not_found and nothing changes"
            }
            Check::Transitions => {
                "statuses move NEW → PROCESSING → SUCCESS|FAILED only; final never changes; forcing a final one → 409 conflict; updatedAt grows with every change"
            }
            Check::PartialCapturesRace => {
                "parallel partial captures against one hold: exactly ⌊remaining / amount⌋ succeed, totals = their sum"
            }
            Check::RefundsRace => {
                "parallel refunds: exactly ⌊refundable / amount⌋ succeed, refunded ≤ captured"
            }
            Check::SameKeyRace => {
                "parallel captures with one Idempotency-Key move money once"
            }
        }
    }
}

/// A broken Wallet invariant, as a probe first sees it.
pub type Violation = book::Violation<Check>;

/// Collects what the Wallet's probes found, exercised and skipped.
pub type Ledgerbook = book::Ledgerbook<Check>;

impl Check {
    pub fn from_id(id: &str) -> Option<Check> {
        Check::ALL.iter().copied().find(|c| c.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let ids: std::collections::BTreeSet<_> = Check::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), Check::ALL.len());
        for &c in Check::ALL {
            assert_eq!(Check::from_id(c.id()), Some(c));
            assert!(c.section().starts_with('§'));
        }
    }
}
