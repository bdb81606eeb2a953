//! What is ordered (§5.1): unknown and unavailable products, the currency, the quantity,
//! the customer account and the balance.

use super::{
    case, expect_status, invalid, order, run_cases, topup_base, voucher_base, with, without,
};
use serde_json::json;

use crate::apis::gate::admin::{self, AdminCall, NewAgent};
use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::contract::checks::{expect_error, Check, ExpectError, Param, Run, Skip};
use crate::apis::gate::contract::context::{admin_req, Ctx, Req};
use crate::apis::gate::contract::discovery::Discovery;
use crate::apis::gate::money::Amount;
use crate::engine::model::Finding;

pub const UNKNOWN_PRODUCT: Check = Check::must(
    "negative.unknown_product",
    "§5.1 Create",
    "An order for an unknown product gets 400 invalid_request, param product_id",
);
pub const UNAVAILABLE_PRODUCT: Check = Check::must(
    "negative.unavailable_product",
    "§3 Errors",
    "An order for an unavailable product gets 400 product_unavailable, param product_id",
);
pub const CURRENCY_MISMATCH: Check = Check::must(
    "negative.currency_mismatch",
    "§5.1 Create",
    "A currency_code other than the product's gets 400, param currency_code",
);
pub const QUANTITY_RANGE: Check = Check::must(
    "negative.quantity_out_of_range",
    "§5.1 Create",
    "quantity outside 1–100 (or not 1 on a direct top-up) gets 400, param quantity",
);
pub const CUSTOMER_ACCOUNT: Check = Check::must(
    "negative.customer_account",
    "§5.1 Create",
    "A missing or pattern-breaking customer_account field gets 400 naming the field",
);
pub const INSUFFICIENT_BALANCE: Check = Check::must(
    "negative.insufficient_balance",
    "§5.1 Create",
    "A real order above the available balance gets 400 insufficient_balance and moves nothing",
);

pub async fn unknown_product(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let id = d.unknown_product_id();
    let cases = vec![case(
        format!("product_id {id} (not in the catalog)"),
        order(ctx, &json!({"product_id": id, "test": true})),
        invalid("product_id"),
    )];
    Ok(run_cases(ctx, &UNKNOWN_PRODUCT, cases).await)
}

pub async fn unavailable_product(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let p = d
        .unavailable()
        .ok_or_else(|| Skip("the catalog has no unavailable product".into()))?;
    let mut body = json!({"product_id": p.id, "test": true});
    if p.is_direct_top_up() {
        let amount = p.min_amount.unwrap_or(Amount::from_minor(100));
        body = d.topup_body(&p, amount, true);
    }
    let cases = vec![case(
        format!("product {} is unavailable", p.id),
        order(ctx, &body),
        ExpectError::new(400, "product_unavailable", Param::is("product_id")),
    )];
    Ok(run_cases(ctx, &UNAVAILABLE_PRODUCT, cases).await)
}

pub async fn currency_mismatch(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let v = d
        .voucher()
        .ok_or_else(|| Skip("the catalog has no available voucher".into()))?;
    let other = d.other_currency(&v.currency_code);
    let base = json!({"product_id": v.id, "test": true});
    let cases = vec![
        case(
            format!("currency_code {other} for a {} product", v.currency_code),
            order(ctx, &with(&base, "currency_code", json!(other))),
            invalid("currency_code"),
        ),
        case(
            "currency_code in lowercase",
            order(
                ctx,
                &with(
                    &base,
                    "currency_code",
                    json!(v.currency_code.to_ascii_lowercase()),
                ),
            ),
            invalid("currency_code"),
        ),
    ];
    let mut findings = run_cases(ctx, &CURRENCY_MISMATCH, cases).await;
    let r = ctx
        .send(order(
            ctx,
            &with(&base, "currency_code", json!(v.currency_code)),
        ))
        .await;
    findings.extend(expect_status(
        &CURRENCY_MISMATCH,
        "the product's own currency_code",
        &r,
        201,
    ));
    Ok(findings)
}

pub async fn quantity_range(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let v = voucher_base(d)?;
    let mut cases = vec![
        case(
            "quantity 0",
            order(ctx, &with(&v, "quantity", json!(0))),
            invalid("quantity"),
        ),
        case(
            "quantity -1",
            order(ctx, &with(&v, "quantity", json!(-1))),
            invalid("quantity"),
        ),
        case(
            "quantity 101",
            order(ctx, &with(&v, "quantity", json!(101))),
            invalid("quantity"),
        ),
    ];
    if let Ok((_, t)) = topup_base(d) {
        cases.push(case(
            "quantity 2 on a direct top-up",
            order(ctx, &with(&t, "quantity", json!(2))),
            invalid("quantity"),
        ));
    }
    let mut findings = run_cases(ctx, &QUANTITY_RANGE, cases).await;
    let r = ctx
        .send(order(ctx, &with(&v, "quantity", json!(100))))
        .await;
    findings.extend(expect_status(
        &QUANTITY_RANGE,
        "quantity 100 (test order)",
        &r,
        201,
    ));
    Ok(findings)
}

pub async fn customer_account(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    let (t, body) = topup_base(d)?;
    let ca = "topup_request.customer_account";
    let mut cases = vec![
        case(
            "customer_account missing",
            order(ctx, &without(&body, ca)),
            invalid(ca),
        ),
        case(
            "customer_account not an object",
            order(ctx, &with(&body, ca, json!("player123"))),
            invalid(ca),
        ),
    ];
    let required = t.customer_account_fields.iter().find(|f| f.required);
    if let Some(field) = required {
        let mut account = body["topup_request"]["customer_account"].clone();
        if let Some(obj) = account.as_object_mut() {
            obj.remove(&field.name);
        }
        let param = format!("{ca}.{}", field.name);
        cases.push(case(
            format!("required field {} missing", field.name),
            order(ctx, &with(&body, ca, account.clone())),
            invalid(&param),
        ));
        let mut non_string = body["topup_request"]["customer_account"].clone();
        if let Some(obj) = non_string.as_object_mut() {
            obj.insert(field.name.clone(), json!(12345));
        }
        cases.push(case(
            format!("field {} not a string", field.name),
            order(ctx, &with(&body, ca, non_string)),
            invalid(&param),
        ));
    }
    let mut pattern_tested = false;
    if let Some(field) = d.patterned_field(&t) {
        if let Some(bad) = field.invalid_value() {
            let mut account = body["topup_request"]["customer_account"].clone();
            if let Some(obj) = account.as_object_mut() {
                obj.insert(field.name.clone(), json!(bad));
            }
            cases.push(case(
                format!("field {} = {bad:?} breaks its pattern", field.name),
                order(ctx, &with(&body, ca, account)),
                invalid(&format!("{ca}.{}", field.name)),
            ));
            pattern_tested = true;
        }
    }
    if required.is_none() && !pattern_tested {
        return Err(Skip(format!(
            "top-up {} has no required or patterned customer_account field",
            t.id
        )));
    }
    Ok(run_cases(ctx, &CUSTOMER_ACCOUNT, cases).await)
}

/// An agent with no money (created through the admin API) orders a real voucher: the
/// charge exceeds its available balance ("0.00"), so §5.1 requires `insufficient_balance`,
/// no order, no movement.
pub async fn insufficient_balance(ctx: &Ctx<'_>, d: &Discovery) -> Run {
    if !ctx.has_admin() {
        return Err(Skip(
            "needs --admin-token to create an agent without money (§9.2)".into(),
        ));
    }
    if !ctx.spend.real_orders_allowed() {
        return Err(Skip(
            "real orders are not allowed (use --allow-spend)".into(),
        ));
    }
    let v = d
        .voucher()
        .ok_or_else(|| Skip("the catalog has no available voucher".into()))?;
    let created = ctx
        .send(admin_req(&AdminCall::CreateAgent { deposits: vec![] }))
        .await
        .map_err(|e| Skip(format!("the admin API gave no answer: {}", e.reason)))?;
    admin::mask_issued_key(created.json.as_ref(), ctx.client.masker(), None);
    let Ok(NewAgent { agent_id, api_key }) =
        admin::new_agent(created.status(), created.json.as_ref(), "")
    else {
        return Err(Skip(format!(
            "the admin API did not create an agent ({})",
            created.status()
        )));
    };
    let poor = ctx.client.as_agent(&agent_id, &api_key);
    let r = ctx
        .send_as(
            &poor,
            Req::post(poor.agent_path("/orders")).json(&json!({"product_id": v.id})),
        )
        .await;
    let expected = ExpectError::new(400, "insufficient_balance", Param::Null);
    let mut findings: Vec<Finding> = expect_error(
        &INSUFFICIENT_BALANCE,
        "a real order without money",
        &r,
        &expected,
    )
    .into_iter()
    .collect();
    if let Ok(list) = ctx
        .send_as(&poor, Req::get(poor.agent_path("/orders")))
        .await
    {
        let n = list
            .json
            .as_ref()
            .and_then(|j| j.get("items")?.as_array().map(Vec::len));
        if n != Some(0) {
            findings.push(INSUFFICIENT_BALANCE.finding(
                "the refused order exists",
                "no order for an agent whose only order was refused",
                format!(
                    "{} orders",
                    n.map(|n| n.to_string()).unwrap_or_else(|| "?".into())
                ),
                Some(&list),
            ));
        }
    }
    Ok(findings)
}
