//! `POST /agent/{agent_id}/orders` (contract §5.1, §5.2, §10): validation in the order
//! §10 fixes, pricing with half-up rounding, and creation or replay through the store's
//! single transaction, guarded by the in-flight key set.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, StatusCode};
use rust_decimal::RoundingStrategy;
use serde_json::{Map, Value};

use crate::apis::gate::money::Amount;
use crate::apis::gate::sandbox::app::App;
use crate::apis::gate::sandbox::catalog::CatalogProduct;
use crate::apis::gate::sandbox::mutants::Mutant;
use crate::apis::gate::sandbox::store::{self, Created, KeyUse, NewOrder, OrderRow, Outcome};
use crate::apis::gate::wire::VOUCHER;
use crate::engine::sandbox::clock::now_ms;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::idempotency::{fingerprint, header_key};
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{field, json_object, opt_bool, opt_str, opt_u64};

/// The gap the race mutants leave between their two steps: long enough that concurrent
/// requests interleave, short enough that the tests stay fast.
const RACE_GAP: Duration = Duration::from_millis(20);

/// The body's fields, type-checked (explicit null = absent).
struct OrderRequest<'a> {
    product_id: u64,
    quantity: Option<u64>,
    currency_code: Option<&'a str>,
    external_ref: Option<&'a str>,
    topup_request: Option<&'a Value>,
    test: bool,
}

impl<'a> OrderRequest<'a> {
    fn parse(obj: &'a Map<String, Value>) -> Result<OrderRequest<'a>, ApiError> {
        let product_id = match opt_u64(obj, "product_id")? {
            Some(id) if id > 0 => id,
            Some(_) => {
                return Err(ApiError::invalid(
                    "product_id",
                    "product_id must be a positive integer",
                ))
            }
            None => return Err(ApiError::invalid("product_id", "product_id is required")),
        };
        let quantity = opt_u64(obj, "quantity")?;
        let currency_code = opt_str(obj, "currency_code")?;
        let external_ref = opt_str(obj, "external_ref")?;
        let topup_request = field(obj, "topup_request");
        if matches!(topup_request, Some(v) if !v.is_object()) {
            return Err(ApiError::invalid(
                "topup_request",
                "topup_request must be an object",
            ));
        }
        let test = opt_bool(obj, "test")?.unwrap_or(false);
        Ok(OrderRequest {
            product_id,
            quantity,
            currency_code,
            external_ref,
            topup_request,
            test,
        })
    }
}

/// A validated order: what it costs and how many units.
struct Priced {
    quantity: u32,
    charge: Amount,
}

/// The field rules that depend on the product, then the charge (§5.1).
fn price(
    req: &OrderRequest<'_>,
    p: &CatalogProduct,
    mutant: Option<Mutant>,
) -> Result<Priced, ApiError> {
    let product = &p.product;
    let is_voucher = product.product_type == VOUCHER;
    let quantity = req.quantity.unwrap_or(1);
    // MUTANT HOOK (accepts-quantity-over-max)
    let most = if mutant == Some(Mutant::AcceptsQuantity101) {
        101
    } else {
        100
    };
    if !(1..=most).contains(&quantity) {
        return Err(ApiError::invalid(
            "quantity",
            "quantity must be an integer from 1 to 100",
        ));
    }
    if !is_voucher && quantity != 1 {
        return Err(ApiError::invalid(
            "quantity",
            "quantity must be 1 for a direct top-up",
        ));
    }
    let quantity = quantity as u32;
    if let Some(c) = req.currency_code {
        // MUTANT HOOK (ignores-currency-mismatch)
        if c != product.currency_code && mutant != Some(Mutant::IgnoresCurrencyMismatch) {
            return Err(ApiError::invalid(
                "currency_code",
                format!(
                    "currency_code must be the product's currency {}",
                    product.currency_code
                ),
            ));
        }
    }
    if let Some(r) = req.external_ref {
        let n = r.chars().count();
        if !(1..=64).contains(&n) {
            return Err(ApiError::invalid(
                "external_ref",
                "external_ref must be 1 to 64 characters",
            ));
        }
    }
    if is_voucher {
        if req.topup_request.is_some() {
            return Err(ApiError::invalid(
                "topup_request",
                "topup_request is not allowed for a voucher",
            ));
        }
        let unit = product
            .agent_price
            .ok_or_else(|| ApiError::internal("voucher without agent_price"))?;
        // MUTANT HOOK (quantity-ignored): the charge is one unit whatever the quantity.
        let units = if mutant == Some(Mutant::QuantityIgnored) {
            1
        } else {
            quantity
        };
        let charge = unit
            .times(units)
            .ok_or_else(|| ApiError::invalid("quantity", "the charge overflows"))?;
        return Ok(Priced { quantity, charge });
    }
    let topup = req
        .topup_request
        .and_then(Value::as_object)
        .ok_or_else(|| {
            ApiError::invalid(
                "topup_request",
                "topup_request is required for a direct top-up",
            )
        })?;
    let amount = topup_amount(topup, p, mutant)?;
    // MUTANT HOOK (ignores-customer-account)
    if mutant != Some(Mutant::IgnoresCustomerAccount) {
        check_customer_account(topup, p)?;
    }
    // MUTANT HOOK (refuses-digits-in-account)
    if let Some(e) = crate::apis::gate::sandbox::mutants::refused_account(mutant, topup) {
        return Err(e);
    }
    let rate = product
        .agent_rate
        .ok_or_else(|| ApiError::internal("top-up without agent_rate"))?;
    let exact = amount.decimal() * rate.decimal();
    // MUTANT HOOK (truncate-rounding): the charge is truncated instead of rounded half up.
    let charge = if mutant == Some(Mutant::TruncateRounding) {
        let mut d = exact.round_dp_with_strategy(2, RoundingStrategy::ToZero);
        d.rescale(2);
        Amount::round_half_up(d)
    } else {
        Amount::round_half_up(exact)
    };
    Ok(Priced { quantity, charge })
}

const AMOUNT: &str = "topup_request.amount";

fn topup_amount(
    topup: &Map<String, Value>,
    p: &CatalogProduct,
    mutant: Option<Mutant>,
) -> Result<Amount, ApiError> {
    let number_text;
    let text = match field(topup, "amount") {
        Some(Value::String(s)) => s,
        // MUTANT HOOK (accepts-amount-number)
        Some(Value::Number(n)) if mutant == Some(Mutant::AcceptsAmountNumber) => {
            number_text = n.to_string();
            &number_text
        }
        Some(_) => {
            return Err(ApiError::invalid(
                AMOUNT,
                "amount must be a decimal string such as \"10.00\"",
            ))
        }
        None => return Err(ApiError::invalid(AMOUNT, "amount is required")),
    };
    let amount = Amount::parse_request_amount(text).map_err(|_| {
        ApiError::invalid(
            AMOUNT,
            "amount must be a positive decimal string with at most 2 decimals",
        )
    })?;
    if amount.is_zero() {
        return Err(ApiError::invalid(
            AMOUNT,
            "amount must be greater than zero",
        ));
    }
    let (min, max) = (p.product.min_amount, p.product.max_amount);
    // MUTANT HOOK (ignores-max-amount)
    let max = max.filter(|_| mutant != Some(Mutant::IgnoresMaxAmount));
    if min.is_some_and(|m| amount < m) || max.is_some_and(|m| amount > m) {
        return Err(ApiError::invalid(
            AMOUNT,
            format!(
                "amount must be between {} and {}",
                min.unwrap_or(Amount::ZERO),
                max.map(|m| m.to_string()).unwrap_or_else(|| "any".into())
            ),
        ));
    }
    Ok(amount)
}

fn check_customer_account(topup: &Map<String, Value>, p: &CatalogProduct) -> Result<(), ApiError> {
    const ACCOUNT: &str = "topup_request.customer_account";
    let account = field(topup, "customer_account")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            ApiError::invalid(ACCOUNT, "customer_account must be an object of strings")
        })?;
    for (name, value) in account {
        if !value.is_null() && !value.is_string() {
            return Err(ApiError::invalid(
                format!("{ACCOUNT}.{name}"),
                format!("{name} must be a string"),
            ));
        }
    }
    for (spec, pattern) in &p.account_fields {
        let param = || format!("{ACCOUNT}.{}", spec.name);
        match field(account, &spec.name).and_then(Value::as_str) {
            None if spec.required => {
                return Err(ApiError::invalid(
                    param(),
                    format!("{} is required", spec.name),
                ))
            }
            Some(v) if pattern.as_ref().is_some_and(|re| !re.is_match(v)) => {
                return Err(ApiError::invalid(
                    param(),
                    format!(
                        "{} does not match {}",
                        spec.name,
                        spec.pattern.as_deref().unwrap_or("")
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The handler.
pub async fn create(app: &App, agent_id: &str, headers: &HeaderMap, body: Bytes) -> Handled {
    // MUTANT HOOK (accepts-long-idempotency-key): an invalid key is ignored.
    let key = match header_key(headers) {
        Err(_) if app.mutant_is(Mutant::AcceptsLongIdempotencyKey) => None,
        key => key?,
    };
    // MUTANT HOOK (server-error-on-malformed-json)
    let obj = match json_object(&body) {
        Err(_) if app.mutant_is(Mutant::ServerErrorOnMalformedJson) => {
            return Err(ApiError::internal("cannot parse the body"))
        }
        obj => obj?,
    };
    let req = OrderRequest::parse(&obj)?;
    let product = app.catalog.product(req.product_id).ok_or_else(|| {
        // MUTANT HOOK (unknown-product-order-not-found)
        if app.mutant_is(Mutant::UnknownProduct404) {
            return ApiError::not_found(format!("Unknown product {}", req.product_id));
        }
        ApiError::invalid("product_id", format!("Unknown product {}", req.product_id))
    })?;
    // MUTANT HOOK (orders-unavailable-product)
    if !product.product.is_available && !app.mutant_is(Mutant::OrdersUnavailableProduct) {
        return Err(ApiError::product_unavailable(req.product_id));
    }
    let priced = price(&req, product, app.mutant)?;
    let external_ref = req.external_ref.map(str::to_string);
    let (outcome, delay) = match &external_ref {
        Some(r) if r.starts_with("sandbox-fail") => (Outcome::Fail, app.complete_after),
        Some(r) if r.starts_with("sandbox-slow") => (Outcome::Complete, app.slow_after),
        _ => (Outcome::Complete, app.complete_after),
    };
    // MUTANT HOOK (test-order-moves-money): test orders reserve money too.
    let moves_money = !req.test || app.mutant_is(Mutant::TestOrderMovesMoney);
    let is_test = req.test;
    let mut new = NewOrder {
        agent_id: agent_id.to_string(),
        product_id: req.product_id,
        product_kind: product.product.product_type.clone(),
        quantity: priced.quantity,
        external_ref,
        currency: product.product.currency_code.clone(),
        charged_minor: priced.charge.minor(),
        is_test,
        moves_money,
        region_code: product.product.region_code.clone(),
        due_ms: now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2),
        outcome,
        idempotency: None,
        check_balance: true,
        lookup_key: true,
    };
    new.idempotency = key.map(|key| KeyUse {
        key,
        payload_hash: fingerprint(&Value::Object(obj)),
    });

    // MUTANT HOOK (idempotency-race): no in-flight guard, and the key lookup happens in
    // its own step before the insert.
    let racy_keys = app.mutant_is(Mutant::IdempotencyRace);
    let _in_flight = match (&new.idempotency, racy_keys) {
        (Some(k), false) => Some(app.in_flight.enter(agent_id, &k.key)?),
        _ => None,
    };
    if let (Some(k), true) = (&new.idempotency, racy_keys) {
        let (agent, key) = (agent_id.to_string(), k.key.clone());
        let bound = app
            .store
            .call(move |c| Ok(store::binding(c, &agent, &key)?))
            .await?;
        if bound.is_none() {
            tokio::time::sleep(RACE_GAP).await;
            new.lookup_key = false;
        }
    }
    // MUTANT HOOK (overdraw-race): the balance is checked in its own step, then reserved
    // later without a check.
    // MUTANT HOOK (no-balance-check): orders are never refused for insufficient balance.
    if app.mutant_is(Mutant::NoBalanceCheck) {
        new.check_balance = false;
    }
    if app.mutant_is(Mutant::OverdrawRace) && new.moves_money {
        let (agent, currency) = (agent_id.to_string(), new.currency.clone());
        let have = app
            .store
            .call(move |c| Ok(store::available(c, &agent, &currency)?))
            .await?;
        if have < new.charged_minor {
            return Err(ApiError::insufficient_balance(
                Amount::from_minor(have),
                priced.charge,
                &new.currency,
            ));
        }
        tokio::time::sleep(RACE_GAP).await;
        new.check_balance = false;
    }

    let mutant = app.mutant;
    let created = app
        .store
        .call(move |c| store::create_order(c, &new, mutant))
        .await?;
    match created {
        Created::New(row) => {
            app.schedule.add(row.due_ms, row.id.clone());
            Ok(order_created(&row, false))
        }
        Created::Replayed(row) => Ok(order_created(&row, true)),
    }
}

fn order_created(row: &OrderRow, replayed: bool) -> Reply {
    let location = format!("/agent/{}/orders/{}", row.agent_id, row.id);
    let reply = Reply::json(StatusCode::CREATED, &row.view())
        .with_header(http::header::LOCATION, &location);
    if replayed {
        reply.with_header(HeaderName::from_static("idempotent-replayed"), "true")
    } else {
        reply
    }
}
