//! The sampled body check of a load run (`--validate-sample`), the same for every API:
//! does a response body conform to the JSON Schema of the object the contract gives it
//! (`crate::engine::schema`)? Status checks happen on every response in an API's
//! transactions; this runs only on the sample, off the common path. An API names its
//! objects with its own [`SchemaKey`].

use std::fmt::Display;
use std::sync::Arc;

use serde_json::Value;

use crate::engine::schema::{SchemaKey, SchemaSet};

/// Validates sampled bodies against a schema set. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BodyValidator {
    schemas: Arc<SchemaSet>,
}

impl BodyValidator {
    pub fn new(schemas: Arc<SchemaSet>) -> BodyValidator {
        BodyValidator { schemas }
    }

    /// Checks `body` as one `name` object, or (`is_list`) as the list envelope of them.
    /// `Err` carries the first problem, for the run's remarks.
    pub fn check<K: SchemaKey + Display>(
        &self,
        name: K,
        is_list: bool,
        body: &[u8],
    ) -> Result<(), String> {
        let list = if is_list { " list" } else { "" };
        let json: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{name}{list}: the body is not JSON: {e}"))?;
        let violations = if is_list {
            self.schemas.validate_list(name, &json)
        } else {
            self.schemas.validate(name, &json)
        };
        match violations.first() {
            None => Ok(()),
            Some(v) => Err(format!(
                "{name}{list} at `{}`: {}",
                v.instance_path, v.message
            )),
        }
    }
}
