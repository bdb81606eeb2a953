//! A named contract rule: an id, the contract section it enforces, a severity taken from
//! the contract's own words (MUST → failure, SHOULD → warning), and a run producing
//! [`Finding`]s — or a skip with its reason.
//!
//! **Invariant:** a check never passes silently for lack of data: when a prerequisite is
//! missing (no admin token, no suitable object), it reports itself skipped and says why.

use std::time::Instant;

use crate::engine::model::{CheckResult, Finding, Severity};

use super::recorder::{Evidence, NoResponse, Observed};

/// A named contract rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub section: &'static str,
    pub title: &'static str,
    pub severity: Severity,
}

/// Why a check did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip(pub String);

/// What running a check produced.
pub type Run = Result<Vec<Finding>, Skip>;

impl Check {
    pub const fn must(id: &'static str, section: &'static str, title: &'static str) -> Check {
        Check {
            id,
            section,
            title,
            severity: Severity::Must,
        }
    }

    pub const fn should(id: &'static str, section: &'static str, title: &'static str) -> Check {
        Check {
            id,
            section,
            title,
            severity: Severity::Should,
        }
    }

    /// A finding against this check, with the exchange as evidence when there is one.
    pub fn finding<E: Evidence + ?Sized>(
        &self,
        message: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
        observed: Option<&E>,
    ) -> Finding {
        Finding {
            check: self.id.to_string(),
            section: self.section.to_string(),
            severity: self.severity,
            message: message.into(),
            expected: expected.into(),
            got: got.into(),
            exchange: observed.map(|o| o.evidence()),
            reproduction: Vec::new(),
            seed: None,
        }
    }

    /// A request of this check got no HTTP response at all.
    pub fn no_response(&self, failure: &NoResponse) -> Finding {
        self.finding(
            format!("{} got no response", failure.label),
            "an HTTP response",
            failure.reason.clone(),
            None::<&Observed<()>>,
        )
    }

    /// Turns a run into the report's check result.
    /// Turns a run into the report's check result. A finding resting on a `429` (the
    /// client gave up waiting it out) is no evidence against any rule but the rate limit's
    /// own (checks whose id starts with [`RATE_LIMIT_FAMILY`]): such a check is
    /// inconclusive, a skip with the reason, never a failure.
    pub fn result(&self, run: Run, started: Instant) -> CheckResult {
        let rests_on_429 = |f: &Finding| f.exchange.as_ref().is_some_and(|e| e.status == Some(429));
        match run {
            Ok(findings)
                if !self.id.starts_with(RATE_LIMIT_FAMILY) && findings.iter().any(rests_on_429) =>
            {
                let path = findings
                    .iter()
                    .find(|f| rests_on_429(f))
                    .and_then(|f| f.exchange.as_ref())
                    .map(|e| format!("{} {}", e.method, e.path))
                    .unwrap_or_default();
                CheckResult::skipped(
                    self.id,
                    self.section,
                    self.title,
                    self.severity,
                    format!(
                        "inconclusive: the target kept answering 429 (rate limited) past the retry budget ({path})"
                    ),
                )
            }
            Ok(findings) => CheckResult::from_findings(
                self.id,
                self.section,
                self.title,
                self.severity,
                findings,
                started.elapsed().as_millis() as u64,
            ),
            Err(Skip(reason)) => {
                CheckResult::skipped(self.id, self.section, self.title, self.severity, reason)
            }
        }
    }
}

/// The id prefix of the checks that judge the rate limit itself (`rate_limit.`): only
/// they may rest on a 429.
pub const RATE_LIMIT_FAMILY: &str = "rate_limit.";

/// Keeps the first `max` findings and notes how many more there were.
pub fn cap_findings(result: &mut CheckResult, max: usize) {
    if result.findings.len() <= max {
        return;
    }
    let extra = result.findings.len() - max;
    result.findings.truncate(max);
    if let Some(last) = result.findings.last().cloned() {
        result.findings.push(Finding {
            message: format!("… and {extra} more findings like these"),
            exchange: None,
            expected: String::new(),
            got: String::new(),
            ..last
        });
    }
}

/// What `error.param` must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// Exactly this name.
    Is(String),
    /// null or absent.
    Null,
    /// The contract does not say.
    Any,
}

impl Param {
    pub fn is(name: impl Into<String>) -> Param {
        Param::Is(name.into())
    }
}

/// An expected Error response (§3).
#[derive(Debug, Clone)]
pub struct ExpectError {
    pub status: u16,
    pub code: &'static str,
    pub param: Param,
}

impl ExpectError {
    pub fn new(status: u16, code: &'static str, param: Param) -> ExpectError {
        ExpectError {
            status,
            code,
            param,
        }
    }

    pub fn describe(&self) -> String {
        match &self.param {
            Param::Is(p) => format!("{} {} (param \"{p}\")", self.status, self.code),
            Param::Null => format!("{} {} (param null)", self.status, self.code),
            Param::Any => format!("{} {}", self.status, self.code),
        }
    }
}

/// Compares a response with an expected Error; `None` when it matches.
pub fn expect_error<Op>(
    check: &Check,
    what: &str,
    result: &Result<std::sync::Arc<Observed<Op>>, NoResponse>,
    expected: &ExpectError,
) -> Option<Finding> {
    let observed = match result {
        Ok(o) => o,
        Err(failure) => return Some(check.no_response(failure)),
    };
    let status = observed.status();
    let code = observed.error_code();
    let param = observed.error_param();
    let param_ok = match (&expected.param, param) {
        (Param::Any, _) => true,
        (Param::Null, Some(None)) => true,
        (Param::Is(want), Some(Some(got))) => want == got,
        _ => false,
    };
    if status == expected.status && code == Some(expected.code) && param_ok {
        return None;
    }
    let got_param = match param {
        Some(Some(p)) => format!("param \"{p}\""),
        Some(None) => "param null".to_string(),
        None => "no Error body".to_string(),
    };
    Some(check.finding(
        format!("{what}: wrong answer"),
        expected.describe(),
        format!("{status} {} ({got_param})", code.unwrap_or("-")),
        Some(observed),
    ))
}

/// Runs a check's future, timing it.
pub async fn timed<F>(check: &Check, fut: F) -> CheckResult
where
    F: std::future::Future<Output = Run>,
{
    let started = Instant::now();
    let run = fut.await;
    check.result(run, started)
}

/// A short excerpt of a JSON value for `got`/`expected` texts, masked before it is cut
/// (a secret the cut would halve is found whole, so no prefix of it is shown).
pub fn excerpt(value: &serde_json::Value) -> String {
    let text = crate::engine::output::mask(&value.to_string());
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::recorder::fake::observed;

    #[test]
    fn a_value_excerpt_never_shows_half_a_secret() {
        let secret = "sk_live_excerpt_0123456789abcdef";
        crate::engine::client::Masker::global().add(secret, "GATECHECK_EXCERPT_KEY");
        let value = serde_json::json!({ "pad": "x".repeat(180), "key": secret });
        let text = excerpt(&value);
        assert!(!text.contains("sk_live_ex"), "{text}");
        assert!(text.contains(r#""key":"$"#), "{text}");
    }

    const CHECK: Check = Check::must("t.check", "§3", "t");

    #[test]
    fn expect_error_compares_status_code_and_param() {
        let body = r#"{"error":{"code":"invalid_request","message":"m","param":"limit"}}"#;
        let o = Ok(observed("GET", "/agent/a/orders?limit=0", 400, &[], body));
        assert!(expect_error(
            &CHECK,
            "x",
            &o,
            &ExpectError::new(400, "invalid_request", Param::is("limit"))
        )
        .is_none());
        assert!(expect_error(
            &CHECK,
            "x",
            &o,
            &ExpectError::new(400, "invalid_request", Param::Any)
        )
        .is_none());
        let wrong = expect_error(
            &CHECK,
            "x",
            &o,
            &ExpectError::new(400, "invalid_request", Param::is("cursor")),
        )
        .expect("a finding");
        assert_eq!(wrong.expected, "400 invalid_request (param \"cursor\")");
        assert_eq!(wrong.got, "400 invalid_request (param \"limit\")");
        assert!(wrong.exchange.is_some());
        let null = Ok(observed(
            "GET",
            "/agent/b/orders",
            403,
            &[],
            r#"{"error":{"code":"forbidden","message":"m","param":null}}"#,
        ));
        assert!(expect_error(
            &CHECK,
            "x",
            &null,
            &ExpectError::new(403, "forbidden", Param::Null)
        )
        .is_none());
    }
}
