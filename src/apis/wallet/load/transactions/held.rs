//! A user's latest transaction and its bookkeeping, as its own 2xx answers said: what is
//! left to capture, cancel or refund, and whether an operation has something to do.

use std::sync::Arc;

use crate::apis::wallet::wire::{OperationKind, WalletStatus};
use crate::engine::load::goose::Endpoint;

/// The user's latest transaction and its bookkeeping, as its own 2xx answers said.
#[derive(Clone)]
pub(super) struct Held {
    pub paths: Arc<Paths>,
    pub status: WalletStatus,
    pub authorized: u64,
    pub captured: u64,
    pub cancelled: u64,
    pub refunded: u64,
    pub refunds: u32,
}

impl Held {
    /// A transaction just authorized: nothing moved yet.
    pub fn new(paths: Paths, status: WalletStatus, authorized: u64) -> Held {
        Held {
            paths: Arc::new(paths),
            status,
            authorized,
            captured: 0,
            cancelled: 0,
            refunded: 0,
            refunds: 0,
        }
    }

    fn remaining(&self) -> u64 {
        self.authorized
            .saturating_sub(self.captured)
            .saturating_sub(self.cancelled)
    }

    fn refundable(&self) -> u64 {
        self.captured.saturating_sub(self.refunded)
    }

    /// The amount `kind` sends: `wanted` or the default, within what is left; `None` when
    /// nothing fits.
    pub fn amount(&self, kind: OperationKind, wanted: Option<u64>) -> Option<u64> {
        let (left, default) = match kind {
            OperationKind::Capture | OperationKind::Cancel => (self.remaining(), self.remaining()),
            OperationKind::Refund => (self.refundable(), self.refundable().div_ceil(2)),
        };
        let amount = wanted.unwrap_or(default).min(left);
        (amount > 0).then_some(amount)
    }

    /// Whether `kind` has something to do on this transaction now. One refund per
    /// transaction: "some refunds", not a drain.
    pub fn ready_for(&self, kind: OperationKind) -> bool {
        self.status == WalletStatus::Success
            && match kind {
                OperationKind::Capture | OperationKind::Cancel => self.remaining() > 0,
                OperationKind::Refund => self.refunds == 0 && self.refundable() > 0,
            }
    }

    /// Books an operation the target answered `200`.
    pub fn apply(&mut self, kind: OperationKind, amount: u64) {
        match kind {
            OperationKind::Capture => self.captured += amount,
            OperationKind::Cancel => self.cancelled += amount,
            OperationKind::Refund => {
                self.refunded += amount;
                self.refunds += 1;
            }
        }
    }
}

/// A transaction's own endpoints, joined once when it is authorized.
pub(super) struct Paths {
    pub id: String,
    pub get: Endpoint,
    pub capture: Endpoint,
    pub cancel: Endpoint,
    pub refund: Endpoint,
}

impl Paths {
    pub fn operation(&self, kind: OperationKind) -> &Endpoint {
        match kind {
            OperationKind::Capture => &self.capture,
            OperationKind::Cancel => &self.cancel,
            OperationKind::Refund => &self.refund,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(status: WalletStatus, authorized: u64) -> Held {
        let e = |p: &str| Endpoint::new(None, p.to_string());
        Held::new(
            Paths {
                id: "t1".into(),
                get: e("/g"),
                capture: e("/c"),
                cancel: e("/x"),
                refund: e("/r"),
            },
            status,
            authorized,
        )
    }

    #[test]
    fn nothing_moves_on_a_transaction_that_did_not_succeed() {
        for status in [
            WalletStatus::New,
            WalletStatus::Processing,
            WalletStatus::Failed,
        ] {
            let h = held(status, 1_000);
            for kind in [
                OperationKind::Capture,
                OperationKind::Cancel,
                OperationKind::Refund,
            ] {
                assert!(!h.ready_for(kind), "{status:?} {kind:?}");
            }
        }
    }

    #[test]
    fn amounts_stay_within_what_is_left() {
        let mut h = held(WalletStatus::Success, 1_000);
        assert!(h.ready_for(OperationKind::Capture));
        assert!(!h.ready_for(OperationKind::Refund));
        assert_eq!(h.amount(OperationKind::Capture, None), Some(1_000));
        assert_eq!(h.amount(OperationKind::Capture, Some(5_000)), Some(1_000));
        assert_eq!(h.amount(OperationKind::Refund, None), None);
        h.apply(OperationKind::Capture, 600);
        h.apply(OperationKind::Cancel, 100);
        assert_eq!(h.amount(OperationKind::Cancel, None), Some(300));
        // A refund defaults to half of what is refundable, rounded up.
        assert_eq!(h.amount(OperationKind::Refund, None), Some(300));
        assert_eq!(h.amount(OperationKind::Refund, Some(0)), None);
        h.apply(OperationKind::Refund, 301);
        assert_eq!((h.refunded, h.refunds), (301, 1));
        // One refund per transaction.
        assert!(!h.ready_for(OperationKind::Refund));
        h.apply(OperationKind::Capture, 300);
        assert!(!h.ready_for(OperationKind::Capture));
        assert_eq!(h.amount(OperationKind::Capture, None), None);
    }

    #[test]
    fn each_operation_has_its_own_endpoint() {
        let h = held(WalletStatus::Success, 1);
        assert_eq!(h.paths.operation(OperationKind::Capture).path, "/c");
        assert_eq!(h.paths.operation(OperationKind::Cancel).path, "/x");
        assert_eq!(h.paths.operation(OperationKind::Refund).path, "/r");
    }
}
