//! The money movements, each one savepoint: an authorization, a capture, cancel or refund
//! (in the order of §3), and a transaction's settlement (§6).

use rusqlite::{params, Connection};

use super::bindings::{bind, replay};
use super::reads::{owned, transaction, TX_COLUMNS};
use super::rows::{Done, Final, NewOp, NewTx, Operation, SettleError, TxRow, SUCCESS};
use crate::apis::wallet::sandbox::ids::new_transaction_id;
use crate::apis::wallet::sandbox::mutants::WalletMutant;
use crate::engine::sandbox::clock::now_us;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::store::atomic;

/// A later `updated_us` than the row's: now, or one µs after it (strictly increasing).
fn touch(row: &TxRow) -> i64 {
    now_us().max(row.updated_us + 1)
}

/// Authorizes — or replays what the key is bound to — in ONE savepoint: key lookup,
/// insert and key binding.
pub fn authorize(
    conn: &mut Connection,
    new: &NewTx,
    mutant: Option<WalletMutant>,
) -> Result<Done, ApiError> {
    let sp = atomic(conn)?;
    if let Some((tx, amount)) = replay(&sp, &new.merchant_id, &new.key, mutant)? {
        sp.commit()?;
        return Ok(Done {
            tx,
            amount,
            replayed: true,
        });
    }
    let now = now_us();
    let row = TxRow {
        // MUTANT HOOK (IdTimeOff): the id's time 10 s before createdAt.
        id: new_transaction_id(if mutant == Some(WalletMutant::IdTimeOff) {
            now / 1000 - 10_000
        } else {
            now / 1000
        }),
        merchant_id: new.merchant_id.clone(),
        status: new.status.to_string(),
        order_reference: new.order_reference.clone(),
        currency: new.currency.clone(),
        authorized: new.amount,
        captured: 0,
        cancelled: 0,
        refunded: 0,
        created_us: now,
        updated_us: now,
        due_ms: new.due_ms,
        outcome: new.outcome,
    };
    sp.prepare_cached(&format!(
        "INSERT INTO wallet_transactions ({TX_COLUMNS}) VALUES
         (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, ?7, ?7, ?8, ?9)"
    ))?
    .execute(params![
        row.id,
        row.merchant_id,
        row.status,
        row.order_reference,
        row.currency,
        row.authorized,
        row.created_us,
        row.due_ms,
        row.outcome.as_str(),
    ])?;
    bind(
        &sp,
        &new.merchant_id,
        &new.key,
        &row.id,
        "authorize",
        new.amount,
    )?;
    sp.commit()?;
    Ok(Done {
        amount: row.authorized,
        tx: row,
        replayed: false,
    })
}

/// Captures, cancels or refunds — or replays what the key is bound to — in ONE savepoint,
/// in the order of §3: key lookup → 404 → 409 `invalid_state` → 400
/// `amount_exceeds_remaining` → the movement and the key binding.
pub fn operate(
    conn: &mut Connection,
    op: &NewOp,
    mutant: Option<WalletMutant>,
) -> Result<Done, ApiError> {
    let sp = atomic(conn)?;
    let is = |m: WalletMutant| mutant == Some(m);
    if let (Some(k), true) = (&op.key, op.lookup_key) {
        if let Some((tx, amount)) = replay(&sp, &op.merchant_id, k, mutant)? {
            // MUTANT HOOK (wallet-replay-refunds-again): the replay moves the refund again.
            if is(WalletMutant::ReplayRefundsAgain) && op.operation == Operation::Refund {
                sp.execute(
                    "UPDATE wallet_transactions SET refunded = refunded + ?2, updated_us = ?3 WHERE id = ?1",
                    params![tx.id, amount, touch(&tx)],
                )?;
            }
            // MUTANT HOOK (wallet-replay-rechecks-remaining): the replay is judged again.
            if is(WalletMutant::ReplayRechecksRemaining)
                && op.operation != Operation::Refund
                && amount > tx.remaining()
            {
                return Err(exceeds(op.operation));
            }
            let tx = transaction(&sp, &tx.id)?.unwrap_or(tx);
            sp.commit()?;
            return Ok(Done {
                tx,
                amount,
                replayed: true,
            });
        }
    }
    let mut tx = owned(&sp, &op.merchant_id, &op.transaction_id)?;
    let refuse = |e: ApiError, sp: rusqlite::Savepoint<'_>| -> Result<Done, ApiError> {
        // MUTANT HOOK (wallet-error-binds-key): the refusal binds the key.
        if let (Some(k), true) = (&op.key, is(WalletMutant::ErrorBindsKey)) {
            bind(
                &sp,
                &op.merchant_id,
                k,
                &op.transaction_id,
                op.operation.as_str(),
                op.amount,
            )?;
            sp.commit()?;
        }
        Err(e)
    };
    // MUTANT HOOK (wallet-operates-on-unsettled): the status is not checked.
    if tx.status != SUCCESS && !is(WalletMutant::OperatesOnUnsettled) {
        return refuse(
            ApiError::invalid_state(format!(
                "The transaction is {}; only a SUCCESS transaction can be {}",
                tx.status,
                op.operation.past_tense()
            )),
            sp,
        );
    }
    let room = tx.room(op.operation);
    // MUTANT HOOK (wallet-capture-beyond-hold): captures are not held to `remaining`.
    // MUTANT HOOK (wallet-capture-race): the check was done earlier, in its own step.
    // MUTANT HOOK (wallet-refund-race): the same for refunds.
    let unchecked = !op.check_room
        || (op.operation == Operation::Capture && is(WalletMutant::CaptureBeyondHold));
    if op.amount > room && !unchecked {
        return refuse(exceeds(op.operation), sp);
    }
    let updated = touch(&tx);
    // MUTANT HOOK (wallet-cancel-moves-captured): a cancel lands in the captured total.
    let column = match op.operation {
        Operation::Capture => "captured",
        Operation::Cancel if is(WalletMutant::CancelMovesCaptured) => "captured",
        Operation::Cancel => "cancelled",
        Operation::Refund => "refunded",
    };
    sp.prepare_cached(&format!(
        "UPDATE wallet_transactions SET {column} = {column} + ?2, updated_us = ?3 WHERE id = ?1"
    ))?
    .execute(params![tx.id, op.amount, updated])?;
    match column {
        "captured" => tx.captured += op.amount,
        "cancelled" => tx.cancelled += op.amount,
        _ => tx.refunded += op.amount,
    }
    tx.updated_us = updated;
    if let Some(k) = &op.key {
        bind(
            &sp,
            &op.merchant_id,
            k,
            &tx.id,
            op.operation.as_str(),
            op.amount,
        )?;
    }
    sp.commit()?;
    Ok(Done {
        tx,
        amount: op.amount,
        replayed: false,
    })
}

fn exceeds(op: Operation) -> ApiError {
    ApiError::amount_exceeds_remaining(match op {
        Operation::Capture => "The capture exceeds what remains of the authorized amount",
        Operation::Cancel => "The cancel exceeds what remains of the authorized amount",
        Operation::Refund => "The refund exceeds the captured amount not yet refunded",
    })
}

/// Moves an open transaction to `SUCCESS` or `FAILED` in one savepoint (the lifecycle and
/// the admin API's forced outcomes). `SUCCESS` and `FAILED` never change again.
pub fn settle(conn: &mut Connection, id: &str, to: Final) -> Result<TxRow, SettleError> {
    let sp = atomic(conn)?;
    let Some(mut tx) = transaction(&sp, id)? else {
        return Err(SettleError::NotFound);
    };
    if !tx.is_open() {
        return Err(SettleError::Final);
    }
    tx.status = to.status().to_string();
    tx.updated_us = touch(&tx);
    sp.prepare_cached(
        "UPDATE wallet_transactions SET status = ?2, updated_us = ?3
         WHERE id = ?1 AND status IN ('NEW', 'PROCESSING')",
    )?
    .execute(params![tx.id, tx.status, tx.updated_us])?;
    sp.commit()?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_is_strictly_later() {
        let mut t = TxRow {
            id: "t".into(),
            merchant_id: "m".into(),
            status: SUCCESS.into(),
            order_reference: "r".into(),
            currency: "KZT".into(),
            authorized: 1,
            captured: 0,
            cancelled: 0,
            refunded: 0,
            created_us: 0,
            updated_us: now_us() + 60_000_000,
            due_ms: 0,
            outcome: Final::Success,
        };
        assert_eq!(touch(&t), t.updated_us + 1);
        t.updated_us = 0;
        assert!(touch(&t) > 0);
    }

    #[test]
    fn exceeding_names_the_room_of_each_operation() {
        for (op, room) in [
            (Operation::Capture, "remains of the authorized"),
            (Operation::Cancel, "remains of the authorized"),
            (Operation::Refund, "captured amount not yet refunded"),
        ] {
            let e = exceeds(op);
            assert_eq!(e.code, "amount_exceeds_remaining");
            assert!(e.message.contains(room), "{}", e.message);
            assert!(e.message.contains(op.as_str()), "{}", e.message);
        }
    }
}
