//! Rules every response obeys (§1 Transport, §3 Errors), judged over all observed
//! exchanges: no 5xx, a JSON `Content-Type`, the `X-Request-Id` echo, and a status code
//! the OpenAPI document gives the operation — through the engine's traffic rules.

use std::sync::Arc;

use super::{Check, Run};
use crate::apis::gate::contract::context::Observed;
use crate::engine::contract::traffic::{self, StatusPolicy};
use crate::engine::schema::openapi::OpenApi;

pub const NO_SERVER_ERRORS: Check = Check::must(
    "transport.no_server_errors",
    "§3 Errors",
    "No request, well-formed or malformed, gets a 5xx",
);
pub const CONTENT_TYPE_JSON: Check = Check::must(
    "transport.content_type_json",
    "§1 Transport",
    "Every response body is JSON with Content-Type: application/json",
);
pub const REQUEST_ID_ECHO: Check = Check::should(
    "transport.request_id_echo",
    "§1 Transport",
    "Every response carries X-Request-Id, echoing the one sent",
);
pub const STATUS_DOCUMENTED: Check = Check::must(
    "transport.status_documented",
    "§3 Errors",
    "Every status code is one the contract documents for the operation",
);

pub fn no_server_errors(all: &[Arc<Observed>]) -> Run {
    traffic::no_server_errors(&NO_SERVER_ERRORS, all)
}

pub use traffic::is_json_media_type;

pub fn content_type_json(all: &[Arc<Observed>]) -> Run {
    traffic::content_type_json(&CONTENT_TYPE_JSON, all)
}

pub fn request_id_echo(all: &[Arc<Observed>]) -> Run {
    traffic::request_id_echo(&REQUEST_ID_ECHO, all)
}

/// §3 and §10: an unknown route answers 404, or what comes before routing (401 → 403 →
/// 429); a known path's other methods answer 405, or what of 401, 403 and 429 the path's
/// own operations answer (`/health` needs no key and is not limited; `/_sandbox` checks
/// only its admin token).
pub const POLICY: StatusPolicy = StatusPolicy {
    unknown_route: &[401, 403, 404, 429],
    wrong_method: &[401, 403, 429],
    always: &[],
};

pub fn status_documented(all: &[Arc<Observed>], openapi: &OpenApi) -> Run {
    traffic::status_documented(&STATUS_DOCUMENTED, all, openapi, &POLICY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::gate::contract::context::fake::observed;

    const JSON: (&str, &str) = ("content-type", "application/json; charset=utf-8");
    const RID: (&str, &str) = ("x-request-id", "rid-1");

    #[test]
    fn judges_every_exchange() {
        let ok = observed(
            "GET",
            "/agent/a/balance",
            200,
            &[JSON, RID],
            r#"{"items":[],"next_cursor":null}"#,
        );
        let plain = observed(
            "GET",
            "/agent/a/balance",
            200,
            &[("content-type", "text/plain"), RID],
            "{}",
        );
        let boom = observed(
            "GET",
            "/agent/a/products",
            500,
            &[JSON],
            r#"{"error":{"code":"internal_error","message":"x"}}"#,
        );
        let undocumented = observed(
            "POST",
            "/agent/a/orders",
            200,
            &[JSON, ("x-request-id", "other")],
            "{}",
        );
        let all = vec![ok, plain, boom, undocumented];
        assert_eq!(no_server_errors(&all).unwrap().len(), 1);
        assert_eq!(content_type_json(&all).unwrap().len(), 1);
        // One without the header, one with a different id.
        assert_eq!(request_id_echo(&all).unwrap().len(), 2);
        let openapi = OpenApi::embedded(&crate::apis::gate::schemas::BUNDLE).expect("document");
        assert_eq!(status_documented(&all, &openapi).unwrap().len(), 1);
        assert!(is_json_media_type("Application/JSON"));
        assert!(!is_json_media_type("application/jsonp"));
    }
}
