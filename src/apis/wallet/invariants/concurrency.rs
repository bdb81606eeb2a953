//! Concurrency probes (§5 "Each operation is atomic", §5 Idempotency "under any
//! concurrency one key moves money at most once"):
//! - parallel partial captures against one hold: exactly ⌊remaining / amount⌋ of those that
//!   ran succeed, and `capturedAmount` is their sum;
//! - parallel refunds against what was captured: the same arithmetic on `refundedAmount`;
//! - parallel captures with one Idempotency-Key: money moves once.
//!
//! A `429` in a burst is a request that did not run: it counts neither way. The read after
//! the burst is the control that confirms blame (the totals the server itself reports).

use std::time::Instant;

use futures::future::join_all;
use serde_json::json;

use crate::apis::wallet::invariants::checks::{Check, Ledgerbook, Violation};
use crate::apis::wallet::invariants::model::conservation_broken;
use crate::apis::wallet::invariants::{Env, InvariantOptions, ProbeError};
use crate::apis::wallet::wire::{
    transaction_path, OperationKind, WalletOperation, WalletStatus, WalletTransaction,
    AUTHORIZE_PATH,
};
use crate::engine::client::{ApiClient, Auth, Exchange};
use crate::engine::invariants::pace;
use crate::engine::invariants::script::Script;

/// Runs every probe for `opts.concurrency_rounds` rounds (stopping a probe at its first
/// failure); returns the requests sent.
pub async fn run_all(
    env: &Env,
    opts: &InvariantOptions,
    book: &mut Ledgerbook,
) -> Result<u64, ProbeError> {
    let mut probe = Probe {
        env,
        width: opts.concurrency_width.max(2),
        requests: 0,
        capped: None,
    };
    for check in [
        Check::PartialCapturesRace,
        Check::RefundsRace,
        Check::SameKeyRace,
    ] {
        for round in 0..opts.concurrency_rounds {
            let t = Instant::now();
            let result = match check {
                Check::PartialCapturesRace => probe.partial_captures(round).await,
                Check::RefundsRace => probe.refunds(round).await,
                _ => probe.same_key(round).await,
            };
            let result = match result {
                Ok(result) => result,
                // A set-up or control request that never ran: the round proves nothing.
                Err(ProbeError::RateLimited(what)) => {
                    tracing::warn!(%what, check = ?check, "wallet concurrency round rate limited");
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(reason) = probe.capped.take() {
                book.skip(check, reason);
                break;
            }
            book.add_duration(check, t.elapsed().as_millis() as u64);
            book.exercised(check, 1);
            if let Some((v, script)) = result {
                let check = v.check;
                book.finding(v.into_finding(script.lines, None), check);
                break;
            }
        }
    }
    Ok(probe.requests)
}

type Found = Option<(Violation, Script)>;

/// One burst: `kind`s of `amount` against `left` on transaction `id`.
struct Race<'a> {
    check: Check,
    id: &'a str,
    kind: OperationKind,
    left: u64,
    amount: u64,
}

struct Probe<'a> {
    env: &'a Env,
    /// Why the last probe could not authorize (the spend cap): its check is skipped.
    capped: Option<String>,
    width: usize,
    requests: u64,
}

fn transport(e: impl Into<ProbeError>) -> ProbeError {
    e.into()
}

fn found(check: Check, ex: &Exchange, message: String, expected: String, script: Script) -> Found {
    let v = Violation::new(
        check,
        message,
        expected,
        format!("{} {}", ex.status, ex.body_excerpt()),
    )
    .with_exchange(Some(ex.evidence()));
    Some((v, script))
}

impl Probe<'_> {
    fn nonce() -> String {
        format!("c{:08x}", rand::random::<u32>())
    }

    /// The caller of one round: a fresh merchant (admin) or the target's.
    async fn caller(&mut self, script: &mut Script) -> Result<ApiClient, ProbeError> {
        if !self.env.admin {
            return Ok(self.env.client.clone());
        }
        let (client, ex) = self.env.merchant("GATECHECK_MERCHANT_KEY").await?;
        self.requests += 1;
        script.one(
            &ex,
            "create a merchant (admin); export its api_key as $GATECHECK_MERCHANT_KEY",
        );
        Ok(client)
    }

    /// Authorizes `amount` and brings it to `SUCCESS` (forced, else waited for); `None`
    /// when it ended `FAILED` on its own (nothing to race on).
    async fn hold(
        &mut self,
        client: &ApiClient,
        amount: u64,
        script: &mut Script,
    ) -> Result<Option<String>, ProbeError> {
        if let Err(reason) = self.env.may_authorize(amount) {
            self.capped = Some(reason.to_string());
            return Ok(None);
        }
        let nonce = Self::nonce();
        let body = json!({
            "amount": amount, "phoneNumber": "+77012345678", "iin": "900101300007",
            "orderReference": nonce, "currency": self.env.currency,
        });
        let ex = pace::send(|| {
            client
                .post(AUTHORIZE_PATH)
                .header("Idempotency-Key", nonce.as_str())
                .json(&body)
        })
        .await
        .map_err(transport)?;
        self.requests += 1;
        script.one(&ex, "authorize");
        let Some(t) = serde_json::from_slice::<WalletTransaction>(&ex.body)
            .ok()
            .filter(|_| ex.status == 201)
        else {
            return Err(ProbeError::Target(format!(
                "authorize answered {} {} (the stateful probe judges authorizations)",
                ex.status,
                ex.body_excerpt()
            )));
        };
        let id = t.wallet_transaction_id;
        if self.env.admin {
            let path = format!("/_sandbox/wallet/transactions/{id}/succeed");
            let ex = pace::send(|| client.post(path.as_str()).auth(Auth::Admin))
                .await
                .map_err(transport)?;
            self.requests += 1;
            script.one(&ex, "force SUCCESS (admin)");
        }
        let started = Instant::now();
        loop {
            let t = self.read(client, &id).await?;
            match t.map(|t| t.wallet_transaction_status) {
                Some(WalletStatus::Success) => return Ok(Some(id)),
                Some(WalletStatus::Failed) => return Ok(None),
                _ if started.elapsed() > self.env.settle_timeout => return Ok(None),
                _ => tokio::time::sleep(self.env.poll_interval).await,
            }
        }
    }

    async fn read(
        &mut self,
        client: &ApiClient,
        id: &str,
    ) -> Result<Option<WalletTransaction>, ProbeError> {
        let path = transaction_path(id);
        let ex = pace::send(|| client.get(path.as_str()))
            .await
            .map_err(transport)?;
        self.requests += 1;
        Ok(serde_json::from_slice(&ex.body)
            .ok()
            .filter(|_| ex.status == 200))
    }

    async fn read_ex(&mut self, client: &ApiClient, id: &str) -> Result<Exchange, ProbeError> {
        let path = transaction_path(id);
        self.requests += 1;
        pace::send(|| client.get(path.as_str()))
            .await
            .map_err(transport)
    }

    /// One op, sequentially (set-up of a round).
    async fn op(
        &mut self,
        client: &ApiClient,
        kind: OperationKind,
        id: &str,
        amount: u64,
        script: &mut Script,
    ) -> Result<bool, ProbeError> {
        let path = kind.path(id);
        let body = json!({ "amount": amount });
        let ex = pace::send(|| client.post(path.as_str()).json(&body))
            .await
            .map_err(transport)?;
        self.requests += 1;
        script.one(&ex, &format!("{} {amount}", kind.as_str()));
        Ok(ex.status == 200)
    }

    /// `width` copies of one request at once (429s: did not run).
    async fn burst(
        &mut self,
        client: &ApiClient,
        path: &str,
        amount: u64,
        key: Option<&str>,
    ) -> Result<Vec<Exchange>, ProbeError> {
        let body = json!({ "amount": amount });
        let sends = (0..self.width).map(|_| {
            // A burst: not held by the pacer, a `429` handed back as "did not run".
            let mut rb = client.post(path).json(&body).unpaced();
            if let Some(k) = key {
                rb = rb.header("Idempotency-Key", k);
            }
            rb.send()
        });
        let results = join_all(sends).await;
        self.requests += results.len() as u64;
        results
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(transport)
    }

    /// Parallel `amount`s of `kind` against `left`: exactly ⌊left / amount⌋ of those that
    /// ran succeed (or all that ran, if fewer), the rest `400 amount_exceeds_remaining`.
    async fn race(
        &mut self,
        client: &ApiClient,
        race: Race<'_>,
        mut script: Script,
    ) -> Result<Found, ProbeError> {
        let Race {
            check,
            id,
            kind,
            left,
            amount,
        } = race;
        let exs = self.burst(client, &kind.path(id), amount, None).await?;
        script.parallel(&exs, &format!("{} {amount}", kind.as_str()));
        let ran: Vec<&Exchange> = exs.iter().filter(|e| e.status != 429).collect();
        let ok = ran.iter().filter(|e| e.status == 200).count() as u64;
        let fits = left / amount;
        let want = fits.min(ran.len() as u64);
        if let Some(bad) = ran.iter().find(|e| {
            !(e.status == 200
                || (e.status == 400
                    && e.error_code().as_deref() == Some("amount_exceeds_remaining")))
        }) {
            return Ok(found(
                check,
                bad,
                format!(
                    "a parallel {} answered neither 200 nor 400 amount_exceeds_remaining",
                    kind.as_str()
                ),
                "200 or 400 amount_exceeds_remaining".into(),
                script,
            ));
        }
        for e in ran.iter().filter(|e| e.status == 200) {
            let right = serde_json::from_slice::<WalletOperation>(&e.body).is_ok_and(|o| {
                o.amount == amount && o.operation == kind && o.wallet_transaction_id == id
            });
            if !right {
                return Ok(found(
                    check,
                    e,
                    "a parallel operation's WalletOperation does not report it".into(),
                    format!("amount {amount}, operation {}", kind.as_str()),
                    script,
                ));
            }
        }
        // The control read: the server's own totals.
        let ex = self.read_ex(client, id).await?;
        script.one(&ex, "read the transaction: the control");
        let Some(t) = serde_json::from_slice::<WalletTransaction>(&ex.body)
            .ok()
            .filter(|_| ex.status == 200)
        else {
            return Ok(found(
                check,
                &ex,
                "the transaction cannot be read after the burst".into(),
                "200 WalletTransaction".into(),
                script,
            ));
        };
        let total = match kind {
            OperationKind::Capture => t.captured_amount,
            OperationKind::Cancel => t.cancelled_amount,
            OperationKind::Refund => t.refunded_amount,
        };
        let wrong = ok != want || total != ok * amount || conservation_broken(&t).is_some();
        if wrong && ok > want {
            // The control: the same operation once more, alone. Accepted beyond what the
            // server itself says is left, the bug is no race but the §5 bound itself.
            let left_now = match kind {
                OperationKind::Capture | OperationKind::Cancel => t.remaining(),
                OperationKind::Refund => t.refundable(),
            }
            .unwrap_or(0);
            let path = kind.path(id);
            let body = json!({ "amount": amount });
            let control = pace::send(|| client.post(path.as_str()).json(&body))
                .await
                .map_err(transport)?;
            self.requests += 1;
            script.one(
                &control,
                &format!("{} {amount} alone: the control", kind.as_str()),
            );
            if control.status == 200 && left_now < amount {
                return Ok(found(
                    Check::ExceedsRemainingRejected,
                    &control,
                    format!(
                        "a {} of {amount}, sent alone with {left_now} left, was accepted",
                        kind.as_str()
                    ),
                    "400 amount_exceeds_remaining".into(),
                    script,
                ));
            }
        }
        if wrong {
            return Ok(found(
                check,
                &ex,
                format!(
                    "{ok} of {} parallel {}s of {amount} that ran succeeded against {left} left; the total is {total}",
                    ran.len(),
                    kind.as_str(),
                ),
                format!("exactly {want} succeed (⌊{left} / {amount}⌋ = {fits}) and the total moves {}", want * amount),
                script,
            ));
        }
        Ok(None)
    }

    async fn partial_captures(&mut self, round: u32) -> Result<Found, ProbeError> {
        let mut script = Script::default();
        let client = self.caller(&mut script).await?;
        // e.g. 15,000 authorized, captures of 1,000: exactly 15 of 20 succeed.
        let amount = 1_000 + u64::from(round) * 250;
        let authorized = amount * (self.width as u64 * 3 / 4) + u64::from(round) * 7;
        let Some(id) = self.hold(&client, authorized, &mut script).await? else {
            return Ok(None);
        };
        let race = Race {
            check: Check::PartialCapturesRace,
            id: &id,
            kind: OperationKind::Capture,
            left: authorized,
            amount,
        };
        self.race(&client, race, script).await
    }

    async fn refunds(&mut self, round: u32) -> Result<Found, ProbeError> {
        let mut script = Script::default();
        let client = self.caller(&mut script).await?;
        let amount = 500 + u64::from(round) * 100;
        let captured = amount * (self.width as u64 / 2) + 3;
        let Some(id) = self.hold(&client, captured * 2, &mut script).await? else {
            return Ok(None);
        };
        if !self
            .op(&client, OperationKind::Capture, &id, captured, &mut script)
            .await?
        {
            return Ok(None);
        }
        let race = Race {
            check: Check::RefundsRace,
            id: &id,
            kind: OperationKind::Refund,
            left: captured,
            amount,
        };
        self.race(&client, race, script).await
    }

    async fn same_key(&mut self, round: u32) -> Result<Found, ProbeError> {
        let check = Check::SameKeyRace;
        let mut script = Script::default();
        let client = self.caller(&mut script).await?;
        let amount = 1_000 + u64::from(round);
        let Some(id) = self.hold(&client, amount * 10, &mut script).await? else {
            return Ok(None);
        };
        let key = Self::nonce();
        let exs = self
            .burst(
                &client,
                &OperationKind::Capture.path(&id),
                amount,
                Some(&key),
            )
            .await?;
        script.parallel(&exs, &format!("capture {amount}, one Idempotency-Key"));
        for e in exs.iter().filter(|e| e.status != 429) {
            let fine = e.status == 200
                || (e.status == 409
                    && e.error_code().as_deref() == Some("idempotency_in_progress"));
            if !fine {
                return Ok(found(check, e, "a capture with a key in flight answered neither the capture nor 409 idempotency_in_progress".into(), "200 (the capture or its replay) or 409 idempotency_in_progress".into(), script));
            }
        }
        let ex = self.read_ex(&client, &id).await?;
        script.one(&ex, "read the transaction: the control");
        let captured = serde_json::from_slice::<WalletTransaction>(&ex.body)
            .ok()
            .map(|t| t.captured_amount);
        let ran_ok = exs.iter().any(|e| e.status == 200);
        let want = if ran_ok { amount } else { 0 };
        if captured != Some(want) {
            return Ok(found(
                check,
                &ex,
                format!(
                    "{} parallel captures of {amount} with one key moved {captured:?}",
                    exs.len()
                ),
                format!("capturedAmount {want}: one key moves money once"),
                script,
            ));
        }
        Ok(None)
    }
}
