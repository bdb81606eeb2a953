//! The operation steps: a capture, cancel or refund under the key the case asks for, and
//! the replay of an earlier one. What the model expects decides the check; an answer only
//! a settled transaction would give is confirmed by a control read before it is blamed.

use super::judge::{self, check_of, parse};
use super::{amount_body, Exec, Run, SentOp};
use crate::apis::wallet::invariants::checks::Check;
use crate::apis::wallet::invariants::model::Expect;
use crate::apis::wallet::invariants::strategy::OpKey;
use crate::apis::wallet::wire::{OperationKind, WalletOperation};
use crate::engine::invariants::script::Role;

impl Exec<'_> {
    pub(super) async fn operate(
        &mut self,
        kind: OperationKind,
        tx: usize,
        amount: u64,
        key: OpKey,
    ) -> Run {
        let path = kind.path(&self.txs[tx].id);
        let mut reused_failed = false;
        let (key, bound) = match key {
            OpKey::None => (None, None),
            OpKey::Fresh => (Some(self.key()), None),
            OpKey::ReuseFailed => match self.failed_key.take() {
                Some(k) => {
                    reused_failed = true;
                    (Some(k), None)
                }
                None => (Some(self.key()), None),
            },
            OpKey::ReuseSucceeded => match self.ops.last().cloned() {
                Some(s) => (Some(s.key.clone()), Some(s)),
                None => (Some(self.key()), None),
            },
        };
        if let Some(s) = &bound {
            if s.kind == kind && s.tx == tx && s.amount == amount {
                // The same payload: a replay.
                return self.replay(s).await;
            }
        }
        let body = amount_body(amount);
        let ex = self
            .post(Role::Action, None, &path, &body, key.as_deref())
            .await?;
        if bound.is_some() {
            let check = Check::MismatchRejected;
            self.exercise(check);
            judge::mismatch(&ex)?;
            return self.observe(tx, check).await;
        }
        let mut expect = self.txs[tx].expect(kind, amount);
        if self.txs[tx].is_pending() && !(ex.status == 409 && expect == Expect::InvalidState) {
            // It may have ended on its own since the last read: the control read decides.
            self.adopt_status(tx).await?;
            expect = self.txs[tx].expect(kind, amount);
        }
        let check = check_of(expect);
        self.exercise(check);
        if reused_failed {
            self.exercise(Check::ErrorDoesNotBindKey);
            judge::failed_key_unbound(&ex)?;
        }
        match expect {
            Expect::Moves => {
                if ex.status != 200 {
                    // Confirm with a control read that there was room before blaming.
                    self.observe(tx, check).await?;
                    if self.txs[tx].expect(kind, amount) == Expect::Moves {
                        let left = self.txs[tx].left(kind);
                        return Err(
                            judge::refused_within_room(check, kind, left, amount, &ex).into()
                        );
                    }
                    return Ok(());
                }
                let answer: WalletOperation = parse(&ex, check)?;
                judge::operation(check, &self.txs[tx], kind, amount, &answer, &ex)?;
                self.txs[tx].apply(kind, amount);
                if let Some(key) = key {
                    self.ops.push(SentOp {
                        key,
                        kind,
                        tx,
                        amount,
                        answer,
                    });
                }
            }
            Expect::InvalidState => {
                judge::error(&ex, check, 409, "invalid_state", None)?;
                if let Some(k) = key {
                    self.failed_key = Some(k);
                }
            }
            Expect::Exceeds => {
                judge::error(&ex, check, 400, "amount_exceeds_remaining", Some("amount"))?;
                if let Some(k) = key {
                    self.failed_key = Some(k);
                }
            }
        }
        self.observe(tx, check).await
    }

    pub(super) async fn replay(&mut self, sent: &SentOp) -> Run {
        let check = Check::ReplaySameAnswer;
        let path = sent.kind.path(&self.txs[sent.tx].id);
        let ex = self
            .post(
                Role::Action,
                None,
                &path,
                &amount_body(sent.amount),
                Some(&sent.key),
            )
            .await?;
        self.exercise(check);
        judge::operation_replayed(sent, self.txs[sent.tx].left(sent.kind), &ex)?;
        self.exercise(Check::ReplayMovesNothing);
        self.observe(sent.tx, Check::ReplayMovesNothing).await
    }
}
