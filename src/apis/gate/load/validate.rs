//! Which Gate object a sampled load body should be ([`BodyKind`]); the check itself is the
//! engine's (`crate::engine::load::validate`).

use std::sync::Arc;

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

/// Validates sampled Gate bodies (the engine's validator, named by [`BodyKind`]).
#[derive(Debug, Clone)]
pub struct BodyValidator(crate::engine::load::validate::BodyValidator);

impl BodyValidator {
    pub fn new(schemas: Arc<SchemaSet>) -> BodyValidator {
        BodyValidator(crate::engine::load::validate::BodyValidator::new(schemas))
    }

    /// `Err` carries the first problem, for the run's remarks.
    pub fn check(&self, kind: BodyKind, body: &[u8]) -> Result<(), String> {
        let (name, is_list) = kind.schema();
        self.0.check(name, is_list, body)
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
