//! An API's OpenAPI 3.1 document (`schemas/<api>/openapi.json`): which operations
//! and response statuses it documents, and validation of a response body against the
//! schema the document gives for that operation and status. The document's schemas
//! `$ref` the same schema files as `SchemaSet`, so both judge alike.

use std::collections::BTreeMap;
use std::path::Path;

use jsonschema::Validator;
use serde_json::Value;

use crate::engine::schema::bundle::SchemaBundle;
use crate::engine::schema::compile::{parse_all, validator_options, SCHEMA_BASE_URI};
use crate::engine::schema::error::SchemaError;
use crate::engine::schema::source::SchemaTexts;
use crate::engine::schema::violation::{in_report_order, violations_of};
use crate::engine::schema::SchemaViolation;

/// The file name of the OpenAPI document inside a schema directory.
pub const OPENAPI_FILE: &str = "openapi.json";

/// HTTP methods an OpenAPI path item may document.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why a response could not be judged against the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undocumented {
    #[error("no operation {method} {path} in the OpenAPI document")]
    Operation { method: String, path: String },
    #[error("status {status} is not documented for {method} {path}")]
    Status {
        method: String,
        path: String,
        status: u16,
    },
}

/// Where a document keeps its error model (§3 of both contracts): an error body on a
/// path the document does not have is judged against it.
const ERROR_SCHEMA: &str = "/components/schemas/Error";

fn violations(validator: &Validator, body: &Value) -> Vec<SchemaViolation> {
    let mut out = Vec::new();
    for error in validator.iter_errors(body) {
        violations_of(&error, &mut out);
    }
    in_report_order(out)
}

/// One documented response: its JSON schema's pointer inside the document, if it has a
/// body.
#[derive(Debug, Clone)]
struct DocumentedResponse {
    schema_pointer: Option<String>,
}

/// What an operation's success body is, in terms of the API's schema files: one object of
/// `file`, or the list envelope (§1 Lists) whose items are `file` objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuccessBody {
    pub file: &'static str,
    pub list: bool,
}

/// The parsed OpenAPI document, with a compiled validator for every distinct response
/// schema it names.
pub struct OpenApi {
    document: Value,
    /// (method, path template, status) → response.
    responses: BTreeMap<(String, String, u16), DocumentedResponse>,
    /// (method, path template) → the body its 2xx responses share, when it is one of the
    /// bundle's schema files (or a list of them).
    success: BTreeMap<(String, String), SuccessBody>,
    validators: BTreeMap<String, Validator>,
}

impl std::fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenApi")
            .field("responses", &self.responses.len())
            .finish_non_exhaustive()
    }
}

impl OpenApi {
    /// The document embedded in the binary, with the embedded schema files.
    pub fn embedded(bundle: &'static SchemaBundle) -> Result<OpenApi, SchemaError> {
        OpenApi::build(bundle.openapi, &SchemaTexts::embedded(bundle), bundle)
    }

    /// `DIR/openapi.json`, with the schema files of `DIR`. A directory without the
    /// document (schema files alone, as `--schemas` took before) gets the embedded one,
    /// its `$ref`s resolved against `DIR`'s files.
    pub fn load_dir(
        bundle: &'static SchemaBundle,
        dir: impl AsRef<Path>,
    ) -> Result<OpenApi, SchemaError> {
        let dir = dir.as_ref();
        let texts = SchemaTexts::read_dir(dir, bundle)?;
        let path = dir.join(OPENAPI_FILE);
        if !path.exists() {
            return OpenApi::build(bundle.openapi, &texts, bundle);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|source| SchemaError::Unreadable { path, source })?;
        OpenApi::build(&text, &texts, bundle)
    }

    /// `--schemas DIR` ([`OpenApi::load_dir`]) or, without one, the embedded document.
    pub fn load(bundle: &'static SchemaBundle, dir: Option<&Path>) -> Result<OpenApi, SchemaError> {
        match dir {
            Some(dir) => OpenApi::load_dir(bundle, dir),
            None => OpenApi::embedded(bundle),
        }
    }

    /// The raw document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    fn build(
        text: &str,
        texts: &SchemaTexts,
        bundle: &'static SchemaBundle,
    ) -> Result<OpenApi, SchemaError> {
        let invalid = |reason: String| SchemaError::InvalidSchema {
            file: OPENAPI_FILE.to_owned(),
            reason,
        };
        let document: Value =
            serde_json::from_str(text).map_err(|source| SchemaError::InvalidJson {
                file: OPENAPI_FILE.to_owned(),
                source,
            })?;
        let responses = collect_responses(&document).map_err(invalid)?;
        let success = collect_success(&document, &responses, bundle);

        let parsed = parse_all(texts)?;
        let document_uri = format!("{SCHEMA_BASE_URI}{OPENAPI_FILE}");
        let resources = || {
            parsed
                .iter()
                .map(|p| (p.uri.as_str(), &p.value))
                .chain(std::iter::once((document_uri.as_str(), &document)))
        };

        let mut validators = BTreeMap::new();
        let error_schema = document
            .pointer(ERROR_SCHEMA)
            .map(|_| ERROR_SCHEMA.to_owned());
        for pointer in responses
            .values()
            .filter_map(|r| r.schema_pointer.as_ref())
            .chain(error_schema.as_ref())
        {
            if validators.contains_key(pointer) {
                continue;
            }
            let root = serde_json::json!({
                "$ref": format!("{document_uri}#{}", fragment_encode(pointer))
            });
            let validator = validator_options(resources())
                .build(&root)
                .map_err(|e| invalid(format!("response schema at {pointer}: {e}")))?;
            validators.insert(pointer.clone(), validator);
        }
        Ok(OpenApi {
            document,
            responses,
            success,
            validators,
        })
    }

    /// The path template (`/agent/{agent_id}/orders/{orderId}`) a concrete path matches,
    /// preferring templates with fewer parameters (`/orders/x` over `/orders/{id}`).
    pub fn match_path(&self, concrete: &str) -> Option<&str> {
        let path = concrete.split('?').next().unwrap_or(concrete);
        let segments: Vec<&str> = path.split('/').collect();
        let templates = self.document.get("paths").and_then(Value::as_object)?;
        templates
            .keys()
            .filter(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                parts.len() == segments.len()
                    && parts.iter().zip(&segments).all(|(t, s)| {
                        (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s
                    })
            })
            .min_by_key(|template| template.matches('{').count())
            .map(String::as_str)
    }

    /// The statuses documented for an operation, ascending; `None` if the operation is not
    /// documented.
    pub fn documented_statuses(&self, method: &str, template: &str) -> Option<Vec<u16>> {
        let method = method.to_ascii_lowercase();
        let statuses: Vec<u16> = self
            .responses
            .keys()
            .filter(|(m, p, _)| *m == method && p == template)
            .map(|(_, _, status)| *status)
            .collect();
        (!statuses.is_empty()).then_some(statuses)
    }

    /// The methods a path template supports (its `x-allow`: what a 405's `Allow` header
    /// must list), upper case; `None` for an unknown template.
    pub fn allowed_methods(&self, template: &str) -> Option<Vec<String>> {
        let item = self.document.get("paths")?.get(template)?;
        let listed: Vec<String> = item
            .get("x-allow")
            .and_then(Value::as_array)
            .map(|methods| {
                methods
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_uppercase)
                    .collect()
            })
            .unwrap_or_else(|| {
                METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_ascii_uppercase())
                    .collect()
            });
        Some(listed)
    }

    /// What a success body of `method template` is (see [`SuccessBody`]); `None` for an
    /// undocumented operation, one without a body, or one whose body is not one of the
    /// bundle's schema files.
    pub fn success_body(&self, method: &str, template: &str) -> Option<SuccessBody> {
        let key = (method.to_ascii_lowercase(), template.to_owned());
        self.success.get(&key).copied()
    }

    /// Every documented operation as (method in upper case, path template).
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut ops: Vec<(String, String)> = self
            .responses
            .keys()
            .map(|(m, p, _)| (m.to_ascii_uppercase(), p.clone()))
            .collect();
        ops.dedup();
        ops
    }

    /// Validates an error body against the document's error model
    /// (`components.schemas.Error`); `None` when the document has none.
    pub fn validate_error(&self, body: &Value) -> Option<Vec<SchemaViolation>> {
        Some(violations(self.validators.get(ERROR_SCHEMA)?, body))
    }

    /// Validates a response body against the schema the document gives for this
    /// operation and status. A documented response without a body (204) accepts only an
    /// absent body (`None`). A 405 to a method the path does not document is judged by
    /// the path's 405 response.
    pub fn validate_response(
        &self,
        method: &str,
        template: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Result<Vec<SchemaViolation>, Undocumented> {
        let method = method.to_ascii_lowercase();
        let key = (method.clone(), template.to_owned(), status);
        let response = self.responses.get(&key).or_else(|| {
            // A method the path does not support: the path's 405 answers it (§3, §10).
            let unsupported = status == 405
                && self.documented_statuses(&method, template).is_none()
                && self.allowed_methods(template).is_some();
            unsupported
                .then(|| {
                    self.responses
                        .iter()
                        .find(|((_, p, s), _)| p == template && *s == 405)
                        .map(|(_, r)| r)
                })
                .flatten()
        });
        let Some(response) = response else {
            return Err(if self.documented_statuses(&method, template).is_some() {
                Undocumented::Status {
                    method: method.to_ascii_uppercase(),
                    path: template.to_owned(),
                    status,
                }
            } else {
                Undocumented::Operation {
                    method: method.to_ascii_uppercase(),
                    path: template.to_owned(),
                }
            });
        };
        let validator = response
            .schema_pointer
            .as_ref()
            .and_then(|pointer| self.validators.get(pointer));
        Ok(match (validator, body) {
            (Some(validator), Some(body)) => violations(validator, body),
            (Some(_), None) => vec![SchemaViolation {
                instance_path: String::new(),
                message: "a JSON body is documented but the response has none".to_owned(),
                schema_path: String::new(),
            }],
            (None, Some(_)) => vec![SchemaViolation {
                instance_path: String::new(),
                message: "no body is documented but the response has one".to_owned(),
                schema_path: String::new(),
            }],
            (None, None) => Vec::new(),
        })
    }
}

/// Percent-encodes a JSON pointer for use as a URI fragment (RFC 6901 §6): `{`, `}`
/// and every other character a fragment may not hold.
fn fragment_encode(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        let allowed = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&byte);
        if allowed {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Escapes one JSON pointer segment (RFC 6901).
fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The [`SuccessBody`] of every operation whose 2xx responses all carry the same one.
fn collect_success(
    document: &Value,
    responses: &BTreeMap<(String, String, u16), DocumentedResponse>,
    bundle: &'static SchemaBundle,
) -> BTreeMap<(String, String), SuccessBody> {
    let mut shapes: BTreeMap<(String, String), Vec<Option<SuccessBody>>> = BTreeMap::new();
    for ((method, template, status), response) in responses {
        if !(200..300).contains(status) {
            continue;
        }
        let shape = response
            .schema_pointer
            .as_deref()
            .and_then(|pointer| document.pointer(pointer))
            .and_then(|schema| shape_of(document, schema, bundle, 0));
        shapes
            .entry((method.clone(), template.clone()))
            .or_default()
            .push(shape.and_then(Shape::body));
    }
    shapes
        .into_iter()
        .filter_map(|(op, bodies)| {
            let first = (*bodies.first()?)?;
            bodies
                .iter()
                .all(|b| *b == Some(first))
                .then_some((op, first))
        })
        .collect()
}

/// What a schema is, as far as [`SuccessBody`] needs: one of the bundle's files, or the
/// list envelope with (perhaps) its items' file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    One(&'static str),
    List(Option<&'static str>),
}

impl Shape {
    fn body(self) -> Option<SuccessBody> {
        match self {
            Shape::One(file) => Some(SuccessBody { file, list: false }),
            Shape::List(Some(file)) => Some(SuccessBody { file, list: true }),
            Shape::List(None) => None,
        }
    }
}

/// Follows `$ref`s (local ones inside the document, whole-file ones to the bundle's files)
/// and `allOf`s: a list envelope's items come from an `allOf` part's
/// `properties.items.items`.
fn shape_of(
    document: &Value,
    schema: &Value,
    bundle: &'static SchemaBundle,
    depth: usize,
) -> Option<Shape> {
    if depth > 16 {
        return None; // a $ref cycle
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(local) = target.strip_prefix('#') {
            return shape_of(document, document.pointer(local)?, bundle, depth + 1);
        }
        let file = bundle.file_names().find(|f| *f == target)?;
        return Some(if file == bundle.list {
            Shape::List(None)
        } else {
            Shape::One(file)
        });
    }
    let parts = schema.get("allOf").and_then(Value::as_array)?;
    let mut list = false;
    let mut items = None;
    let mut one = None;
    for part in parts {
        match shape_of(document, part, bundle, depth + 1) {
            Some(Shape::List(of)) => {
                list = true;
                items = items.or(of);
            }
            Some(Shape::One(file)) => one = Some(file),
            None => {}
        }
        if let Some(Shape::One(file)) = part
            .pointer("/properties/items/items")
            .and_then(|item| shape_of(document, item, bundle, depth + 1))
        {
            items = Some(file);
        }
    }
    match (list, one) {
        (true, _) => Some(Shape::List(items)),
        (false, Some(file)) => Some(Shape::One(file)),
        (false, None) => None,
    }
}

/// Every (method, template, status) of the document and the pointer of its JSON schema,
/// following `$ref`s to `#/components/responses/...`.
fn collect_responses(
    document: &Value,
) -> Result<BTreeMap<(String, String, u16), DocumentedResponse>, String> {
    let mut out = BTreeMap::new();
    let paths = document
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("the document has no `paths` object")?;
    for (template, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let responses = operation
                .get("responses")
                .and_then(Value::as_object)
                .ok_or(format!("{method} {template} has no responses"))?;
            for (status, response) in responses {
                let status: u16 = status
                    .parse()
                    .map_err(|_| format!("{method} {template}: status {status} is not a number"))?;
                let mut pointer = format!(
                    "/paths/{}/{method}/responses/{status}",
                    escape_segment(template)
                );
                let mut response = response;
                if let Some(target) = response.get("$ref").and_then(Value::as_str) {
                    let local = target
                        .strip_prefix('#')
                        .ok_or(format!("{method} {template} {status}: only local response $refs are supported, found {target}"))?;
                    response = document.pointer(local).ok_or(format!(
                        "{method} {template} {status}: dangling $ref {target}"
                    ))?;
                    pointer = local.to_owned();
                }
                let schema_pointer = response
                    .get("content")
                    .and_then(|c| c.get("application/json"))
                    .and_then(|m| m.get("schema"))
                    .map(|_| format!("{pointer}/content/application~1json/schema"));
                out.insert(
                    (method.to_owned(), template.clone(), status),
                    DocumentedResponse { schema_pointer },
                );
            }
        }
    }
    Ok(out)
}
