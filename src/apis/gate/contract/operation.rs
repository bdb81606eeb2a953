//! The Gate's operations: the engine's document lookup
//! (`engine::contract::operation`) over the Gate's OpenAPI document
//! (`schemas/gate/openapi.json`, or `--schemas DIR`) and its schema names. The statuses an
//! operation may answer are the document's too (`transport.status_documented`).

use crate::apis::gate::schemas::SchemaName;

/// What the Gate's document says of the operation an exchange addressed.
pub type Operation = crate::engine::contract::operation::Operation<SchemaName>;
/// A Gate success body: one object of a schema, or the list envelope of them.
pub type Success = crate::engine::contract::operation::Success<SchemaName>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema::openapi::OpenApi;

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
