//! Rules every response of any Plexy API obeys, judged over all observed exchanges: no
//! 5xx, a JSON `Content-Type`, the `X-Request-Id` echo — and, from the API's OpenAPI
//! document, a documented status and a body that conforms to the schema the document
//! gives for that operation and status. The API names the checks (id, section); these
//! functions only judge.

use std::sync::Arc;

use super::check::{Check, Run, Skip};
use super::recorder::Observed;
use crate::engine::schema::openapi::{OpenApi, Undocumented};
use crate::engine::schema::SchemaViolation;

/// No request, well-formed or malformed, gets a 5xx.
pub fn no_server_errors<Op>(check: &Check, all: &[Arc<Observed<Op>>]) -> Run {
    Ok(all
        .iter()
        .filter(|o| o.status() >= 500)
        .map(|o| {
            check.finding(
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

/// Every response with a body says `Content-Type: application/json` and is JSON.
pub fn content_type_json<Op>(check: &Check, all: &[Arc<Observed<Op>>]) -> Run {
    let mut findings = Vec::new();
    for o in all.iter().filter(|o| o.has_body()) {
        let ct = o.exchange.header("content-type");
        if !ct.is_some_and(is_json_media_type) {
            findings.push(
                check.finding(
                    format!("{} has no JSON Content-Type", o.label()),
                    "Content-Type: application/json",
                    ct.map(|c| format!("Content-Type: {c}"))
                        .unwrap_or_else(|| "no Content-Type".into()),
                    Some(o),
                ),
            );
        } else if o.json.is_none() {
            findings.push(check.finding(
                format!("{} body is not JSON", o.label()),
                "a JSON body",
                "unparseable body",
                Some(o),
            ));
        }
    }
    Ok(findings)
}

/// Every response carries `X-Request-Id`, echoing the one sent.
pub fn request_id_echo<Op>(check: &Check, all: &[Arc<Observed<Op>>]) -> Run {
    let mut findings = Vec::new();
    for o in all {
        let got = o.exchange.header("x-request-id");
        match (&o.sent_request_id, got) {
            (_, None) => findings.push(check.finding(
                format!("{} has no X-Request-Id", o.label()),
                "an X-Request-Id header",
                "none",
                Some(o),
            )),
            (Some(sent), Some(got)) if sent != got => findings.push(check.finding(
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

/// What an API answers beyond its OpenAPI document's per-operation statuses.
#[derive(Debug, Clone, Copy)]
pub struct StatusPolicy {
    /// A path no template matches (an unknown route): e.g. 401, 404, 429.
    pub unknown_route: &'static [u16],
    /// A known path with a method it does not document answers 405 or, of these, the ones
    /// the path's own operations document: the checks that come before routing (the key,
    /// its scope, the rate limit) answer a wrong method as they answer a right one.
    pub wrong_method: &'static [u16],
    /// Statuses any operation may answer (429: a rate limit is never a finding).
    pub always: &'static [u16],
}

/// The statuses `method path` may answer: the document's, or the policy's for unknown
/// routes and methods. A method the path allows never answers 405 (§3: 405 is a known
/// path's answer to a method it does not support), though the document lists the path's
/// 405 under each of its operations.
pub fn documented_statuses(
    openapi: &OpenApi,
    policy: &StatusPolicy,
    method: &str,
    path: &str,
) -> Vec<u16> {
    let mut out: Vec<u16> = match openapi.match_path(path) {
        None => policy.unknown_route.to_vec(),
        Some(template) => match openapi.documented_statuses(method, template) {
            Some(statuses) => statuses.into_iter().filter(|s| *s != 405).collect(),
            None => {
                let on_path: Vec<u16> = openapi
                    .operations()
                    .iter()
                    .filter(|(_, t)| t == template)
                    .filter_map(|(m, t)| openapi.documented_statuses(m, t))
                    .flatten()
                    .collect();
                let mut wrong = vec![405];
                wrong.extend(policy.wrong_method.iter().filter(|s| on_path.contains(s)));
                wrong
            }
        },
    };
    out.extend_from_slice(policy.always);
    out.sort_unstable();
    out.dedup();
    out
}

/// Every 2xx–4xx status is one the document (or the policy) gives the operation; 5xx are
/// [`no_server_errors`]'s.
pub fn status_documented<Op>(
    check: &Check,
    all: &[Arc<Observed<Op>>],
    openapi: &OpenApi,
    policy: &StatusPolicy,
) -> Run {
    let mut findings = Vec::new();
    for o in all.iter().filter(|o| o.status() < 500) {
        let allowed = documented_statuses(openapi, policy, o.method(), o.path());
        if !allowed.contains(&o.status()) {
            findings.push(check.finding(
                format!("{} answered an undocumented status", o.label()),
                format!("one of {allowed:?}"),
                o.status().to_string(),
                Some(o),
            ));
        }
    }
    Ok(findings)
}

fn violations_text(v: &[SchemaViolation]) -> String {
    v.iter()
        .take(5)
        .map(|v| format!("{}: {}", v.instance_path, v.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Which responses a schema rule judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bodies {
    /// 2xx.
    Success,
    /// 4xx and 5xx.
    Errors,
}

/// Every body of the chosen kind conforms to the schema the OpenAPI document gives its
/// operation and status. An undocumented status or operation on a known path is the
/// status rule's, not this one's; an error body on a path the document does not have (an
/// unknown route) is judged against the document's error model.
pub fn bodies_conform<Op>(
    check: &Check,
    all: &[Arc<Observed<Op>>],
    openapi: &OpenApi,
    which: Bodies,
) -> Run {
    let mut findings = Vec::new();
    let mut judged = 0usize;
    for o in all.iter().filter(|o| o.method() != "HEAD") {
        let wanted = match which {
            Bodies::Success => o.is_success(),
            Bodies::Errors => o.status() >= 400,
        };
        if !wanted {
            continue;
        }
        let Some(template) = openapi.match_path(o.path()) else {
            if which == Bodies::Errors {
                let violations = o
                    .json
                    .as_ref()
                    .and_then(|json| openapi.validate_error(json));
                if let Some(violations) = violations.filter(|v| !v.is_empty()) {
                    findings.push(check.finding(
                        format!("{} error body is not the Error object", o.label()),
                        "the document's Error object (an unknown route)",
                        violations_text(&violations),
                        Some(o),
                    ));
                }
            }
            continue;
        };
        let body = if o.exchange.body.is_empty() {
            None
        } else {
            match &o.json {
                Some(json) => Some(json),
                None => {
                    // transport's Content-Type rule reports a body that is not JSON.
                    continue;
                }
            }
        };
        match openapi.validate_response(o.method(), template, o.status(), body) {
            Ok(violations) if violations.is_empty() => judged += 1,
            Ok(violations) => {
                judged += 1;
                findings.push(check.finding(
                    format!("{} does not conform to its documented schema", o.label()),
                    format!("the {} body of {} {template}", o.status(), o.method()),
                    violations_text(&violations),
                    Some(o),
                ));
            }
            Err(Undocumented::Status { .. } | Undocumented::Operation { .. }) => {}
        }
    }
    if which == Bodies::Success && judged == 0 {
        // Judged on nothing is not a pass.
        return Err(Skip(
            "inconclusive: no success body could be judged against the document".into(),
        ));
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::recorder::fake::observed;

    const CHECK: Check = Check::must("t.check", "§1", "t");
    const JSON: (&str, &str) = ("content-type", "application/json; charset=utf-8");
    const RID: (&str, &str) = ("x-request-id", "rid-1");

    #[test]
    fn judges_every_exchange() {
        let ok = observed("GET", "/a", 200, &[JSON, RID], "{}");
        let plain = observed(
            "GET",
            "/a",
            200,
            &[("content-type", "text/plain"), RID],
            "{}",
        );
        let boom = observed(
            "GET",
            "/b",
            500,
            &[JSON],
            r#"{"error":{"code":"x","message":"x"}}"#,
        );
        let other = observed("POST", "/c", 200, &[JSON, ("x-request-id", "other")], "{}");
        let none = observed("DELETE", "/c", 204, &[RID], "");
        let all = vec![ok, plain, boom, other, none];
        assert_eq!(no_server_errors(&CHECK, &all).unwrap().len(), 1);
        assert_eq!(content_type_json(&CHECK, &all).unwrap().len(), 1);
        assert_eq!(request_id_echo(&CHECK, &all).unwrap().len(), 2);
        assert!(is_json_media_type("Application/JSON"));
        assert!(!is_json_media_type("application/jsonp"));
    }

    /// A document of two paths: `/open` (no auth, no limit) and `/things/{id}` (a key,
    /// limited), each listing its 405 under its one operation as OpenAPI must.
    static DOC: crate::engine::schema::SchemaBundle = crate::engine::schema::SchemaBundle {
        api: "t",
        files: &[
            ("thing.json", r#"{"type": "object"}"#),
            ("list.json", r#"{"type": "object", "required": ["items"]}"#),
        ],
        support: &[],
        openapi: r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
            "/open": {"x-allow": ["GET"], "get": {"responses": {"200": {"description": "ok"}, "405": {"description": "no"}}}},
            "/things/{id}": {"x-allow": ["GET", "POST"],
                "get": {"responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "thing.json"}}}},
                    "401": {"description": "no"}, "403": {"description": "no"}, "405": {"description": "no"}, "429": {"description": "no"}}},
                "post": {"responses": {
                    "201": {"description": "ok", "content": {"application/json": {"schema": {"allOf": [{"$ref": "list.json"}, {"properties": {"items": {"items": {"$ref": "#/components/schemas/Thing"}}}}]}}}},
                    "401": {"description": "no"}}}}},
            "components": {"schemas": {"Thing": {"$ref": "thing.json"}}}}"##,
        list: "list.json",
    };

    #[test]
    fn statuses_come_from_the_document_and_the_policy() {
        let api = OpenApi::embedded(&DOC).expect("document");
        let policy = StatusPolicy {
            unknown_route: &[404],
            wrong_method: &[401, 403],
            always: &[],
        };
        let of = |m, p| documented_statuses(&api, &policy, m, p);
        // An allowed method never answers 405, though the document lists it there.
        assert_eq!(of("GET", "/things/1"), vec![200, 401, 403, 429]);
        assert_eq!(of("GET", "/open"), vec![200]);
        // A wrong method: 405, and what the path's operations answer before routing.
        assert_eq!(of("DELETE", "/things/1"), vec![401, 403, 405]);
        assert_eq!(of("DELETE", "/open"), vec![405]);
        assert_eq!(of("GET", "/things/1/more"), vec![404]);
        let always = StatusPolicy {
            always: &[429],
            ..policy
        };
        assert_eq!(
            documented_statuses(&api, &always, "GET", "/open"),
            vec![200, 429]
        );
    }

    #[test]
    fn an_error_body_on_an_unknown_route_is_judged_against_the_error_model() {
        static WITH_ERROR: crate::engine::schema::SchemaBundle =
            crate::engine::schema::SchemaBundle {
                api: "t",
                files: &[],
                support: &[],
                openapi: r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                "paths": {"/open": {"get": {"responses": {"200": {"description": "ok"}}}}},
                "components": {"schemas": {"Error": {"type": "object", "required": ["code"]}}}}"##,
                list: "list.json",
            };
        let api = OpenApi::embedded(&WITH_ERROR).expect("document");
        let good = observed("GET", "/nowhere", 404, &[JSON], r#"{"code":"not_found"}"#);
        let bad = observed("GET", "/nowhere", 404, &[JSON], r#"{"detail":"Not Found"}"#);
        let judge = |o| bodies_conform(&CHECK, &[o], &api, Bodies::Errors).unwrap();
        assert!(judge(good).is_empty());
        assert_eq!(judge(bad).len(), 1);
        // Without an error model in the document, an unknown route's body is not judged.
        let none = OpenApi::embedded(&DOC).expect("document");
        let bad = observed("GET", "/nowhere", 404, &[JSON], r#"{"detail":"Not Found"}"#);
        assert!(bodies_conform(&CHECK, &[bad], &none, Bodies::Errors)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn success_bodies_judged_on_nothing_are_inconclusive() {
        let api = OpenApi::embedded(&DOC).expect("document");
        let html = observed(
            "GET",
            "/things/1",
            200,
            &[("content-type", "text/html")],
            "<p>",
        );
        let run = bodies_conform(&CHECK, &[html], &api, Bodies::Success);
        assert!(run.is_err_and(|Skip(why)| why.starts_with("inconclusive")));
        let thing = observed("GET", "/things/1", 200, &[JSON], "{}");
        assert_eq!(
            bodies_conform(&CHECK, &[thing], &api, Bodies::Success).map(|f| f.len()),
            Ok(0)
        );
        // Error bodies: none at all is simply nothing wrong.
        let ok = observed("GET", "/things/1", 200, &[JSON], "{}");
        assert_eq!(
            bodies_conform(&CHECK, &[ok], &api, Bodies::Errors).map(|f| f.len()),
            Ok(0)
        );
    }

    #[test]
    fn success_bodies_follow_refs_and_all_of() {
        use crate::engine::schema::openapi::SuccessBody;
        let api = OpenApi::embedded(&DOC).expect("document");
        let thing = |list| {
            Some(SuccessBody {
                file: "thing.json",
                list,
            })
        };
        assert_eq!(api.success_body("GET", "/things/{id}"), thing(false));
        assert_eq!(api.success_body("post", "/things/{id}"), thing(true));
        assert_eq!(api.success_body("GET", "/open"), None);
        assert_eq!(api.success_body("DELETE", "/things/{id}"), None);
    }
}
