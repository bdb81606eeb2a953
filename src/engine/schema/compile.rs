//! Turns schema texts into compiled draft 2020-12 validators, once. Cross-file `$ref`s
//! resolve only to the loaded files: nothing is fetched from the network or the disk.

use std::collections::BTreeMap;

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;
use url::Url;

use crate::engine::schema::bundle::SchemaBundle;
use crate::engine::schema::error::SchemaError;
use crate::engine::schema::source::SchemaTexts;

/// The base URI of the schema files' `$id`s; a file without `$id` is placed under it.
pub const SCHEMA_BASE_URI: &str = "https://gatecheck.example/schemas/";

/// A parsed schema file and the URI other files reach it by.
pub(crate) struct ParsedFile {
    pub(crate) file: &'static str,
    pub(crate) uri: String,
    pub(crate) value: Value,
}

/// Refuses every external reference: a `$ref` must name one of the loaded files.
struct LoadedFilesOnly;

/// The options every gatecheck validator is built with: draft 2020-12, formats
/// asserted (unknown ones are errors), and `resources` as the only `$ref` targets.
pub(crate) fn validator_options<'a>(
    resources: impl Iterator<Item = (&'a str, &'a Value)>,
) -> jsonschema::ValidationOptions {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .with_retriever(LoadedFilesOnly)
        .with_resources(resources.map(|(uri, value)| {
            (
                uri.to_owned(),
                Draft::Draft202012.create_resource(value.clone()),
            )
        }))
}

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
    bundle: &SchemaBundle,
) -> Result<BTreeMap<&'static str, Validator>, SchemaError> {
    let parsed = parse_all(texts)?;
    check_refs(&parsed)?;
    for support in bundle.support {
        if let Some(file) = parsed.iter().find(|p| p.file == *support) {
            compile_one(file, &parsed)?;
        }
    }
    let mut validators = BTreeMap::new();
    for name in bundle.named() {
        let Some(file) = parsed.iter().find(|p| p.file == name) else {
            return Err(SchemaError::InvalidSchema {
                file: name.to_owned(),
                reason: "the file was not loaded".to_owned(),
            });
        };
        validators.insert(name, compile_one(file, &parsed)?);
    }
    Ok(validators)
}

pub(crate) fn parse_all(texts: &SchemaTexts) -> Result<Vec<ParsedFile>, SchemaError> {
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

/// Every `$ref` of every file must name a loaded file and, for a JSON-pointer fragment,
/// a place inside it. Checked before compiling so the error names the file that holds
/// the bad `$ref` (the compiler resolves references of all files at once).
fn check_refs(parsed: &[ParsedFile]) -> Result<(), SchemaError> {
    for file in parsed {
        let base = Url::parse(&file.uri).map_err(|e| SchemaError::InvalidSchema {
            file: file.file.to_owned(),
            reason: format!("$id {} is not an absolute URI: {e}", file.uri),
        })?;
        let mut problems = Vec::new();
        walk_refs(&file.value, &base, String::new(), parsed, &mut problems);
        if let Some(problem) = problems.into_iter().next() {
            return Err(SchemaError::InvalidSchema {
                file: file.file.to_owned(),
                reason: problem,
            });
        }
    }
    Ok(())
}

fn walk_refs(
    value: &Value,
    base: &Url,
    at: String,
    all: &[ParsedFile],
    problems: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            let base = match map.get("$id").and_then(Value::as_str) {
                Some(id) if !at.is_empty() => base.join(id).unwrap_or_else(|_| base.clone()),
                _ => base.clone(),
            };
            if let Some(Value::String(target)) = map.get("$ref") {
                if let Err(problem) = check_ref(target, &base, all) {
                    problems.push(format!(
                        "$ref \"{target}\" at {}: {problem}",
                        display_pointer(&at)
                    ));
                }
            }
            for (key, inner) in map {
                if VALUE_KEYWORDS.contains(&key.as_str()) {
                    // Instances, not schemas: a "$ref" key in them is data.
                    continue;
                }
                walk_refs(
                    inner,
                    &base,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    all,
                    problems,
                );
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                walk_refs(inner, base, format!("{at}/{index}"), all, problems);
            }
        }
        _ => {}
    }
}

/// Keywords whose values are JSON instances rather than subschemas.
const VALUE_KEYWORDS: [&str; 4] = ["examples", "const", "enum", "default"];

fn display_pointer(at: &str) -> &str {
    if at.is_empty() {
        "the root"
    } else {
        at
    }
}

/// Why a `$ref` points at nothing loaded (listed among the file's problems).
#[derive(Debug, thiserror::Error)]
enum BadRef {
    #[error("not a valid URI reference: {0}")]
    Uri(#[from] url::ParseError),
    #[error("{0} is not one of the loaded schema files (external references are never fetched)")]
    External(Url),
    #[error("{file} has nothing at {pointer}")]
    NoTarget { file: String, pointer: String },
}

fn check_ref(target: &str, base: &Url, all: &[ParsedFile]) -> Result<(), BadRef> {
    let resolved = base.join(target)?;
    let fragment = resolved.fragment().unwrap_or("").to_owned();
    let mut document_uri = resolved.clone();
    document_uri.set_fragment(None);
    let Some(document) = all.iter().find(|p| p.uri == document_uri.as_str()) else {
        return Err(BadRef::External(document_uri));
    };
    if fragment.is_empty() || !fragment.starts_with('/') {
        // The whole document, or a named anchor (left to the compiler).
        return Ok(());
    }
    let pointer = percent_decode(&fragment);
    match document.value.pointer(&pointer) {
        Some(_) => Ok(()),
        None => Err(BadRef::NoTarget {
            file: document.file.to_string(),
            pointer,
        }),
    }
}

/// Decodes the %XX escapes a URI fragment may hold (JSON pointers keep `~0`/`~1`).
fn percent_decode(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn compile_one(root: &ParsedFile, all: &[ParsedFile]) -> Result<Validator, SchemaError> {
    let others = all
        .iter()
        .filter(|p| p.file != root.file)
        .map(|p| (p.uri.as_str(), &p.value));
    validator_options(others)
        .with_base_uri(root.uri.clone())
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
