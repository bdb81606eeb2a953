//! The Wallet's stateful executor: runs one generated case against the live API, keeps the
//! reference model in step, and stops at the first disagreement.
//!
//! Every step ends with a read of the transaction it touched; every read is judged for
//! conservation first (§4, alone), then for the lifecycle (§4), then against the model,
//! blamed on the one event of the step. A pending transaction may end on its own at any
//! time: an answer that only a `SUCCESS` transaction would give is confirmed by a control
//! read before anything is blamed. A `429` is paced, never judged.
//!
//! One job a file: `transport` (requests, pacing, the trace), `authorize`, `operate` and
//! `admin` (the steps), `reads` (the reads and the confirmed blame), `judge` (pure: each
//! answer to a verdict; unit-tested in `tests`).

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};

use crate::apis::wallet::invariants::checks::{Check, Violation};
use crate::apis::wallet::invariants::model::{sized, TxModel};
use crate::apis::wallet::invariants::strategy::{AuthKey, Case, Op, Settle};
use crate::apis::wallet::invariants::{Env, ProbeError};
use crate::apis::wallet::wire::{OperationKind, WalletOperation};
use crate::engine::client::ApiClient;
use crate::engine::invariants::runner;
use crate::engine::invariants::script::{Recorded, Role};

mod admin;
mod authorize;
mod judge;
mod operate;
mod reads;
#[cfg(test)]
mod tests;
mod transport;

/// The result of one case.
pub type CaseOutcome = runner::CaseOutcome<Check>;

/// Why a step could not go on: a finding, the probe itself cannot run, or a request was
/// rate limited past the budget (it never ran: the case ends, inconclusive).
enum Stop {
    Found(Violation),
    Broken(ProbeError),
    RateLimited(String),
}

impl From<Violation> for Stop {
    fn from(v: Violation) -> Stop {
        Stop::Found(v)
    }
}

impl From<ProbeError> for Stop {
    fn from(e: ProbeError) -> Stop {
        match e {
            ProbeError::RateLimited(what) => Stop::RateLimited(what),
            e => Stop::Broken(e),
        }
    }
}

type Run<T = ()> = Result<T, Stop>;

/// Runs `case` as a fresh merchant (admin) or as the target's merchant.
/// A case cut short by a rate limit judges nothing more: it ends without a violation
/// (the pacing summary counts the 429s handed back).
pub async fn execute(env: &Env, case: &Case) -> Result<CaseOutcome, ProbeError> {
    let mut exec = match Exec::start(env).await {
        Ok(exec) => exec,
        Err(ProbeError::RateLimited(what)) => {
            tracing::warn!(%what, "wallet invariants: case not started, rate limited");
            return Ok(CaseOutcome {
                violation: None,
                trace: Vec::new(),
                exercised: BTreeMap::new(),
                requests: 0,
            });
        }
        Err(e) => return Err(e),
    };
    let mut violation = None;
    for (i, op) in case.ops.iter().enumerate() {
        exec.step = i + 1;
        match exec.run_op(op).await {
            Ok(()) => {}
            Err(Stop::Found(v)) => {
                violation = Some((i + 1, v));
                break;
            }
            Err(Stop::RateLimited(what)) => {
                tracing::warn!(%what, step = i + 1, "wallet invariants: case cut short, rate limited");
                break;
            }
            Err(Stop::Broken(e)) => return Err(e),
        }
    }
    Ok(CaseOutcome {
        violation,
        trace: exec.trace,
        exercised: exec.exercised,
        requests: exec.requests,
    })
}

/// An authorization sent with a key (replays and mismatches reuse it).
#[derive(Debug, Clone)]
struct SentAuth {
    key: String,
    body: Value,
    tx: usize,
}

/// A keyed capture/cancel/refund that got its `200`.
#[derive(Debug, Clone)]
struct SentOp {
    key: String,
    kind: OperationKind,
    tx: usize,
    amount: u64,
    answer: WalletOperation,
}

struct Exec<'a> {
    env: &'a Env,
    client: ApiClient,
    other: Option<ApiClient>,
    txs: Vec<TxModel>,
    auths: Vec<SentAuth>,
    ops: Vec<SentOp>,
    /// The key of the last request that failed (400, 409): free again.
    failed_key: Option<String>,
    trace: Vec<Recorded>,
    step: usize,
    nonce: String,
    keys: u32,
    exercised: BTreeMap<Check, u64>,
    requests: u64,
    /// When the last POST (a possible change) was answered.
    last_post: Instant,
    /// The target showed an `updatedAt` of millisecond precision or coarser.
    coarse_clock: bool,
}

fn amount_body(amount: u64) -> Value {
    json!({ "amount": amount })
}

impl<'a> Exec<'a> {
    async fn start(env: &'a Env) -> Result<Exec<'a>, ProbeError> {
        let mut exec = Exec {
            env,
            client: env.client.clone(),
            other: None,
            txs: Vec::new(),
            auths: Vec::new(),
            ops: Vec::new(),
            failed_key: None,
            trace: Vec::new(),
            step: 0,
            nonce: format!("n{:08x}", rand::random::<u32>()),
            keys: 0,
            exercised: BTreeMap::new(),
            requests: 0,
            last_post: Instant::now(),
            coarse_clock: false,
        };
        if env.admin {
            let (client, setup) = env.merchant("GATECHECK_MERCHANT_KEY").await?;
            exec.record(Role::Setup, &setup);
            exec.client = client;
        }
        Ok(exec)
    }

    fn exercise(&mut self, check: Check) {
        *self.exercised.entry(check).or_default() += 1;
    }

    fn key(&mut self) -> String {
        self.keys += 1;
        format!("{}-k{}", self.nonce, self.keys)
    }

    async fn run_op(&mut self, op: &Op) -> Run {
        match *op {
            Op::Authorize { amount, key } => match key {
                AuthKey::Fresh(settle) => self.authorize(amount, settle).await,
                AuthKey::Replay(i) if !self.auths.is_empty() => {
                    self.authorize_again(i % self.auths.len(), None).await
                }
                AuthKey::Mismatch(i) if !self.auths.is_empty() => {
                    self.authorize_again(i % self.auths.len(), Some(amount))
                        .await
                }
                _ => self.authorize(amount, Settle::Succeed).await,
            },
            Op::Move {
                kind,
                tx,
                size,
                key,
            } if !self.txs.is_empty() => {
                let tx = tx % self.txs.len();
                let amount = sized(size, self.txs[tx].left(kind));
                self.operate(kind, tx, amount, key).await
            }
            Op::Replay { back } if !self.ops.is_empty() => {
                let n = self.ops.len();
                let sent = self.ops[n - 1 - back % n].clone();
                self.replay(&sent).await
            }
            Op::Foreign { kind, tx } if !self.txs.is_empty() && self.env.admin => {
                self.foreign(kind, tx % self.txs.len()).await
            }
            Op::Force { tx, succeed } if !self.txs.is_empty() && self.env.admin => {
                self.force(tx % self.txs.len(), succeed).await
            }
            // Nothing to act on yet: the step does nothing (and shrinks away).
            _ => Ok(()),
        }
    }
}
