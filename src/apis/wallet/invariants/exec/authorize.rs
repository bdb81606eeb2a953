//! The authorize steps: a fresh authorization (then settled as the case asks), and its key
//! again, with the same body (a replay) or another amount (a mismatch).

use serde_json::json;

use super::judge::{self, fail, parse, Asked};
use super::{Exec, Run, SentAuth};
use crate::apis::wallet::contract::checks::objects::fraction_digits;
use crate::apis::wallet::invariants::checks::Check;
use crate::apis::wallet::invariants::model::TxModel;
use crate::apis::wallet::invariants::strategy::Settle;
use crate::apis::wallet::wire::{WalletTransaction, AUTHORIZE_PATH};
use crate::engine::invariants::script::Role;

impl Exec<'_> {
    pub(super) async fn authorize(&mut self, amount: u64, settle: Settle) -> Run {
        if self.env.may_authorize(amount).is_err() {
            // Past the spend cap: the step sends nothing (and shrinks away).
            return Ok(());
        }
        let check = Check::AuthorizeMatchesModel;
        let n = self.txs.len();
        let reference = format!("{}-{n}", self.nonce);
        // `1111` keeps a sandbox's transaction PROCESSING for 5 s (§6); `0000` is avoided.
        let phone = match settle {
            Settle::Pending => format!("+7701{:03}1111", n % 1000),
            _ => format!("+7701{:03}{:04}", n % 1000, 2000 + (n % 7000)),
        };
        let body = json!({
            "amount": amount,
            "phoneNumber": phone,
            "iin": "900101300007",
            "orderReference": reference,
            "currency": self.env.currency,
        });
        let key = self.key();
        let ex = self
            .post(Role::Action, None, AUTHORIZE_PATH, &body, Some(&key))
            .await?;
        self.exercise(check);
        if ex.status != 201 {
            return Err(fail(
                check,
                &ex,
                "a valid authorization was not created",
                "201 Created",
            )
            .into());
        }
        let created: WalletTransaction = parse(&ex, check)?;
        self.conserved(&created, &ex)?;
        self.coarse_clock |= fraction_digits(&created.updated_at) <= 3;
        let asked = Asked {
            amount,
            reference: &reference,
            currency: &self.env.currency,
        };
        judge::created(&created, &asked, &ex)?;
        self.txs.push(TxModel::from_created(&created));
        self.auths.push(SentAuth { key, body, tx: n });
        match settle {
            Settle::Succeed | Settle::Fail if self.env.admin => {
                self.force(n, settle == Settle::Succeed).await?;
            }
            Settle::Succeed | Settle::Fail => self.wait_final(n).await?,
            Settle::Pending => {}
        }
        self.observe(n, check).await?;
        self.list_one(n, check).await
    }

    /// The key of authorization `i` again: the same body (a replay) or another amount.
    pub(super) async fn authorize_again(&mut self, i: usize, other_amount: Option<u64>) -> Run {
        let sent = self.auths[i].clone();
        let tx = sent.tx;
        let mut body = sent.body.clone();
        let check = match other_amount {
            None => Check::ReplaySameAnswer,
            Some(a) => {
                let old = body["amount"].as_u64().unwrap_or(0);
                body["amount"] = json!(if a == old { a % 20_000 + 1 } else { a });
                Check::MismatchRejected
            }
        };
        let ex = self
            .post(Role::Action, None, AUTHORIZE_PATH, &body, Some(&sent.key))
            .await?;
        self.exercise(check);
        if other_amount.is_some() {
            judge::mismatch(&ex)?;
            self.list_one(tx, check).await?;
            return self.observe(tx, check).await;
        }
        judge::authorization_replayed(&self.txs[tx], &ex)?;
        self.exercise(Check::ReplayMovesNothing);
        self.list_one(tx, Check::ReplayMovesNothing).await?;
        self.observe(tx, Check::ReplayMovesNothing).await
    }
}
