//! The steps that need the admin API: a request of another merchant (its own key, made
//! through the admin API) and a forced outcome.

use super::judge::{self, fail};
use super::{amount_body, Exec, Run, Stop};
use crate::apis::wallet::invariants::checks::Check;
use crate::apis::wallet::wire::{transaction_path, OperationKind};
use crate::engine::invariants::script::Role;

impl Exec<'_> {
    pub(super) async fn foreign(&mut self, kind: Option<OperationKind>, tx: usize) -> Run {
        let check = Check::OtherMerchantNotFound;
        if self.other.is_none() {
            let (client, ex) = self.env.merchant("GATECHECK_OTHER_MERCHANT_KEY").await?;
            self.record(Role::Setup, &ex);
            self.other = Some(client);
        }
        let other = self.other.clone();
        let id = self.txs[tx].id.clone();
        let ex = match kind {
            None => {
                self.get(Role::Action, other.as_ref(), &transaction_path(&id))
                    .await?
            }
            Some(k) => {
                self.post(
                    Role::Action,
                    other.as_ref(),
                    &k.path(&id),
                    &amount_body(1),
                    None,
                )
                .await?
            }
        };
        self.exercise(check);
        judge::error(&ex, check, 404, "not_found", None)?;
        self.observe(tx, check).await
    }

    pub(super) async fn force(&mut self, tx: usize, succeed: bool) -> Run {
        let check = Check::Transitions;
        let verb = if succeed { "succeed" } else { "fail" };
        let path = format!("/_sandbox/wallet/transactions/{}/{verb}", self.txs[tx].id);
        let ex = self.admin_post(&path).await?;
        self.exercise(check);
        if self.txs[tx].status.is_final() {
            judge::error(&ex, check, 409, "conflict", None)?;
        } else if ex.status == 409 {
            // It may have ended on its own: the control read must show a final status.
            self.observe(tx, check).await?;
            if !self.txs[tx].status.is_final() {
                return Err(fail(
                    check,
                    &ex,
                    "forcing a pending transaction was refused",
                    "200 WalletTransaction",
                )
                .into());
            }
            return judge::error(&ex, check, 409, "conflict", None).map_err(Stop::Found);
        } else {
            judge::forced(succeed, &ex)?;
        }
        self.observe(tx, check).await
    }
}
