//! Why a schema directory could not be turned into a `SchemaSet`: always names the file.

use std::path::PathBuf;

/// A schema file that is missing, unreadable, not JSON, not a valid draft 2020-12 schema,
/// or holds a `$ref` that points at nothing loaded. Becomes exit 2 in the CLI.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("schema directory {} does not exist or is not a directory", dir.display())]
    NotADirectory { dir: PathBuf },
    #[error("schema file {file} is missing from {}", dir.display())]
    Missing { file: String, dir: PathBuf },
    #[error("schema file {}: cannot read it: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("schema file {file}: not valid JSON: {source}")]
    InvalidJson {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("schema file {file}: not a valid JSON Schema (draft 2020-12): {reason}")]
    InvalidSchema { file: String, reason: String },
}

impl SchemaError {
    /// The schema file the error is about (a name inside the schema directory, or a path).
    pub fn file(&self) -> String {
        match self {
            SchemaError::Missing { file, .. }
            | SchemaError::InvalidJson { file, .. }
            | SchemaError::InvalidSchema { file, .. } => file.clone(),
            SchemaError::Unreadable { path, .. } => path.display().to_string(),
            SchemaError::NotADirectory { dir } => dir.display().to_string(),
        }
    }
}
