//! Turns schema texts into compiled draft 2020-12 validators, once. Cross-file `$ref`s
//! resolve only to the loaded files: nothing is fetched from the network or the disk.

use std::collections::BTreeMap;

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;

use super::error::SchemaError;
use super::name::{SchemaName, SUPPORT_FILES};
use super::source::SchemaTexts;

/// The base URI of the schema files' `$id`s; a file without `$id` is placed under it.
pub const SCHEMA_BASE_URI: &str = "https://gatecheck.example/schemas/";

/// A parsed schema file and the URI other files reach it by.
struct ParsedFile {
    file: &'static str,
    uri: String,
    value: Value,
}

/// Refuses every external reference: a `$ref` must name one of the loaded files.
struct LoadedFilesOnly;

impl Retrieve for LoadedFilesOnly {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!(
            "$ref target {} is not one of the loaded schema files (external references are never fetched)",
            uri.as_str()
        )
        .into())
    }
}

/// Compiles every named schema; support files are compiled too, so a broken one is
/// reported under its own name.
pub(crate) fn compile_all(
    texts: &SchemaTexts,
) -> Result<BTreeMap<SchemaName, Validator>, SchemaError> {
    let parsed = parse_all(texts)?;
    for support in SUPPORT_FILES {
        if let Some(file) = parsed.iter().find(|p| p.file == support) {
            compile_one(file, &parsed)?;
        }
    }
    let mut validators = BTreeMap::new();
    for name in SchemaName::ALL {
        let Some(file) = parsed.iter().find(|p| p.file == name.file_name()) else {
            return Err(SchemaError::InvalidSchema {
                file: name.file_name().to_owned(),
                reason: "the file was not loaded".to_owned(),
            });
        };
        validators.insert(name, compile_one(file, &parsed)?);
    }
    Ok(validators)
}

fn parse_all(texts: &SchemaTexts) -> Result<Vec<ParsedFile>, SchemaError> {
    texts
        .files
        .iter()
        .map(|(file, text)| {
            let value: Value =
                serde_json::from_str(text).map_err(|source| SchemaError::InvalidJson {
                    file: (*file).to_owned(),
                    source,
                })?;
            let uri = match value.get("$id") {
                None => format!("{SCHEMA_BASE_URI}{file}"),
                Some(Value::String(id)) => id.clone(),
                Some(other) => {
                    return Err(SchemaError::InvalidSchema {
                        file: (*file).to_owned(),
                        reason: format!("$id must be a string, found {other}"),
                    })
                }
            };
            Ok(ParsedFile { file, uri, value })
        })
        .collect()
}

fn compile_one(root: &ParsedFile, all: &[ParsedFile]) -> Result<Validator, SchemaError> {
    let others = all.iter().filter(|p| p.file != root.file).map(|p| {
        (
            p.uri.clone(),
            Draft::Draft202012.create_resource(p.value.clone()),
        )
    });
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .with_base_uri(root.uri.clone())
        .with_retriever(LoadedFilesOnly)
        .with_resources(others)
        .build(&root.value)
        .map_err(|error| SchemaError::InvalidSchema {
            file: root.file.to_owned(),
            reason: describe_build_error(&error),
        })
}

fn describe_build_error(error: &jsonschema::ValidationError<'_>) -> String {
    let at = error.instance_path.as_str();
    if at.is_empty() {
        error.to_string()
    } else {
        format!("{error} (at {at})")
    }
}
