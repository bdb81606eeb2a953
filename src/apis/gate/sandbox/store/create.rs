//! Creating an order: key lookup, balance check, reservation, insert and key binding, in
//! one savepoint (never check-then-act).

use rusqlite::{params, Connection};

use super::balances::{available, reserve};
use super::bindings::{bind_key, binding};
use super::orders::{order, ORDER_COLUMNS};
use super::rows::{Created, NewOrder, OrderRow};
use crate::apis::gate::money::Amount;
use crate::apis::gate::sandbox::mutants::Mutant;
use crate::engine::sandbox::clock::now_us;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::store::{atomic, new_uuid};

/// Creates an order — or replays the one its key is bound to — in ONE immediate
/// transaction: key lookup, balance check, reservation, order insert and key binding.
pub fn create_order(
    conn: &mut Connection,
    new: &NewOrder,
    mutant: Option<Mutant>,
) -> Result<Created, ApiError> {
    let tx = atomic(conn)?;
    let now = now_us();
    if let (Some(k), true) = (&new.idempotency, new.lookup_key) {
        if let Some(bound) = binding(&tx, &new.agent_id, &k.key)? {
            let same = bound.payload_hash == k.payload_hash;
            // MUTANT HOOK (mismatch-accepted): a different payload replays the first order.
            let replay = same || mutant == Some(Mutant::MismatchAccepted);
            if !replay {
                return Err(ApiError::idempotency_mismatch());
            }
            match &bound.order_id {
                // MUTANT HOOK (error-binds-key): the key was bound by a failed request, whose
                // error is replayed instead of creating the order.
                None => {
                    let have = available(&tx, &new.agent_id, &new.currency)?;
                    return Err(ApiError::insufficient_balance(
                        Amount::from_minor(have),
                        Amount::from_minor(new.charged_minor),
                        &new.currency,
                    ));
                }
                // MUTANT HOOK (replay-creates-order): a replay falls through and creates anew.
                Some(_) if mutant == Some(Mutant::ReplayCreatesOrder) => {}
                Some(order_id) => {
                    let first = order(&tx, order_id)?.ok_or_else(|| {
                        ApiError::internal("an idempotency binding points at no order")
                    })?;
                    // MUTANT HOOK (replay-charges-again): the replay reserves the charge again.
                    if mutant == Some(Mutant::ReplayChargesAgain) && first.moves_money {
                        reserve(
                            &tx,
                            &first.agent_id,
                            &first.currency,
                            first.charged_minor,
                            now,
                        )?;
                    }
                    tx.commit()?;
                    return Ok(Created::Replayed(first));
                }
            }
        }
    }
    let have = available(&tx, &new.agent_id, &new.currency)?;
    let (before, after) = if new.moves_money {
        if new.check_balance && have < new.charged_minor {
            // MUTANT HOOK (error-binds-key): the failure binds the key.
            if let (Some(k), Some(Mutant::ErrorBindsKey)) = (&new.idempotency, mutant) {
                bind_key(&tx, &new.agent_id, k, None)?;
                tx.commit()?;
            }
            return Err(ApiError::insufficient_balance(
                Amount::from_minor(have),
                Amount::from_minor(new.charged_minor),
                &new.currency,
            ));
        }
        reserve(&tx, &new.agent_id, &new.currency, new.charged_minor, now)?;
        (have, have - new.charged_minor)
    } else {
        (have.max(0), have.max(0))
    };
    let row = OrderRow {
        id: new_uuid(),
        agent_id: new.agent_id.clone(),
        product_id: new.product_id,
        product_kind: new.product_kind.clone(),
        quantity: new.quantity,
        external_ref: new.external_ref.clone(),
        idempotency_key: new.idempotency.as_ref().map(|k| k.key.clone()),
        status: "pending".into(),
        order_content: "{}".into(),
        currency: new.currency.clone(),
        charged_minor: new.charged_minor,
        before_minor: before,
        after_minor: after,
        is_test: new.is_test,
        moves_money: new.moves_money,
        region_code: new.region_code.clone(),
        created_us: now,
        completed_us: None,
        failed_us: None,
        due_ms: new.due_ms,
        outcome: new.outcome,
    };
    tx.prepare_cached(&format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, NULL, NULL, ?18, ?19)"
    ))?
    .execute(params![
        row.id,
        row.agent_id,
        row.product_id,
        row.product_kind,
        row.quantity,
        row.external_ref,
        row.idempotency_key,
        row.status,
        row.order_content,
        row.currency,
        row.charged_minor,
        row.before_minor,
        row.after_minor,
        row.is_test,
        row.moves_money,
        row.region_code,
        row.created_us,
        row.due_ms,
        row.outcome.as_str(),
    ])?;
    if let Some(k) = &new.idempotency {
        bind_key(&tx, &new.agent_id, k, Some(&row.id))?;
    }
    tx.commit()?;
    Ok(Created::New(row))
}
