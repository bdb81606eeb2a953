//! The Wallet's stateful executor: runs one generated case against the live API, keeps the
//! reference model in step, and stops at the first disagreement.
//!
//! Every step ends with a read of the transaction it touched; every read is judged for
//! conservation first (§4, alone), then for the lifecycle (§4), then against the model,
//! blamed on the one event of the step. A pending transaction may end on its own at any
//! time: an answer that only a `SUCCESS` transaction would give is confirmed by a control
//! read before anything is blamed. A `429` is paced, never judged.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};

use crate::apis::wallet::invariants::checks::{Check, Violation};
use crate::apis::wallet::invariants::model::{conservation_broken, sized, Expect, Totals, TxModel};
use crate::apis::wallet::invariants::strategy::{AuthKey, Case, Op, OpKey, Settle};
use crate::apis::wallet::invariants::{Env, ProbeError};
use crate::apis::wallet::wire::{
    transaction_path, OperationKind, WalletOperation, WalletStatus, WalletTransaction,
    AUTHORIZE_PATH, LIST_PATH,
};
use crate::engine::client::{ApiClient, Auth, Exchange};
use crate::engine::invariants::pace::{self, PaceError};
use crate::engine::invariants::runner;
use crate::engine::invariants::script::{Recorded, Role};

/// The result of one case.
pub type CaseOutcome = runner::CaseOutcome<Check>;

type Step = Result<(), Violation>;

/// Why a step could not go on: a finding, or the probe itself cannot run.
enum Stop {
    Found(Violation),
    Broken(ProbeError),
}

impl From<Violation> for Stop {
    fn from(v: Violation) -> Stop {
        Stop::Found(v)
    }
}

impl From<ProbeError> for Stop {
    fn from(e: ProbeError) -> Stop {
        Stop::Broken(e)
    }
}

type Run<T = ()> = Result<T, Stop>;

/// Runs `case` as a fresh merchant (admin) or as the target's merchant.
pub async fn execute(env: &Env, case: &Case) -> Result<CaseOutcome, ProbeError> {
    let mut exec = Exec::start(env).await?;
    let mut violation = None;
    for (i, op) in case.ops.iter().enumerate() {
        exec.step = i + 1;
        match exec.run_op(op).await {
            Ok(()) => {}
            Err(Stop::Found(v)) => {
                violation = Some((i + 1, v));
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
        };
        if env.admin {
            let (client, setup) = env.merchant("GATECHECK_MERCHANT_KEY").await?;
            exec.record(Role::Setup, &setup);
            exec.client = client;
        }
        Ok(exec)
    }

    // ---- transport -------------------------------------------------------------------

    fn record(&mut self, role: Role, exchange: &Exchange) {
        self.requests += 1;
        self.trace.push(Recorded {
            step: self.step,
            role,
            exchange: exchange.clone(),
        });
    }

    fn exercise(&mut self, check: Check) {
        *self.exercised.entry(check).or_default() += 1;
    }

    fn key(&mut self) -> String {
        self.keys += 1;
        format!("{}-k{}", self.nonce, self.keys)
    }

    fn paced(e: PaceError) -> Stop {
        Stop::Broken(ProbeError::Target(e.to_string()))
    }

    async fn post(
        &mut self,
        role: Role,
        client: Option<&ApiClient>,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> Run<Exchange> {
        let client = client.unwrap_or(&self.client).clone();
        let ex = pace::send(|| {
            let mut rb = client.post(path).json(body);
            if let Some(k) = key {
                rb = rb.header("Idempotency-Key", k);
            }
            rb
        })
        .await
        .map_err(Self::paced)?;
        self.record(role, &ex);
        Ok(ex)
    }

    async fn get(&mut self, role: Role, client: Option<&ApiClient>, path: &str) -> Run<Exchange> {
        let client = client.unwrap_or(&self.client).clone();
        let ex = pace::send(|| client.get(path)).await.map_err(Self::paced)?;
        self.record(role, &ex);
        Ok(ex)
    }

    async fn admin_post(&mut self, path: &str) -> Run<Exchange> {
        let client = self.client.clone();
        let ex = pace::send(|| client.post(path).auth(Auth::Admin))
            .await
            .map_err(Self::paced)?;
        self.record(Role::Action, &ex);
        Ok(ex)
    }

    // ---- the steps -------------------------------------------------------------------

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

    async fn authorize(&mut self, amount: u64, settle: Settle) -> Run {
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
        self.judge_conservation(&created, &ex)?;
        let echo = created.amount == amount
            && created.authorized_amount == amount
            && created.order_reference == reference
            && created.currency == self.env.currency
            && Totals::of(&created) == Totals::default()
            && matches!(
                created.wallet_transaction_status,
                WalletStatus::New | WalletStatus::Processing
            );
        if !echo {
            return Err(fail(
                check,
                &ex,
                "the created transaction does not echo the authorization",
                format!("status NEW or PROCESSING, amount = authorizedAmount = {amount}, orderReference {reference}, currency {}, totals 0", self.env.currency),
            )
            .into());
        }
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
    async fn authorize_again(&mut self, i: usize, other_amount: Option<u64>) -> Run {
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
            self.expect_mismatch(&ex)?;
            self.list_one(tx, check).await?;
            return self.observe(tx, check).await;
        }
        let replayed = ex.header("Idempotent-Replayed").map(str::trim) == Some("true");
        let same = ex.status == 201
            && serde_json::from_slice::<WalletTransaction>(&ex.body).is_ok_and(|t| {
                t.wallet_transaction_id == self.txs[tx].id && t.amount == self.txs[tx].authorized
            });
        if !same || !replayed {
            return Err(fail(
                check,
                &ex,
                "a replayed authorization did not answer as the first time",
                format!(
                    "201, walletTransactionId {}, amount {}, Idempotent-Replayed: true",
                    self.txs[tx].id, self.txs[tx].authorized
                ),
            )
            .into());
        }
        self.exercise(Check::ReplayMovesNothing);
        self.list_one(tx, Check::ReplayMovesNothing).await?;
        self.observe(tx, Check::ReplayMovesNothing).await
    }

    async fn operate(&mut self, kind: OperationKind, tx: usize, amount: u64, key: OpKey) -> Run {
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
            self.expect_mismatch(&ex)?;
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
            let replayed = ex.header("Idempotent-Replayed").map(str::trim) == Some("true");
            if ex.status == 422 || replayed {
                return Err(fail(
                    Check::ErrorDoesNotBindKey,
                    &ex,
                    "a key whose earlier request failed (400/409) was treated as bound (422 or a replay)",
                    "the answer for this payload alone (the failed request bound nothing)",
                )
                .into());
            }
        }
        match expect {
            Expect::Moves => {
                if ex.status != 200 {
                    // Confirm with a control read that there was room before blaming.
                    self.observe(tx, check).await?;
                    if self.txs[tx].expect(kind, amount) == Expect::Moves {
                        let blame =
                            if ex.error_code().as_deref() == Some("amount_exceeds_remaining") {
                                Check::ExceedsRemainingRejected
                            } else {
                                check
                            };
                        return Err(fail(
                            blame,
                            &ex,
                            format!(
                                "a {} within what is left ({} ≥ {amount}) was refused",
                                kind.as_str(),
                                self.txs[tx].left(kind)
                            ),
                            "200 WalletOperation",
                        )
                        .into());
                    }
                    return Ok(());
                }
                let answer: WalletOperation = parse(&ex, check)?;
                let right = answer.wallet_transaction_id == self.txs[tx].id
                    && answer.amount == amount
                    && answer.operation == kind
                    && answer.currency == self.txs[tx].currency
                    && answer.order_reference == self.txs[tx].order_reference;
                if !right {
                    return Err(fail(
                        check,
                        &ex,
                        "the WalletOperation does not report exactly the requested operation",
                        format!(
                            "walletTransactionId {}, operation {}, amount {amount}",
                            self.txs[tx].id,
                            kind.as_str()
                        ),
                    )
                    .into());
                }
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
                self.expect_error(&ex, check, 409, "invalid_state", None)?;
                if let Some(k) = key {
                    self.failed_key = Some(k);
                }
            }
            Expect::Exceeds => {
                self.expect_error(&ex, check, 400, "amount_exceeds_remaining", Some("amount"))?;
                if let Some(k) = key {
                    self.failed_key = Some(k);
                }
            }
        }
        self.observe(tx, check).await
    }

    async fn replay(&mut self, sent: &SentOp) -> Run {
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
        let replayed = ex.header("Idempotent-Replayed").map(str::trim) == Some("true");
        let same = ex.status == 200
            && serde_json::from_slice::<WalletOperation>(&ex.body).is_ok_and(|o| {
                o.wallet_transaction_id == sent.answer.wallet_transaction_id
                    && o.amount == sent.answer.amount
                    && o.operation == sent.answer.operation
            });
        if !same || !replayed {
            return Err(fail(
                check,
                &ex,
                format!(
                    "a replayed {} (what is left now: {}) did not answer as the first time",
                    sent.kind.as_str(),
                    self.txs[sent.tx].left(sent.kind)
                ),
                format!(
                    "200, the same WalletOperation (amount {}), Idempotent-Replayed: true",
                    sent.amount
                ),
            )
            .into());
        }
        self.exercise(Check::ReplayMovesNothing);
        self.observe(sent.tx, Check::ReplayMovesNothing).await
    }

    async fn foreign(&mut self, kind: Option<OperationKind>, tx: usize) -> Run {
        let check = Check::OtherMerchantNotFound;
        if self.other.is_none() {
            let (client, ex) = self
                .env
                .merchant("GATECHECK_OTHER_MERCHANT_KEY")
                .await
                .map_err(Stop::Broken)?;
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
        self.expect_error(&ex, check, 404, "not_found", None)?;
        self.observe(tx, check).await
    }

    async fn force(&mut self, tx: usize, succeed: bool) -> Run {
        let check = Check::Transitions;
        let verb = if succeed { "succeed" } else { "fail" };
        let path = format!("/_sandbox/wallet/transactions/{}/{verb}", self.txs[tx].id);
        let ex = self.admin_post(&path).await?;
        self.exercise(check);
        let want = if succeed {
            WalletStatus::Success
        } else {
            WalletStatus::Failed
        };
        if self.txs[tx].status.is_final() {
            self.expect_error(&ex, check, 409, "conflict", None)?;
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
            return self
                .expect_error(&ex, check, 409, "conflict", None)
                .map_err(Stop::Found);
        } else {
            let ok = ex.status == 200
                && serde_json::from_slice::<WalletTransaction>(&ex.body)
                    .is_ok_and(|t| t.wallet_transaction_status == want);
            if !ok {
                return Err(fail(
                    check,
                    &ex,
                    format!("forcing {verb} did not end the transaction {want}"),
                    format!("200, walletTransactionStatus {want}"),
                )
                .into());
            }
        }
        self.observe(tx, check).await
    }

    /// Without the admin API: reads until the transaction is final (or the wait ends).
    async fn wait_final(&mut self, tx: usize) -> Run {
        let started = Instant::now();
        while self.txs[tx].is_pending() && started.elapsed() < self.env.settle_timeout {
            tokio::time::sleep(self.env.poll_interval).await;
            self.read(tx, Role::Poll, Check::Transitions).await?;
        }
        Ok(())
    }

    // ---- reads -----------------------------------------------------------------------

    async fn observe(&mut self, tx: usize, blame: Check) -> Run {
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
        self.judge(tx, &t, &ex, blame)?;
        Ok(())
    }

    /// A control read of a pending transaction: the lifecycle only; the status it shows
    /// becomes the model's (its totals are judged after the step's answer is).
    async fn adopt_status(&mut self, tx: usize) -> Run {
        let path = transaction_path(&self.txs[tx].id);
        let ex = self.get(Role::Observe, None, &path).await?;
        let t: WalletTransaction = parse(&ex, Check::Conservation)?;
        let m = &self.txs[tx];
        let status = t.wallet_transaction_status;
        if !m.status.may_become(status) {
            return Err(fail(
                Check::Transitions,
                &ex,
                format!("the status moved {} → {status}", m.status),
                format!("a move §4 allows from {}", m.status),
            )
            .into());
        }
        let m = &mut self.txs[tx];
        m.status = status;
        Ok(())
    }

    fn judge_conservation(&mut self, t: &WalletTransaction, ex: &Exchange) -> Step {
        self.exercise(Check::Conservation);
        match conservation_broken(t) {
            Some(what) => Err(fail(
                Check::Conservation,
                ex,
                format!("conservation broken: {what}"),
                "captured + cancelled ≤ authorized, refunded ≤ captured, all 0 unless SUCCESS",
            )),
            None => Ok(()),
        }
    }

    fn judge(&mut self, tx: usize, t: &WalletTransaction, ex: &Exchange, blame: Check) -> Step {
        self.judge_conservation(t, ex)?;
        let m = self.txs[tx].clone();
        let seen = Totals::of(t);
        if !seen.at_least(&m.seen) {
            return Err(fail(
                Check::Conservation,
                ex,
                "a total shrank since the last read (totals only grow)",
                format!("at least {}", m.seen),
            )
            .with_got(seen.to_string()));
        }
        self.exercise(Check::Transitions);
        let status = t.wallet_transaction_status;
        if !m.status.may_become(status) {
            return Err(fail(
                Check::Transitions,
                ex,
                format!("the status moved {} → {status}", m.status),
                format!("a move §4 allows from {}", m.status),
            ));
        }
        let changed = status != m.status || seen != m.seen;
        let (Some(created), Some(updated), Some(before)) =
            (ts(&t.created_at), ts(&t.updated_at), ts(&m.updated_at))
        else {
            return Err(fail(
                Check::Transitions,
                ex,
                "createdAt/updatedAt are not RFC 3339 timestamps",
                "RFC 3339 UTC timestamps",
            ));
        };
        if updated < created || (changed && updated <= before) {
            return Err(fail(
                Check::Transitions,
                ex,
                format!(
                    "updatedAt {} did not grow with the change (before: {})",
                    t.updated_at, m.updated_at
                ),
                "updatedAt ≥ createdAt, strictly later after a status or total change",
            ));
        }
        if t.wallet_transaction_id != m.id
            || t.authorized_amount != m.authorized
            || t.currency != m.currency
            || t.order_reference != m.order_reference
        {
            return Err(fail(
                Check::AuthorizeMatchesModel,
                ex,
                "the transaction no longer echoes its authorization",
                format!("{} authorized {} {}", m.id, m.authorized, m.currency),
            ));
        }
        if seen != m.totals {
            return Err(fail(
                blame,
                ex,
                format!(
                    "the totals disagree with the operations that got a 200 ({})",
                    blame_note(blame)
                ),
                m.totals.to_string(),
            )
            .with_got(seen.to_string()));
        }
        let m = &mut self.txs[tx];
        m.status = status;
        m.updated_at = t.updated_at.clone();
        m.seen = seen;
        Ok(())
    }

    /// The list filtered by the transaction's `orderReference` holds exactly it.
    async fn list_one(&mut self, tx: usize, blame: Check) -> Run {
        let reference = self.txs[tx].order_reference.clone();
        let path = format!("{LIST_PATH}?orderReference={}", urlencode(&reference));
        let ex = self.get(Role::Observe, None, &path).await?;
        let items: Vec<WalletTransaction> = ex
            .json()
            .and_then(|v| v.get("items").cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                fail(
                    blame,
                    &ex,
                    "the list is not a list of WalletTransaction",
                    "200 {\"items\": [...], \"nextCursor\": …}",
                )
            })?;
        for t in &items {
            self.judge_conservation(t, &ex)?;
        }
        let ids: Vec<&str> = items
            .iter()
            .map(|t| t.wallet_transaction_id.as_str())
            .collect();
        if ids != [self.txs[tx].id.as_str()] {
            return Err(fail(
                blame,
                &ex,
                format!(
                    "the list by orderReference {reference} holds {} transaction(s)",
                    ids.len()
                ),
                format!("exactly {}", self.txs[tx].id),
            )
            .with_got(ids.join(", "))
            .into());
        }
        Ok(())
    }

    /// `422 idempotency_key_mismatch`, `param: "Idempotency-Key"`.
    fn expect_mismatch(&mut self, ex: &Exchange) -> Step {
        let check = Check::MismatchRejected;
        self.expect_error(
            ex,
            check,
            422,
            "idempotency_key_mismatch",
            Some("Idempotency-Key"),
        )
    }

    fn expect_error(
        &mut self,
        ex: &Exchange,
        check: Check,
        status: u16,
        code: &str,
        param: Option<&str>,
    ) -> Step {
        let got_param = ex.error_param().flatten();
        if ex.status == status
            && ex.error_code().as_deref() == Some(code)
            && got_param.as_deref() == param
        {
            return Ok(());
        }
        Err(fail(
            check,
            ex,
            format!("expected {status} {code}"),
            format!("{status} {code}, param {}", param.unwrap_or("null")),
        ))
    }
}

fn check_of(expect: Expect) -> Check {
    match expect {
        Expect::Moves => Check::OperationMovesExactly,
        Expect::InvalidState => Check::InvalidStateRejected,
        Expect::Exceeds => Check::ExceedsRemainingRejected,
    }
}

fn blame_note(check: Check) -> &'static str {
    match check {
        Check::OperationMovesExactly => "the operation just made moved another amount",
        Check::ExceedsRemainingRejected => "a refused operation moved money",
        Check::InvalidStateRejected => "an operation refused as invalid_state moved money",
        Check::ReplayMovesNothing | Check::ReplaySameAnswer => "a replay moved money",
        Check::MismatchRejected => "a mismatched key moved money",
        Check::OtherMerchantNotFound => "another merchant's request moved money",
        _ => "nothing should have moved",
    }
}

trait WithGot {
    fn with_got(self, got: String) -> Self;
}

impl WithGot for Violation {
    fn with_got(mut self, got: String) -> Self {
        self.got = got;
        self
    }
}

/// A violation with this exchange as evidence; `got` is its status and body.
fn fail(
    check: Check,
    ex: &Exchange,
    message: impl Into<String>,
    expected: impl Into<String>,
) -> Violation {
    Violation::new(
        check,
        message,
        expected,
        format!("{} {}", ex.status, ex.body_excerpt()),
    )
    .with_exchange(Some(ex.evidence()))
}

fn parse<T: serde::de::DeserializeOwned>(ex: &Exchange, check: Check) -> Result<T, Violation> {
    serde_json::from_slice(&ex.body).map_err(|e| {
        fail(
            check,
            ex,
            format!("the body is not the contract's object (amounts integer minor units ≥ 0): {e}"),
            "the object of §4/§5",
        )
    })
}

fn ts(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
