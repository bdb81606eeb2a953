//! A sandbox admin API call the invariants need, refused, and whose doing that is.
//!
//! The admin API is a sandbox extension: the invariants use it to make isolated callers
//! and move test money. When it turns a call down, the status says who should act: a
//! token it does not take (401/403) or a target without the extension (404/405) is the
//! run's configuration, exit 2; any other answer (a 5xx, a 201 without the fields the
//! extension promises) is the target's doing, exit 1.

use crate::engine::exit::Exit;

/// A sandbox admin API call that was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sandbox admin API refused: {call} answered {status} {detail}{hint}", hint = self.hint())]
pub struct AdminRefusal {
    /// `POST /_sandbox/agents`, say.
    pub call: String,
    pub status: u16,
    /// What was wrong with the answer (a body excerpt, a missing field).
    pub detail: String,
}

impl AdminRefusal {
    pub fn new(call: impl Into<String>, status: u16, detail: impl Into<String>) -> AdminRefusal {
        AdminRefusal {
            call: call.into(),
            status,
            detail: detail.into(),
        }
    }

    /// Whether the run's configuration, not the target, is to change.
    pub fn is_configuration(&self) -> bool {
        matches!(self.status, 401 | 403 | 404 | 405)
    }

    pub fn exit(&self) -> Exit {
        if self.is_configuration() {
            Exit::Usage
        } else {
            Exit::Violations
        }
    }

    fn hint(&self) -> &'static str {
        match self.status {
            401 | 403 => " (the admin token was not accepted: check it, or run without one to use your own caller)",
            404 | 405 => " (this target has no sandbox admin API: run without an admin token to use your own caller)",
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_whose_doing_a_refusal_is() {
        for status in [401, 403, 404, 405] {
            let r = AdminRefusal::new("POST /_sandbox/agents", status, "{}");
            assert_eq!(r.exit(), Exit::Usage, "{status}");
            assert!(r.to_string().contains("run without"), "{r}");
        }
        for status in [201, 400, 409, 500, 503] {
            let r = AdminRefusal::new("POST /_sandbox/agents", status, "x");
            assert_eq!(r.exit(), Exit::Violations, "{status}");
            assert_eq!(
                r.to_string(),
                format!("the sandbox admin API refused: POST /_sandbox/agents answered {status} x")
            );
        }
    }
}
