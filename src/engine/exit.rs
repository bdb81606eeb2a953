//! Process exit codes and the top-level error that maps onto them.

use std::process::ExitCode;

/// 0 pass, 1 violations found, 2 usage or configuration error, 3 target unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Pass = 0,
    Violations = 1,
    Usage = 2,
    Unreachable = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// An error that ends a command early. Rendered once, in `main`.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Bad flags, bad config or schema files: exit 2.
    #[error("configuration error: {0}")]
    Config(String),
    /// The target never answered HTTP at all (the preflight): exit 3.
    #[error("target unreachable: {0}")]
    Unreachable(String),
    /// The target answered, then broke the run (a 5xx, garbage, a timeout mid-run, an
    /// empty catalog): a finding, exit 1 — never 2 (it is not the user's configuration)
    /// and never 3 (it did answer).
    #[error("the target broke the run: {0}")]
    Target(String),
    /// Anything else that went wrong inside gatecheck: exit 2 (never a panic).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl GateError {
    pub fn exit(&self) -> Exit {
        match self {
            GateError::Config(_) | GateError::Other(_) => Exit::Usage,
            GateError::Unreachable(_) => Exit::Unreachable,
            GateError::Target(_) => Exit::Violations,
        }
    }
}

impl From<crate::engine::schema::SchemaError> for GateError {
    fn from(e: crate::engine::schema::SchemaError) -> Self {
        GateError::Config(e.to_string())
    }
}
