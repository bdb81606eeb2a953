//! The sandbox's own response value: status, extra headers and a JSON body as bytes.
//! Handlers produce a [`Reply`]; the mutant layer may rewrite it; the server turns it into
//! an HTTP response (adding `Content-Type` and `X-Request-Id`) in one place.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde::Serialize;

use crate::engine::sandbox::errors::ApiError;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// JSON text; `None` only for bodiless answers (204).
    pub body: Option<Bytes>,
}

impl Reply {
    /// A JSON answer from anything serializable.
    pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::raw(status, Bytes::from(body)),
            Err(e) => Reply::from(ApiError::internal(format!(
                "cannot render the response: {e}"
            ))),
        }
    }

    /// A JSON answer whose body is already rendered.
    pub fn raw(status: StatusCode, body: Bytes) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Reply {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }

    /// Header value, when present (used by the mutant layer and tests).
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Reply {
        let mut reply = Reply::json(e.status, &e.body());
        if let Some(allow) = e.allow {
            reply = reply.with_header(http::header::ALLOW, allow);
        }
        if let Some(secs) = e.retry_after {
            reply = reply.with_header(http::header::RETRY_AFTER, &secs.to_string());
        }
        reply
    }
}

/// Applies `f` to the parsed JSON body; keeps the reply unchanged when it has no JSON body
/// (the mutant layers' one way to edit a reply).
pub fn map_json(mut reply: Reply, f: impl FnOnce(&mut serde_json::Value)) -> Reply {
    let Some(body) = reply.body.as_ref() else {
        return reply;
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return reply;
    };
    f(&mut value);
    if let Ok(bytes) = serde_json::to_vec(&value) {
        reply.body = Some(Bytes::from(bytes));
    }
    reply
}

/// Handlers return `Result<Reply, ApiError>`; both become a `Reply`.
pub type Handled = Result<Reply, ApiError>;
