//! Rules every response obeys (§1 Transport, §3 Errors), judged over all observed
//! exchanges: no 5xx, a JSON `Content-Type`, the `X-Request-Id` echo, and a status code
//! the contract documents for the operation.

use std::sync::Arc;

use super::{Check, Run};
use crate::apis::gate::contract::context::Observed;
use crate::apis::gate::contract::operation::Method;

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
    Ok(all
        .iter()
        .filter(|o| o.status() >= 500)
        .map(|o| {
            NO_SERVER_ERRORS.finding(
                format!("{} answered {}", o.label(), o.status()),
                "a 2xx or 4xx answer",
                o.status().to_string(),
                Some(o),
            )
        })
        .collect())
}

/// `application/json`, case-insensitive, parameters (`; charset=utf-8`) allowed.
pub fn is_json_media_type(value: &str) -> bool {
    value
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

fn has_body(o: &Observed) -> bool {
    o.op.method != Method::Head && o.status() != 204
}

pub fn content_type_json(all: &[Arc<Observed>]) -> Run {
    let mut findings = Vec::new();
    for o in all.iter().filter(|o| has_body(o)) {
        let ct = o.exchange.header("content-type");
        if !ct.is_some_and(is_json_media_type) {
            findings.push(
                CONTENT_TYPE_JSON.finding(
                    format!("{} has no JSON Content-Type", o.label()),
                    "Content-Type: application/json",
                    ct.map(|c| format!("Content-Type: {c}"))
                        .unwrap_or_else(|| "no Content-Type".into()),
                    Some(o),
                ),
            );
        } else if o.json.is_none() {
            findings.push(CONTENT_TYPE_JSON.finding(
                format!("{} body is not JSON", o.label()),
                "a JSON body",
                "unparseable body",
                Some(o),
            ));
        }
    }
    Ok(findings)
}

pub fn request_id_echo(all: &[Arc<Observed>]) -> Run {
    let mut findings = Vec::new();
    for o in all {
        let got = o.exchange.header("x-request-id");
        match (&o.sent_request_id, got) {
            (_, None) => findings.push(REQUEST_ID_ECHO.finding(
                format!("{} has no X-Request-Id", o.label()),
                "an X-Request-Id header",
                "none",
                Some(o),
            )),
            (Some(sent), Some(got)) if sent != got => findings.push(REQUEST_ID_ECHO.finding(
                format!("{} did not echo X-Request-Id", o.label()),
                format!("X-Request-Id: {sent}"),
                format!("X-Request-Id: {got}"),
                Some(o),
            )),
            _ => {}
        }
    }
    Ok(findings)
}

pub fn status_documented(all: &[Arc<Observed>]) -> Run {
    Ok(all
        .iter()
        .filter(|o| o.status() < 500)
        .filter(|o| !o.op.documented_statuses().contains(&o.status()))
        .map(|o| {
            STATUS_DOCUMENTED.finding(
                format!("{} answered an undocumented status", o.label()),
                format!("one of {:?}", o.op.documented_statuses()),
                o.status().to_string(),
                Some(o),
            )
        })
        .collect())
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
        assert_eq!(status_documented(&all).unwrap().len(), 1);
        assert!(is_json_media_type("Application/JSON"));
        assert!(!is_json_media_type("application/jsonp"));
    }
}
