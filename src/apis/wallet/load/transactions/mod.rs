//! The Wallet's load transactions: each scenario transaction compiled once (paths before
//! the run), and what it does when the engine (`crate::engine::load::goose`) runs it.
//!
//! Each user keeps its latest transaction and its own bookkeeping of it (what it
//! authorized, captured, cancelled, refunded, as the 200s said), so every capture, cancel
//! and refund it sends fits by the contract: a refusal is the target's fault. Every
//! authorization reserves its `amount` against the spend cap before it is sent (the
//! amount is ours, not a claim); the reservation is settled with what was held (the larger
//! of the amount and the answer's `authorizedAmount`), released on a 4xx refusal, and kept
//! when the outcome is unknown.
//!
//! One job a file: `compile` (the fixed requests), `held` (the user's bookkeeping, pure),
//! `answers` (pure: the body sent, what each answer says), `run` (the goose glue).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::apis::wallet::load::scenario::Action;
use crate::apis::wallet::schemas::WalletSchema;
use crate::apis::wallet::wire;
use crate::engine::load::goose::{Endpoint, LoadUser, Outcome, Request, Transaction};
use crate::engine::load::txn::NoteOnce;
use crate::engine::load::validate::BodyValidator;
use crate::engine::spend::SpendGuard;

mod answers;
mod compile;
mod held;
mod run;

pub use compile::compile;
use held::Held;

/// What every Wallet transaction shares. Built once before the run.
pub struct WalletLoad {
    authorize: Endpoint,
    base_url: Option<reqwest::Url>,
    spend: SpendGuard,
    validator: BodyValidator,
    /// A run-unique prefix of order references and keys.
    tag: String,
    next_reference: AtomicU64,
    /// Authorizations not sent because the spend cap would have been passed.
    pub refused_by_cap: AtomicU64,
    cap_noted: NoteOnce,
}

impl WalletLoad {
    pub fn new(base_url: &str, spend: SpendGuard, validator: BodyValidator) -> WalletLoad {
        let base_url = reqwest::Url::parse(base_url).ok();
        WalletLoad {
            authorize: Endpoint::new(base_url.as_ref(), wire::AUTHORIZE_PATH.to_string()),
            base_url,
            spend,
            validator,
            tag: format!("gcl-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]),
            next_reference: AtomicU64::new(0),
            refused_by_cap: AtomicU64::new(0),
            cap_noted: NoteOnce::default(),
        }
    }

    fn check(
        &self,
        validate: bool,
        name: WalletSchema,
        is_list: bool,
    ) -> Option<impl FnOnce(&[u8]) -> Result<(), String> + '_> {
        validate.then_some(move |body: &[u8]| self.validator.check(name, is_list, body))
    }
}

/// A Wallet transaction ready to run.
pub struct WalletTx {
    load: Arc<WalletLoad>,
    action: Action,
    /// The list path with its query (list transactions only).
    list: Option<Endpoint>,
}

/// Per-user state: the user's latest transaction.
#[derive(Clone, Default)]
pub struct WalletUser {
    latest: Option<Held>,
}

impl Transaction for WalletTx {
    type User = WalletUser;

    fn ready(&self, user: &WalletUser) -> bool {
        match &self.action {
            Action::Authorize { amount, currency } => {
                let allowed = self.load.spend.allows(currency, run::minor(*amount));
                if !allowed {
                    self.load.refused_by_cap.fetch_add(1, Ordering::Relaxed);
                }
                allowed
            }
            Action::PollTransaction { .. } => {
                user.latest.as_ref().is_some_and(|h| !h.status.is_final())
            }
            Action::Operation { kind, .. } => {
                user.latest.as_ref().is_some_and(|h| h.ready_for(*kind))
            }
            Action::GetTransaction => user.latest.is_some(),
            Action::ListTransactions { .. } => true,
        }
    }

    async fn run(&self, user: &mut LoadUser<'_, WalletUser>) -> Option<Outcome> {
        let load = &*self.load;
        let validate = user.validate();
        let latest = user.state().and_then(|s| s.latest.clone());
        match (&self.action, latest) {
            (Action::Authorize { amount, currency }, _) => {
                run::authorize(load, user, *amount, currency, validate).await
            }
            (Action::PollTransaction { interval, timeout }, Some(held)) => {
                Some(run::poll(load, user, &held, *interval, *timeout, validate).await)
            }
            (Action::Operation { kind, amount }, Some(held)) => {
                let amount = held.amount(*kind, *amount)?;
                Some(run::operate(load, user, &held, *kind, amount, validate).await)
            }
            (Action::GetTransaction, Some(held)) => {
                let (outcome, _) = run::get_transaction(load, user, &held, validate).await;
                Some(outcome)
            }
            (Action::ListTransactions { .. }, _) => {
                let endpoint = self.list.as_ref()?;
                let r = user.send(Request::get(endpoint)).await;
                Some(user.checked(
                    &r,
                    load.check(validate, WalletSchema::WalletTransaction, true),
                ))
            }
            _ => None,
        }
    }
}
