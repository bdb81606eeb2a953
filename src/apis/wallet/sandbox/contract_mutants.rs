//! The behaviour of the Wallet's *contract* mutants (declared in `mutants.rs`): each breaks
//! the one rule a Wallet contract check enforces, so `tests/wallet/contract.rs` can prove
//! that check able to fail. Three places: [`observe`] rewrites a request before dispatch,
//! [`loosen`] relaxes authorize's field rules (a hook in `handlers.rs`), and [`rewrite`]
//! changes a finished reply knowing the request it answers.
//!
//! **Invariant:** with `mutant: None` (or a mutant not handled here) nothing changes.

use axum::body::Body;
use axum::extract::Request;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use crate::apis::wallet::sandbox::app::App;
use crate::apis::wallet::sandbox::mutants::{map_transactions, WalletMutant as M};
use crate::engine::sandbox::edge::read_body;
use crate::engine::sandbox::reply::{map_json, Reply};

/// What the reply rewrites need to know of the request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Bytes,
}

impl Seen {
    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
    fn is_authorize(&self) -> bool {
        self.path == "/v1/wallet/authorize"
    }
    fn is_list(&self) -> bool {
        self.path == "/v1/wallet/transactions/" || self.path == "/v1/wallet/transactions"
    }
    /// A transaction's own route: its GET or one of its operations.
    fn is_transaction_route(&self) -> bool {
        !self.path.ends_with('/')
            && (self.path.starts_with("/v1/wallet/transaction/") || self.is_operation())
    }
    fn is_operation(&self) -> bool {
        ["/capture", "/cancel", "/refund"]
            .iter()
            .any(|s| self.path.ends_with(s))
    }
}

/// Rewrites the request for the request-side mutants and remembers it for [`rewrite`];
/// `(req, None)` for any other mutant.
pub async fn observe(app: &App, req: Request) -> (Request, Option<Seen>) {
    let Some(mutant) = app.mutant.filter(|m| is_contract(*m)) else {
        return (req, None);
    };
    let (mut parts, body) = req.into_parts();
    let body = read_body(body).await.unwrap_or_default();
    let set_key = |parts: &mut http::request::Parts, key: &str| {
        if let Ok(v) = HeaderValue::from_str(key) {
            parts.headers.insert(http::header::AUTHORIZATION, v);
        }
    };
    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let active = |k: &str| app.keys.authenticate(&header_map(k)).is_ok();
    match (mutant, auth.as_deref()) {
        (M::AcceptsBearer, Some(a)) if a.starts_with("Bearer ") => {
            let key = a.trim_start_matches("Bearer ").to_string();
            set_key(&mut parts, &key);
        }
        (M::AcceptsMissingKey, None) => set_key(&mut parts, &app.default_key),
        (M::AcceptsUnknownKey, Some(a)) if !app.known_keys.read().contains(a) => {
            set_key(&mut parts, &app.default_key)
        }
        (M::RevokedKeyWorks, Some(a)) if app.known_keys.read().contains(a) && !active(a) => {
            set_key(&mut parts, &app.default_key)
        }
        (M::SecondKeyRefused, Some(a)) if app.second_keys.read().contains(a) => {
            // A key added to a merchant that already had one: refused.
            parts.headers.remove(http::header::AUTHORIZATION);
        }
        _ => {}
    }
    let path = parts.uri.path().to_string();
    let rewritten = match mutant {
        M::SlashTwinEverywhere if path == "/v1/wallet/authorize/" => Some("/v1/wallet/authorize"),
        M::NoSlashTwin if path == "/v1/wallet/transactions" => Some("/v1/wallet/no-such-route"),
        _ => None,
    };
    if let Some(p) = rewritten {
        let pq = match parts.uri.query() {
            Some(q) => format!("{p}?{q}"),
            None => p.to_string(),
        };
        if let Ok(uri) = pq.parse() {
            parts.uri = uri;
        }
    }
    if mutant == M::IgnoresMediaType
        && parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"))
        && serde_json::from_slice::<Value>(&body).is_ok()
    {
        parts.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        body: body.clone(),
    };
    (Request::from_parts(parts, Body::from(body)), Some(seen))
}

fn header_map(key: &str) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(key) {
        h.insert(http::header::AUTHORIZATION, v);
    }
    h
}

/// Remembers what later requests of a mutant need: the keys added to a merchant that
/// already had one ([`M::SecondKeyRefused`]).
pub fn remember(app: &App, seen: &Seen, reply: &Reply) {
    if app.mutant != Some(M::SecondKeyRefused) || reply.status != StatusCode::CREATED {
        return;
    }
    if seen.path.starts_with("/_sandbox/merchants/") && seen.path.ends_with("/keys") {
        let key = reply
            .body
            .as_ref()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .and_then(|v| v["api_key"].as_str().map(str::to_string));
        if let Some(key) = key {
            app.second_keys.write().insert(key);
        }
    }
}

/// The mutants this file implements.
pub fn is_contract(m: M) -> bool {
    !matches!(
        m,
        M::ReplayRefundsAgain
            | M::CaptureBeyondHold
            | M::CaptureRace
            | M::SameKeyRace
            | M::CancelMovesCaptured
            | M::OperatesOnUnsettled
            | M::ReplayRechecksRemaining
            | M::MismatchReplays
            | M::ErrorBindsKey
            | M::FailedWithTotals
            | M::AmountAsString
    )
}

/// authorize's field hook: relaxes one rule by making the refused value acceptable, or
/// checks `currency` first. `Err` only for [`M::CurrencyBeforeAmount`].
pub fn loosen(
    mutant: Option<M>,
    obj: &mut Map<String, Value>,
    accepted: &[String],
) -> Result<(), crate::engine::sandbox::errors::ApiError> {
    let Some(mutant) = mutant else { return Ok(()) };
    let text =
        |obj: &Map<String, Value>, f: &str| obj.get(f).and_then(Value::as_str).map(str::to_string);
    match mutant {
        M::AcceptsFloatAmount => {
            if let Some(f) = obj.get("amount").and_then(Value::as_f64) {
                if f.fract() == 0.0 && f >= 1.0 && obj["amount"].as_u64().is_none() {
                    obj.insert("amount".into(), json!(f as u64));
                }
            }
        }
        M::AcceptsLowercaseCurrency => {
            if let Some(c) = text(obj, "currency") {
                obj.insert("currency".into(), json!(c.to_ascii_uppercase()));
            }
        }
        M::AcceptsPhoneWithoutPlus => {
            if let Some(p) = text(obj, "phoneNumber").filter(|p| !p.starts_with('+')) {
                obj.insert("phoneNumber".into(), json!(format!("+{p}")));
            }
        }
        M::IinCheckDigitIgnored => {
            let digits = |i: &str| {
                i[..11]
                    .chars()
                    .map(|c| c.to_digit(10))
                    .collect::<Option<Vec<u32>>>()
            };
            if let Some(i) = text(obj, "iin").filter(|i| i.len() == 12 && i.is_ascii()) {
                let check =
                    digits(&i).and_then(|d| crate::apis::wallet::sandbox::fields::check_digit(&d));
                if let Some(c) = check {
                    obj.insert("iin".into(), json!(format!("{}{c}", &i[..11])));
                }
            }
        }
        M::AcceptsLongOrderReference => {
            if let Some(r) = text(obj, "orderReference").filter(|r| r.len() > 64) {
                obj.insert("orderReference".into(), json!(r[..64].to_string()));
            }
        }
        M::CurrencyBeforeAmount => {
            crate::apis::wallet::sandbox::fields::currency(&*obj, accepted)?;
        }
        _ => {}
    }
    Ok(())
}

fn error(status: StatusCode, code: &str, param: Option<&str>) -> Reply {
    Reply::json(
        status,
        &json!({"error": {"code": code, "message": "mutated", "param": param}}),
    )
}

fn param_of(reply: &Reply) -> Option<Option<String>> {
    let v: Value = serde_json::from_slice(reply.body.as_ref()?).ok()?;
    v.get("error")?;
    Some(
        v.pointer("/error/param")
            .and_then(Value::as_str)
            .map(str::to_string),
    )
}

fn empty_list() -> Reply {
    Reply::json(StatusCode::OK, &json!({"items": [], "nextCursor": null}))
}

/// `ts` moved by `us` microseconds, in the sandbox's own timestamp form.
fn shift_us(ts: &str, us: i64) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(ts, &Rfc3339).ok()?;
    let at = i64::try_from(t.unix_timestamp_nanos() / 1000).ok()?;
    Some(crate::engine::sandbox::clock::rfc3339(at + us))
}

/// The reply-side mutants.
pub fn rewrite(mutant: Option<M>, seen: Option<&Seen>, mut reply: Reply) -> Reply {
    let (Some(mutant), Some(seen)) = (mutant, seen) else {
        return reply;
    };
    let status = reply.status.as_u16();
    let param = param_of(&reply);
    match mutant {
        M::OtherMerchantNot404 if status == 404 && seen.is_transaction_route() => error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("wallet_transaction_id"),
        ),
        M::EchoesPersonalData if status == 400 => {
            let Some(Some(p)) = param.clone() else {
                return reply;
            };
            let value = seen
                .json()
                .and_then(|j| j.get(&p).and_then(Value::as_str).map(str::to_string));
            match value.filter(|_| p == "iin" || p == "phoneNumber") {
                Some(v) => map_json(reply, |b| {
                    b["error"]["message"] = json!(format!("{p} {v} is invalid"));
                }),
                None => reply,
            }
        }
        M::KeyOptionalOnAuthorize
            if seen.is_authorize()
                && param == Some(Some("Idempotency-Key".into()))
                && !seen.body.is_empty() =>
        {
            // Any answer but the 400: the rule is not enforced.
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_mismatch",
                Some("Idempotency-Key"),
            )
        }
        M::BodyShapeParam if status == 400 && param == Some(None) => map_json(reply, |b| {
            b["error"]["param"] = json!("body");
        }),
        M::OperationAmountParamNull
            if seen.is_operation()
                && status == 400
                && param == Some(Some("amount".into()))
                && seen.json().is_some_and(|j| j["amount"] == json!(0)) =>
        {
            map_json(reply, |b| b["error"]["param"] = Value::Null)
        }
        M::LowercaseIdAccepted
            if status == 400
                && param == Some(Some("wallet_transaction_id".into()))
                && seen.path.contains("/wt_")
                && seen
                    .path
                    .split('/')
                    .any(|s| s.starts_with("wt_") && s.len() == 29) =>
        {
            error(StatusCode::NOT_FOUND, "not_found", None)
        }
        M::NotFoundNamesParam if status == 404 && seen.is_transaction_route() => {
            map_json(reply, |b| {
                b["error"]["param"] = json!("wallet_transaction_id");
            })
        }
        M::NoAllowHeader if status == 405 => {
            reply.headers.retain(|(n, _)| n != http::header::ALLOW);
            reply
        }
        M::AuthorizeWrongCurrency if seen.is_authorize() && status == 201 => map_json(reply, |b| {
            b["currency"] = json!("XXX");
        }),
        M::NoLocation if seen.is_authorize() && status == 201 => {
            reply.headers.retain(|(n, _)| n != http::header::LOCATION);
            reply
        }
        M::OperationMislabelled if seen.is_operation() && status == 200 => map_json(reply, |b| {
            b["operation"] = json!("capture");
        }),
        M::ListNoNextCursor if seen.is_list() && status == 200 => map_json(reply, |b| {
            b["nextCursor"] = Value::Null;
        }),
        M::ListAscending if seen.is_list() && status == 200 => map_json(reply, |b| {
            if let Some(Value::Array(items)) = b.get_mut("items") {
                items.reverse();
            }
        }),
        M::StatusFilterLenient if seen.is_list() && param == Some(Some("status".into())) => {
            empty_list()
        }
        M::LimitUnbounded
            if seen.is_list()
                && param == Some(Some("limit".into()))
                && seen.query.split('&').any(|kv| kv == "limit=101") =>
        {
            empty_list()
        }
        M::CursorUnbound
            if seen.is_list()
                && param == Some(Some("cursor".into()))
                && !seen.query.contains("cursor=garbage") =>
        {
            empty_list()
        }
        M::ListCreatedAtOff if seen.is_list() && status == 200 => map_transactions(reply, |t| {
            if let Some(c) = t
                .get("createdAt")
                .and_then(Value::as_str)
                .and_then(|c| shift_us(c, -1000))
            {
                t.insert("createdAt".into(), json!(c));
            }
        }),
        M::TimestampsWithoutMillis if status < 300 => map_transactions(reply, |t| {
            for f in ["createdAt", "updatedAt"] {
                if let Some(s) = t.get(f).and_then(Value::as_str) {
                    let cut = s.split('.').next().unwrap_or(s).trim_end_matches('Z');
                    t.insert(f.into(), json!(format!("{cut}Z")));
                }
            }
        }),
        M::UpdatedAtFrozen if status < 300 => map_transactions(reply, |t| {
            if let Some(c) = t.get("createdAt").cloned() {
                t.insert("updatedAt".into(), c);
            }
        }),
        M::ServerErrorOnNotFound
            if status == 404
                && seen.method == "GET"
                && seen.path.starts_with("/v1/wallet/transaction/")
                && !seen.path.ends_with('/') =>
        {
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", None)
        }
        M::NotFoundTextPlain if status == 404 => {
            if let Ok(v) = HeaderValue::from_str("text/plain") {
                reply.headers.push((http::header::CONTENT_TYPE, v));
            }
            reply
        }
        M::ErrorWithoutMessage if seen.is_operation() && status == 409 => map_json(reply, |b| {
            if let Some(error) = b.get_mut("error").and_then(Value::as_object_mut) {
                error.remove("message");
            }
        }),
        M::NoRequestIdEcho => {
            reply.headers.push((
                http::HeaderName::from_static("x-request-id"),
                HeaderValue::from_static("sandbox"),
            ));
            reply
        }
        _ => reply,
    }
}
