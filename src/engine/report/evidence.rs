//! The plain-text evidence block of one finding — the same text in the terminal (where
//! only its heading is coloured) and in JUnit's `<failure>` text:
//!
//! ```text
//! errors.method_not_allowed_has_allow (§3, MUST): 405 without an Allow header
//!   expected: an Allow header listing the supported methods
//!   got:      no Allow header
//!   request:  DELETE /agent/6f1c…/orders → 405
//!   body:     {"error":{"code":"method_not_allowed","message":"…","param":null}}
//!   curl:     curl -sS -i -X DELETE "http://127.0.0.1:8080/agent/6f1c…/orders" -H "Authorization: $GATECHECK_API_KEY"
//!   har:      exchanges.har, log.entries[12]
//!   reproduction (seed 7f3a9c1e5b2d4f60):
//!     1. curl -sS -i -X POST …
//!        # step 1: create_order → 201
//!     2. curl …
//! ```

use crate::engine::model::{ExchangeEvidence, Finding, Severity};

/// Width of the `expected:` / `got:` labels, so the values line up.
const LABEL_WIDTH: usize = 10;
const INDENT: &str = "  ";

/// `MUST` / `SHOULD`, as the contract writes them.
pub fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Must => "MUST",
        Severity::Should => "SHOULD",
    }
}

/// The first line of the block: `check (section, MUST): message`.
pub fn heading(finding: &Finding) -> String {
    format!(
        "{} ({}, {}): {}",
        finding.check,
        finding.section,
        severity_word(finding.severity),
        finding.message
    )
}

/// `DELETE /agent/…/orders → 405`, or `→ no response` when none arrived.
pub fn request_line(exchange: &ExchangeEvidence) -> String {
    let status = match exchange.status {
        Some(status) => status.to_string(),
        None => "no response".to_string(),
    };
    format!("{} {} → {}", exchange.method, exchange.path, status)
}

/// Where a finding's exchange sits in the run's HAR: `exchanges.har, log.entries[12]`.
pub fn har_reference(index: usize) -> String {
    format!("{}, log.entries[{index}]", super::har::HAR_FILE)
}

/// The lines after the heading, indented by two spaces, without colour.
pub fn body_lines(finding: &Finding) -> Vec<String> {
    let mut lines = Vec::new();
    push_field(&mut lines, "expected", &finding.expected);
    push_field(&mut lines, "got", &finding.got);
    if let Some(exchange) = &finding.exchange {
        push_field(&mut lines, "request", &request_line(exchange));
        if !exchange.body_excerpt.is_empty() {
            push_field(&mut lines, "body", &exchange.body_excerpt);
        }
        push_field(&mut lines, "curl", &exchange.curl);
        if let Some(index) = exchange.har_entry {
            push_field(&mut lines, "har", &har_reference(index));
        }
    }
    if !finding.reproduction.is_empty() || finding.seed.is_some() {
        lines.push(match &finding.seed {
            Some(seed) => format!("{INDENT}reproduction (seed {seed}):"),
            None => format!("{INDENT}reproduction:"),
        });
        for line in &finding.reproduction {
            lines.push(format!("{INDENT}{INDENT}{line}").trim_end().to_string());
        }
    }
    lines
}

/// The whole block: heading and body, one string, lines joined by `\n`.
pub fn block(finding: &Finding) -> String {
    let mut lines = vec![heading(finding)];
    lines.extend(body_lines(finding));
    lines.join("\n")
}

/// `  label:    value`; a multi-line value continues under the first value column.
fn push_field(lines: &mut Vec<String>, label: &str, value: &str) {
    let label = format!("{label}:");
    let mut value_lines = value.lines();
    let first = value_lines.next().unwrap_or("");
    lines.push(
        format!("{INDENT}{label:<LABEL_WIDTH$}{first}")
            .trim_end()
            .to_string(),
    );
    let continuation = " ".repeat(INDENT.len() + LABEL_WIDTH);
    for more in value_lines {
        lines.push(format!("{continuation}{more}").trim_end().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            check: "errors.allow_header".into(),
            section: "§3".into(),
            severity: Severity::Must,
            message: "405 without an Allow header".into(),
            expected: "an Allow header".into(),
            got: "none".into(),
            exchange: Some(ExchangeEvidence {
                method: "DELETE".into(),
                path: "/agent/a/orders".into(),
                status: None,
                body_excerpt: "line one\nline two".into(),
                curl: "curl -X DELETE x".into(),
                har_entry: Some(3),
            }),
            reproduction: vec!["1. step a".into(), "   # note".into()],
            seed: Some("42".into()),
        }
    }

    #[test]
    fn block_lines_up_values_and_keeps_the_reproduction_verbatim() {
        assert_eq!(
            block(&finding()),
            "errors.allow_header (§3, MUST): 405 without an Allow header\n\
             \x20 expected: an Allow header\n\
             \x20 got:      none\n\
             \x20 request:  DELETE /agent/a/orders → no response\n\
             \x20 body:     line one\n\
             \x20           line two\n\
             \x20 curl:     curl -X DELETE x\n\
             \x20 har:      exchanges.har, log.entries[3]\n\
             \x20 reproduction (seed 42):\n\
             \x20   1. step a\n\
             \x20      # note"
        );
    }
}
