//! The sandbox admin API (contract §9.2) under `/_sandbox`: fresh agents with deposits,
//! extra deposits, extra and revoked keys, forced order transitions. Authorized by
//! `X-Sandbox-Admin`, checked before anything else.

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::apis::gate::money::Amount;
use crate::apis::gate::sandbox::app::App;
use crate::apis::gate::sandbox::store::{self, Outcome, TransitionError};
use crate::engine::sandbox::admin::revoke_key;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::precedence::Route;
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{field, is_capital_code, json_object, opt_str, parse_uuid};

/// An admin route and the methods it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRoute<'a> {
    Agents,
    Deposits(&'a str),
    Keys(&'a str),
    Key(&'a str),
    Transition(&'a str, Outcome),
}

impl Route for AdminRoute<'_> {
    fn name(&self, _method: &Method) -> &'static str {
        match self {
            AdminRoute::Agents => "admin_agents",
            AdminRoute::Deposits(_) => "admin_deposits",
            AdminRoute::Keys(_) => "admin_keys",
            AdminRoute::Key(_) => "admin_key",
            AdminRoute::Transition(..) => "admin_transition",
        }
    }

    fn allow(&self) -> &'static str {
        match self {
            AdminRoute::Key(_) => "DELETE",
            _ => "POST",
        }
    }
}

/// Matches the segments after `/_sandbox/`.
pub fn route<'a>(segments: &[&'a str]) -> Option<AdminRoute<'a>> {
    match segments {
        ["agents"] => Some(AdminRoute::Agents),
        ["agents", id, "deposits"] => Some(AdminRoute::Deposits(id)),
        ["agents", id, "keys"] => Some(AdminRoute::Keys(id)),
        ["keys", key] => Some(AdminRoute::Key(key)),
        ["orders", id, "complete"] => Some(AdminRoute::Transition(id, Outcome::Complete)),
        ["orders", id, "fail"] => Some(AdminRoute::Transition(id, Outcome::Fail)),
        _ => None,
    }
}

/// The handler of a matched admin route (method and media type already checked).
pub async fn handle(app: &App, route: AdminRoute<'_>, body: Bytes) -> Handled {
    match route {
        AdminRoute::Agents => create_agent(app, body).await,
        AdminRoute::Deposits(id) => deposit(app, id, body).await,
        AdminRoute::Keys(id) => add_key(app, id).await,
        AdminRoute::Key(key) => revoke(app, key).await,
        AdminRoute::Transition(id, to) => transition(app, id, to).await,
    }
}

fn agent_id(raw: &str) -> Result<String, ApiError> {
    parse_uuid(raw).ok_or_else(|| ApiError::invalid("agentId", "agentId must be a UUID"))
}

async fn require_agent(app: &App, id: &str) -> Result<(), ApiError> {
    let owned = id.to_string();
    if app
        .store
        .call(move |c| Ok(store::agent_exists(c, &owned)?))
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::not_found("No such agent"))
    }
}

/// A currency code and a positive request amount, under `prefix` for `error.param`.
fn currency_amount(obj: &Map<String, Value>, prefix: &str) -> Result<(String, i64), ApiError> {
    let p = |f: &str| format!("{prefix}{f}");
    let currency = match field(obj, "currency_code") {
        Some(Value::String(c)) if is_capital_code(c, 3) => c.clone(),
        _ => {
            return Err(ApiError::invalid(
                p("currency_code"),
                "currency_code must be three capital letters",
            ))
        }
    };
    let amount = match field(obj, "amount") {
        Some(Value::String(a)) => Amount::parse_request_amount(a)
            .ok()
            .filter(|a| !a.is_zero()),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::invalid(
            p("amount"),
            "amount must be a positive decimal string such as \"100.00\"",
        )
    })?;
    Ok((currency, amount.minor()))
}

async fn create_agent(app: &App, body: Bytes) -> Handled {
    let mut deposits = Vec::new();
    if !body.is_empty() {
        let obj = json_object(&body)?;
        match field(&obj, "deposits") {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let prefix = format!("deposits.{i}.");
                    let d = item.as_object().ok_or_else(|| {
                        ApiError::invalid(format!("deposits.{i}"), "each deposit must be an object")
                    })?;
                    deposits.push(currency_amount(d, &prefix)?);
                }
            }
            Some(_) => return Err(ApiError::invalid("deposits", "deposits must be an array")),
        }
    }
    let (agent, key) = app
        .store
        .call(move |c| Ok(store::create_agent(c, &deposits)?))
        .await?;
    app.keys.add(key.clone(), agent.clone());
    Ok(Reply::json(
        StatusCode::CREATED,
        &json!({"agent_id": agent, "api_key": key}),
    ))
}

async fn deposit(app: &App, raw_id: &str, body: Bytes) -> Handled {
    let id = agent_id(raw_id)?;
    require_agent(app, &id).await?;
    let obj = json_object(&body)?;
    let (currency, minor) = currency_amount(&obj, "")?;
    let status = match opt_str(&obj, "status")? {
        None => "completed".to_string(),
        Some(s @ ("pending" | "completed" | "rejected")) => s.to_string(),
        Some(_) => {
            return Err(ApiError::invalid(
                "status",
                "status must be pending, completed or rejected",
            ))
        }
    };
    let reference = opt_str(&obj, "reference")?.map(str::to_string);
    if reference.as_ref().is_some_and(|r| r.chars().count() > 255) {
        return Err(ApiError::invalid(
            "reference",
            "reference must be at most 255 characters",
        ));
    }
    let d = app
        .store
        .call(move |c| {
            Ok(store::add_deposit(
                c,
                &id,
                &currency,
                minor,
                &status,
                reference.as_deref(),
            )?)
        })
        .await?;
    Ok(Reply::json(StatusCode::CREATED, &d))
}

async fn add_key(app: &App, raw_id: &str) -> Handled {
    let id = agent_id(raw_id)?;
    require_agent(app, &id).await?;
    let agent = id.clone();
    let key = app
        .store
        .call(move |c| Ok(store::add_key(c, &agent)?))
        .await?;
    // MUTANT HOOK (second-key-rejected): the new key is never activated.
    if !app.mutant_is(crate::apis::gate::sandbox::mutants::Mutant::SecondKeyRejected) {
        app.keys.add(key.clone(), id);
    }
    Ok(Reply::json(StatusCode::CREATED, &json!({"api_key": key})))
}

async fn revoke(app: &App, raw_key: &str) -> Handled {
    // MUTANT HOOK (revoked-key-still-works): the key stays active.
    let keep = app.mutant_is(crate::apis::gate::sandbox::mutants::Mutant::RevokedKeyStillWorks);
    revoke_key(&app.store, &app.keys, raw_key, store::revoke_key, keep).await
}

async fn transition(app: &App, raw_id: &str, to: Outcome) -> Handled {
    let id =
        parse_uuid(raw_id).ok_or_else(|| ApiError::invalid("orderId", "orderId must be a UUID"))?;
    let mutant = app.mutant;
    let result = app
        .store
        .call(move |c| match store::transition(c, &id, to, mutant) {
            Ok(row) => Ok(Ok(row)),
            Err(TransitionError::Store(e)) => Err(e.into()),
            Err(other) => Ok(Err(other)),
        })
        .await?;
    match result {
        Ok(row) => Ok(Reply::json(StatusCode::OK, &row.view())),
        Err(TransitionError::Terminal) => Err(ApiError::conflict(
            "The order is already in a terminal status",
        )),
        Err(_) => Err(ApiError::not_found("No such order")),
    }
}
