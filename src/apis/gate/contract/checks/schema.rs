//! Schema conformance (§4–§8, §3) of every observed response: success bodies against the
//! schema the OpenAPI document gives their operation (list envelope and every item),
//! error bodies against Error.
//! The schemas are read at run time (`--schemas DIR`), so the wire format lives there.

use std::sync::Arc;

use super::{Check, Run, Skip};
use crate::apis::gate::contract::context::Observed;
use crate::apis::gate::schemas::SchemaName;
use crate::engine::schema::SchemaSet;

pub const SUCCESS_BODIES: Check = Check::must(
    "schema.success_bodies",
    "§4–§8 Objects",
    "Every success body conforms to its operation's schema",
);
pub const ERROR_BODIES: Check = Check::must(
    "schema.error_bodies",
    "§3 Errors",
    "Every 4xx/5xx body is the Error object",
);

fn violations_text(v: &[crate::engine::schema::SchemaViolation]) -> String {
    v.iter()
        .take(5)
        .map(|v| format!("{}: {}", v.instance_path, v.message))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn success_bodies(all: &[Arc<Observed>], schemas: &SchemaSet) -> Run {
    let mut findings = Vec::new();
    let (mut judged, mut unparseable) = (0usize, 0usize);
    for o in all
        .iter()
        .filter(|o| o.is_success() && !o.method().eq_ignore_ascii_case("HEAD"))
    {
        let Some(success) = o.op.success else {
            continue;
        };
        let Some(json) = &o.json else {
            unparseable += 1;
            continue; // transport.content_type_json reports bodies that are not JSON
        };
        judged += 1;
        let name = success.schema;
        let violations = if success.list {
            schemas.validate_list(name, json)
        } else {
            schemas.validate(name, json)
        };
        if !violations.is_empty() {
            findings.push(SUCCESS_BODIES.finding(
                format!("{} does not conform to {name:?}", o.label()),
                format!(
                    "a valid {name:?}{}",
                    if success.list { " list" } else { "" }
                ),
                violations_text(&violations),
                Some(o),
            ));
        }
    }
    if judged == 0 {
        // Judged on nothing is not a pass.
        return Err(Skip(format!(
            "inconclusive: no success body could be judged ({unparseable} were not JSON)"
        )));
    }
    Ok(findings)
}

pub fn error_bodies(all: &[Arc<Observed>], schemas: &SchemaSet) -> Run {
    let mut findings = Vec::new();
    for o in all
        .iter()
        .filter(|o| o.status() >= 400 && !o.method().eq_ignore_ascii_case("HEAD"))
    {
        let violations = match &o.json {
            Some(json) => schemas.validate(SchemaName::Error, json),
            None => {
                findings.push(ERROR_BODIES.finding(
                    format!("{} error body is not JSON", o.label()),
                    "an Error object",
                    "unparseable body",
                    Some(o),
                ));
                continue;
            }
        };
        if !violations.is_empty() {
            findings.push(ERROR_BODIES.finding(
                format!("{} error body is not an Error object", o.label()),
                "an Error object",
                violations_text(&violations),
                Some(o),
            ));
        }
    }
    Ok(findings)
}
