//! An order's end (§9.1): a pending order completes (its reservation consumed, its content
//! delivered) or fails (its reservation released), once.

use rand::Rng;
use rusqlite::{params, Connection};
use serde_json::{Map, Value};

use super::balances::reserve;
use super::orders::order;
use super::rows::{OrderRow, Outcome, TransitionError};
use crate::apis::gate::sandbox::mutants::Mutant;
use crate::engine::sandbox::clock::now_us;
use crate::engine::sandbox::store::atomic;

/// What the order holds once delivered (§5.3): voucher codes or a vendor order id.
fn delivered_content(kind: &str, quantity: u32) -> String {
    let mut rng = rand::rng();
    let mut content = Map::new();
    if kind == crate::apis::gate::wire::VOUCHER {
        let mut code = || -> String {
            (0..4)
                .map(|_| {
                    (0..4)
                        .map(|_| {
                            let n = rng.random_range(0..36u8);
                            char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
                        })
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("-")
        };
        let codes: Vec<String> = (0..quantity.max(1)).map(|_| code()).collect();
        content.insert("voucher_code".into(), Value::String(codes[0].clone()));
        if codes.len() > 1 {
            content.insert("voucher_codes".into(), Value::String(codes.join(",")));
        }
    } else {
        let id = format!("LC-{:08}", rng.random_range(0..100_000_000u32));
        content.insert("vendor_order_id".into(), Value::String(id));
    }
    Value::Object(content).to_string()
}

/// Moves a pending order to `completed` or `failed` in one transaction, consuming or
/// releasing its reservation. The only way an order's status changes.
pub fn transition(
    conn: &mut Connection,
    order_id: &str,
    to: Outcome,
    mutant: Option<Mutant>,
) -> Result<OrderRow, TransitionError> {
    let tx = atomic(conn)?;
    let Some(mut row) = order(&tx, order_id)? else {
        return Err(TransitionError::NotFound);
    };
    if !row.is_pending() {
        return Err(TransitionError::Terminal);
    }
    let now = now_us().max(row.created_us);
    match to {
        Outcome::Complete => {
            row.status = "completed".into();
            row.completed_us = Some(now);
            row.order_content = delivered_content(&row.product_kind, row.quantity);
            if row.moves_money {
                tx.prepare_cached(
                    "UPDATE balances SET reserved_minor = reserved_minor - ?3, updated_us = ?4
                     WHERE agent_id = ?1 AND currency = ?2",
                )?
                .execute(params![
                    row.agent_id,
                    row.currency,
                    row.charged_minor,
                    now
                ])?;
                // MUTANT HOOK (ledger-drift): one cent too many leaves the available balance.
                if mutant == Some(Mutant::LedgerDrift) {
                    tx.execute(
                        "UPDATE balances SET available_minor = available_minor - 1
                         WHERE agent_id = ?1 AND currency = ?2 AND available_minor >= 1",
                        params![row.agent_id, row.currency],
                    )?;
                }
            }
        }
        Outcome::Fail => {
            row.status = "failed".into();
            row.failed_us = Some(now);
            row.order_content = "{}".into();
            // MUTANT HOOK (failed-keeps-reservation): the reservation is never released.
            if row.moves_money && mutant != Some(Mutant::FailedKeepsReservation) {
                reserve(&tx, &row.agent_id, &row.currency, -row.charged_minor, now)?;
            }
        }
    }
    tx.prepare_cached(
        "UPDATE orders SET status = ?2, order_content = ?3, completed_us = ?4, failed_us = ?5
         WHERE id = ?1 AND status = 'pending'",
    )?
    .execute(params![
        row.id,
        row.status,
        row.order_content,
        row.completed_us,
        row.failed_us
    ])?;
    tx.commit()?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voucher_order_delivers_one_code_per_unit() {
        let one: Value = serde_json::from_str(&delivered_content("voucher", 1)).unwrap();
        let code = one["voucher_code"].as_str().unwrap();
        assert_eq!(code.len(), 19);
        assert!(code.split('-').all(|g| g.len() == 4
            && g.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())));
        assert!(one.get("voucher_codes").is_none());
        let three: Value = serde_json::from_str(&delivered_content("voucher", 3)).unwrap();
        let codes = three["voucher_codes"].as_str().unwrap();
        assert_eq!(codes.split(',').count(), 3);
        assert!(codes.starts_with(three["voucher_code"].as_str().unwrap()));
    }

    #[test]
    fn a_top_up_delivers_a_vendor_order_id() {
        let v: Value = serde_json::from_str(&delivered_content("top_up", 1)).unwrap();
        let id = v["vendor_order_id"].as_str().unwrap();
        assert!(id.starts_with("LC-") && id.len() == 11);
        assert!(v.get("voucher_code").is_none());
    }
}
