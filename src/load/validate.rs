//! The sampled body check of a load run (`--validate-sample`): does a response body have
//! the shape the contract gives it? Status checks happen on every response in
//! `transactions`; this runs only on the sample, off the common path.
//!
//! It parses the body into the typed Gate objects of `model::wire` (strict about every
//! named field's type, lenient about extra fields — the forward-compatibility rule of §1).
//! The full JSON Schema verdict is the `contract` phase's job.

use serde::de::DeserializeOwned;

use crate::model::wire::{
    AgentBalance, AgentDeposit, ListPage, Order, Product, ProductCategory, ProductType,
};

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
    pub fn label(self) -> &'static str {
        match self {
            BodyKind::ProductTypeList => "ProductType list",
            BodyKind::CategoryList => "ProductCategory list",
            BodyKind::ProductList => "Product list",
            BodyKind::Product => "Product",
            BodyKind::BalanceList => "AgentBalance list",
            BodyKind::Order => "Order",
            BodyKind::OrderList => "Order list",
            BodyKind::DepositList => "AgentDeposit list",
        }
    }
}

/// Checks a body; `Err` carries the first problem, for the summary notes.
pub fn check(kind: BodyKind, body: &[u8]) -> Result<(), String> {
    let result = match kind {
        BodyKind::ProductTypeList => parse::<ListPage<ProductType>>(body),
        BodyKind::CategoryList => parse::<ListPage<ProductCategory>>(body),
        BodyKind::ProductList => parse::<ListPage<Product>>(body),
        BodyKind::Product => parse::<Product>(body),
        BodyKind::BalanceList => parse::<ListPage<AgentBalance>>(body),
        BodyKind::Order => parse::<Order>(body),
        BodyKind::OrderList => parse::<ListPage<Order>>(body),
        BodyKind::DepositList => parse::<ListPage<AgentDeposit>>(body),
    };
    result.map_err(|e| format!("{}: {e}", kind.label()))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<T>(body).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_where_a_decimal_string_belongs_is_refused() {
        let ok = br#"{"items":[{"currency_code":"USD","available":"1.00","reserved":"0.00","available_minor":100,"reserved_minor":0,"updated_at":"2024-11-01T10:00:00Z"}],"next_cursor":null}"#;
        assert!(check(BodyKind::BalanceList, ok).is_ok());
        let bad = br#"{"items":[{"currency_code":"USD","available":1.0,"reserved":"0.00","available_minor":100,"reserved_minor":0,"updated_at":"2024-11-01T10:00:00Z"}],"next_cursor":null}"#;
        assert!(check(BodyKind::BalanceList, bad).is_err());
    }
}
