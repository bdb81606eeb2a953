//! The sampled body check of a load run (`--validate-sample`): does a response body
//! conform to the JSON Schema of the object the contract gives it (`crate::engine::schema`)?
//! Status checks happen on every response in `transactions`; this runs only on the
//! sample, off the common path.

use std::sync::Arc;

use serde_json::Value;

use crate::apis::gate::schemas::SchemaName;
use crate::engine::schema::SchemaSet;

/// Which object a body should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    ProductTypeList,
    CategoryList,
    ProductList,
    Product,
    BalanceList,
    Order,
    OrderList,
    DepositList,
}

impl BodyKind {
    /// The schema of the body (for a list: of its items) and whether it is a list.
    fn schema(self) -> (SchemaName, bool) {
        match self {
            BodyKind::ProductTypeList => (SchemaName::ProductType, true),
            BodyKind::CategoryList => (SchemaName::ProductCategory, true),
            BodyKind::ProductList => (SchemaName::Product, true),
            BodyKind::Product => (SchemaName::Product, false),
            BodyKind::BalanceList => (SchemaName::AgentBalance, true),
            BodyKind::Order => (SchemaName::Order, false),
            BodyKind::OrderList => (SchemaName::Order, true),
            BodyKind::DepositList => (SchemaName::AgentDeposit, true),
        }
    }
}

/// Validates sampled bodies against a schema set. Cheap to clone.
#[derive(Debug, Clone)]
pub struct BodyValidator {
    schemas: Arc<SchemaSet>,
}

impl BodyValidator {
    pub fn new(schemas: Arc<SchemaSet>) -> BodyValidator {
        BodyValidator { schemas }
    }

    /// `Err` carries the first problem, for the run's remarks.
    pub fn check(&self, kind: BodyKind, body: &[u8]) -> Result<(), String> {
        let (name, is_list) = kind.schema();
        let json: Value = serde_json::from_slice(body).map_err(|e| {
            format!(
                "{name}{}: the body is not JSON: {e}",
                if is_list { " list" } else { "" }
            )
        })?;
        let violations = if is_list {
            self.schemas.validate_list(name, &json)
        } else {
            self.schemas.validate(name, &json)
        };
        match violations.first() {
            None => Ok(()),
            Some(v) => Err(format!(
                "{name}{} at `{}`: {}",
                if is_list { " list" } else { "" },
                v.instance_path,
                v.message
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_where_a_decimal_string_belongs_is_refused() {
        let v = BodyValidator::new(Arc::new(
            SchemaSet::embedded(&crate::apis::gate::schemas::BUNDLE).expect("schemas"),
        ));
        let ok = br#"{"items":[{"currency_code":"USD","available":"1.00","reserved":"0.00","available_minor":100,"reserved_minor":0,"updated_at":"2024-11-01T10:00:00Z"}],"next_cursor":null}"#;
        assert_eq!(v.check(BodyKind::BalanceList, ok), Ok(()));
        let bad = br#"{"items":[{"currency_code":"USD","available":1.0,"reserved":"0.00","available_minor":100,"reserved_minor":0,"updated_at":"2024-11-01T10:00:00Z"}],"next_cursor":null}"#;
        let e = v
            .check(BodyKind::BalanceList, bad)
            .expect_err("a number is not a DecimalAmount");
        assert!(e.contains("/items/0/available"), "{e}");
        assert!(v.check(BodyKind::Order, b"not json").is_err());
    }
}
