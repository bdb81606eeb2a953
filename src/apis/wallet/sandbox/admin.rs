//! The Wallet's part of the sandbox admin API (WALLET_API.md §6) under `/_sandbox`:
//! merchants, their keys (and revoking them), forced outcomes. Authorized by
//! `X-Sandbox-Admin` (the same token as the Gate's), checked before anything else.

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::apis::wallet::sandbox::app::App;
use crate::apis::wallet::sandbox::fields;
use crate::apis::wallet::sandbox::mutants::WalletMutant;
use crate::apis::wallet::sandbox::store::{self, Final, SettleError, DEFAULT_CURRENCIES};
use crate::engine::sandbox::admin::revoke_key;
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::precedence::Route;
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{field, is_capital_code, json_object, parse_uuid};

/// A Wallet admin route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRoute<'a> {
    Merchants,
    Keys(&'a str),
    Key(&'a str),
    Force(&'a str, Final),
}

impl Route for AdminRoute<'_> {
    fn name(&self, _method: &Method) -> &'static str {
        match self {
            AdminRoute::Merchants => "admin_merchants",
            AdminRoute::Keys(_) => "admin_merchant_keys",
            AdminRoute::Key(_) => "admin_key",
            AdminRoute::Force(..) => "admin_force",
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
        ["merchants"] => Some(AdminRoute::Merchants),
        ["merchants", id, "keys"] => Some(AdminRoute::Keys(id)),
        ["keys", key] => Some(AdminRoute::Key(key)),
        ["wallet", "transactions", id, "succeed"] => Some(AdminRoute::Force(id, Final::Success)),
        ["wallet", "transactions", id, "fail"] => Some(AdminRoute::Force(id, Final::Fail)),
        _ => None,
    }
}

/// The handler of a matched admin route (method and media type already checked).
pub async fn handle(app: &App, route: AdminRoute<'_>, body: Bytes) -> Handled {
    match route {
        AdminRoute::Merchants => create_merchant(app, body).await,
        AdminRoute::Keys(id) => add_key(app, id).await,
        AdminRoute::Key(key) => revoke(app, key).await,
        AdminRoute::Force(id, to) => force(app, id, to).await,
    }
}

/// `currencies`: optional; each `^[A-Z]{3}$`; at least one.
fn currencies(body: &Bytes) -> Result<Vec<String>, ApiError> {
    let default = || DEFAULT_CURRENCIES.iter().map(|c| c.to_string()).collect();
    if body.is_empty() {
        return Ok(default());
    }
    let obj = json_object(body)?;
    let bad = || {
        ApiError::invalid(
            "currencies",
            "currencies must be a non-empty array of ISO 4217 codes such as \"KZT\"",
        )
    };
    match field(&obj, "currencies") {
        None => Ok(default()),
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut out: Vec<String> = Vec::new();
            for item in items {
                match item {
                    Value::String(c) if is_capital_code(c, 3) => {
                        if !out.contains(c) {
                            out.push(c.clone());
                        }
                    }
                    _ => return Err(bad()),
                }
            }
            Ok(out)
        }
        Some(_) => Err(bad()),
    }
}

async fn create_merchant(app: &App, body: Bytes) -> Handled {
    let accepted = currencies(&body)?;
    let list = accepted.clone();
    let (id, key) = app
        .store
        .call(move |c| Ok(store::create_merchant(c, &list)?))
        .await?;
    app.merchants.write().insert(id.clone(), accepted);
    app.add_key(key.clone(), id.clone());
    Ok(Reply::json(
        StatusCode::CREATED,
        &json!({"merchant_id": id, "api_key": key}),
    ))
}

async fn add_key(app: &App, raw_id: &str) -> Handled {
    // Any id that names no merchant — malformed ones included — is an unknown merchant.
    let Some(id) = parse_uuid(raw_id) else {
        return Err(ApiError::not_found("No such merchant"));
    };
    let merchant = id.clone();
    let key = app
        .store
        .call(move |c| Ok(store::add_key(c, &merchant)?))
        .await?
        .ok_or_else(|| ApiError::not_found("No such merchant"))?;
    app.add_key(key.clone(), id);
    Ok(Reply::json(StatusCode::CREATED, &json!({"api_key": key})))
}

async fn revoke(app: &App, raw_key: &str) -> Handled {
    revoke_key(&app.store, &app.keys, raw_key, store::revoke_key, false).await
}

async fn force(app: &App, raw_id: &str, to: Final) -> Handled {
    let id = fields::transaction_id(raw_id)?;
    let result = app
        .store
        .call(move |c| match store::settle(c, &id, to) {
            Ok(row) => Ok(Ok(row)),
            Err(SettleError::Store(e)) => Err(e.into()),
            Err(other) => Ok(Err(other)),
        })
        .await?;
    match result {
        Ok(row) => Ok(Reply::json(StatusCode::OK, &row.view())),
        // MUTANT HOOK (wallet-force-final-again): a final transaction is "forced" again
        // and answered 200 with the outcome asked for (nothing is stored).
        Err(SettleError::Final) if app.mutant_is(WalletMutant::ForceFinalAgain) => {
            let id = fields::transaction_id(raw_id)?;
            let row = app
                .store
                .call(move |c| Ok(store::transaction(c, &id)?))
                .await?
                .ok_or_else(|| ApiError::not_found("No such wallet transaction"))?;
            let mut view = serde_json::to_value(row.view()).unwrap_or_default();
            view["walletTransactionStatus"] = Value::from(to.status());
            Ok(Reply::json(StatusCode::OK, &view))
        }
        Err(SettleError::Final) => Err(ApiError::conflict(
            "The wallet transaction is already SUCCESS or FAILED",
        )),
        Err(_) => Err(ApiError::not_found("No such wallet transaction")),
    }
}
