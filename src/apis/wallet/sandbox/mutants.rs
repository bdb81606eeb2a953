//! Deliberate Wallet contract violations ("mutants"), test-only: each Wallet check of the
//! harness must be proven able to fail by starting the sandbox with the mutant it is meant
//! to catch (`--wallet-mutant NAME`, hidden).
//!
//! Two kinds, as the Gate's (`apis::gate::sandbox::mutants`):
//! - **wire mutants** change what goes over the wire; they live entirely in [`rewrite`].
//! - **semantic mutants** change behaviour (money, idempotency, lifecycle); they are hooks in
//!   the store and handlers, each marked with a `MUTANT HOOK (<name>)` comment.
//!
//! To add one: a variant (its name is derived: `wallet-` + kebab-case), then either an
//! arm in `rewrite` or a marked hook, and a test in `tests/wallet/` proving it misbehaves.
//!
//! **Invariant:** with `mutant: None` nothing in this file changes a response.

use std::str::FromStr;

use serde_json::Value;
use strum::{Display, IntoStaticStr, VariantArray};

use crate::engine::sandbox::reply::Reply;

/// A named deliberate Wallet contract violation. Not part of the public CLI.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, VariantArray, IntoStaticStr, Display)]
#[strum(serialize_all = "kebab-case", prefix = "wallet-")]
pub enum WalletMutant {
    // ---- semantic mutants (hooks in store/ / handlers.rs) ----
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
    // ---- contract mutants (in `contract_mutants.rs`: request and reply rewrites, and the
    // field-rule hook in handlers.rs), one per Wallet contract check ----
    /// `Authorization: Bearer <key>` is accepted as the key.
    AcceptsBearer,
    /// A request without Authorization acts as the default merchant.
    AcceptsMissingKey,
    /// A key the sandbox never issued acts as the default merchant.
    AcceptsUnknownKey,
    /// A revoked key keeps working (as the default merchant).
    RevokedKeyWorks,
    /// A merchant's second key answers 401 while the first is active.
    SecondKeyRefused,
    /// Another merchant's transaction is readable (answers 400 instead of 404).
    #[strum(to_string = "other-merchant-not-404")]
    OtherMerchantNot404,
    /// An error about `iin` or `phoneNumber` repeats the refused value in its message.
    EchoesPersonalData,
    /// An integral float amount (`150.0`) is accepted as an integer.
    AcceptsFloatAmount,
    /// Currencies are accepted in any case (`kzt`).
    AcceptsLowercaseCurrency,
    /// A phone number without `+` is accepted.
    AcceptsPhoneWithoutPlus,
    /// The IIN's check digit is not verified.
    IinCheckDigitIgnored,
    /// An orderReference longer than 64 characters is accepted (cut to 64).
    AcceptsLongOrderReference,
    /// authorize without Idempotency-Key is accepted.
    KeyOptionalOnAuthorize,
    /// A body that is not a JSON object is refused with `param: "body"`.
    BodyShapeParam,
    /// A text/plain body is read as JSON when it parses (no 415).
    IgnoresMediaType,
    /// capture/cancel/refund refuse a zero amount with `param: null`.
    OperationAmountParamNull,
    /// authorize checks `currency` before `amount`.
    CurrencyBeforeAmount,
    /// A lower-case transaction id is looked up (404) instead of refused (400).
    LowercaseIdAccepted,
    /// An unknown transaction's 404 names `param: "wallet_transaction_id"`.
    NotFoundNamesParam,
    /// `/v1/wallet/authorize/` is served as `/v1/wallet/authorize`.
    SlashTwinEverywhere,
    /// A 405 carries no `Allow` header.
    NoAllowHeader,
    /// authorize's 201 shows another currency than the request's.
    AuthorizeWrongCurrency,
    /// authorize's 201 has no `Location`.
    NoLocation,
    /// Every WalletOperation says `"operation": "capture"`.
    OperationMislabelled,
    /// Lists never give a `nextCursor`.
    ListNoNextCursor,
    /// A list page is sorted oldest first.
    ListAscending,
    /// `status=` with an unknown status lists nothing instead of 400.
    StatusFilterLenient,
    /// `limit` above 100 lists instead of 400.
    LimitUnbounded,
    /// A cursor is accepted under other filters (lists nothing instead of 400).
    CursorUnbound,
    /// `/v1/wallet/transactions` (no slash) is an unknown route.
    NoSlashTwin,
    /// List items show `createdAt` one millisecond earlier than the transaction's own GET.
    ListCreatedAtOff,
    /// Timestamps have no fraction of a second.
    TimestampsWithoutMillis,
    /// Transaction ids carry a ULID time 10 s before `createdAt`.
    IdTimeOff,
    /// `updatedAt` never moves from `createdAt`.
    UpdatedAtFrozen,
    /// A GET of an unknown transaction answers 500.
    ServerErrorOnNotFound,
    /// 404s say `Content-Type: text/plain`.
    NotFoundTextPlain,
    /// `X-Request-Id` is not echoed.
    NoRequestIdEcho,
    /// An operation's `409` Error object has no `message`.
    ErrorWithoutMessage,
    // ---- wire mutants (in `rewrite`) ----
    /// Authorize's 201 says `SUCCESS` at once (the hold is not yet settled).
    AuthorizeSaysSuccess,
    /// `FAILED` transactions show `capturedAmount` equal to the authorized amount.
    FailedWithTotals,
    /// Amounts are JSON strings (`"15000"`).
    AmountAsString,
}

impl WalletMutant {
    /// The kebab-case name used by `--wallet-mutant` and `FromStr`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown wallet mutant `{0}`")]
pub struct UnknownWalletMutant(pub String);

impl FromStr for WalletMutant {
    type Err = UnknownWalletMutant;
    fn from_str(s: &str) -> Result<WalletMutant, UnknownWalletMutant> {
        crate::engine::names::by_name(s).ok_or_else(|| UnknownWalletMutant(s.to_string()))
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
pub(crate) fn map_transactions(
    reply: Reply,
    f: impl Fn(&mut serde_json::Map<String, Value>),
) -> Reply {
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
    use VariantArray;

    #[test]
    fn names_round_trip() {
        for m in WalletMutant::VARIANTS {
            assert_eq!(m.name().parse::<WalletMutant>(), Ok(*m));
            assert_eq!(m.to_string(), m.name());
        }
        assert!("no-such-mutant".parse::<WalletMutant>().is_err());
    }
}
