//! What one real order create cost, as far as the harness can prove it — the settlement
//! of its spend reservation (`engine::spend::Reservation`). The server's `charged_amount`
//! and the balance movement around the create both count (the larger wins: a proxy may
//! show one and do the other); a create whose outcome is unknown (no response, a 5xx, a
//! 2xx with neither figure) stays spent.

use serde_json::Value;

use crate::apis::gate::money::Amount;
use crate::engine::spend::{Minor, Reservation};

/// How a create ended, as seen by the caller.
pub struct CreateOutcome<'a> {
    /// `None`: no HTTP response (timeout, reset).
    pub status: Option<u16>,
    pub body: Option<&'a Value>,
    /// `available` before minus after, when both were read.
    pub balance_moved: Option<Amount>,
}

/// Settles, releases or keeps `reservation` by what `outcome` proves.
pub fn settle(reservation: Reservation, outcome: &CreateOutcome<'_>) {
    let moved = outcome.balance_moved.filter(|m| !m.is_negative());
    let charged = outcome
        .body
        .and_then(|b| b.get("charged_amount"))
        .and_then(Value::as_str)
        .and_then(|s| Amount::parse_decimal_amount(s).ok())
        .filter(|a| !a.is_negative());
    match outcome.status {
        Some(200..=299) => match charged.into_iter().chain(moved).max() {
            Some(cost) => reservation.settle(Minor::from(cost)),
            None => reservation.keep(),
        },
        Some(400..=499) => match moved.filter(|m| !m.is_zero()) {
            Some(cost) => reservation.settle(Minor::from(cost)),
            None => reservation.release(),
        },
        _ => reservation.keep(),
    }
}
