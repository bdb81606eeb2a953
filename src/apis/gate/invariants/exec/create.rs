//! Creating an order: the key to use, the contract's expectation, the spend policy on the
//! user's own agent, the request, then the judge's verdict applied to the model.

use serde_json::json;

use super::judge::{judge_create, Created, Sent};
use super::{Blame, Exec, Role, Step};
use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::invariants::checks::CheckId;
use crate::apis::gate::invariants::ledger::Expect;
use crate::apis::gate::invariants::payload::{
    render_body, tweak, Lifecycle, OrderRequest, Validity,
};
use crate::apis::gate::invariants::strategy::KeyUse;

impl Exec<'_> {
    fn fresh_key(&mut self) -> String {
        self.fresh_keys += 1;
        format!("gc-{}-{}", self.nonce, self.fresh_keys)
    }

    pub(super) async fn create(&mut self, own: OrderRequest, key_use: &KeyUse) -> Step {
        let mut style = 0u8;
        let (key, mut request) = match key_use {
            KeyUse::None => (None, own),
            KeyUse::Fresh => (Some(self.fresh_key()), own),
            KeyUse::Malformed => (Some("k".repeat(256)), own),
            KeyUse::Reuse(i) => match self.ledger.pick_key(i).map(str::to_string) {
                Some(k) => (Some(k), own),
                None => (Some(self.fresh_key()), own),
            },
            KeyUse::Replay { key, style: s } => match self.ledger.pick_key(key).map(str::to_string)
            {
                Some(k) => {
                    style = *s;
                    let last = self.sent.get(&k).cloned().unwrap_or(own);
                    (Some(k), last)
                }
                None => (Some(self.fresh_key()), own),
            },
            KeyUse::Mismatch { key, variant } => {
                match self.ledger.pick_key(key).map(str::to_string) {
                    Some(k) => {
                        let mut last = self.sent.get(&k).cloned().unwrap_or(own);
                        last.body = tweak(&last.body, *variant);
                        (Some(k), last)
                    }
                    None => (Some(self.fresh_key()), own),
                }
            }
        };
        let malformed = matches!(key_use, KeyUse::Malformed);
        let mut expect = if malformed {
            Expect::Invalid {
                code: "invalid_request",
                param: Some("Idempotency-Key".into()),
            }
        } else {
            self.ledger
                .expect_create(&request.validity, &request.body, key.as_deref())
        };
        // Spend policy on the user's own agent: a real order that the cap refuses is sent
        // as a test order instead.
        // The reservation holds the worst case (the price is the catalog's claim) until
        // the answer says what was charged; no answer keeps it spent.
        let mut spent: Option<crate::engine::spend::Reservation> = None;
        if !self.isolated {
            if let Expect::Create { priced, .. } = &expect {
                if !priced.is_test {
                    if let Ok(reservation) = self
                        .env
                        .spend
                        .reserve(&priced.currency, priced.charge.into())
                    {
                        spent = Some(reservation);
                    } else {
                        make_test(&mut request);
                        expect = self.ledger.expect_create(
                            &request.validity,
                            &request.body,
                            key.as_deref(),
                        );
                    }
                }
            }
        }
        let text = render_body(&request.body, style);
        let mut rb = self
            .client
            .post(self.client.agent_path("/orders"))
            .header("Content-Type", "application/json");
        if let Some(k) = &key {
            rb = rb.header("Idempotency-Key", k.clone());
        }
        let primary = primary_check(&expect, &request);
        let sent = rb.raw_body(text).send().await;
        let ex = match sent {
            Ok(ex) => ex,
            Err(e) => {
                // No answer: the order may exist and be charged — `spent` stays counted.
                drop(spent);
                return Err(Self::no_response(primary, "POST /orders", e));
            }
        };
        let mut charged = None;
        if let Some(reservation) = spent.take() {
            let json = ex.json();
            charged = crate::apis::gate::charge::settle(
                reservation,
                &crate::apis::gate::charge::CreateOutcome {
                    status: Some(ex.status),
                    body: json.as_ref(),
                    balance_moved: None,
                },
            );
        }
        self.record(Role::Action, &ex);
        if !malformed {
            if let Some(k) = &key {
                self.sent.insert(k.clone(), request.clone());
            }
        }
        let key_failed_before = self.ledger.key_failed_before(key.as_deref());
        let sent = Sent {
            expect: &expect,
            request: &request,
            key: key.as_deref(),
            key_failed_before,
        };
        let mut exercised = Vec::new();
        let judged = judge_create(&self.ledger, &sent, &ex, &mut exercised);
        self.exercise_all(exercised);
        let created = match judged {
            Ok(Created::Refused) => {
                self.ledger_refused(key.as_deref(), &request);
                None
            }
            Ok(Created::Nothing) => None,
            Ok(Created::New(order)) => {
                if let Some(c) = charged {
                    self.spent.insert(order.id.clone(), c);
                }
                Some(self.ledger.created(*order))
            }
            Err(v) => {
                let v = v.with_exchange(Some(ex.evidence()));
                return Err(self.confirm(v, &request, &ex).await);
            }
        };
        let blame = Blame {
            check: primary,
            event: format!("step {}: {}", self.step, describe_expect(&expect)),
        };
        self.verify_balances(blame).await?;
        if let Some(idx) = created {
            if matches!(
                request.lifecycle,
                Lifecycle::AutoComplete | Lifecycle::AutoFail
            ) {
                self.settle(idx).await?;
            }
        }
        Ok(())
    }

    fn ledger_refused(&mut self, key: Option<&str>, request: &OrderRequest) {
        if key.is_some_and(|k| k.len() <= 255) {
            self.ledger.refused(key, &request.body);
        }
    }
}

/// The check a wrong outcome of this create is blamed on.
fn primary_check(expect: &Expect, request: &OrderRequest) -> CheckId {
    match expect {
        Expect::Invalid { .. } | Expect::InvalidOrMismatch { .. } => {
            CheckId::InvalidPayloadRejected
        }
        Expect::Mismatch { .. } => CheckId::MismatchRejected,
        Expect::Replay { .. } => CheckId::ReplayMovesNoMoney,
        Expect::Insufficient { .. } => CheckId::InsufficientBalanceRejected,
        Expect::Create { .. } => match request.validity.priced() {
            Some(p) if p.is_test => CheckId::TestOrdersMoveNoMoney,
            _ => CheckId::ChargeReserved,
        },
    }
}

fn describe_expect(expect: &Expect) -> String {
    match expect {
        Expect::Invalid { code, .. } => format!("an order refused as {code}"),
        Expect::InvalidOrMismatch { .. } => {
            "an order for an unavailable product on a used key".into()
        }
        Expect::Mismatch { .. } => "a key reused with a different payload".into(),
        Expect::Replay { .. } => "a replay".into(),
        Expect::Insufficient { .. } => "an order refused for balance".into(),
        Expect::Create { priced, .. } if priced.is_test => {
            format!("a test order of {} {}", priced.charge, priced.currency)
        }
        Expect::Create { priced, .. } => {
            format!("an order of {} {}", priced.charge, priced.currency)
        }
    }
}

fn make_test(request: &mut OrderRequest) {
    if let Some(map) = request.body.as_object_mut() {
        map.insert("test".into(), json!(true));
    }
    if let Validity::Valid(p) = &mut request.validity {
        p.is_test = true;
    }
}
