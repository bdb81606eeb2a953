//! Deliberate contract violations ("mutants"), test-only: each check of the harness must
//! be proven able to fail by starting the sandbox with the mutant it is meant to catch.
//!
//! Two kinds:
//! - **wire mutants** change what goes over the wire (a header dropped, a field's type
//!   changed). They live entirely in [`rewrite`]: add a variant, its name in
//!   [`Mutant::ALL`]/[`Mutant::name`], and one match arm in `rewrite`.
//! - **semantic mutants** change behaviour (money, idempotency, lifecycle). They are hooks
//!   in the store and handlers, each marked with a `MUTANT HOOK` comment naming the variant.
//!
//! **Invariant:** with `mutant: None` nothing in this file changes a response.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use super::reply::Reply;

/// A named deliberate contract violation. Not part of the public CLI (`--mutant` is hidden).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutant {
    // ---- semantic mutants (hooks in store.rs / orders.rs / lifecycle.rs) ----
    /// A replay (same key, same payload) creates a second order.
    ReplayCreatesOrder,
    /// A replay returns the first order but reserves its charge again.
    ReplayChargesAgain,
    /// Same key with a different payload replays the first order (201) instead of 422.
    MismatchAccepted,
    /// Key lookup and order insert happen in separate steps with an await gap between.
    IdempotencyRace,
    /// Balance read and reservation happen in separate steps with an await gap between.
    OverdrawRace,
    /// A failed order does not release its reservation.
    FailedKeepsReservation,
    /// A direct top-up charge is truncated instead of rounded half up.
    TruncateRounding,
    /// A voucher charge ignores the quantity.
    QuantityIgnored,
    /// Test orders reserve (and consume) money like real ones.
    TestOrderMovesMoney,
    /// A failed request (e.g. `insufficient_balance`) binds its Idempotency-Key.
    ErrorBindsKey,
    /// Each completion takes one cent too many from the available balance.
    LedgerDrift,
    // ---- wire mutants (in `rewrite`) ----
    /// Orders carry `charged_amount` as a JSON number instead of a DecimalAmount string.
    MoneyAsNumber,
}

impl Mutant {
    pub const ALL: &'static [Mutant] = &[
        Mutant::ReplayCreatesOrder,
        Mutant::ReplayChargesAgain,
        Mutant::MismatchAccepted,
        Mutant::IdempotencyRace,
        Mutant::OverdrawRace,
        Mutant::FailedKeepsReservation,
        Mutant::TruncateRounding,
        Mutant::QuantityIgnored,
        Mutant::TestOrderMovesMoney,
        Mutant::ErrorBindsKey,
        Mutant::LedgerDrift,
        Mutant::MoneyAsNumber,
    ];

    /// The kebab-case name used by `--mutant` and `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            Mutant::ReplayCreatesOrder => "replay-creates-order",
            Mutant::ReplayChargesAgain => "replay-charges-again",
            Mutant::MismatchAccepted => "mismatch-accepted",
            Mutant::IdempotencyRace => "idempotency-race",
            Mutant::OverdrawRace => "overdraw-race",
            Mutant::FailedKeepsReservation => "failed-keeps-reservation",
            Mutant::TruncateRounding => "truncate-rounding",
            Mutant::QuantityIgnored => "quantity-ignored",
            Mutant::TestOrderMovesMoney => "test-order-moves-money",
            Mutant::ErrorBindsKey => "error-binds-key",
            Mutant::LedgerDrift => "ledger-drift",
            Mutant::MoneyAsNumber => "money-as-number",
        }
    }
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mutant `{0}`")]
pub struct UnknownMutant(pub String);

impl FromStr for Mutant {
    type Err = UnknownMutant;
    fn from_str(s: &str) -> Result<Mutant, UnknownMutant> {
        Mutant::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMutant(s.to_string()))
    }
}

/// What the wire layer knows about the request being answered.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    /// The matched route (`"create_order"`, `"get_order"`, `"list_orders"`, ...), or
    /// `None` for unknown routes and early errors.
    pub route: Option<&'static str>,
}

/// The wire-mutant layer: rewrites a finished reply. Identity unless a wire mutant is set.
pub fn rewrite(mutant: Option<Mutant>, seen: &Seen<'_>, reply: Reply) -> Reply {
    let Some(mutant) = mutant else {
        return reply;
    };
    match mutant {
        Mutant::MoneyAsNumber if is_order_route(seen.route) => map_json(reply, |body| {
            for order in orders_in(body) {
                money_field_as_number(order, "charged_amount");
            }
        }),
        _ => reply,
    }
}

fn is_order_route(route: Option<&'static str>) -> bool {
    matches!(route, Some("create_order" | "get_order" | "list_orders"))
}

/// Applies `f` to the parsed JSON body; keeps the reply unchanged when it has no JSON body.
pub fn map_json(mut reply: Reply, f: impl FnOnce(&mut Value)) -> Reply {
    let Some(body) = reply.body.as_ref() else {
        return reply;
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return reply;
    };
    f(&mut value);
    if let Ok(bytes) = serde_json::to_vec(&value) {
        reply.body = Some(Bytes::from(bytes));
    }
    reply
}

/// The order objects of a body: the body itself or the items of a list envelope.
pub fn orders_in(body: &mut Value) -> Vec<&mut serde_json::Map<String, Value>> {
    if body.get("items").is_some() {
        match body.get_mut("items") {
            Some(Value::Array(items)) => {
                items.iter_mut().filter_map(Value::as_object_mut).collect()
            }
            _ => Vec::new(),
        }
    } else {
        body.as_object_mut().into_iter().collect()
    }
}

fn money_field_as_number(object: &mut serde_json::Map<String, Value>, field: &str) {
    if let Some(Value::String(text)) = object.get(field) {
        if let Ok(number) = text.parse::<serde_json::Number>() {
            object.insert(field.to_string(), Value::Number(number));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mutant::ALL {
            assert_eq!(m.name().parse::<Mutant>(), Ok(*m));
            assert_eq!(m.to_string(), m.name());
        }
        assert!("no-such-mutant".parse::<Mutant>().is_err());
    }
}
