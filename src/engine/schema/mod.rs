//! JSON Schema validation of Gate API objects: loads `schemas/` (embedded in the binary,
//! or from `--schemas DIR`), compiles every schema once (draft 2020-12, formats checked,
//! cross-file `$ref`s resolved among the loaded files only), and validates many instances.
//!
//! ```no_run
//! use gatecheck::apis::gate::schemas::{SchemaName, BUNDLE};
//! use gatecheck::engine::schema::SchemaSet;
//! let set = SchemaSet::embedded(&BUNDLE)?;
//! let order = serde_json::json!({"id": "not-a-uuid"});
//! for v in set.validate(SchemaName::Order, &order) {
//!     println!("{v}"); // "/id: \"not-a-uuid\" does not match ..."
//! }
//! # Ok::<(), gatecheck::engine::schema::SchemaError>(())
//! ```
//!
//! **Invariant:** this module judges one JSON document at a time; rules that span fields
//! of different objects or several responses (minor = amount × 100, list/detail equality,
//! ledger identities) belong to the contract checks.

mod bundle;
pub mod cli;
pub mod command;
mod compile;
mod error;
pub mod openapi;
mod source;
mod violation;

use std::collections::BTreeMap;
use std::path::Path;

use jsonschema::Validator;
use serde_json::Value;

pub use bundle::{SchemaBundle, SchemaKey};
pub use compile::SCHEMA_BASE_URI;
pub use error::SchemaError;
pub use source::SchemaOrigin;
pub use violation::SchemaViolation;

use source::SchemaTexts;

/// Every Gate API schema, compiled and ready to validate. Cheap to share (`Arc`), safe to
/// use from many threads.
pub struct SchemaSet {
    validators: BTreeMap<&'static str, Validator>,
    bundle: &'static SchemaBundle,
    version: String,
    origin: SchemaOrigin,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet")
            .field("origin", &self.origin)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl SchemaSet {
    /// The schemas embedded in the binary (a copy of `schemas/<api>/` at build time).
    pub fn embedded(bundle: &'static SchemaBundle) -> Result<SchemaSet, SchemaError> {
        SchemaSet::compile(SchemaTexts::embedded(bundle), bundle)
    }

    /// The schemas of a directory (`--schemas DIR`): every file `all_file_names()` lists
    /// must be there; other files are ignored.
    pub fn load_dir(
        bundle: &'static SchemaBundle,
        dir: impl AsRef<Path>,
    ) -> Result<SchemaSet, SchemaError> {
        SchemaSet::compile(SchemaTexts::read_dir(dir.as_ref(), bundle)?, bundle)
    }

    /// `load_dir(dir)` when a directory is given, else `embedded()`.
    pub fn load(
        bundle: &'static SchemaBundle,
        dir: Option<&Path>,
    ) -> Result<SchemaSet, SchemaError> {
        match dir {
            Some(dir) => SchemaSet::load_dir(bundle, dir),
            None => SchemaSet::embedded(bundle),
        }
    }

    fn compile(
        texts: SchemaTexts,
        bundle: &'static SchemaBundle,
    ) -> Result<SchemaSet, SchemaError> {
        let validators = compile::compile_all(&texts, bundle)?;
        tracing::debug!(origin = %texts.origin, version = %texts.version(), "schemas compiled");
        Ok(SchemaSet {
            validators,
            bundle,
            version: texts.version(),
            origin: texts.origin,
        })
    }

    /// Every way `instance` breaks schema `name`, in a deterministic order (by instance
    /// path); empty when it conforms.
    pub fn validate(&self, name: impl SchemaKey, instance: &Value) -> Vec<SchemaViolation> {
        let Some(validator) = self.validators.get(name.file_name()) else {
            // compile_all inserts every name; an absent one is a bug, reported, not panicked.
            return vec![SchemaViolation {
                instance_path: String::new(),
                message: format!("schema {name} is not loaded"),
                schema_path: String::new(),
            }];
        };
        if validator.is_valid(instance) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for error in validator.iter_errors(instance) {
            violation::violations_of(&error, &mut out);
        }
        violation::in_report_order(out)
    }

    /// Whether `instance` conforms to schema `name` (faster than `validate` when it does
    /// not matter why).
    pub fn is_valid(&self, name: impl SchemaKey, instance: &Value) -> bool {
        self.validators
            .get(name.file_name())
            .is_some_and(|validator| validator.is_valid(instance))
    }

    /// A list response: the envelope (§1 Lists), then every item against `item`, with the
    /// item's index in the path (`/items/3/price`).
    pub fn validate_list(&self, item: impl SchemaKey, instance: &Value) -> Vec<SchemaViolation> {
        let mut out = self.validate(self.bundle.list, instance);
        if let Some(items) = instance.get("items").and_then(Value::as_array) {
            for (index, element) in items.iter().enumerate() {
                let prefix = format!("/items/{index}");
                out.extend(
                    self.validate(item, element)
                        .into_iter()
                        .map(|v| v.nested_under(&prefix)),
                );
            }
        }
        out
    }

    /// A short hash of the schema files (names and contents, sorted by name): names the
    /// schema version a report was judged by.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The bundle these schemas were compiled from.
    pub fn bundle(&self) -> &'static SchemaBundle {
        self.bundle
    }

    /// Where the schemas were read from.
    pub fn origin(&self) -> &SchemaOrigin {
        &self.origin
    }
}
