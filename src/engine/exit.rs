//! Process exit codes and the top-level error that maps onto them.

use std::path::{Path, PathBuf};
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

impl From<crate::engine::model::Verdict> for Exit {
    /// Pass → 0; fail (a MUST violated) → 1. SHOULD findings never change it.
    fn from(v: crate::engine::model::Verdict) -> Exit {
        match v {
            crate::engine::model::Verdict::Pass => Exit::Pass,
            crate::engine::model::Verdict::Fail => Exit::Violations,
        }
    }
}

/// An error that ends a command early. Rendered once, in `main`; [`GateError::exit`] is
/// the one place that maps it to an exit code. Each module that can refuse the user's
/// flags or files has its own error type, and `?` brings it here through `From`: the
/// engine's through the `#[from]` variants below, a layer above the engine's (an API's,
/// `certify`'s) through its own `From` impl into [`GateError::Layer`].
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The target flags name no usable target: exit 2.
    #[error("configuration error: {0}")]
    TargetFlags(#[from] crate::engine::target::TargetError),
    /// The load flags and scenario make no plan: exit 2.
    #[error("configuration error: {0}")]
    LoadPlan(#[from] crate::engine::load::plan::LoadPlanError),
    /// A scenario file that cannot be used: exit 2.
    #[error("configuration error: {0}")]
    Scenario(#[from] crate::engine::load::scenario::ScenarioError),
    /// Logs `gatecheck merge` refuses: exit 2.
    #[error("configuration error: {0}")]
    Merge(#[from] crate::engine::load::shard::MergeError),
    /// A schema file that cannot be loaded: exit 2.
    #[error("configuration error: {0}")]
    Schema(#[from] crate::engine::schema::SchemaError),
    /// A name no flag value or field takes (a schema, a report format, a phase): exit 2.
    #[error("configuration error: {0}")]
    UnknownName(#[from] crate::engine::names::UnknownName),
    /// A document to validate that is not JSON: exit 2.
    #[error("configuration error: {0}")]
    NotJson(#[from] crate::engine::schema::command::NotJson),
    /// A report given to compare against that cannot be read: exit 2.
    #[error("configuration error: {0}")]
    Baseline(#[from] crate::engine::report::baseline::BaselineError),
    /// A layer above the engine refused its input, with its own typed error (it converts
    /// itself here with `From`, as the engine cannot name it): exit 2.
    #[error("configuration error: {0}")]
    Layer(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A sandbox admin API call the run needs was refused: exit 2 when the token or the
    /// target given is not one the run can use, else 1 (see `AdminRefusal::exit`).
    #[error(transparent)]
    Admin(#[from] crate::engine::invariants::admin::AdminRefusal),
    /// The target never answered HTTP at all (the preflight): exit 3.
    #[error("target unreachable: {0}")]
    Unreachable(String),
    /// The target answered, then broke the run (a 5xx, garbage, a timeout mid-run, an
    /// empty catalog): a finding, exit 1 — never 2 (it is not the user's configuration)
    /// and never 3 (it did answer).
    #[error("the target broke the run: {0}")]
    Target(String),
    /// A file named by the user could not be created, read or written: exit 2.
    #[error("configuration error: {0}")]
    File(#[from] FileError),
    /// Anything else that went wrong inside gatecheck: exit 2 (never a panic).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl GateError {
    pub fn exit(&self) -> Exit {
        match self {
            GateError::TargetFlags(_)
            | GateError::LoadPlan(_)
            | GateError::Scenario(_)
            | GateError::Merge(_)
            | GateError::Schema(_)
            | GateError::UnknownName(_)
            | GateError::NotJson(_)
            | GateError::Baseline(_)
            | GateError::Layer(_)
            | GateError::File(_)
            | GateError::Other(_) => Exit::Usage,
            GateError::Unreachable(_) => Exit::Unreachable,
            GateError::Target(_) => Exit::Violations,
            GateError::Admin(refusal) => refusal.exit(),
        }
    }
}

/// What gatecheck tried to do with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "lowercase")]
pub enum FileAction {
    Create,
    Read,
    Write,
}

/// A file (or folder) gatecheck could not create, read or write: `cannot write PATH: why`.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct FileError {
    pub action: FileAction,
    pub path: PathBuf,
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl FileError {
    fn new(
        action: FileAction,
        path: &Path,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> FileError {
        FileError {
            action,
            path: path.to_path_buf(),
            source: source.into(),
        }
    }

    pub fn create(path: &Path, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        FileError::new(FileAction::Create, path, e)
    }

    pub fn read(path: &Path, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        FileError::new(FileAction::Read, path, e)
    }

    pub fn write(path: &Path, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        FileError::new(FileAction::Write, path, e)
    }

    /// A file the command would overwrite without `--force`.
    pub fn exists(path: &Path) -> Self {
        FileError::write(path, "it already exists (use --force to overwrite)")
    }
}

/// `impl From<T> for GateError` through [`GateError::Layer`], for each error type `T` of a
/// layer above the engine (an API's, `certify`'s): `?` then brings it to `main`, exit 2.
macro_rules! layer_errors {
    ($($t:ty),+ $(,)?) => {
        $(impl From<$t> for $crate::engine::exit::GateError {
            fn from(e: $t) -> Self {
                $crate::engine::exit::GateError::Layer(Box::new(e))
            }
        })+
    };
}
pub(crate) use layer_errors;
