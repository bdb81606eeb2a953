//! What `gatecheck schemas export|check|validate` does for any API's [`SchemaBundle`]:
//! write its embedded files and OpenAPI document to edit them, compile a directory of
//! them, or validate one JSON document against one of its schemas (named by the API's own
//! [`SchemaKey`]). The flags and the choice of API are the caller's.

use std::io::{Read, Write};
use std::path::Path;

use crate::engine::exit::{Exit, FileError, GateError};
use crate::engine::schema::cli::SchemaArgs;
use crate::engine::schema::{SchemaBundle, SchemaKey, SchemaSet};

fn io(e: std::io::Error) -> GateError {
    GateError::Other(e.into())
}

/// Writes the bundle's schema files and `openapi.json` into `dir`; refuses to overwrite
/// unless `force`.
pub fn export(
    bundle: &'static SchemaBundle,
    dir: &Path,
    force: bool,
    out: &mut impl Write,
) -> Result<Exit, GateError> {
    std::fs::create_dir_all(dir).map_err(|e| FileError::create(dir, e))?;
    let files = bundle
        .files
        .iter()
        .copied()
        .chain([(crate::engine::schema::openapi::OPENAPI_FILE, bundle.openapi)]);
    let mut written = 0;
    for (name, text) in files {
        let path = dir.join(name);
        if path.exists() && !force {
            return Err(FileError::exists(&path).into());
        }
        crate::engine::output::write_file(&path, text).map_err(|e| FileError::write(&path, e))?;
        written += 1;
    }
    let version = SchemaSet::embedded(bundle)?.version().to_owned();
    writeln!(
        out,
        "wrote {written} files to {} (schemas version {version})",
        dir.display()
    )
    .map_err(io)?;
    Ok(Exit::Pass)
}

/// Compiles the schemas (of `--schemas DIR`, or the embedded ones) and prints their
/// version; an invalid file is exit 2 naming it.
pub fn check(
    bundle: &'static SchemaBundle,
    schemas: &SchemaArgs,
    out: &mut impl Write,
) -> Result<Exit, GateError> {
    let set = schemas.load(bundle)?;
    writeln!(
        out,
        "{}: {} schemas compiled, version {}",
        set.origin(),
        bundle.named().count(),
        set.version()
    )
    .map_err(io)?;
    Ok(Exit::Pass)
}

/// Validates a JSON document (a file, or `-` for stdin) against `schema` (or, with
/// `list`, as a list envelope of its objects); exit 1 when it does not conform.
pub fn validate<K: SchemaKey>(
    bundle: &'static SchemaBundle,
    schema: K,
    list: bool,
    file: &Path,
    schemas: &SchemaArgs,
    out: &mut impl Write,
) -> Result<Exit, GateError> {
    let set = schemas.load(bundle)?;
    let document = read_document(file)?;
    let violations = if list {
        set.validate_list(schema, &document)
    } else {
        set.validate(schema, &document)
    };
    for v in &violations {
        writeln!(out, "{}: {v}", file.display()).map_err(io)?;
    }
    if violations.is_empty() {
        writeln!(out, "{}: conforms to {schema}", file.display()).map_err(io)?;
        Ok(Exit::Pass)
    } else {
        Ok(Exit::Violations)
    }
}

fn read_document(file: &Path) -> Result<serde_json::Value, GateError> {
    let text = if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| FileError::read(Path::new("stdin"), e))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| FileError::read(file, e))?
    };
    serde_json::from_str(&text).map_err(|source| {
        NotJson {
            file: file.to_path_buf(),
            source,
        }
        .into()
    })
}

/// A document given to `gatecheck schemas validate` that does not parse as JSON (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{} is not JSON: {source}", file.display())]
pub struct NotJson {
    pub file: std::path::PathBuf,
    pub source: serde_json::Error,
}
