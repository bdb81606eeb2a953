//! §8 Health: `GET /health` needs no key and answers `200 {"status": "ok", "version",
//! "time"}`.

use serde_json::Value;

use super::{excerpt, Check, Run};
use crate::apis::gate::contract::checks::format::is_utc_timestamp;
use crate::apis::gate::contract::context::{Ctx, Req};
use crate::engine::client::Auth;

pub const HEALTH_OK: Check = Check::must(
    "health.ok_without_key",
    "§8 Health",
    "GET /health answers 200 {status: ok, version, time} without a key",
);

pub async fn health_ok(ctx: &Ctx<'_>) -> Run {
    let o = match ctx.send(Req::get("/health").auth(Auth::None)).await {
        Ok(o) => o,
        Err(e) => return Ok(vec![HEALTH_OK.no_response(&e)]),
    };
    let body = o.json.clone().unwrap_or(Value::Null);
    let mut problems = Vec::new();
    if o.status() != 200 {
        problems.push(format!("status {}", o.status()));
    }
    if body.get("status").and_then(Value::as_str) != Some("ok") {
        problems.push("status is not \"ok\"".to_string());
    }
    if !body.get("version").is_some_and(Value::is_string) {
        problems.push("version is not a string".to_string());
    }
    if !body
        .get("time")
        .and_then(Value::as_str)
        .is_some_and(is_utc_timestamp)
    {
        problems.push("time is not an RFC 3339 UTC timestamp".to_string());
    }
    if problems.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![HEALTH_OK.finding(
        format!("GET /health: {}", problems.join(", ")),
        "200 {\"status\":\"ok\",\"version\":\"…\",\"time\":\"…Z\"}",
        format!("{} {}", o.status(), excerpt(&body)),
        Some(&o),
    )])
}
