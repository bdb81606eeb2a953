//! Request amounts (§1 Money, §5.1): every bad form, and amounts outside the top-up's
//! range.

use super::{case, expect_status, invalid, order, run_cases, topup_base, with};
use serde_json::{json, Value};

use crate::apis::gate::contract::checks::{Check, Run, Skip};
use crate::apis::gate::contract::context::Ctx;
use crate::apis::gate::contract::discovery::Discovery;
use crate::apis::gate::money::Amount;

pub const AMOUNT_FORMS: Check = Check::must(
    "negative.amount_forms",
    "§1 Money",
    "Every bad request-amount form gets 400 invalid_request, param topup_request.amount",
);
pub const AMOUNT_RANGE: Check = Check::must(
    "negative.amount_out_of_range",
    "§5.1 Create",
    "An amount outside [min_amount, max_amount] gets 400, param topup_request.amount",
);

pub async fn amount_forms(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let (_, t) = topup_base(d)?;
    let param = "topup_request.amount";
    let bad: Vec<(String, Value)> = vec![
        ("a JSON number".into(), json!(10)),
        ("a fractional JSON number".into(), json!(10.5)),
        ("negative".into(), json!("-5.00")),
        ("zero".into(), json!("0")),
        ("zero with decimals".into(), json!("0.00")),
        ("three decimals".into(), json!("10.123")),
        ("exponent notation".into(), json!("1e1")),
        ("leading white space".into(), json!(" 10")),
        ("trailing white space".into(), json!("10 ")),
        ("a leading zero".into(), json!("010")),
        ("a trailing dot".into(), json!("10.")),
        ("no integer part".into(), json!(".50")),
        ("a plus sign".into(), json!("+10")),
        ("a decimal comma".into(), json!("10,50")),
        ("empty".into(), json!("")),
        ("null".into(), Value::Null),
    ];
    let cases = bad
        .into_iter()
        .map(|(what, amount)| {
            case(
                format!("amount {what} ({amount})"),
                order(ctx, &with(&t, param, amount)),
                invalid(param),
            )
        })
        .collect();
    let mut findings = run_cases(ctx, &AMOUNT_FORMS, cases).await;
    // Positive control: "10", "10.5" and "10.50" forms are all accepted when in range.
    if let Some(form) = short_form(d) {
        let r = ctx.send(order(ctx, &with(&t, param, json!(form)))).await;
        findings.extend(expect_status(
            &AMOUNT_FORMS,
            &format!("amount \"{form}\""),
            &r,
            201,
        ));
    }
    Ok(findings)
}

/// A one-decimal or integer form of an in-range amount of the top-up (e.g. "10.5").
pub(super) fn short_form(d: &Discovery) -> Option<String> {
    let t = d.topup()?;
    let (min, max) = (t.min_amount?, t.max_amount?);
    (min.minor()..=max.minor().min(min.minor() + 1000))
        .find(|m| m % 10 == 0)
        .map(|m| {
            if m % 100 == 0 {
                (m / 100).to_string()
            } else {
                format!("{}.{}", m / 100, (m % 100) / 10)
            }
        })
}

pub async fn amount_range(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let (t, body) = topup_base(d)?;
    let (Some(min), Some(max)) = (t.min_amount, t.max_amount) else {
        return Err(Skip("the top-up has no min/max".into()));
    };
    let param = "topup_request.amount";
    let mut cases = vec![case(
        format!(
            "amount {} above max_amount {max}",
            max + Amount::from_minor(1)
        ),
        order(
            ctx,
            &with(
                &body,
                param,
                json!((max + Amount::from_minor(1)).to_string()),
            ),
        ),
        invalid(param),
    )];
    if min > Amount::from_minor(1) {
        let below = min - Amount::from_minor(1);
        cases.push(case(
            format!("amount {below} below min_amount {min}"),
            order(ctx, &with(&body, param, json!(below.to_string()))),
            invalid(param),
        ));
    }
    let mut findings = run_cases(ctx, &AMOUNT_RANGE, cases).await;
    // Both bounds are inclusive.
    for bound in [min, max] {
        let r = ctx
            .send(order(ctx, &with(&body, param, json!(bound.to_string()))))
            .await;
        findings.extend(expect_status(
            &AMOUNT_RANGE,
            &format!("amount at the bound {bound}"),
            &r,
            201,
        ));
    }
    Ok(findings)
}
