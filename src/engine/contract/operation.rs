//! Which documented operation an exchange addressed, looked up in an API's OpenAPI
//! document by its method and path alone, and what that operation's success body is: one
//! object of a named schema, or the list envelope of them. `S` is the API's own schema
//! enum; the routes, methods and bodies are the document's, never a hand-kept table.
//!
//! **Invariant:** classification never looks at the response, so a broken server cannot
//! change which rules apply to it.

use std::sync::Arc;

use serde_json::Value;
use strum::VariantArray;

use super::recorder::Classifier;
use crate::engine::schema::openapi::OpenApi;
use crate::engine::schema::SchemaKey;

/// What the document says of the operation an exchange addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation<S> {
    /// The object a success body carries (a list's items when `list`); `None` for an
    /// unknown route, an undocumented method, or an operation without such a body.
    pub success: Option<Success<S>>,
}

impl<S> Default for Operation<S> {
    fn default() -> Self {
        Operation { success: None }
    }
}

/// A success body: one `schema` object, or the list envelope of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Success<S> {
    pub schema: S,
    pub list: bool,
}

impl<S> Operation<S>
where
    S: SchemaKey + VariantArray + Send + Sync + 'static,
{
    /// Looks `method path` (query ignored) up in the document.
    pub fn of(openapi: &OpenApi, method: &str, path: &str) -> Operation<S> {
        let success = openapi
            .match_path(path)
            .and_then(|template| openapi.success_body(method, template))
            .and_then(|body| {
                Some(Success {
                    schema: of_file::<S>(body.file)?,
                    list: body.list,
                })
            });
        Operation { success }
    }

    /// The recorder's classification by this document.
    pub fn classifier(openapi: Arc<OpenApi>) -> Classifier<Operation<S>> {
        Arc::new(move |method, path| Operation::of(&openapi, method, path))
    }

    /// The objects of the success body: the body itself, or a list's items.
    pub fn objects_in(self, body: &Value) -> Vec<(S, &Value)> {
        let Some(success) = self.success else {
            return Vec::new();
        };
        if success.list {
            body.get("items")
                .and_then(Value::as_array)
                .map(|items| items.iter().map(|v| (success.schema, v)).collect())
                .unwrap_or_default()
        } else {
            vec![(success.schema, body)]
        }
    }
}

/// The schema of an API's enum whose file is `file` (`order.json`).
pub fn of_file<S: SchemaKey + VariantArray>(file: &str) -> Option<S> {
    S::VARIANTS.iter().copied().find(|n| n.file_name() == file)
}
