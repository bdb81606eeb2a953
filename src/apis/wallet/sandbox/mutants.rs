//! Deliberate Wallet contract violations ("mutants"), test-only: each Wallet check of the
//! harness must be proven able to fail by starting the sandbox with the mutant it is meant
//! to catch (`--wallet-mutant NAME`, hidden).
//!
//! Two kinds, as the Gate's (`apis::gate::sandbox::mutants`):
//! - **wire mutants** change what goes over the wire; they live entirely in [`rewrite`].
//! - **semantic mutants** change behaviour (money, idempotency, lifecycle); they are hooks in
//!   the store and handlers, each marked with a `MUTANT HOOK (<name>)` comment.
//!
//! To add one: a variant, its name in [`WalletMutant::ALL`] / [`WalletMutant::name`], then
//! either an arm in `rewrite` or a marked hook, and a test in `tests/wallet/` proving it
//! misbehaves.
//!
//! **Invariant:** with `mutant: None` nothing in this file changes a response.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::engine::sandbox::reply::Reply;

/// A named deliberate Wallet contract violation. Not part of the public CLI.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WalletMutant {
    // ---- semantic mutants (hooks in store.rs / handlers.rs) ----
    /// A replayed refund (same key, same payload) refunds again.
    ReplayRefundsAgain,
    /// A capture larger than what remains of the hold is accepted.
    CaptureBeyondHold,
    /// Partial captures read `remaining` in one step and move in another, with a gap.
    CaptureRace,
    /// Same-key operations: no in-flight guard, key lookup apart from the movement.
    SameKeyRace,
    /// A cancel moves `capturedAmount` instead of `cancelledAmount`.
    CancelMovesCaptured,
    /// Capture, cancel and refund are accepted on a transaction that is not `SUCCESS`.
    OperatesOnUnsettled,
    /// A replayed capture whose amount no longer fits `remaining` answers 400.
    ReplayRechecksRemaining,
    /// The same key with another payload replays the first answer instead of 422.
    MismatchReplays,
    /// A failed operation (400/409) binds its Idempotency-Key.
    ErrorBindsKey,
    /// Parallel refunds read what is refundable in one step and move in another.
    RefundRace,
    /// Another merchant's transaction can be read (`GET` answers 200, not 404).
    ForeignReadable,
    /// Forcing an outcome on a final transaction answers 200 with that outcome, not 409.
    ForceFinalAgain,
    // ---- wire mutants (in `rewrite`) ----
    /// Authorize's 201 says `SUCCESS` at once (the hold is not yet settled).
    AuthorizeSaysSuccess,
    /// `FAILED` transactions show `capturedAmount` equal to the authorized amount.
    FailedWithTotals,
    /// Amounts are JSON strings (`"15000"`).
    AmountAsString,
}

impl WalletMutant {
    pub const ALL: &'static [WalletMutant] = &[
        WalletMutant::ReplayRefundsAgain,
        WalletMutant::CaptureBeyondHold,
        WalletMutant::CaptureRace,
        WalletMutant::SameKeyRace,
        WalletMutant::CancelMovesCaptured,
        WalletMutant::OperatesOnUnsettled,
        WalletMutant::ReplayRechecksRemaining,
        WalletMutant::MismatchReplays,
        WalletMutant::ErrorBindsKey,
        WalletMutant::RefundRace,
        WalletMutant::ForeignReadable,
        WalletMutant::ForceFinalAgain,
        WalletMutant::FailedWithTotals,
        WalletMutant::AmountAsString,
        WalletMutant::AuthorizeSaysSuccess,
    ];

    /// The kebab-case name used by `--wallet-mutant` and `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            WalletMutant::ReplayRefundsAgain => "wallet-replay-refunds-again",
            WalletMutant::CaptureBeyondHold => "wallet-capture-beyond-hold",
            WalletMutant::CaptureRace => "wallet-capture-race",
            WalletMutant::SameKeyRace => "wallet-same-key-race",
            WalletMutant::CancelMovesCaptured => "wallet-cancel-moves-captured",
            WalletMutant::OperatesOnUnsettled => "wallet-operates-on-unsettled",
            WalletMutant::ReplayRechecksRemaining => "wallet-replay-rechecks-remaining",
            WalletMutant::MismatchReplays => "wallet-mismatch-replays",
            WalletMutant::ErrorBindsKey => "wallet-error-binds-key",
            WalletMutant::FailedWithTotals => "wallet-failed-with-totals",
            WalletMutant::AmountAsString => "wallet-amount-as-string",
            WalletMutant::RefundRace => "wallet-refund-race",
            WalletMutant::ForeignReadable => "wallet-foreign-readable",
            WalletMutant::ForceFinalAgain => "wallet-force-final-again",
            WalletMutant::AuthorizeSaysSuccess => "wallet-authorize-says-success",
        }
    }
}

impl fmt::Display for WalletMutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown wallet mutant `{0}`")]
pub struct UnknownWalletMutant(pub String);

impl FromStr for WalletMutant {
    type Err = UnknownWalletMutant;
    fn from_str(s: &str) -> Result<WalletMutant, UnknownWalletMutant> {
        WalletMutant::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownWalletMutant(s.to_string()))
    }
}

/// The amount fields of WalletTransaction and WalletOperation.
const AMOUNTS: [&str; 5] = [
    "amount",
    "authorizedAmount",
    "capturedAmount",
    "cancelledAmount",
    "refundedAmount",
];

/// The wire-mutant layer: rewrites a finished reply of a Wallet route (`route` as
/// `server.rs` names it, `None` for early errors). Identity unless a wire mutant is set.
pub fn rewrite(mutant: Option<WalletMutant>, route: Option<&'static str>, reply: Reply) -> Reply {
    let Some(mutant) = mutant else {
        return reply;
    };
    if route.is_none() || reply.status.as_u16() >= 300 {
        return reply;
    }
    match mutant {
        WalletMutant::FailedWithTotals => map_transactions(reply, |t| {
            if t.get("walletTransactionStatus") == Some(&Value::from("FAILED")) {
                let held = t.get("authorizedAmount").cloned().unwrap_or(Value::Null);
                t.insert("capturedAmount".into(), held);
            }
        }),
        WalletMutant::AmountAsString => map_transactions(reply, |t| {
            for field in AMOUNTS {
                if let Some(Value::Number(n)) = t.get(field) {
                    let text = n.to_string();
                    t.insert(field.into(), Value::String(text));
                }
            }
        }),
        WalletMutant::AuthorizeSaysSuccess if route == Some("authorize") => {
            map_transactions(reply, |t| {
                t.insert("walletTransactionStatus".into(), Value::from("SUCCESS"));
            })
        }
        _ => reply,
    }
}

/// Applies `f` to every transaction object of a JSON reply (the body, or a list's items).
fn map_transactions(reply: Reply, f: impl Fn(&mut serde_json::Map<String, Value>)) -> Reply {
    crate::engine::sandbox::reply::map_json(reply, |body| {
        if let Some(Value::Array(items)) = body.get_mut("items") {
            items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(&f);
        } else if let Some(obj) = body.as_object_mut() {
            f(obj);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in WalletMutant::ALL {
            assert_eq!(m.name().parse::<WalletMutant>(), Ok(*m));
        }
        assert!("no-such-mutant".parse::<WalletMutant>().is_err());
    }
}
