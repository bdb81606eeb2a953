//! What one real order create cost, as far as the harness can prove it — the settlement
//! of its spend reservation (`engine::spend::Reservation`). The server's `charged_amount`
//! and the balance movement around the create both count (the larger wins: a proxy may
//! show one and do the other); a create whose outcome is unknown (no response, a 5xx, a
//! 2xx with neither figure) stays spent.

use serde_json::Value;

use crate::apis::gate::catalog::Orderable;
use crate::apis::gate::client::GateClientExt;
use crate::apis::gate::money::Amount;
use crate::engine::client::ApiClient;
use crate::engine::spend::{Minor, Reservation, SpendGuard, Spent};

/// How a create ended, as seen by the caller.
pub struct CreateOutcome<'a> {
    /// `None`: no HTTP response (timeout, reset).
    pub status: Option<u16>,
    pub body: Option<&'a Value>,
    /// `available` before minus after, when both were read.
    pub balance_moved: Option<Amount>,
}

/// Settles, releases or keeps `reservation` by what `outcome` proves. A settled order's
/// [`Spent`] is returned: the caller gives it back if the order later fails (§5.3).
pub fn settle(reservation: Reservation, outcome: &CreateOutcome<'_>) -> Option<Spent> {
    let moved = outcome.balance_moved.filter(|m| !m.is_negative());
    let charged = charged(outcome.body).filter(|a| !a.is_negative());
    match outcome.status {
        Some(200..=299) => match charged.into_iter().chain(moved).max() {
            Some(cost) => Some(reservation.settle(Minor::from(cost))),
            None => {
                reservation.keep();
                None
            }
        },
        Some(400..=499) => match moved.filter(|m| !m.is_zero()) {
            Some(cost) => Some(reservation.settle(Minor::from(cost))),
            None => {
                reservation.release();
                None
            }
        },
        _ => {
            reservation.keep();
            None
        }
    }
}

/// The `charged_amount` of a `201` body, when it is a DecimalAmount.
fn charged(body: Option<&Value>) -> Option<Amount> {
    body.and_then(|b| b.get("charged_amount"))
        .and_then(Value::as_str)
        .and_then(|s| Amount::parse_decimal_amount(s).ok())
}

/// A test order answered `201` with `body`: its `charged_amount` is the server's quote for
/// an order the catalog prices at `claimed` (§6: test orders are priced like any other and
/// move no money). A quote above the claim scales every later real order in `currency`.
pub fn learn_quote(spend: &SpendGuard, currency: &str, claimed: Amount, body: Option<&Value>) {
    if let Some(quoted) = charged(body) {
        spend.quoted(currency, Minor::from(claimed), Minor::from(quoted));
    }
}

/// Asks for a quote before any real order: `body` (an order create, `test` is set here)
/// sent as a test order. The catalog's price is a claim; a proxy or a broken server may
/// show one price and charge another, and the first real order in a currency must not
/// find out by spending. True when the test order was created.
pub async fn quote(
    client: &ApiClient,
    spend: &SpendGuard,
    currency: &str,
    claimed: Amount,
    body: &serde_json::Map<String, Value>,
) -> bool {
    let mut body = body.clone();
    body.insert("test".into(), Value::Bool(true));
    let sent = client
        .post(client.agent_path("/orders"))
        .json(&Value::Object(body))
        .send()
        .await;
    match sent {
        Ok(ex) if ex.status == 201 => {
            learn_quote(spend, currency, claimed, ex.json().as_ref());
            true
        }
        Ok(ex) => {
            tracing::debug!(status = ex.status, "a quote (test order) was not created");
            false
        }
        Err(e) => {
            tracing::debug!(error = %e, "a quote (test order) had no answer");
            false
        }
    }
}

/// One quote per order before any real one: each `(currency, claimed charge, body)` sent
/// as a test order ([`quote`]). The catalog's prices are claims, and the spend cap
/// believes the larger of claim and quote. Returns how many quotes were created.
pub async fn quote_each(
    client: &ApiClient,
    spend: &SpendGuard,
    orders: &[(&str, Amount, &serde_json::Map<String, Value>)],
) -> u64 {
    let mut created = 0;
    for &(currency, claimed, body) in orders {
        if quote(client, spend, currency, claimed, body).await {
            created += 1;
        }
    }
    created
}

/// [`quote_each`] over the ready order of every orderable product.
pub async fn quote_all(client: &ApiClient, spend: &SpendGuard, products: &[Orderable]) -> u64 {
    let ready: Vec<_> = products
        .iter()
        .filter_map(|p| Some((p, p.ready_charge()?, p.ready_body())))
        .collect();
    let orders: Vec<_> = ready
        .iter()
        .map(|(p, claimed, body)| (p.currency.as_str(), *claimed, body))
        .collect();
    quote_each(client, spend, &orders).await
}
