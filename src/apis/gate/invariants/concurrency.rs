//! Concurrency probes (Jepsen-bank style, many requests in flight at once):
//! - one key, one payload, N in parallel → at most one order and one reservation, every
//!   reply a 201 (the order or its replay) or a 409;
//! - one key, N different payloads in parallel → at most one order;
//! - M orders in parallel against a balance that fits K → exactly K succeed, `available`
//!   is never negative (read while they fly), `reserved` = the pending charges;
//! - a failed attempt does not bind its key (insufficient balance, deposit, retry → 201).
//!
//! Each round runs on a fresh isolated agent (admin API), so every number is exact.

use crate::apis::gate::client::GateClientExt as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::apis::gate::admin::AdminClient;
use crate::apis::gate::invariants::balances::balance_rows;
use crate::apis::gate::invariants::catalog::Orderable;
use crate::apis::gate::invariants::checks::{CheckId, Ledgerbook, Violation};
use crate::apis::gate::invariants::{Env, InvariantOptions, ProbeError};
use crate::apis::gate::money::Amount;
use crate::engine::client::pages;
use crate::engine::client::{ApiClient, Exchange};
use crate::engine::invariants::admin::AdminRefusal;
use crate::engine::invariants::script::Script;

/// Runs every concurrency probe, recording results (or why one was skipped) in `book`.
pub async fn run_all(
    env: &Env,
    opts: &InvariantOptions,
    book: &mut Ledgerbook,
) -> Result<(), ProbeError> {
    let Some(voucher) = env.catalog.cheapest_voucher().cloned() else {
        for c in [
            CheckId::OneOrderUnderConcurrency,
            CheckId::NoOverdrawUnderConcurrency,
        ] {
            book.skip(
                c,
                "the catalog has no available voucher to order in parallel",
            );
        }
        return Ok(());
    };
    let probe = Probe {
        env,
        voucher,
        width: opts.concurrency_width.max(2),
    };
    let run = |book: &mut Ledgerbook,
               check: CheckId,
               started: Instant,
               result: Result<Option<Failure>, ProbeError>|
     -> Result<(), ProbeError> {
        book.add_duration(check, started.elapsed().as_millis() as u64);
        let result = match result {
            Err(ProbeError::RateLimited(label)) => {
                book.inconclusive(check, ProbeError::RateLimited(label).to_string());
                return Ok(());
            }
            other => other,
        };
        match result? {
            // Booked under the check the violation names: a probe may blame another rule.
            Some(f) => {
                let blamed = f.violation.check;
                book.finding(f.violation.into_finding(f.script, None), blamed);
            }
            None => book.exercised(check, 1),
        }
        Ok(())
    };
    if !env.mode.admin {
        let reason = "needs the sandbox admin API (--admin-token) for isolated, funded agents";
        for c in [
            CheckId::OneOrderUnderConcurrency,
            CheckId::NoOverdrawUnderConcurrency,
        ] {
            book.skip(c, reason);
        }
        book.skip(CheckId::ErrorDoesNotBindKey, reason);
        return Ok(());
    }
    for round in 0..opts.concurrency_rounds {
        let t = Instant::now();
        let r = probe.one_key_same_payload(round).await;
        let failed = matches!(r, Ok(Some(_)));
        run(book, CheckId::OneOrderUnderConcurrency, t, r)?;
        if failed {
            break;
        }
    }
    for round in 0..opts.concurrency_rounds {
        let t = Instant::now();
        let r = probe.one_key_mismatched_payloads(round).await;
        let failed = matches!(r, Ok(Some(_)));
        run(book, CheckId::OneOrderUnderConcurrency, t, r)?;
        if failed {
            break;
        }
    }
    if env.mode.test_only {
        book.skip(
            CheckId::NoOverdrawUnderConcurrency,
            "needs real orders: pass --allow-spend for a remote host",
        );
        book.skip(
            CheckId::ErrorDoesNotBindKey,
            "needs real orders: pass --allow-spend for a remote host",
        );
        return Ok(());
    }
    for round in 0..opts.concurrency_rounds {
        let t = Instant::now();
        let r = probe.no_overdraw(round).await;
        let failed = matches!(r, Ok(Some(_)));
        run(book, CheckId::NoOverdrawUnderConcurrency, t, r)?;
        if failed {
            break;
        }
    }
    let t = Instant::now();
    let r = probe.failed_attempt_leaves_key_free().await;
    run(book, CheckId::ErrorDoesNotBindKey, t, r)?;
    Ok(())
}

/// A paced request answered `429` past the budget did not run: what rests on it is
/// inconclusive ([`ProbeError::RateLimited`]).
fn paced(ex: &Exchange) -> Result<(), ProbeError> {
    if ex.status == 429 {
        return Err(ProbeError::RateLimited(ex.label()));
    }
    Ok(())
}

/// `400 insufficient_balance` (§3).
fn is_insufficient(e: &Exchange) -> bool {
    e.status == 400 && e.error_code().as_deref() == Some("insufficient_balance")
}

struct Failure {
    violation: Violation,
    script: Vec<String>,
}

struct Probe<'a> {
    env: &'a Env,
    voucher: Orderable,
    width: usize,
}

/// A failed round: what broke and the script that shows it.
fn fail(script: Script, v: Violation) -> Option<Failure> {
    Some(Failure {
        violation: v,
        script: script.lines,
    })
}

fn transport(check: CheckId) -> impl Fn(crate::engine::client::TransportError) -> ProbeError {
    move |e| ProbeError::Target(format!("{}: {e}", check.id()))
}

impl Probe<'_> {
    fn price(&self) -> Amount {
        self.voucher.min_charge()
    }

    fn nonce() -> String {
        format!("n{:08x}", rand::random::<u32>())
    }

    async fn agent(&self, deposit: Amount, script: &mut Script) -> Result<ApiClient, ProbeError> {
        let deposits = if deposit.is_zero() {
            Vec::new()
        } else {
            vec![(self.voucher.currency.clone(), deposit)]
        };
        let (client, setup) = self.env.isolated_agent(&deposits).await?;
        script.one(&setup, "create an isolated agent (export GATECHECK_AGENT_ID / GATECHECK_AGENT_KEY from its reply)");
        Ok(client)
    }

    fn order_body(&self, external_ref: &str, extra: Option<usize>) -> Value {
        let mut body =
            json!({"product_id": self.voucher.id, "quantity": 1, "external_ref": external_ref});
        if let Some(i) = extra {
            body["gatecheck_variant"] = json!(i);
        }
        if self.env.mode.test_only {
            body["test"] = json!(true);
        }
        body
    }

    /// Sends the bodies at once, as a burst (unpaced). A `429` is a request that did not
    /// run (the target's right, §10): it is left out, and the probe judges the ones that ran.
    async fn post_many(
        client: &ApiClient,
        bodies: Vec<(Option<String>, Value)>,
        check: CheckId,
    ) -> Result<Vec<Exchange>, ProbeError> {
        let path = client.agent_path("/orders");
        let sends = bodies.into_iter().map(|(key, body)| {
            let mut rb = client.post(path.clone()).json(&body).unpaced();
            if let Some(k) = key {
                rb = rb.header("Idempotency-Key", k);
            }
            rb.send()
        });
        let replies: Vec<Exchange> = join_all(sends)
            .await
            .into_iter()
            .map(|r| r.map_err(transport(check)))
            .collect::<Result<_, _>>()?;
        Ok(replies.into_iter().filter(|e| e.status != 429).collect())
    }

    async fn balance(
        client: &ApiClient,
        currency: &str,
        check: CheckId,
    ) -> Result<(Exchange, Amount, Amount), ProbeError> {
        let ex = client
            .get(client.agent_path("/balance"))
            .send()
            .await
            .map_err(transport(check))?;
        paced(&ex)?;
        let rows =
            balance_rows(&ex).map_err(|e| ProbeError::Target(format!("GET /balance: {e}")))?;
        let (a, r) = rows
            .iter()
            .find(|r| r.currency == currency)
            .map_or((Amount::ZERO, Amount::ZERO), |r| (r.available, r.reserved));
        Ok((ex, a, r))
    }

    async fn orders_with_ref(
        client: &ApiClient,
        external_ref: &str,
        check: CheckId,
    ) -> Result<(Exchange, Vec<Value>), ProbeError> {
        let path = client.agent_path(&format!(
            "/orders?limit=100&external_ref={}",
            pages::encode(external_ref)
        ));
        let ex = client.get(path).send().await.map_err(transport(check))?;
        paced(&ex)?;
        let items = ex
            .json()
            .and_then(|j| j.get("items").and_then(Value::as_array).cloned())
            .unwrap_or_default();
        Ok((ex, items))
    }

    /// N parallel POSTs, one key, one payload.
    async fn one_key_same_payload(&self, round: u32) -> Result<Option<Failure>, ProbeError> {
        let check = CheckId::OneOrderUnderConcurrency;
        let mut script = Script::default();
        let price = self.price();
        let client = self
            .agent(price.times(2).unwrap_or(price), &mut script)
            .await?;
        let nonce = Self::nonce();
        let key = format!("gc-cc-{nonce}-{round}");
        let ext = format!("sandbox-slow-cc-{nonce}-{round}");
        let body = self.order_body(&ext, None);
        let replies = Self::post_many(&client, vec![(Some(key), body); self.width], check).await?;
        script.parallel(&replies, "one Idempotency-Key, one payload");
        let mut ids: Vec<String> = Vec::new();
        for ex in &replies {
            let ok = match ex.status {
                201 => {
                    if let Some(id) = ex
                        .json()
                        .and_then(|j| j.get("id").and_then(Value::as_str).map(str::to_string))
                    {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                    true
                }
                409 => ex.error_code().as_deref() == Some("idempotency_in_progress"),
                _ => false,
            };
            if !ok {
                return Ok(fail(
                    script,
                    Violation::new(
                        check,
                        "a request racing on one key got neither the order nor 409",
                        "201 (the order or its replay) or 409 idempotency_in_progress",
                        format!("{} {}", ex.status, ex.body_excerpt()),
                    )
                    .with_exchange(Some(ex.evidence())),
                ));
            }
        }
        if ids.len() != 1 {
            return Ok(fail(
                script,
                Violation::new(
                    check,
                    format!(
                        "{} requests with one key and one payload answered {} different orders",
                        self.width,
                        ids.len()
                    ),
                    "exactly one order id among the 201s",
                    ids.join(", "),
                ),
            ));
        }
        let (list, items) = Self::orders_with_ref(&client, &ext, check).await?;
        if items.len() != 1 {
            script.one(&list, "list the orders of that external_ref");
            return Ok(fail(
                script,
                Violation::new(
                    check,
                    "one key created more than one order",
                    "1 order",
                    format!("{} orders", items.len()),
                )
                .with_exchange(Some(list.evidence())),
            ));
        }
        if !self.env.mode.test_only {
            let (bal, available, reserved) =
                Self::balance(&client, &self.voucher.currency, check).await?;
            // Pending, the charge is reserved; completed (a paced run reads late), it is
            // consumed: either way available lost exactly one charge.
            let want_reserved = price;
            let want_available = price.times(2).unwrap_or(price).saturating_sub(price);
            if available != want_available || (reserved != want_reserved && !reserved.is_zero()) {
                script.one(&bal, "read the balance");
                return Ok(fail(
                    script,
                    Violation::new(
                        check,
                        "one key reserved more than one charge",
                        format!("available {want_available}, reserved {want_reserved}"),
                        format!("available {available}, reserved {reserved}"),
                    )
                    .with_exchange(Some(bal.evidence())),
                ));
            }
        }
        Ok(None)
    }

    /// N parallel POSTs, one key, N different payloads.
    async fn one_key_mismatched_payloads(&self, round: u32) -> Result<Option<Failure>, ProbeError> {
        let check = CheckId::OneOrderUnderConcurrency;
        let mut script = Script::default();
        let price = self.price();
        let funded = price.times(self.width as u32 + 1).unwrap_or(price);
        let client = self.agent(funded, &mut script).await?;
        let nonce = Self::nonce();
        let key = format!("gc-mm-{nonce}-{round}");
        let ext = format!("sandbox-slow-mm-{nonce}-{round}");
        let bodies = (0..self.width)
            .map(|i| (Some(key.clone()), self.order_body(&ext, Some(i))))
            .collect();
        let replies = Self::post_many(&client, bodies, check).await?;
        script.parallel(&replies, "one Idempotency-Key, different payloads");
        let created = replies.iter().filter(|e| e.status == 201).count();
        let bad = replies.iter().find(|e| match e.status {
            201 => false,
            409 => e.error_code().as_deref() != Some("idempotency_in_progress"),
            422 => e.error_code().as_deref() != Some("idempotency_key_mismatch"),
            _ => true,
        });
        if let Some(ex) = bad {
            return Ok(fail(
                script,
                Violation::new(
                    check,
                    "a request racing on one key with another payload got an unexpected reply",
                    "201 for one, 422 idempotency_key_mismatch or 409 for the rest",
                    format!("{} {}", ex.status, ex.body_excerpt()),
                )
                .with_exchange(Some(ex.evidence())),
            ));
        }
        let (list, items) = Self::orders_with_ref(&client, &ext, check).await?;
        if created > 1 || items.len() > 1 {
            script.one(&list, "list the orders of that external_ref");
            return Ok(fail(
                script,
                Violation::new(
                    check,
                    "one key accepted several different payloads",
                    "at most 1 order",
                    format!("{created} replies 201, {} orders", items.len()),
                )
                .with_exchange(Some(list.evidence())),
            ));
        }
        if !self.env.mode.test_only {
            let (bal, available, reserved) =
                Self::balance(&client, &self.voucher.currency, check).await?;
            let want_reserved = if items.is_empty() {
                Amount::ZERO
            } else {
                price
            };
            let want_available = funded.saturating_sub(want_reserved);
            // A completed order (a paced run reads late) has consumed its reservation.
            if available != want_available || (reserved != want_reserved && !reserved.is_zero()) {
                script.one(&bal, "read the balance");
                return Ok(fail(
                    script,
                    Violation::new(
                        check,
                        "one key reserved other than one charge",
                        format!("available {want_available}, reserved {want_reserved}"),
                        format!("available {available}, reserved {reserved}"),
                    )
                    .with_exchange(Some(bal.evidence())),
                ));
            }
        }
        Ok(None)
    }

    /// M parallel orders, balance for K.
    async fn no_overdraw(&self, round: u32) -> Result<Option<Failure>, ProbeError> {
        let check = CheckId::NoOverdrawUnderConcurrency;
        let mut script = Script::default();
        let price = self.price();
        let fits = 3u32.min(self.width as u32 - 1).max(1);
        let funded = price.times(fits).unwrap_or(price);
        let client = self.agent(funded, &mut script).await?;
        let nonce = Self::nonce();
        let bodies = (0..self.width)
            .map(|i| {
                (
                    None,
                    self.order_body(&format!("sandbox-slow-od-{nonce}-{round}-{i}"), None),
                )
            })
            .collect();
        // Read the balance while the orders fly: available must never go below zero.
        let done = Arc::new(AtomicBool::new(false));
        let watcher = {
            let client = client.clone();
            let done = Arc::clone(&done);
            let currency = self.voucher.currency.clone();
            async move {
                let mut worst: Option<(Exchange, Amount)> = None;
                let mut reads = 0;
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    reads += 1;
                    if let Ok((ex, available, _)) = Self::balance(&client, &currency, check).await {
                        if available.is_negative()
                            && worst.as_ref().is_none_or(|(_, w)| available < *w)
                        {
                            worst = Some((ex, available));
                        }
                    }
                    tokio::task::yield_now().await;
                }
                worst
            }
        };
        let flight = async {
            let r = Self::post_many(&client, bodies, check).await;
            done.store(true, Ordering::Relaxed);
            r
        };
        let (replies, negative) = tokio::join!(flight, watcher);
        let replies = replies?;
        script.parallel(
            &replies,
            &format!("{} orders at once against a balance for {fits}", self.width),
        );
        let created = replies.iter().filter(|e| e.status == 201).count();
        let refused = replies.iter().filter(|e| is_insufficient(e)).count();
        let (bal, available, reserved) =
            Self::balance(&client, &self.voucher.currency, check).await?;
        if let Some((ex, worst)) = negative {
            script.one(&ex, "read the balance while they fly");
            return Ok(fail(
                script,
                Violation::new(
                    check,
                    "available went below zero under concurrent orders",
                    "available ≥ 0 at every read",
                    format!("available {worst}"),
                )
                .with_exchange(Some(ex.evidence())),
            ));
        }
        let ran = replies.len();
        let fits = fits.min(ran as u32);
        // Exactly the orders that fit were created and the others refused, but not as
        // §3 says: that is the refusal's rule, not an overdraw.
        let misrefused = replies
            .iter()
            .find(|e| e.status != 201 && (400..500).contains(&e.status) && !is_insufficient(e));
        let refusals = replies
            .iter()
            .filter(|e| (400..500).contains(&e.status))
            .count();
        if let (true, Some(wrong)) = (
            created == fits as usize && refusals == ran - created,
            misrefused,
        ) {
            script.one(wrong, "one of the refusals");
            return Ok(fail(
                script,
                Violation::new(
                    CheckId::InsufficientBalanceRejected,
                    "orders beyond the balance were refused, but not as 400 insufficient_balance",
                    "400 insufficient_balance",
                    format!("{} {}", wrong.status, wrong.body_excerpt()),
                )
                .with_exchange(Some(wrong.evidence())),
            ));
        }
        if created != fits as usize || refused != ran - fits as usize {
            script.one(&bal, "read the balance");
            return Ok(fail(script, Violation::new(
                check,
                format!("{} parallel orders against a balance for {fits} did not split exactly", self.width),
                format!("{fits} × 201, {} × 400 insufficient_balance", ran - fits as usize),
                format!("{created} × 201, {refused} × 400 insufficient_balance; available {available}, reserved {reserved}"),
            )
            .with_exchange(Some(bal.evidence()))));
        }
        let pending: Amount = {
            let ex = client
                .get(client.agent_path("/orders?status=pending&limit=100"))
                .send()
                .await
                .map_err(transport(check))?;
            paced(&ex)?;
            ex.json()
                .and_then(|j| j.get("items").and_then(Value::as_array).cloned())
                .unwrap_or_default()
                .iter()
                .filter(|o| o.get("is_test") != Some(&json!(true)))
                .filter_map(|o| {
                    o.get("charged_amount")
                        .and_then(Value::as_str)
                        .and_then(|s| Amount::parse_decimal_amount(s).ok())
                })
                .fold(Amount::ZERO, Amount::saturating_add)
        };
        let want_available = funded.saturating_sub(price.times(fits).unwrap_or(price));
        // Completed orders (a paced run reads late) consume their reservation: what is
        // reserved is the pending charges, at most all of them.
        if available.is_negative()
            || available != want_available
            || reserved > funded.saturating_sub(want_available)
            || (reserved != pending && reserved != funded.saturating_sub(want_available))
        {
            script.one(&bal, "read the balance");
            return Ok(fail(
                script,
                Violation::new(
                    check,
                    "after parallel orders the balance does not match the orders that succeeded",
                    format!(
                        "available {want_available}, reserved {} (= the pending charges {pending})",
                        funded.saturating_sub(want_available)
                    ),
                    format!("available {available}, reserved {reserved}"),
                )
                .with_exchange(Some(bal.evidence())),
            ));
        }
        Ok(None)
    }

    /// Insufficient balance with a key, a deposit, the same request again → created.
    async fn failed_attempt_leaves_key_free(&self) -> Result<Option<Failure>, ProbeError> {
        let check = CheckId::ErrorDoesNotBindKey;
        let mut script = Script::default();
        let price = self.price();
        let short = price
            .checked_sub(Amount::from_minor(1))
            .unwrap_or(Amount::ZERO);
        let client = self.agent(short, &mut script).await?;
        let nonce = Self::nonce();
        let key = format!("gc-fk-{nonce}");
        let body = self.order_body(&format!("sandbox-slow-fk-{nonce}"), None);
        let send = || {
            client
                .post(client.agent_path("/orders"))
                .header("Idempotency-Key", key.clone())
                .json(&body)
                .send()
        };
        let first = send().await.map_err(transport(check))?;
        paced(&first)?;
        script.one(&first, "order more than the balance, with a key");
        if first.status != 400 || first.error_code().as_deref() != Some("insufficient_balance") {
            return Ok(fail(
                script,
                Violation::new(
                    CheckId::InsufficientBalanceRejected,
                    "an order above the balance was not refused",
                    "400 insufficient_balance",
                    format!("{} {}", first.status, first.body_excerpt()),
                )
                .with_exchange(Some(first.evidence())),
            ));
        }
        let dep = AdminClient::new(&client)
            .deposit(&self.voucher.currency, price)
            .await
            .map_err(transport(check))?;
        script.one(&dep, "deposit the charge");
        if dep.status != 201 {
            return Err(ProbeError::from(AdminRefusal::new(
                "POST /_sandbox/agents/{id}/deposits",
                dep.status,
                dep.body_excerpt(),
            )));
        }
        let retry = send().await.map_err(transport(check))?;
        paced(&retry)?;
        script.one(&retry, "the same request with the same key");
        let replayed = retry
            .header("Idempotent-Replayed")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if retry.status != 201 || replayed {
            return Ok(fail(script, Violation::new(check, "a key whose request failed (insufficient_balance) was bound: the retry after a deposit did not create the order", "201 Created, a new order, no Idempotent-Replayed", format!("{} Idempotent-Replayed: {}, {}", retry.status, retry.header("Idempotent-Replayed").unwrap_or("(absent)"), retry.body_excerpt())).with_exchange(Some(retry.evidence()))));
        }
        let (bal, available, reserved) =
            Self::balance(&client, &self.voucher.currency, check).await?;
        let want_available = short;
        if available != want_available || reserved != price {
            script.one(&bal, "read the balance");
            return Ok(fail(
                script,
                Violation::new(
                    check,
                    "the retried order did not reserve exactly its charge once",
                    format!("available {want_available}, reserved {price}"),
                    format!("available {available}, reserved {reserved}"),
                )
                .with_exchange(Some(bal.evidence())),
            ));
        }
        Ok(None)
    }
}
