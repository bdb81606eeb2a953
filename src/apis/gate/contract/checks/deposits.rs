//! Deposits and balance (§6, §7): deposit status and `posted_at` agree on every observed
//! deposit; the balance lists one entry per currency with a completed deposit, sorted, in
//! one page; and on a sandbox agent the ledger identity of §7 holds.

use crate::apis::gate::admin::AdminCall;
use crate::apis::gate::ledger::{totals, Books};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::{excerpt, Check, Run, Skip};
use crate::apis::gate::contract::context::{admin_req, Ctx, Observed, Req};
use crate::apis::gate::contract::discovery::{walk, Discovery, MAX_LIMIT, MAX_PAGES};
use crate::apis::gate::money::Amount;
use crate::apis::gate::schemas::SchemaName;
use crate::engine::model::CheckResult;

pub const DEPOSIT_FIELDS: Check = Check::must(
    "deposits.status_fields",
    "§7 Deposits",
    "Deposit status is pending/completed/rejected; posted_at is non-null iff completed",
);
pub const BALANCE_LIST: Check = Check::must(
    "balance.one_per_currency",
    "§6 Balance",
    "One balance per currency with a completed deposit, sorted by currency_code, in one page",
);
pub const LEDGER: Check = Check::must(
    "deposits.ledger_identity",
    "§7 Deposits",
    "available + reserved = completed deposits − completed charges; reserved = pending charges",
);

/// With the admin token, adds a pending and a rejected deposit so their fields are seen.
pub async fn seed(ctx: &Ctx<'_>) {
    if !ctx.has_admin() {
        return;
    }
    for status in ["pending", "rejected"] {
        let call = AdminCall::Deposit {
            agent_id: ctx.agent_id().to_string(),
            currency: "USD".into(),
            amount: Amount::from_minor(100),
            status: Some(status),
            reference: Some(format!("gatecheck-{status}")),
        };
        let _ = ctx.send(admin_req(&call)).await;
    }
}

pub fn status_fields(all: &[Arc<Observed>]) -> Run {
    let mut findings = Vec::new();
    let mut seen = 0;
    for o in all.iter().filter(|o| o.is_success()) {
        let Some(json) = &o.json else { continue };
        for (kind, dep) in o.op.objects_in(json) {
            if kind != SchemaName::AgentDeposit {
                continue;
            }
            seen += 1;
            let status = dep.get("status").and_then(Value::as_str).unwrap_or("");
            let posted = dep.get("posted_at").is_some_and(|v| !v.is_null());
            let problem = if !matches!(status, "pending" | "completed" | "rejected") {
                Some(format!("status {status:?}"))
            } else if posted != (status == "completed") {
                Some(format!(
                    "status {status}, posted_at {}",
                    excerpt(&dep["posted_at"])
                ))
            } else {
                None
            };
            if let Some(got) = problem {
                findings.push(DEPOSIT_FIELDS.finding(
                    format!("{}: deposit {}", o.label(), excerpt(&dep["id"])),
                    "status in pending/completed/rejected, posted_at non-null iff completed",
                    got,
                    Some(o),
                ));
                break;
            }
        }
    }
    if seen == 0 {
        return Err(Skip("no deposit was observed".into()));
    }
    Ok(findings)
}

pub async fn balance_list(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    if !d.deposits.is_complete() {
        return Err(Skip("the deposit list could not be walked".into()));
    }
    let o = match ctx.send(Req::get(ctx.agent_path("/balance"))).await {
        Ok(o) => o,
        Err(e) => return Ok(vec![BALANCE_LIST.no_response(&e)]),
    };
    let Some(body) = o.json.as_ref().filter(|_| o.status() == 200) else {
        return Ok(vec![BALANCE_LIST.finding(
            "GET balance failed",
            "200",
            o.status().to_string(),
            Some(&o),
        )]);
    };
    let mut findings = Vec::new();
    let currencies: Vec<String> = body
        .get("items")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|b| b.get("currency_code")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let want: BTreeSet<String> = d
        .deposits
        .items
        .iter()
        .filter(|dep| dep.get("status").and_then(Value::as_str) == Some("completed"))
        .filter_map(|dep| dep.get("currency_code")?.as_str().map(str::to_string))
        .collect();
    let got: BTreeSet<String> = currencies.iter().cloned().collect();
    if got != want || got.len() != currencies.len() {
        findings.push(BALANCE_LIST.finding(
            "the balance does not list one entry per currency with a completed deposit",
            format!("{:?}", want),
            format!("{:?}", currencies),
            Some(&o),
        ));
    }
    if currencies.windows(2).any(|w| w[0] > w[1]) {
        findings.push(BALANCE_LIST.finding(
            "the balance is not sorted by currency_code",
            "currency_code ascending",
            format!("{:?}", currencies),
            Some(&o),
        ));
    }
    if !body.get("next_cursor").is_some_and(Value::is_null) {
        findings.push(BALANCE_LIST.finding(
            "the balance is not one page",
            "next_cursor: null",
            format!(
                "next_cursor: {}",
                body.get("next_cursor").map(excerpt).unwrap_or_default()
            ),
            Some(&o),
        ));
    }
    if let Some(c) = currencies.first() {
        let f = ctx
            .send(Req::get(format!(
                "{}?currency_code={c}",
                ctx.agent_path("/balance")
            )))
            .await;
        if let Ok(f) = f {
            let only: Option<Vec<&str>> = f.json.as_ref().and_then(|j| {
                Some(
                    j.get("items")?
                        .as_array()?
                        .iter()
                        .filter_map(|b| b.get("currency_code")?.as_str())
                        .collect(),
                )
            });
            if f.status() != 200 || only.as_deref() != Some(&[c.as_str()][..]) {
                findings.push(BALANCE_LIST.finding(
                    format!("the currency_code={c} filter did not return exactly {c}"),
                    format!("[{c}]"),
                    format!("{} {:?}", f.status(), only),
                    Some(&f),
                ));
            }
        }
    }
    Ok(findings)
}

fn amt(v: &Value, k: &str) -> Option<Amount> {
    Amount::parse_decimal_amount(v.get(k)?.as_str()?).ok()
}

/// One reading of the ledger: a mismatch text, or `None` when the identity holds.
async fn ledger_once(ctx: &Ctx<'_>) -> Result<Option<(String, String, Arc<Observed>)>, Skip> {
    let (deposits, orders, balance) = futures::join!(
        walk(ctx, ctx.agent_path("/deposits"), MAX_LIMIT, MAX_PAGES),
        walk(ctx, ctx.agent_path("/orders"), MAX_LIMIT, MAX_PAGES),
        walk(ctx, ctx.agent_path("/balance"), 0, 2),
    );
    if !(deposits.is_complete() && orders.is_complete() && balance.is_complete()) {
        return Err(Skip(
            "the deposits, orders or balance could not be listed".into(),
        ));
    }
    let unparseable = deposits.items.iter().any(|d| amt(d, "amount").is_none())
        || orders
            .items
            .iter()
            .any(|o| amt(o, "charged_amount").is_none())
        || balance
            .items
            .iter()
            .any(|b| amt(b, "available").is_none() || amt(b, "reserved").is_none());
    if unparseable {
        return Err(Skip(
            "some amounts are not DecimalAmounts (see money.decimal_amounts)".into(),
        ));
    }
    let cur = |v: &Value| {
        v.get("currency_code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let status = |v: &Value| {
        v.get("status")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let deposited = totals(
        deposits
            .items
            .iter()
            .filter(|d| status(d) == "completed")
            .filter_map(|d| Some((d.get("currency_code")?.as_str()?, amt(d, "amount")?))),
    );
    let real = |o: &&Value| o.get("is_test").and_then(Value::as_bool) == Some(false);
    let charged = |want: &'static str| {
        totals(
            orders
                .items
                .iter()
                .filter(real)
                .filter(|o| status(o) == want)
                .filter_map(|o| {
                    Some((o.get("currency_code")?.as_str()?, amt(o, "charged_amount")?))
                }),
        )
    };
    let (completed, pending) = (charged("completed"), charged("pending"));
    let evidence = balance.pages.last().cloned();
    for b in &balance.items {
        let c = cur(b);
        let (Some(avail), Some(res)) = (amt(b, "available"), amt(b, "reserved")) else {
            continue;
        };
        // A total that overflows cannot be judged (hostile amounts): no finding.
        let Some(books) = Books::of(&c, &deposited, &completed, &pending) else {
            continue;
        };
        let (dep, done, pend) = (books.deposited, books.completed, books.pending);
        let want_total = books.total();
        if books.holds(avail, res) == Some(false) {
            let ev = match evidence.clone() {
                Some(e) => e,
                None => continue,
            };
            return Ok(Some((
                format!(
                    "{c}: available + reserved = {} and reserved = {pend} (deposits {dep} − completed charges {done})",
                    want_total.map(|a| a.to_string()).unwrap_or_default()
                ),
                format!("{c}: available {avail}, reserved {res}"),
                ev,
            )));
        }
    }
    Ok(None)
}

pub async fn ledger(ctx: &Ctx<'_>) -> Run {
    if !ctx.has_admin() {
        return Err(Skip(
            "the identity is certain only for sandbox agents (needs --admin-token)".into(),
        ));
    }
    // A second reading absorbs an order completing between the three lists.
    if ledger_once(ctx).await?.is_none() {
        return Ok(Vec::new());
    }
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    Ok(ledger_once(ctx)
        .await?
        .map(|(want, got, o)| {
            LEDGER.finding("the ledger identity does not hold", want, got, Some(&o))
        })
        .into_iter()
        .collect())
}

pub async fn run(ctx: &Ctx<'_>, d: &Discovery) -> Vec<CheckResult> {
    let started = Instant::now();
    let (b, l) = futures::join!(balance_list(ctx, d), ledger(ctx));
    vec![BALANCE_LIST.result(b, started), LEDGER.result(l, started)]
}
