//! The Gate's SQL on an in-memory store: key retention and the ledger identity.

use super::*;
use crate::engine::sandbox::clock::now_ms;

fn order_for(agent: &str, key: &str) -> NewOrder {
    NewOrder {
        agent_id: agent.into(),
        product_id: 1,
        product_kind: "voucher".into(),
        quantity: 1,
        external_ref: None,
        currency: "USD".into(),
        charged_minor: 100,
        is_test: false,
        moves_money: true,
        region_code: "GLOBAL".into(),
        due_ms: 0,
        outcome: Outcome::Complete,
        idempotency: Some(KeyUse {
            key: key.into(),
            payload_hash: "h".into(),
        }),
        check_balance: true,
        lookup_key: true,
    }
}

#[test]
fn keys_are_kept_24_hours_then_free() {
    let store = Store::open(None, &[SCHEMA]).unwrap();
    store.call_now(|c| {
        let (agent, _) = create_agent(c, &[("USD".into(), 10_000)]).unwrap();
        let first = create_order(c, &order_for(&agent, "k"), None).unwrap();
        let Created::New(first) = first else { panic!("new order") };
        assert!(matches!(create_order(c, &order_for(&agent, "k"), None).unwrap(), Created::Replayed(r) if r.id == first.id));
        // 23 hours later: still bound.
        c.execute("UPDATE idempotency SET created_ms = ?1", [now_ms() - 23 * 3_600_000]).unwrap();
        assert!(binding(c, &agent, "k").unwrap().is_some());
        assert_eq!(purge_expired_keys(c).unwrap(), 0);
        // 25 hours later: expired, purged, and the key is free again.
        c.execute("UPDATE idempotency SET created_ms = ?1", [now_ms() - 25 * 3_600_000]).unwrap();
        assert!(binding(c, &agent, "k").unwrap().is_none());
        assert_eq!(purge_expired_keys(c).unwrap(), 1);
        assert!(matches!(create_order(c, &order_for(&agent, "k"), None).unwrap(), Created::New(r) if r.id != first.id));
    })
    .unwrap();
}

#[test]
fn reservation_and_settlement_keep_the_ledger_identity() {
    let store = Store::open(None, &[SCHEMA]).unwrap();
    store
        .call_now(|c| {
            let (agent, _) = create_agent(c, &[("USD".into(), 250)]).unwrap();
            let mut ids = Vec::new();
            for _ in 0..3 {
                match create_order(
                    c,
                    &NewOrder {
                        idempotency: None,
                        ..order_for(&agent, "")
                    },
                    None,
                ) {
                    Ok(Created::New(o)) => ids.push(o.id),
                    Err(e) => assert_eq!(e.code, "insufficient_balance"),
                    Ok(_) => panic!("no replay without a key"),
                }
            }
            assert_eq!(ids.len(), 2);
            assert_eq!(available(c, &agent, "USD").unwrap(), 50);
            transition(c, &ids[0], Outcome::Complete, None).unwrap();
            transition(c, &ids[1], Outcome::Fail, None).unwrap();
            assert!(matches!(
                transition(c, &ids[1], Outcome::Complete, None),
                Err(TransitionError::Terminal)
            ));
            let b = &balances(c, &agent, Some("USD")).unwrap()[0];
            assert_eq!((b.available_minor, b.reserved_minor), (150, 0));
        })
        .unwrap();
}
