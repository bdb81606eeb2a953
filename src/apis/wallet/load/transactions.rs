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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderValue;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::apis::wallet::load::scenario::{Action, TransactionSpec};
use crate::apis::wallet::schemas::WalletSchema;
use crate::apis::wallet::wire::{self, OperationKind, WalletStatus};
use crate::engine::load::attack::Compiled;
use crate::engine::load::goose::{Endpoint, LoadUser, Outcome, Request, Response, Transaction};
use crate::engine::load::recorder::ErrorReason;
use crate::engine::load::validate::BodyValidator;
use crate::engine::spend::{Minor, SpendGuard};

/// A phone number of the sandbox's plain scenario (ends in neither 0000 nor 1111, §6).
const PHONE: &str = "+77011234567";
/// A valid IIN (the contract's own example).
const IIN: &str = "900101300007";

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
    cap_noted: AtomicBool,
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
            cap_noted: AtomicBool::new(false),
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

/// Builds each transaction's fixed requests.
pub fn compile(specs: &[TransactionSpec], load: &Arc<WalletLoad>) -> Vec<Compiled<WalletTx>> {
    specs
        .iter()
        .map(|spec| {
            let list = match &spec.action {
                Action::ListTransactions { limit, status } => {
                    let mut query = Vec::new();
                    if let Some(l) = limit {
                        query.push(format!("limit={l}"));
                    }
                    if let Some(s) = status {
                        query.push(format!("status={}", s.as_str()));
                    }
                    let path = if query.is_empty() {
                        wire::LIST_PATH.to_string()
                    } else {
                        format!("{}?{}", wire::LIST_PATH, query.join("&"))
                    };
                    Some(Endpoint::new(load.base_url.as_ref(), path))
                }
                _ => None,
            };
            Compiled {
                name: spec.name.clone(),
                weight: spec.weight,
                tx: Arc::new(WalletTx {
                    load: load.clone(),
                    action: spec.action.clone(),
                    list,
                }),
            }
        })
        .collect()
}

/// Per-user state: the user's latest transaction.
#[derive(Clone, Default)]
pub struct WalletUser {
    latest: Option<Held>,
}

/// The user's latest transaction and its bookkeeping, as its own 2xx answers said.
#[derive(Clone)]
struct Held {
    paths: Arc<Paths>,
    status: WalletStatus,
    authorized: u64,
    captured: u64,
    cancelled: u64,
    refunded: u64,
    refunds: u32,
}

impl Held {
    fn remaining(&self) -> u64 {
        self.authorized
            .saturating_sub(self.captured)
            .saturating_sub(self.cancelled)
    }

    fn refundable(&self) -> u64 {
        self.captured.saturating_sub(self.refunded)
    }

    /// The amount `kind` sends: `wanted` or the default, within what is left; `None` when
    /// nothing fits.
    fn amount(&self, kind: OperationKind, wanted: Option<u64>) -> Option<u64> {
        let (left, default) = match kind {
            OperationKind::Capture | OperationKind::Cancel => (self.remaining(), self.remaining()),
            OperationKind::Refund => (self.refundable(), self.refundable().div_ceil(2)),
        };
        let amount = wanted.unwrap_or(default).min(left);
        (amount > 0).then_some(amount)
    }

    /// Whether `kind` has something to do on this transaction now. One refund per
    /// transaction: "some refunds", not a drain.
    fn ready_for(&self, kind: OperationKind) -> bool {
        self.status == WalletStatus::Success
            && match kind {
                OperationKind::Capture | OperationKind::Cancel => self.remaining() > 0,
                OperationKind::Refund => self.refunds == 0 && self.refundable() > 0,
            }
    }
}

/// A transaction's own endpoints, joined once when it is authorized.
struct Paths {
    id: String,
    get: Endpoint,
    capture: Endpoint,
    cancel: Endpoint,
    refund: Endpoint,
}

impl Paths {
    fn operation(&self, kind: OperationKind) -> &Endpoint {
        match kind {
            OperationKind::Capture => &self.capture,
            OperationKind::Cancel => &self.cancel,
            OperationKind::Refund => &self.refund,
        }
    }
}

impl Transaction for WalletTx {
    type User = WalletUser;

    fn ready(&self, user: &WalletUser) -> bool {
        match &self.action {
            Action::Authorize { amount, currency } => {
                let allowed = self.load.spend.allows(currency, minor(*amount));
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
                authorize(load, user, *amount, currency, validate).await
            }
            (Action::PollTransaction { interval, timeout }, Some(held)) => {
                Some(poll(load, user, &held, *interval, *timeout, validate).await)
            }
            (Action::Operation { kind, amount }, Some(held)) => {
                let amount = held.amount(*kind, *amount)?;
                Some(operate(load, user, &held, *kind, amount, validate).await)
            }
            (Action::GetTransaction, Some(held)) => {
                let (outcome, _) = get_transaction(load, user, &held, validate).await;
                Some(outcome)
            }
            (Action::ListTransactions { .. }, _) => {
                let endpoint = self.list.as_ref()?;
                let r = user
                    .send(Request {
                        endpoint,
                        expect: 200,
                        post: None,
                    })
                    .await;
                Some(user.checked(
                    &r,
                    load.check(validate, WalletSchema::WalletTransaction, true),
                ))
            }
            _ => None,
        }
    }
}

fn minor(amount: u64) -> Minor {
    Minor(i64::try_from(amount).unwrap_or(i64::MAX))
}

fn key(load: &WalletLoad) -> HeaderValue {
    HeaderValue::from_str(&format!("{}-{}", load.tag, uuid::Uuid::new_v4().simple()))
        .unwrap_or_else(|_| HeaderValue::from_static("gatecheck-load-key"))
}

/// The id of a transaction as the answer gave it, when it is safe to put in a path.
fn path_id(body: &Value) -> Option<&str> {
    body.get("walletTransactionId")
        .and_then(Value::as_str)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

fn status_of(body: &Value) -> Option<WalletStatus> {
    body.get("walletTransactionStatus")
        .and_then(Value::as_str)
        .and_then(WalletStatus::parse)
}

async fn authorize(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    amount: u64,
    currency: &str,
    validate: bool,
) -> Option<Outcome> {
    let reservation = match load.spend.reserve_exact(currency, minor(amount)) {
        Ok(r) => r,
        Err(cap) => {
            load.refused_by_cap.fetch_add(1, Ordering::Relaxed);
            if !load.cap_noted.swap(true, Ordering::Relaxed) {
                user.note(format!("{cap}: later authorizations were not sent"));
            }
            return None;
        }
    };
    let n = load.next_reference.fetch_add(1, Ordering::Relaxed);
    let body = json!({
        "amount": amount,
        "phoneNumber": PHONE,
        "iin": IIN,
        "orderReference": format!("{}-{n}", load.tag),
        "currency": currency,
    });
    let body = Bytes::from(body.to_string());
    let key = key(load);
    let r = user
        .send(Request {
            endpoint: &load.authorize,
            expect: 201,
            post: Some((&key, &body)),
        })
        .await;
    let mut outcome = user.checked(
        &r,
        load.check(validate, WalletSchema::WalletTransaction, false),
    );
    let json = serde_json::from_slice::<Value>(&r.body).ok();
    match r.status {
        Some(201) => {
            // What was held: at least what we asked; more when the answer says so.
            let held = json
                .as_ref()
                .and_then(|j| j.get("authorizedAmount"))
                .and_then(Value::as_u64)
                .map_or(amount, |a| a.max(amount));
            reservation.settle(minor(held));
        }
        Some(400..=499) => reservation.release(),
        _ => reservation.keep(),
    }
    if r.status != Some(201) || outcome.error.is_some() {
        return Some(outcome);
    }
    let made = json
        .as_ref()
        .and_then(|j| Some((path_id(j)?.to_string(), status_of(j)?)));
    let Some((id, status)) = made else {
        user.note("authorize: a 201 without a usable walletTransactionId and status".into());
        outcome.error = Some(ErrorReason::SchemaViolation);
        return Some(outcome);
    };
    let paths = Paths {
        get: user.endpoint(wire::transaction_path(&id)),
        capture: user.endpoint(OperationKind::Capture.path(&id)),
        cancel: user.endpoint(OperationKind::Cancel.path(&id)),
        refund: user.endpoint(OperationKind::Refund.path(&id)),
        id,
    };
    if let Some(state) = user.state_mut() {
        state.latest = Some(Held {
            paths: Arc::new(paths),
            status,
            authorized: amount,
            captured: 0,
            cancelled: 0,
            refunded: 0,
            refunds: 0,
        });
    }
    Some(outcome)
}

/// `GET` the user's latest transaction; the outcome and the status it shows.
async fn get_transaction(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    held: &Held,
    validate: bool,
) -> (Outcome, Option<WalletStatus>) {
    let r = user
        .send(Request {
            endpoint: &held.paths.get,
            expect: 200,
            post: None,
        })
        .await;
    let mut outcome = user.checked(
        &r,
        load.check(validate, WalletSchema::WalletTransaction, false),
    );
    if outcome.error.is_some() {
        return (outcome, None);
    }
    let json = serde_json::from_slice::<Value>(&r.body).ok();
    let seen = json.as_ref().and_then(|j| {
        let same = j.get("walletTransactionId").and_then(Value::as_str) == Some(&held.paths.id);
        Some((same, status_of(j)?))
    });
    match seen {
        Some((true, status)) => (outcome, Some(status)),
        Some((false, _)) => {
            user.note(format!(
                "GET of {} answered another transaction",
                held.paths.id
            ));
            outcome.error = Some(ErrorReason::AnswerMismatch);
            (outcome, None)
        }
        None => {
            outcome.error = Some(ErrorReason::SchemaViolation);
            (outcome, None)
        }
    }
}

async fn poll(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    held: &Held,
    interval: Duration,
    timeout: Duration,
    validate: bool,
) -> Outcome {
    let deadline = Instant::now() + timeout;
    loop {
        let (outcome, status) = get_transaction(load, user, held, validate).await;
        let Some(status) = status else {
            return outcome;
        };
        if status != held.status {
            if let Some(latest) = user.state_mut().and_then(|s| s.latest.as_mut()) {
                if Arc::ptr_eq(&latest.paths, &held.paths) {
                    latest.status = status;
                }
            }
        }
        if status.is_final() {
            return outcome;
        }
        if Instant::now() + interval > deadline {
            return Outcome {
                class: outcome.class,
                error: Some(ErrorReason::NotTerminal),
            };
        }
        tokio::time::sleep(interval).await;
    }
}

async fn operate(
    load: &WalletLoad,
    user: &mut LoadUser<'_, WalletUser>,
    held: &Held,
    kind: OperationKind,
    amount: u64,
    validate: bool,
) -> Outcome {
    let body = Bytes::from(json!({ "amount": amount }).to_string());
    let key = key(load);
    let r: Response = user
        .send(Request {
            endpoint: held.paths.operation(kind),
            expect: 200,
            post: Some((&key, &body)),
        })
        .await;
    let mut outcome = user.checked(
        &r,
        load.check(validate, WalletSchema::WalletOperation, false),
    );
    if outcome.error.is_some() {
        return outcome;
    }
    // §5: the WalletOperation names our transaction and exactly the amount asked for.
    let json = serde_json::from_slice::<Value>(&r.body).ok();
    let agrees = json.as_ref().is_some_and(|j| {
        j.get("walletTransactionId").and_then(Value::as_str) == Some(&held.paths.id)
            && j.get("amount").and_then(Value::as_u64) == Some(amount)
    });
    if !agrees {
        user.note(format!(
            "{} of {amount} on {}: the WalletOperation names another transaction or amount",
            kind.as_str(),
            held.paths.id
        ));
        outcome.error = Some(ErrorReason::AnswerMismatch);
    }
    // Bookkeeping follows what was sent and answered 200 either way: the money moved.
    if let Some(latest) = user.state_mut().and_then(|s| s.latest.as_mut()) {
        if Arc::ptr_eq(&latest.paths, &held.paths) {
            match kind {
                OperationKind::Capture => latest.captured += amount,
                OperationKind::Cancel => latest.cancelled += amount,
                OperationKind::Refund => {
                    latest.refunded += amount;
                    latest.refunds += 1;
                }
            }
        }
    }
    outcome
}
