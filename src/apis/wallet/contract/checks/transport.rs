//! §1 Transport and §3 Errors over all observed traffic, through the engine's traffic
//! rules and the Wallet's OpenAPI document.

use std::sync::Arc;

use super::{Check, Run};
use crate::apis::wallet::contract::context::WObserved;
use crate::engine::contract::traffic::{self, Bodies, StatusPolicy};
use crate::engine::schema::openapi::OpenApi;

pub const NO_SERVER_ERRORS: Check = Check::must(
    "wallet.transport.no_server_errors",
    "§3 Errors",
    "No request, well-formed or malformed, gets a 5xx",
);
pub const CONTENT_TYPE_JSON: Check = Check::must(
    "wallet.transport.content_type_json",
    "§1 Transport",
    "Every response body is JSON with Content-Type: application/json, errors included",
);
pub const REQUEST_ID_ECHO: Check = Check::should(
    "wallet.transport.request_id_echo",
    "§1 Transport",
    "Every response echoes X-Request-Id",
);
pub const STATUS_DOCUMENTED: Check = Check::must(
    "wallet.transport.status_documented",
    "§3 Errors",
    "Every status is one the contract documents for the operation",
);
pub const SUCCESS_BODIES: Check = Check::must(
    "wallet.transport.success_bodies",
    "§4–§5 Objects",
    "Every success body conforms to its operation's schema",
);
pub const ERROR_BODIES: Check = Check::must(
    "wallet.transport.error_bodies",
    "§3 Errors",
    "Every 4xx/5xx body is the Error object",
);

/// §3: unknown routes answer 401 (under /v1/wallet/ without a key) or 404; a known path's
/// other methods 401 or 405; any request may be rate limited.
pub const POLICY: StatusPolicy = StatusPolicy {
    unknown_route: &[401, 404],
    wrong_method: &[401],
    always: &[429],
};

fn ours(all: &[Arc<WObserved>]) -> Vec<Arc<WObserved>> {
    // The admin API is the sandbox's, judged by its own table, not the Wallet's.
    all.iter()
        .filter(|o| !o.path().starts_with("/_sandbox"))
        .cloned()
        .collect()
}

pub fn no_server_errors(all: &[Arc<WObserved>]) -> Run {
    traffic::no_server_errors(&NO_SERVER_ERRORS, all)
}

pub fn content_type_json(all: &[Arc<WObserved>]) -> Run {
    traffic::content_type_json(&CONTENT_TYPE_JSON, &ours(all))
}

pub fn request_id_echo(all: &[Arc<WObserved>]) -> Run {
    traffic::request_id_echo(&REQUEST_ID_ECHO, &ours(all))
}

pub fn status_documented(all: &[Arc<WObserved>], openapi: &OpenApi) -> Run {
    traffic::status_documented(&STATUS_DOCUMENTED, &ours(all), openapi, &POLICY)
}

pub fn success_bodies(all: &[Arc<WObserved>], openapi: &OpenApi) -> Run {
    traffic::bodies_conform(&SUCCESS_BODIES, &ours(all), openapi, Bodies::Success)
}

pub fn error_bodies(all: &[Arc<WObserved>], openapi: &OpenApi) -> Run {
    traffic::bodies_conform(&ERROR_BODIES, &ours(all), openapi, Bodies::Errors)
}
