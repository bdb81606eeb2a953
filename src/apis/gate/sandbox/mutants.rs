//! Deliberate contract violations ("mutants"), test-only: each check of the harness must
//! be proven able to fail by starting the sandbox with the mutant it is meant to catch.
//!
//! Two kinds:
//! - **wire mutants** change what goes over the wire (a header dropped, a field's type
//!   changed). They live entirely in [`rewrite`]: add a variant (its name is derived,
//!   kebab-case, unless a `#[strum(to_string)]` says otherwise) and one arm in `rewrite`.
//! - **semantic mutants** change behaviour (money, idempotency, lifecycle). They are hooks
//!   in the store and handlers, each marked with a `MUTANT HOOK` comment naming the variant.
//!
//! **Invariant:** with `mutant: None` nothing in this file changes a response.

use std::str::FromStr;

use bytes::Bytes;
use http::Method;
use serde_json::Value;
use strum::{Display, IntoStaticStr, VariantArray};

use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::reply::Reply;

/// A named deliberate contract violation. Not part of the public CLI (`--mutant` is hidden).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, VariantArray, IntoStaticStr, Display)]
#[strum(serialize_all = "kebab-case")]
pub enum Mutant {
    // ---- semantic mutants (hooks in store/ / orders.rs / lifecycle.rs) ----
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
    /// A real order's 201 shows `balance_after` equal to `balance_before`: the
    /// reservation is not what the response says.
    BalanceAfterUnmoved,
    /// `insufficient_balance` is answered with HTTP 402 instead of 400.
    #[strum(to_string = "insufficient-balance-402")]
    InsufficientBalance402,
    /// A customer_account value holding a digit is refused as not matching its pattern
    /// (a regex dialect that disagrees with the catalog's), before the balance is looked at.
    RefusesDigitsInAccount,
    // ---- contract mutants (gatecheck contract; hooks marked `MUTANT HOOK`, wire
    // faults in `rewrite`) ----
    /// `Authorization: Bearer <key>` is accepted like the raw key.
    AcceptsBearerPrefix,
    /// A request without `Authorization` acts as the agent named in the path.
    AcceptsMissingKey,
    /// An unknown (or revoked) key acts as the agent named in the path.
    AcceptsUnknownKey,
    /// Revoking a key answers 204 but the key keeps working.
    RevokedKeyStillWorks,
    /// A key issued by the admin API is never activated.
    SecondKeyRejected,
    /// Another agent's path is served (with the caller's data) instead of 403.
    OtherAgentPathAllowed,
    /// Another agent's order is returned by GET through one's own path.
    LeaksOtherAgentOrder,
    /// Catalog pages hold `limit + 1` items.
    PageExceedsLimit,
    /// A catalog page after a cursor skips its first item.
    CursorSkipsItem,
    /// A catalog page after a cursor repeats the previous page's last item.
    CursorRepeatsItem,
    /// The last catalog page still carries a `next_cursor` (to an empty page).
    CursorOnLastPage,
    /// An unknown or malformed cursor restarts at the first page instead of 400.
    BadCursorRestarts,
    /// `GET /products?type=` ignores the type filter.
    IgnoresTypeFilter,
    /// `GET /products?category_id=` ignores the category filter.
    IgnoresCategoryFilter,
    /// `GET /orders?status=` ignores the status filter.
    IgnoresOrderStatusFilter,
    /// `GET /orders?external_ref=` ignores the reference filter.
    IgnoresExternalRefFilter,
    /// `GET /deposits?currency_code=` ignores the currency filter.
    IgnoresDepositCurrencyFilter,
    /// `GET /deposits?status=` ignores the status filter.
    IgnoresDepositStatusFilter,
    /// `created_to` excludes its own instant.
    CreatedToExclusive,
    /// A date filter's offset is dropped: its wall-clock time is read as UTC.
    CreatedOffsetIgnored,
    /// A malformed `created_from`/`created_to` is ignored instead of 400.
    LenientTimeFilters,
    /// A body with a non-JSON media type is parsed as JSON instead of 415.
    IgnoresContentType,
    /// Malformed JSON in an order body answers 500.
    ServerErrorOnMalformedJson,
    /// An order for an unknown product answers 404 instead of 400 invalid_request.
    #[strum(to_string = "unknown-product-order-not-found")]
    UnknownProduct404,
    /// An unavailable product can be ordered.
    OrdersUnavailableProduct,
    /// A `currency_code` other than the product's is ignored.
    IgnoresCurrencyMismatch,
    /// quantity 101 is accepted.
    #[strum(to_string = "accepts-quantity-over-max")]
    AcceptsQuantity101,
    /// A top-up amount above `max_amount` is accepted.
    IgnoresMaxAmount,
    /// customer_account is not validated.
    IgnoresCustomerAccount,
    /// An invalid Idempotency-Key is ignored instead of 400.
    AcceptsLongIdempotencyKey,
    /// A JSON number is accepted as `topup_request.amount`.
    AcceptsAmountNumber,
    /// Orders are never refused for insufficient balance.
    NoBalanceCheck,
    /// Responses say `Content-Type: text/plain`.
    TextContentType,
    /// `X-Request-Id` is a fresh value, not the one sent (SHOULD).
    NoRequestIdEcho,
    /// Balance `available_minor` is one more than `available` × 100.
    MinorMismatch,
    /// Order ids are upper-case.
    UppercaseUuid,
    /// Order `created_at` ends in `+00:00` instead of `Z`.
    TimestampOffset,
    /// Error bodies lack `error.message`.
    ErrorWithoutMessage,
    /// 405 answers carry no `Allow` header.
    NoAllowHeader,
    /// An unsupported method on a known path answers 404 not_found.
    #[strum(to_string = "method-not-allowed-as-not-found")]
    MethodNotAllowedAs404,
    /// Amount errors name `param: "amount"` instead of `topup_request.amount`.
    #[strum(to_string = "wrong-error-param")]
    WrongAmountParam,
    /// limit errors name `param: "page_size"`.
    WrongLimitParam,
    /// external_ref errors name `param: "externalRef"`.
    WrongExternalRefParam,
    /// A malformed product id answers 404 instead of 400 productId.
    #[strum(to_string = "malformed-product-id-not-found")]
    BadProductId404,
    /// An unknown (well-formed) product id answers 400 instead of 404.
    #[strum(to_string = "unknown-product-id-invalid")]
    UnknownProduct400,
    /// An unknown route answers 400 instead of 404.
    #[strum(to_string = "unknown-route-invalid")]
    UnknownRoute400,
    /// Another agent's path answers 404 instead of 403.
    #[strum(to_string = "forbidden-as-not-found")]
    ForbiddenAs404,
    /// A product's GET by id differs from its list item (name).
    ListDetailDiffers,
    /// Orders in the list carry another external_ref than their GET by id.
    OrderListDetailDiffers,
    /// Completed orders carry `order_content: {}`.
    CompletedWithoutContent,
    /// Pending orders carry a `completed_at`.
    CompletedAtOnPending,
    /// `completed_at` is the time of the read, not of the completion.
    CompletedAtDrifts,
    /// The 201 of a create does not echo `external_ref`.
    ExternalRefNotEchoed,
    /// The 201 of a create has no `Location` (SHOULD).
    NoLocationHeader,
    /// Order pages list the oldest first.
    OrdersAscending,
    /// Unavailable products show a `type` that is no listed type code.
    UnknownProductType,
    /// Unavailable products name a category that does not exist.
    DanglingCategory,
    /// Vouchers carry an `agent_rate`.
    VoucherWithRate,
    /// Unavailable products carry a three-letter `region_code`.
    BadRegionCode,
    /// Balances are listed in reverse currency order.
    BalanceUnsorted,
    /// Pending deposits carry a `posted_at`.
    PostedAtOnPending,
    /// `GET /health` answers 401.
    HealthRequiresKey,
    /// Every 25th agent request answers 429 without `Retry-After`.
    RateLimitWithoutRetryAfter,
    /// The first `GET /health` answers 429 (with `Retry-After: 1`).
    HealthRateLimited,
    /// The sandbox admin API accepts a missing or wrong `X-Sandbox-Admin`.
    AdminAcceptsAnyToken,
    // ---- wire mutants (in `rewrite`) ----
    /// Orders carry `charged_amount` as a JSON number instead of a DecimalAmount string.
    MoneyAsNumber,
}

impl Mutant {
    /// Every mutant, in declaration order.
    pub const ALL: &'static [Mutant] = Mutant::VARIANTS;

    /// The kebab-case name used by `--mutant` and `FromStr` (derived from the variant
    /// unless it says otherwise).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mutant `{0}`")]
pub struct UnknownMutant(pub String);

impl FromStr for Mutant {
    type Err = UnknownMutant;
    fn from_str(s: &str) -> Result<Mutant, UnknownMutant> {
        crate::engine::names::by_name(s).ok_or_else(|| UnknownMutant(s.to_string()))
    }
}

/// MUTANT HOOK (rate-limit-without-retry-after, health-rate-limited): a `429` the
/// contract forbids, decided by how many requests of that kind the sandbox has seen.
pub fn spurious_429(mutant: Option<Mutant>, health: bool, seen_before: u64) -> Option<ApiError> {
    match mutant? {
        Mutant::HealthRateLimited if health && seen_before == 0 => Some(ApiError::rate_limited(1)),
        Mutant::RateLimitWithoutRetryAfter if !health && seen_before % 25 == 24 => {
            let mut e = ApiError::rate_limited(1);
            e.retry_after = None;
            Some(e)
        }
        _ => None,
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
        _ => contract_rewrite(mutant, seen, reply),
    }
}

/// The wire faults of the contract mutants (each breaks one rule `gatecheck contract`
/// checks; see `tests/contract_mutants.rs`).
fn contract_rewrite(mutant: Mutant, seen: &Seen<'_>, reply: Reply) -> Reply {
    let route = seen.route;
    let status = reply.status.as_u16();
    match mutant {
        Mutant::TextContentType if reply.body.is_some() => {
            with_header(reply, "content-type", "text/plain; charset=utf-8")
        }
        Mutant::NoRequestIdEcho => with_header(reply, "x-request-id", "sandbox-request"),
        Mutant::NoAllowHeader => without_header(reply, "allow"),
        Mutant::BalanceAfterUnmoved if route == Some("create_order") && status == 201 => {
            map_json(reply, |body| {
                if body.get("is_test") == Some(&Value::Bool(false)) {
                    body["balance_after"] = body["balance_before"].clone();
                }
            })
        }
        Mutant::InsufficientBalance402
            if status == 400 && reply_code(&reply).as_deref() == Some("insufficient_balance") =>
        {
            as_error(reply, 402, "insufficient_balance", None)
        }
        Mutant::NoLocationHeader if route == Some("create_order") => {
            without_header(reply, "location")
        }
        Mutant::MinorMismatch if route == Some("balance") => map_json(reply, |body| {
            for b in orders_in(body) {
                if let Some(n) = b.get("available_minor").and_then(Value::as_i64) {
                    b.insert("available_minor".into(), Value::from(n + 1));
                }
            }
        }),
        Mutant::BalanceUnsorted if route == Some("balance") => map_json(reply, reverse_items),
        Mutant::OrdersAscending if route == Some("list_orders") => map_json(reply, reverse_items),
        Mutant::UppercaseUuid if is_order_route(route) => map_json(reply, |body| {
            for o in orders_in(body) {
                if let Some(Value::String(id)) = o.get("id") {
                    let upper = id.to_ascii_uppercase();
                    o.insert("id".into(), Value::String(upper));
                }
            }
        }),
        Mutant::TimestampOffset if is_order_route(route) => map_json(reply, |body| {
            for o in orders_in(body) {
                if let Some(Value::String(t)) = o.get("created_at") {
                    if let Some(head) = t.strip_suffix('Z') {
                        let shifted = format!("{head}+00:00");
                        o.insert("created_at".into(), Value::String(shifted));
                    }
                }
            }
        }),
        Mutant::ErrorWithoutMessage if status >= 400 => map_json(reply, |body| {
            if let Some(e) = body.get_mut("error").and_then(Value::as_object_mut) {
                e.remove("message");
            }
        }),
        Mutant::MethodNotAllowedAs404 if status == 405 => {
            as_error(without_header(reply, "allow"), 404, "not_found", None)
        }
        Mutant::ForbiddenAs404 if status == 403 => as_error(reply, 404, "not_found", None),
        Mutant::UnknownRoute400 if route.is_none() && status == 404 => {
            as_error(reply, 400, "invalid_request", None)
        }
        Mutant::BadProductId404 if route == Some("get_product") && status == 400 => {
            as_error(reply, 404, "not_found", None)
        }
        Mutant::UnknownProduct400 if route == Some("get_product") && status == 404 => {
            as_error(reply, 400, "invalid_request", Some("productId"))
        }
        Mutant::HealthRequiresKey if route == Some("health") && seen.method == Method::GET => {
            as_error(reply, 401, "unauthorized", Some("Authorization"))
        }
        Mutant::WrongAmountParam => rename_param(reply, "topup_request.amount", "amount"),
        Mutant::WrongLimitParam => rename_param(reply, "limit", "page_size"),
        Mutant::WrongExternalRefParam => rename_param(reply, "external_ref", "externalRef"),
        Mutant::ListDetailDiffers if route == Some("get_product") => map_json(reply, |body| {
            if let Some(Value::String(name)) = body.get("name") {
                body["name"] = Value::String(format!("{name} "));
            }
        }),
        Mutant::OrderListDetailDiffers if route == Some("list_orders") => map_json(reply, |body| {
            for o in orders_in(body) {
                if let Some(Value::String(r)) = o.get("external_ref") {
                    let listed = format!("{r}-listed");
                    o.insert("external_ref".into(), Value::String(listed));
                }
            }
        }),
        Mutant::CompletedWithoutContent if is_order_route(route) => {
            map_orders_with_status(reply, "completed", |o| {
                o.insert("order_content".into(), Value::Object(Default::default()));
            })
        }
        Mutant::CompletedAtOnPending if is_order_route(route) => {
            map_orders_with_status(reply, "pending", |o| {
                let created = o.get("created_at").cloned().unwrap_or(Value::Null);
                o.insert("completed_at".into(), created);
            })
        }
        Mutant::CompletedAtDrifts if is_order_route(route) => {
            map_orders_with_status(reply, "completed", |o| {
                let now =
                    crate::engine::sandbox::clock::rfc3339(crate::engine::sandbox::clock::now_us());
                o.insert("completed_at".into(), Value::String(now));
            })
        }
        Mutant::ExternalRefNotEchoed if route == Some("create_order") && status == 201 => {
            map_json(reply, |body| {
                body["external_ref"] = Value::Null;
            })
        }
        Mutant::UnknownProductType | Mutant::DanglingCategory | Mutant::BadRegionCode
            if matches!(route, Some("list_products" | "get_product")) =>
        {
            map_json(reply, |body| {
                for p in orders_in(body) {
                    if p.get("is_available") != Some(&Value::Bool(false)) {
                        continue;
                    }
                    let (field, value) = match mutant {
                        Mutant::UnknownProductType => ("type", Value::from("gift_card")),
                        Mutant::DanglingCategory => ("category_id", Value::from(999_999)),
                        _ => ("region_code", Value::from("USA")),
                    };
                    p.insert(field.into(), value);
                }
            })
        }
        Mutant::VoucherWithRate if matches!(route, Some("list_products" | "get_product")) => {
            map_json(reply, |body| {
                for p in orders_in(body) {
                    if p.get("type") == Some(&Value::from("voucher")) {
                        p.insert("agent_rate".into(), Value::from("1.0000"));
                    }
                }
            })
        }
        Mutant::PostedAtOnPending if route == Some("list_deposits") => map_json(reply, |body| {
            for d in orders_in(body) {
                if d.get("status") == Some(&Value::from("pending")) {
                    let created = d.get("created_at").cloned().unwrap_or(Value::Null);
                    d.insert("posted_at".into(), created);
                }
            }
        }),
        _ => reply,
    }
}

/// The `error.code` of a reply's body.
fn reply_code(reply: &Reply) -> Option<String> {
    let body: Value = serde_json::from_slice(reply.body.as_ref()?).ok()?;
    Some(body.pointer("/error/code")?.as_str()?.to_string())
}

/// MUTANT HOOK (refuses-digits-in-account): the refusal of a valid account value.
pub fn refused_account(
    mutant: Option<Mutant>,
    topup: &serde_json::Map<String, Value>,
) -> Option<ApiError> {
    if mutant != Some(Mutant::RefusesDigitsInAccount) {
        return None;
    }
    let account = topup.get("customer_account")?.as_object()?;
    let (name, _) = account.iter().find(|(_, v)| {
        v.as_str()
            .is_some_and(|s| s.bytes().any(|b| b.is_ascii_digit()))
    })?;
    Some(ApiError::invalid(
        format!("topup_request.customer_account.{name}"),
        format!("{name} does not match its pattern"),
    ))
}

fn with_header(mut reply: Reply, name: &'static str, value: &str) -> Reply {
    reply = without_header(reply, name);
    reply.with_header(http::HeaderName::from_static(name), value)
}

fn without_header(mut reply: Reply, name: &str) -> Reply {
    reply
        .headers
        .retain(|(n, _)| !n.as_str().eq_ignore_ascii_case(name));
    reply
}

fn reverse_items(body: &mut Value) {
    if let Some(Value::Array(items)) = body.get_mut("items") {
        items.reverse();
    }
}

/// Replaces the reply by an Error of another status/code/param (keeping the message).
fn as_error(mut reply: Reply, status: u16, code: &str, param: Option<&str>) -> Reply {
    if let Ok(s) = http::StatusCode::from_u16(status) {
        reply.status = s;
    }
    let message = reply
        .body
        .as_ref()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .and_then(|v| v.pointer("/error/message").cloned())
        .unwrap_or_else(|| Value::from("rewritten by a mutant"));
    let body = serde_json::json!({"error": {"code": code, "message": message, "param": param}});
    reply.body = serde_json::to_vec(&body).ok().map(Bytes::from);
    reply
}

fn rename_param(reply: Reply, from: &str, to: &str) -> Reply {
    if reply.status.as_u16() < 400 {
        return reply;
    }
    map_json(reply, |body| {
        if body.pointer("/error/param") == Some(&Value::from(from)) {
            body["error"]["param"] = Value::from(to);
        }
    })
}

fn map_orders_with_status(
    reply: Reply,
    status: &str,
    f: impl Fn(&mut serde_json::Map<String, Value>),
) -> Reply {
    map_json(reply, |body| {
        for o in orders_in(body) {
            if o.get("status") == Some(&Value::from(status)) {
                f(o);
            }
        }
    })
}

/// MUTANT HOOK (accepts-bearer-prefix, accepts-missing-key, accepts-unknown-key): who the
/// caller is when the key check refused them, under these mutants; `None` keeps the 401.
pub fn lax_auth(
    mutant: Option<Mutant>,
    headers: &http::HeaderMap,
    keys: &crate::engine::sandbox::auth::KeyRing,
    path_agent: &str,
) -> Option<(String, String)> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match (mutant?, value) {
        (Mutant::AcceptsBearerPrefix, Some(v)) => {
            let key = v.strip_prefix("Bearer ")?;
            let mut raw = http::HeaderMap::new();
            raw.insert(
                http::header::AUTHORIZATION,
                http::HeaderValue::from_str(key).ok()?,
            );
            keys.authenticate(&raw).ok()
        }
        (Mutant::AcceptsMissingKey, None) => Some(("anonymous".into(), path_agent.into())),
        (Mutant::AcceptsUnknownKey, Some(v)) => Some((v.to_string(), path_agent.into())),
        _ => None,
    }
}

fn is_order_route(route: Option<&'static str>) -> bool {
    matches!(route, Some("create_order" | "get_order" | "list_orders"))
}

pub use crate::engine::sandbox::reply::map_json;

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
