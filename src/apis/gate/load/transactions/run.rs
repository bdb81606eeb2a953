//! The goose glue: what each transaction sends when the engine runs it, how its spend is
//! reserved and settled, and what the user keeps for a later poll or replay.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use super::answers::{created, order_body, polled, replay_disagrees, Polled};
use super::{GateLoad, GateUser, LastOrder};
use crate::apis::gate::charge::{self, CreateOutcome};
use crate::apis::gate::load::catalog::Orderable;
use crate::apis::gate::load::scenario::ProductChoice;
use crate::apis::gate::load::validate::BodyKind;
use crate::engine::client::pages::encode;
use crate::engine::load::goose::{Endpoint, LoadUser, Outcome, Request, Response};
use crate::engine::load::recorder::ErrorReason;
use crate::engine::load::txn::{fresh_key, Poll};
use crate::engine::spend::Reservation;

pub(super) fn pick(paths: &[Endpoint]) -> Option<&Endpoint> {
    match paths.len() {
        0 => None,
        1 => paths.first(),
        n => paths.get(rand::rng().random_range(0..n)),
    }
}

/// The sampled body check of `kind`, for [`LoadUser::checked`].
fn body_check(
    ctx: &GateLoad,
    kind: Option<BodyKind>,
) -> Option<impl FnOnce(&[u8]) -> Result<(), String> + '_> {
    kind.map(|kind| move |body: &[u8]| ctx.validator.check(kind, body))
}

pub(super) async fn get(
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
    endpoint: &Endpoint,
    body_kind: Option<BodyKind>,
) -> (Outcome, Response) {
    let r = user.send(Request::get(endpoint)).await;
    (user.checked(&r, body_check(ctx, body_kind)), r)
}

pub(super) async fn create_order(
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
    choice: ProductChoice,
    quantity: u32,
    force_test: bool,
    validate: bool,
) -> Outcome {
    let Some(product) = choose(ctx, choice) else {
        return Outcome::not_sent();
    };
    let quantity = if product.is_voucher { quantity } else { 1 };
    let charge = product.charge(quantity);
    // A real order reserves the worst case (the price is the catalog's claim) until its
    // answer says what was charged; the other users' orders go as test orders meanwhile.
    let mut reservation = None;
    let real_charge = match charge {
        Some(c) if !force_test && ctx.spend.real_orders_allowed() => {
            match ctx.spend.reserve(&product.currency, c.into()) {
                Ok(r) => {
                    reservation = Some(r);
                    Some(c)
                }
                // Another real order holds the headroom: this one goes as a test order,
                // and real orders resume once that one is answered (the summary counts
                // these; only the cap reached for good is a note).
                Err(held) if held.is_busy() => {
                    ctx.orders_sent_as_test_while_held
                        .fetch_add(1, Ordering::Relaxed);
                    None
                }
                Err(cap) => {
                    ctx.orders_switched_to_test.fetch_add(1, Ordering::Relaxed);
                    ctx.cap_noted.note(user, || {
                        format!("{cap}: later orders were created as test orders")
                    });
                    None
                }
            }
        }
        _ => None,
    };
    let body = order_body(product, quantity, real_charge.is_none());
    let key = fresh_key("gatecheck");
    let r = user
        .send(Request {
            endpoint: &ctx.orders,
            expect: 201,
            post: Some((&key, &body)),
        })
        .await;
    let outcome = user.checked(&r, body_check(ctx, validate.then_some(BodyKind::Order)));
    // What was charged stays counted, even if a poll later says `failed`: that is the
    // target's word, and load reads no balance to prove the money came back.
    if let Some(reservation) = reservation {
        settle(reservation, &r);
    }
    // Not created: the settlement above released a refusal and kept an unknown.
    if let Some(order) = created(r.status, &r.body) {
        let endpoint = user.endpoint(format!("{}{}", ctx.order_prefix, encode(&order.id)));
        if let Some(state) = user.state_mut() {
            state.last_order = Some(Arc::new(LastOrder {
                endpoint,
                id: order.id,
                key,
                body,
                real_charge,
                currency: product.currency.clone(),
            }));
        }
    }
    outcome
}

/// Settles a real create's reservation by its answer (load reads no balance); what it
/// counted stays counted.
fn settle(reservation: Reservation, r: &Response) {
    let json = serde_json::from_slice::<Value>(&r.body).ok();
    drop(charge::settle(
        reservation,
        &CreateOutcome {
            status: r.status,
            body: json.as_ref(),
            balance_moved: None,
        },
    ));
}

fn choose(ctx: &GateLoad, choice: ProductChoice) -> Option<&Orderable> {
    let mut rng = rand::rng();
    let from = |list: &'_ [Orderable], rng: &mut rand::rngs::ThreadRng| -> Option<usize> {
        (!list.is_empty()).then(|| rng.random_range(0..list.len()))
    };
    match choice {
        ProductChoice::Voucher => from(&ctx.vouchers, &mut rng).map(|i| &ctx.vouchers[i]),
        ProductChoice::TopUp => from(&ctx.top_ups, &mut rng).map(|i| &ctx.top_ups[i]),
        ProductChoice::Any => {
            let total = ctx.vouchers.len() + ctx.top_ups.len();
            if total == 0 {
                return None;
            }
            let i = rng.random_range(0..total);
            ctx.vouchers
                .get(i)
                .or_else(|| ctx.top_ups.get(i - ctx.vouchers.len()))
        }
    }
}

pub(super) async fn poll_order(
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
    order: &LastOrder,
    interval: Duration,
    timeout: Duration,
    validate: bool,
) -> Outcome {
    let poll = Poll::start(interval, timeout);
    loop {
        let (outcome, r) = get(
            ctx,
            user,
            &order.endpoint,
            validate.then_some(BodyKind::Order),
        )
        .await;
        if outcome.error.is_some() {
            return outcome;
        }
        match polled(&r.body) {
            // A failed real order stays counted (see `create_order`).
            Polled::Ended(_) => {
                return outcome;
            }
            Polled::Pending => {}
            Polled::Unreadable => return outcome.failed(ErrorReason::SchemaViolation),
        }
        if let Err(timed_out) = poll.wait(outcome).await {
            return timed_out;
        }
    }
}

pub(super) async fn replay_order(
    ctx: &GateLoad,
    user: &mut LoadUser<'_, GateUser>,
    order: &LastOrder,
) -> Option<Outcome> {
    // A replay of a real order is a real order to a server that does not honour the key:
    // it is reserved like the first, or not sent (`None`: no request, no error — another
    // real order may hold the headroom for now).
    let reservation = match order.real_charge {
        Some(charge) => match ctx.spend.reserve(&order.currency, charge.into()) {
            Ok(r) => Some(r),
            Err(held) if held.is_busy() => return None,
            Err(cap) => {
                ctx.cap_noted.note(user, || {
                    format!("{cap}: replays of real orders were not sent")
                });
                return None;
            }
        },
        None => None,
    };
    let r = user
        .send(Request {
            endpoint: &ctx.orders,
            expect: 201,
            post: Some((&order.key, &order.body)),
        })
        .await;
    let mut outcome = user.checked(&r, body_check(ctx, None));
    let disagrees = replay_disagrees(&r.body, &order.id, r.replayed);
    if let Some(reservation) = reservation {
        if r.status == Some(201) && disagrees.is_none() {
            // The first order, marked replayed: nothing new was created.
            reservation.release();
        } else {
            // A new order or an unknown outcome: counted as any real create's.
            settle(reservation, &r);
        }
    }
    if outcome.error.is_none() {
        if let Some(why) = disagrees {
            user.note(format!("replay of order {} {why}", order.id));
            outcome.error = Some(ErrorReason::ReplayMismatch);
        }
    }
    Some(outcome)
}
