//! One request and its response, kept whole so a check can judge it and a report can
//! show it as evidence with a `curl` reproduction.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::secret::Masker;
use crate::engine::model::ExchangeEvidence;

/// How many body bytes evidence keeps (finding excerpts and the HAR alike).
pub const EXCERPT_BYTES: usize = 1024;

/// A request as it was sent (the secrets are still in it: mask before showing).
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub method: String,
    /// Path and query relative to the base URL, e.g. `/agent/…/products?limit=5`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

/// A request and the response to it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub base_url: String,
    pub request: SentRequest,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub elapsed: Duration,
    /// The index of this exchange's entry in the run's HAR, when the run keeps one.
    pub har_entry: Option<usize>,
    masker: Masker,
}

impl Exchange {
    pub(crate) fn new(
        base_url: String,
        request: SentRequest,
        status: u16,
        headers: HeaderMap,
        body: Bytes,
        elapsed: Duration,
        masker: Masker,
    ) -> Exchange {
        Exchange {
            base_url,
            request,
            status,
            headers,
            body,
            elapsed,
            har_entry: None,
            masker,
        }
    }

    /// The body parsed as JSON, or `None` when it is not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A response header as text (first value).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an Error body.
    pub fn error_code(&self) -> Option<String> {
        self.json()?
            .pointer("/error/code")?
            .as_str()
            .map(str::to_string)
    }

    /// `error.param` of an Error body: `Some(None)` for an explicit null or absent param.
    pub fn error_param(&self) -> Option<Option<String>> {
        let v = self.json()?;
        v.get("error")?;
        Some(
            v.pointer("/error/param")
                .and_then(Value::as_str)
                .map(str::to_string),
        )
    }

    /// The body as text, masked and cut to the excerpt size.
    pub fn body_excerpt(&self) -> String {
        excerpt(&self.body, &self.masker)
    }

    /// `METHOD path`.
    pub fn label(&self) -> String {
        format!("{} {}", self.request.method, self.request.path)
    }

    /// A copy-pasteable `curl` command, secrets replaced by shell variables.
    pub fn curl(&self) -> String {
        curl_command(&self.base_url, &self.request, &self.masker)
    }

    pub fn evidence(&self) -> ExchangeEvidence {
        ExchangeEvidence {
            method: self.request.method.clone(),
            path: self.masker.mask(&self.request.path),
            status: Some(self.status),
            body_excerpt: self.body_excerpt(),
            curl: self.curl(),
            har_entry: self.har_entry,
        }
    }
}

/// The first [`EXCERPT_BYTES`] of a body as text (lossily decoded), masked with
/// `masker`, `…` when cut.
pub fn excerpt(body: &[u8], masker: &Masker) -> String {
    // Masked before it is cut: a secret the cut would halve is still found whole, so no
    // part of it is shown.
    let window = &body[..body.len().min(EXCERPT_BYTES + MASK_MARGIN)];
    let masked = masker.mask(&String::from_utf8_lossy(window));
    let mut end = masked.len().min(EXCERPT_BYTES);
    while !masked.is_char_boundary(end) {
        end -= 1;
    }
    let mut text = masked[..end].to_string();
    if end < masked.len() || window.len() < body.len() {
        text.push('…');
    }
    text
}

/// How far past the excerpt the masker reads, so that a secret, in any of its encodings,
/// starting inside the excerpt ends inside what is masked.
const MASK_MARGIN: usize = 8 << 10;

/// Renders a request as `curl`, secrets replaced by `$GATECHECK_*` shell variables.
pub fn curl_command(base_url: &str, request: &SentRequest, masker: &Masker) -> String {
    let mut parts = vec!["curl -sS -i".to_string()];
    if request.method != "GET" || request.body.is_some() {
        parts.push(format!("-X {}", request.method));
    }
    let url = format!("{}{}", base_url.trim_end_matches('/'), request.path);
    parts.push(shell_quote(&masker.mask(&url)));
    for (name, value) in &request.headers {
        parts.push(format!(
            "-H {}",
            shell_quote(&masker.mask(&format!("{name}: {value}")))
        ));
    }
    if let Some(body) = &request.body {
        let text = String::from_utf8_lossy(body);
        parts.push(format!("--data-raw {}", shell_quote(&masker.mask(&text))));
    }
    parts.join(" ")
}

/// Double-quotes for a POSIX shell. Every `$` is escaped except the masked
/// `$GATECHECK_…` variables, which expand when the user pastes the command.
fn shell_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for (i, c) in s.char_indices() {
        match c {
            '\\' | '"' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '$' if !s[i + 1..].starts_with("GATECHECK_") => out.push_str("\\$"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_masks_key_and_quotes_body() {
        let masker = Masker::new();
        masker.add("sk_live_123", "GATECHECK_API_KEY");
        let req = SentRequest {
            method: "POST".into(),
            path: "/agent/a/orders".into(),
            headers: vec![
                ("Authorization".into(), "sk_live_123".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(Bytes::from_static(br#"{"ref":"it's $x"}"#)),
        };
        let curl = curl_command("http://127.0.0.1:8080/", &req, &masker);
        assert!(!curl.contains("sk_live_123"));
        assert_eq!(
            curl,
            r#"curl -sS -i -X POST "http://127.0.0.1:8080/agent/a/orders" -H "Authorization: $GATECHECK_API_KEY" -H "Content-Type: application/json" --data-raw "{\"ref\":\"it's \$x\"}""#
        );
    }
}

#[cfg(test)]
mod excerpt_tests {
    use super::*;

    #[test]
    fn a_secret_the_cut_would_halve_is_masked_whole() {
        let masker = Masker::new();
        let secret = "sk_live_0123456789abcdef";
        masker.add(secret, "GATECHECK_API_KEY");
        for at in EXCERPT_BYTES - 20..EXCERPT_BYTES + 2 {
            let mut body = "x".repeat(at);
            body.push_str(&serde_json::to_string(secret).unwrap());
            body.push_str(&"y".repeat(100));
            let text = excerpt(body.as_bytes(), &masker);
            assert!(!text.contains("sk_live_0"), "cut at {at}: {text}");
            assert!(text.ends_with('…'));
            assert!(text.len() <= EXCERPT_BYTES + '…'.len_utf8());
        }
        assert_eq!(excerpt(b"short", &masker), "short");
    }
}
