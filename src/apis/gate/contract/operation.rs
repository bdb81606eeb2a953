//! Which documented operation an exchange addressed, looked up in the Gate's OpenAPI
//! document (`schemas/gate/openapi.json`, or `--schemas DIR`) by its method and path
//! alone, and what that operation's success body is: one object of a named schema, or
//! the list envelope of them. The statuses an operation may answer are the document's
//! too (`transport.status_documented`).
//!
//! **Invariant:** classification never looks at the response, so a broken server cannot
//! change which rules apply to it.

use std::sync::Arc;

use serde_json::Value;

use crate::apis::gate::schemas::SchemaName;
use crate::engine::contract::Classifier;
use crate::engine::schema::openapi::OpenApi;

/// What the document says of the operation an exchange addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Operation {
    /// The object a success body carries (a list's items when `list`); `None` for an
    /// unknown route, an undocumented method, or an operation without such a body.
    pub success: Option<Success>,
}

/// A success body: one `schema` object, or the list envelope of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Success {
    pub schema: SchemaName,
    pub list: bool,
}

impl Operation {
    /// Looks `method path` (query ignored) up in the document.
    pub fn of(openapi: &OpenApi, method: &str, path: &str) -> Operation {
        let success = openapi
            .match_path(path)
            .and_then(|template| openapi.success_body(method, template))
            .and_then(|body| {
                Some(Success {
                    schema: SchemaName::of_file(body.file)?,
                    list: body.list,
                })
            });
        Operation { success }
    }

    /// The recorder's classification by this document.
    pub fn classifier(openapi: Arc<OpenApi>) -> Classifier<Operation> {
        Arc::new(move |method, path| Operation::of(&openapi, method, path))
    }
}

/// The objects of a given schema inside a success body: the body itself, or a list's items.
pub fn objects_in(op: Operation, body: &Value) -> Vec<(SchemaName, &Value)> {
    let Some(success) = op.success else {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn of(method: &str, path: &str) -> Option<Success> {
        let api = OpenApi::embedded(&crate::apis::gate::schemas::BUNDLE).expect("document");
        Operation::of(&api, method, path).success
    }

    #[test]
    fn success_bodies_come_from_the_document() {
        let list = |schema| Some(Success { schema, list: true });
        let one = |schema| {
            Some(Success {
                schema,
                list: false,
            })
        };
        assert_eq!(
            of("GET", "/agent/a/products?limit=2"),
            list(SchemaName::Product)
        );
        assert_eq!(
            of("GET", "/agent/a/balance"),
            list(SchemaName::AgentBalance)
        );
        assert_eq!(of("POST", "/agent/a/orders"), one(SchemaName::Order));
        assert_eq!(of("GET", "/health"), one(SchemaName::Health));
        assert_eq!(
            of("POST", "/_sandbox/orders/x/fail"),
            one(SchemaName::Order)
        );
        // No named schema, no body, an undocumented method, an unknown route.
        assert_eq!(of("POST", "/_sandbox/agents"), None);
        assert_eq!(of("DELETE", "/_sandbox/keys/k"), None);
        assert_eq!(of("DELETE", "/agent/a/orders"), None);
        assert_eq!(of("HEAD", "/agent/a/products"), None);
        assert_eq!(of("GET", "/agent/a/orders/x/y"), None);
    }
}
