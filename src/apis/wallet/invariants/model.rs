//! The reference model: what each transaction must hold, from the contract alone
//! (`WALLET_API.md` §4, §5). Pure: no HTTP.

use crate::apis::wallet::wire::{OperationKind, WalletStatus, WalletTransaction};

/// The totals of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub captured: u64,
    pub cancelled: u64,
    pub refunded: u64,
}

impl Totals {
    pub fn of(t: &WalletTransaction) -> Totals {
        Totals {
            captured: t.captured_amount,
            cancelled: t.cancelled_amount,
            refunded: t.refunded_amount,
        }
    }

    /// Each total at least the other's (they only grow).
    pub fn at_least(&self, before: &Totals) -> bool {
        self.captured >= before.captured
            && self.cancelled >= before.cancelled
            && self.refunded >= before.refunded
    }
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "captured {}, cancelled {}, refunded {}",
            self.captured, self.cancelled, self.refunded
        )
    }
}

/// What an operation must answer, by the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `200`, and the total moves by the amount.
    Moves,
    /// `409 invalid_state` (not `SUCCESS`).
    InvalidState,
    /// `400 amount_exceeds_remaining`, `param: "amount"`.
    Exceeds,
}

/// One transaction as the model knows it.
#[derive(Debug, Clone)]
pub struct TxModel {
    pub id: String,
    pub order_reference: String,
    pub currency: String,
    pub authorized: u64,
    pub totals: Totals,
    /// The status last seen (pending ones may end on their own).
    pub status: WalletStatus,
    pub created_at: String,
    /// `updatedAt` of the last read.
    pub updated_at: String,
    /// The totals of the last read.
    pub seen: Totals,
}

impl TxModel {
    pub fn from_created(t: &WalletTransaction) -> TxModel {
        TxModel {
            id: t.wallet_transaction_id.clone(),
            order_reference: t.order_reference.clone(),
            currency: t.currency.clone(),
            authorized: t.authorized_amount,
            totals: Totals::default(),
            status: t.wallet_transaction_status,
            created_at: t.created_at.clone(),
            updated_at: t.updated_at.clone(),
            seen: Totals::default(),
        }
    }

    /// `remaining` for capture and cancel; `captured − refunded` for refund (§5).
    pub fn left(&self, kind: OperationKind) -> u64 {
        match kind {
            OperationKind::Capture | OperationKind::Cancel => self
                .authorized
                .saturating_sub(self.totals.captured + self.totals.cancelled),
            OperationKind::Refund => self.totals.captured.saturating_sub(self.totals.refunded),
        }
    }

    /// The answer §3's order of checks gives: `409 invalid_state` before
    /// `400 amount_exceeds_remaining`.
    pub fn expect(&self, kind: OperationKind, amount: u64) -> Expect {
        if self.status != WalletStatus::Success {
            Expect::InvalidState
        } else if amount > self.left(kind) {
            Expect::Exceeds
        } else {
            Expect::Moves
        }
    }

    pub fn apply(&mut self, kind: OperationKind, amount: u64) {
        let t = &mut self.totals;
        match kind {
            OperationKind::Capture => t.captured += amount,
            OperationKind::Cancel => t.cancelled += amount,
            OperationKind::Refund => t.refunded += amount,
        }
    }

    pub fn is_pending(&self) -> bool {
        !self.status.is_final()
    }
}

/// §4 conservation of one read, judged alone: `None` when it holds, else what broke.
pub fn conservation_broken(t: &WalletTransaction) -> Option<String> {
    let sum = t.captured_amount.checked_add(t.cancelled_amount);
    if sum.is_none_or(|s| s > t.authorized_amount) {
        return Some(format!(
            "capturedAmount {} + cancelledAmount {} > authorizedAmount {}",
            t.captured_amount, t.cancelled_amount, t.authorized_amount
        ));
    }
    if t.refunded_amount > t.captured_amount {
        return Some(format!(
            "refundedAmount {} > capturedAmount {}",
            t.refunded_amount, t.captured_amount
        ));
    }
    if t.wallet_transaction_status != WalletStatus::Success && Totals::of(t) != Totals::default() {
        return Some(format!(
            "a {} transaction with non-zero totals ({})",
            t.wallet_transaction_status,
            Totals::of(t)
        ));
    }
    if t.amount != t.authorized_amount {
        return Some(format!(
            "amount {} ≠ authorizedAmount {}",
            t.amount, t.authorized_amount
        ));
    }
    None
}

/// The amount a generated size asks for, against `left` (at least 1).
pub fn sized(size: super::strategy::Size, left: u64) -> u64 {
    use super::strategy::Size;
    match size {
        Size::Part(p) => (left * u64::from(p) / 100).max(1),
        Size::Whole => left.max(1),
        Size::Beyond(extra) => left + extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::wallet::invariants::strategy::Size;

    fn tx(status: WalletStatus) -> TxModel {
        TxModel {
            id: "wt_x".into(),
            order_reference: "r".into(),
            currency: "KZT".into(),
            authorized: 15_000,
            totals: Totals::default(),
            status,
            created_at: String::new(),
            updated_at: String::new(),
            seen: Totals::default(),
        }
    }

    #[test]
    fn follows_section_5() {
        let mut t = tx(WalletStatus::Success);
        assert_eq!(t.expect(OperationKind::Refund, 1), Expect::Exceeds);
        assert_eq!(t.expect(OperationKind::Capture, 15_000), Expect::Moves);
        t.apply(OperationKind::Capture, 10_000);
        assert_eq!(t.expect(OperationKind::Cancel, 5_001), Expect::Exceeds);
        t.apply(OperationKind::Cancel, 5_000);
        assert_eq!(t.left(OperationKind::Capture), 0);
        assert_eq!(t.left(OperationKind::Refund), 10_000);
        assert_eq!(
            tx(WalletStatus::Failed).expect(OperationKind::Refund, 1),
            Expect::InvalidState
        );
        assert_eq!(
            tx(WalletStatus::Processing).expect(OperationKind::Capture, 99_999),
            Expect::InvalidState
        );
        assert_eq!(sized(Size::Part(50), 0), 1);
        assert_eq!(sized(Size::Beyond(3), 10), 13);
    }
}
