//! The reads that end every step: a transaction read and judged (conservation, then the
//! lifecycle, then the model), a control read that only adopts a status, the list by
//! `orderReference`, and the wait for a transaction to end without the admin API.

use std::time::Instant;

use super::judge::{self, fail, parse};
use super::{Exec, Run};
use crate::apis::wallet::contract::checks::objects::fraction_digits;
use crate::apis::wallet::invariants::checks::Check;
use crate::apis::wallet::wire::{transaction_path, WalletTransaction, LIST_PATH};
use crate::engine::client::pages::encode;
use crate::engine::client::Exchange;
use crate::engine::invariants::script::Role;

impl Exec<'_> {
    /// Without the admin API: reads until the transaction is final (or the wait ends).
    pub(super) async fn wait_final(&mut self, tx: usize) -> Run {
        let started = Instant::now();
        let mut wait = self.env.poll_interval;
        while self.txs[tx].is_pending() && started.elapsed() < self.env.settle_timeout {
            tokio::time::sleep(wait).await;
            // Back off (a slow target is polled gently, a rate-limited one not flooded).
            wait = (wait * 2).min(std::time::Duration::from_millis(500));
            self.read(tx, Role::Poll, Check::Transitions).await?;
        }
        Ok(())
    }

    pub(super) async fn observe(&mut self, tx: usize, blame: Check) -> Run {
        self.read(tx, Role::Observe, blame).await
    }

    /// Reads transaction `tx` and judges it: conservation, then the lifecycle, then the
    /// model (blamed on `blame`, the step's event). Adopts a status it ended in.
    async fn read(&mut self, tx: usize, role: Role, blame: Check) -> Run {
        let path = transaction_path(&self.txs[tx].id);
        let ex = self.get(role, None, &path).await?;
        if ex.status != 200 {
            return Err(fail(
                blame,
                &ex,
                "the merchant's own transaction cannot be read",
                "200 WalletTransaction",
            )
            .into());
        }
        let t: WalletTransaction = parse(&ex, Check::Conservation)?;
        self.conserved(&t, &ex)?;
        self.coarse_clock |= fraction_digits(&t.updated_at) <= 3;
        let mut exercised = Vec::new();
        let verdict = judge::read(&self.txs[tx], &t, &ex, blame, &mut exercised);
        for check in exercised {
            self.exercise(check);
        }
        let seen = verdict?;
        let m = &mut self.txs[tx];
        m.status = t.wallet_transaction_status;
        m.updated_at = t.updated_at;
        m.seen = seen;
        Ok(())
    }

    /// A control read of a pending transaction: the lifecycle only; the status it shows
    /// becomes the model's (its totals are judged after the step's answer is).
    pub(super) async fn adopt_status(&mut self, tx: usize) -> Run {
        let path = transaction_path(&self.txs[tx].id);
        let ex = self.get(Role::Observe, None, &path).await?;
        let t: WalletTransaction = parse(&ex, Check::Conservation)?;
        let status = t.wallet_transaction_status;
        judge::status_move(self.txs[tx].status, status, &ex)?;
        self.txs[tx].status = status;
        Ok(())
    }

    /// Conservation, exercised on every transaction the target shows.
    pub(super) fn conserved(&mut self, t: &WalletTransaction, ex: &Exchange) -> judge::Step {
        self.exercise(Check::Conservation);
        judge::conservation(t, ex)
    }

    /// The list filtered by the transaction's `orderReference` holds exactly it.
    pub(super) async fn list_one(&mut self, tx: usize, blame: Check) -> Run {
        let reference = encode(&self.txs[tx].order_reference);
        let path = format!("{LIST_PATH}?orderReference={reference}");
        let ex = self.get(Role::Observe, None, &path).await?;
        let items = judge::list_items(&ex, blame)?;
        for t in &items {
            self.conserved(t, &ex)?;
        }
        judge::list_holds_only(&self.txs[tx], &items, blame, &ex)?;
        Ok(())
    }
}
