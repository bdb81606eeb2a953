//! §3, §10 Rate limit: a `429 rate_limited` is the target's right (the client paces and
//! waits it out), but it MUST carry `Retry-After` as a whole number of seconds ≥ 1, and
//! `/health` and `/_sandbox` are never limited. Judged over every `429` the client's
//! pacer received during the run.

use super::{Check, Run, Skip};
use crate::engine::client::{retry_after_seconds, Exchange};
use crate::engine::model::Finding;

/// The id prefix of this family: its findings cite `429`s without being inconclusive.
pub const FAMILY: &str = crate::engine::contract::check::RATE_LIMIT_FAMILY;

pub const RETRY_AFTER: Check = Check::must(
    "rate_limit.retry_after",
    "§3 Errors, §10 Rate limit",
    "every 429 carries Retry-After: a whole number of seconds ≥ 1",
);

pub const UNLIMITED_PATHS: Check = Check::must(
    "rate_limit.health_not_limited",
    "§10 Rate limit",
    "/health and /_sandbox are never rate limited",
);

fn finding(check: &Check, ex: &Exchange, message: String, expected: &str) -> Finding {
    let got = format!(
        "429 Retry-After: {}",
        ex.header("retry-after").unwrap_or("(absent)")
    );
    Finding {
        exchange: Some(ex.evidence()),
        ..check.finding(
            message,
            expected,
            got,
            None::<&super::super::context::Observed>,
        )
    }
}

pub fn retry_after(limited: &[Exchange]) -> Run {
    if limited.is_empty() {
        return Err(Skip(
            "the target answered no 429 during the run: nothing to judge".into(),
        ));
    }
    Ok(limited
        .iter()
        .filter(|ex| retry_after_seconds(ex).is_none())
        .map(|ex| {
            finding(
                &RETRY_AFTER,
                ex,
                format!(
                    "{} {} answered 429 without a usable Retry-After",
                    ex.request.method, ex.request.path
                ),
                "Retry-After: <whole seconds ≥ 1>",
            )
        })
        .collect())
}

pub fn unlimited_paths(limited: &[Exchange], health_path: &str) -> Run {
    Ok(limited
        .iter()
        .filter(|ex| {
            let path = ex.request.path.split('?').next().unwrap_or("");
            path == health_path || crate::apis::gate::admin::is_admin_path(path)
        })
        .map(|ex| {
            finding(
                &UNLIMITED_PATHS,
                ex,
                format!("{} {} was rate limited", ex.request.method, ex.request.path),
                "never 429 on /health or /_sandbox",
            )
        })
        .collect())
}
