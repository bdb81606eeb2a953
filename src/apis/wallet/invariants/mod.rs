//! `gatecheck invariants --api wallet`: the Wallet's money rules no schema can see
//! (`WALLET_API.md` §2, §4, §5).
//!
//! A stateful, model-based probe — proptest sequences of authorize (fresh, replayed,
//! mismatched keys), capture, cancel and refund (part, whole, beyond what is left; on
//! pending, `SUCCESS` and `FAILED` transactions), replays after `remaining` dropped, forced
//! outcomes and another merchant's attempts — checked step by step against a reference
//! model, failures shrunk to a numbered `curl` script and a seed by the engine's runner;
//! and concurrency probes (parallel partial captures, parallel refunds, one key in
//! parallel). Produces one [`PhaseReport`] named `invariants`.
//!
//! Map: `strategy` (what to send) → `model` (what must happen) → `exec` (send, compare)
//! → `runner` (the engine's runner over [`runner::WalletMachine`]); `concurrency`;
//! `checks` (ids).
//!
//! Every judgement comes from the contract text: a `429` is paced and never judged; an
//! answer that a transaction ending on its own could explain is confirmed by a control
//! read first. With the admin API (`--admin-token`) each case runs as a fresh merchant and
//! outcomes are forced; without it, cases use the target's merchant and wait for outcomes.

pub mod checks;
pub mod cli;
pub mod concurrency;
pub mod exec;
pub mod model;
pub mod runner;
pub mod strategy;

use std::time::{Duration, Instant};

use serde_json::json;

use crate::engine::client::{ApiClient, Auth, Exchange, Identity};
use crate::engine::invariants::admin::AdminRefusal;
use crate::engine::invariants::pace;
use crate::engine::model::PhaseReport;
use crate::engine::spend::{Minor, SpendGuard};
use crate::engine::target::ResolvedTarget;
use crate::GateError;
use checks::{Check, Ledgerbook};

pub use crate::engine::invariants::stats::RunStats;

/// Cases of the default run (measured: well under 15 s on the embedded sandbox).
pub const DEFAULT_CASES: u32 = 128;

pub use crate::engine::invariants::options::InvariantOptions;

/// The currency the probes authorize in: a merchant created through the admin API
/// accepts it; the target's own merchant must too (`WALLET_API.md` §6 gives every
/// sandbox merchant KZT).
pub const CURRENCY: &str = "KZT";

pub use crate::engine::invariants::probe::ProbeError;

/// An authorization the spend cap does not allow.
#[derive(Debug, thiserror::Error)]
#[error("not authorized: {0}")]
pub struct NotAuthorized(#[from] crate::engine::spend::SpendCapReached);

/// What every probe shares: the target's client, whether the admin API is there, and the
/// spend guard every authorization passes.
pub struct Env {
    pub client: ApiClient,
    pub admin: bool,
    pub currency: String,
    pub settle_timeout: Duration,
    pub poll_interval: Duration,
    /// [`crate::apis::wallet::authorization_guard`]: capped by `--max-spend` on every
    /// target but the embedded sandbox.
    pub spend: SpendGuard,
}

impl Env {
    pub fn new(opts: &InvariantOptions, resolved: &ResolvedTarget) -> Env {
        let client = resolved.client.clone();
        Env {
            admin: client.target().admin_token.is_some(),
            client,
            currency: CURRENCY.to_string(),
            settle_timeout: opts.settle_timeout,
            poll_interval: opts.poll_interval,
            spend: crate::apis::wallet::authorization_guard(resolved),
        }
    }

    /// Counts an authorization of `amount` against the spend cap before it is sent;
    /// `Err` with the reason when it may not be sent.
    pub fn may_authorize(&self, amount: u64) -> Result<(), NotAuthorized> {
        let minor = Minor(i64::try_from(amount).unwrap_or(i64::MAX));
        Ok(self.spend.try_spend(&self.currency, minor)?)
    }

    /// `POST /_sandbox/merchants` accepting the probe's currency: a client for the new
    /// merchant (its key masked as `$variable`) and the exchange, for reproductions.
    pub async fn merchant(&self, variable: &str) -> Result<(ApiClient, Exchange), ProbeError> {
        let body = json!({ "currencies": [self.currency] });
        let ex = pace::send(|| {
            self.client
                .post("/_sandbox/merchants")
                .auth(Auth::Admin)
                .json(&body)
        })
        .await?;
        let key = ex.json().and_then(|j| {
            j.get("api_key")
                .and_then(|k| k.as_str())
                .map(str::to_string)
        });
        // Masked whatever the status: a refusal's excerpt must not show an issued key.
        if let Some(key) = &key {
            self.client.masker().add(key, variable);
        }
        let Some(key) = key.filter(|_| ex.status == 201) else {
            return Err(ProbeError::from(AdminRefusal::new(
                "POST /_sandbox/merchants",
                ex.status,
                ex.body_excerpt(),
            )));
        };
        Ok((self.client.as_identity(Identity::new(), &key), ex))
    }
}

impl Env {
    /// The currency the target's own merchant accepts (§1 Money: a merchant accepts its
    /// own set): KZT, else USD, else EUR — the first one a small authorization is not
    /// refused for with `param: "currency"`. Whatever else answers, KZT stays and the
    /// stateful probe judges the answer.
    async fn accepted_currency(&self) -> String {
        for currency in ["KZT", "USD", "EUR"] {
            // A real authorization of 1 minor unit: within the spend cap like any other.
            if self.spend.try_spend(currency, Minor(1)).is_err() {
                break;
            }
            let key = format!("gc-currency-{}", uuid::Uuid::new_v4().simple());
            let body = json!({
                "amount": 1, "phoneNumber": "+77012345678", "iin": "900101300007",
                "orderReference": key, "currency": currency,
            });
            let sent = pace::send(|| {
                self.client
                    .post(crate::apis::wallet::wire::AUTHORIZE_PATH)
                    .header("Idempotency-Key", key.as_str())
                    .json(&body)
            })
            .await;
            match sent {
                Ok(ex) if ex.status == 400 && ex.error_param() == Some(Some("currency".into())) => {
                }
                Ok(ex) if ex.status == 201 => return currency.to_string(),
                _ => break,
            }
        }
        CURRENCY.to_string()
    }
}

/// Runs the invariants phase against a resolved Wallet target.
pub async fn run(
    opts: &InvariantOptions,
    resolved: &ResolvedTarget,
) -> Result<PhaseReport, GateError> {
    run_with_stats(opts, resolved).await.map(|(p, _)| p)
}

/// [`run`], plus the run's numbers (seed, cases per second, requests).
pub async fn run_with_stats(
    opts: &InvariantOptions,
    resolved: &ResolvedTarget,
) -> Result<(PhaseReport, RunStats), GateError> {
    let started = Instant::now();
    let mut env = Env::new(opts, resolved);
    let mut book = Ledgerbook::default();
    let seed = opts.seed.unwrap_or_else(rand::random);
    let mut stats = RunStats {
        seed,
        ..RunStats::default()
    };
    if !env.spend.real_orders_allowed() {
        // Every Wallet authorization holds real money: none without consent.
        let reason = "every Wallet authorization holds real money: outside loopback the \
                      probes need --allow-spend (and stay within --max-spend)";
        for &check in <Check as crate::engine::invariants::book::InvariantCheck>::ALL {
            book.skip(check, reason);
        }
        let phase = PhaseReport {
            name: "invariants".to_string(),
            checks: book.results(),
            load: None,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        return Ok((phase, stats));
    }
    if !env.admin {
        let reason =
            "needs the sandbox admin API (--admin-token): a second merchant and forced outcomes";
        book.skip(Check::OtherMerchantNotFound, reason);
        env.currency = env.accepted_currency().await;
    }
    if opts.stateful {
        runner::run_stateful(&env, opts, seed)
            .await?
            .record(&mut book, &mut stats);
    }
    if opts.concurrency {
        let t = Instant::now();
        stats.requests += concurrency::run_all(&env, opts, &mut book).await?;
        stats.concurrency_elapsed = t.elapsed();
    }
    let phase = PhaseReport {
        name: "invariants".to_string(),
        checks: book.results(),
        load: None,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    Ok((phase, stats))
}
