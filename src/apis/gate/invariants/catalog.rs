//! The live catalog, as the generators need it: every orderable product with its price
//! rule and its `customer_account_fields` compiled, plus the ids that make near-valid
//! invalid orders (an unavailable product, an unknown id). Nothing here is hard-coded:
//! the contract (§9.3) forbids assuming product ids.

use crate::apis::gate::client::GateClientExt as _;
use std::collections::BTreeMap;

use crate::engine::dialect::PatternValues;
use serde_json::Value;

use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{CustomerAccountField, Product};
use crate::engine::client::pages::Pages;
use crate::engine::client::ApiClient;

pub use crate::apis::gate::pricing::PriceRule;

/// One customer-account field with its pattern compiled for whole-value matching.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub name: String,
    pub required: bool,
    pub pattern: Option<String>,
    /// The pattern (whole-value match, §10) and its dialect-safe values; `None` when the
    /// field has no pattern.
    pub values: Option<PatternValues>,
}

impl FieldRule {
    fn from_wire(f: &CustomerAccountField) -> Option<FieldRule> {
        let values = match &f.pattern {
            Some(p) => Some(PatternValues::new(p).ok()?),
            None => None,
        };
        // A required field no value is valid for in every regex dialect: the product
        // cannot be ordered without risking a false alarm; it is left out.
        if f.required && values.as_ref().is_some_and(|v| v.example().is_none()) {
            tracing::info!(field = %f.name, "{}", crate::engine::dialect::NO_SAFE_VALUE);
            return None;
        }
        Some(FieldRule {
            name: f.name.clone(),
            required: f.required,
            pattern: f.pattern.clone(),
            values,
        })
    }

    /// Whether `value` is valid for this field in every regex dialect (§10 whole-value
    /// match, printable ASCII: see `engine::dialect`).
    pub fn accepts(&self, value: &str) -> bool {
        match &self.values {
            Some(v) => v.valid_everywhere(value),
            None => crate::engine::dialect::printable_ascii(value),
        }
    }

    /// Whether `value` is invalid for this field in every regex dialect.
    pub fn refuses(&self, value: &str) -> bool {
        self.values
            .as_ref()
            .is_some_and(|v| v.invalid_everywhere(value))
    }
}

/// A product the generators can order.
#[derive(Debug, Clone)]
pub struct Orderable {
    pub id: u64,
    pub name: String,
    pub currency: String,
    pub price: PriceRule,
    pub fields: Vec<FieldRule>,
}

impl Orderable {
    pub fn is_voucher(&self) -> bool {
        matches!(self.price, PriceRule::Voucher { .. })
    }

    /// The largest charge one valid order of this product can have.
    pub fn max_charge(&self) -> Amount {
        match &self.price {
            PriceRule::Voucher { agent_price } => agent_price.times(3).unwrap_or(*agent_price),
            PriceRule::TopUp { rate, max, .. } => max.times_rate(*rate).unwrap_or(*max),
        }
    }

    /// The smallest charge of one valid order.
    pub fn min_charge(&self) -> Amount {
        match &self.price {
            PriceRule::Voucher { agent_price } => *agent_price,
            PriceRule::TopUp { rate, min, .. } => min.times_rate(*rate).unwrap_or(*min),
        }
    }
}

/// The part of the catalog the invariant probes use.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub products: Vec<Orderable>,
    /// An existing product with `is_available: false`, when the catalog has one.
    pub unavailable: Option<u64>,
    /// An id no product has.
    pub unknown_id: u64,
}

/// Why the catalog could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the catalog: {0}")]
    Transport(String),
    #[error("GET {path} answered {status}: {body}")]
    Status {
        path: String,
        status: u16,
        body: String,
    },
    #[error("the catalog has no available product the probes can order")]
    Empty,
}

impl Catalog {
    /// Walks `GET /products` (all pages) and keeps what can be ordered.
    pub async fn discover(client: &ApiClient) -> Result<Catalog, CatalogError> {
        let mut raw: Vec<Value> = Vec::new();
        let mut pages = Pages::new(client.agent_path("/products"), Some(100), 100);
        while let Some(path) = pages.next_path() {
            let ex = client
                .get(path.clone())
                .send()
                .await
                .map_err(|e| CatalogError::Transport(e.to_string()))?;
            if ex.status != 200 {
                return Err(CatalogError::Status {
                    path,
                    status: ex.status,
                    body: ex.body_excerpt(),
                });
            }
            raw.extend(pages.accept_lenient(ex.json().as_ref()));
        }
        Catalog::from_products(raw)
    }

    /// Builds the catalog from raw product objects (unparseable ones are left out: the
    /// contract checks judge them, the probes only need usable ones).
    pub fn from_products(raw: Vec<Value>) -> Result<Catalog, CatalogError> {
        let mut products = Vec::new();
        let mut unavailable = None;
        let mut max_id = 0;
        for value in raw {
            let Ok(p) = serde_json::from_value::<Product>(value) else {
                continue;
            };
            max_id = max_id.max(p.id);
            if !p.is_available {
                unavailable.get_or_insert(p.id);
                continue;
            }
            if let Some(o) = orderable(&p) {
                products.push(o);
            }
        }
        if products.is_empty() {
            return Err(CatalogError::Empty);
        }
        products.sort_by_key(|p| p.id);
        Ok(Catalog {
            products,
            unavailable,
            unknown_id: max_id.saturating_add(1_000_000),
        })
    }

    /// The currencies of orderable products, sorted.
    pub fn currencies(&self) -> Vec<String> {
        let mut set: BTreeMap<String, ()> = BTreeMap::new();
        for p in &self.products {
            set.insert(p.currency.clone(), ());
        }
        set.into_keys().collect()
    }

    /// The largest single-order charge per currency (sizes the generated deposits).
    pub fn max_charge(&self, currency: &str) -> Amount {
        self.products
            .iter()
            .filter(|p| p.currency == currency)
            .map(Orderable::max_charge)
            .max()
            .unwrap_or(Amount::from_minor(10_000))
    }

    /// The cheapest voucher (the concurrency probes order it: quantity 1, no rounding).
    pub fn cheapest_voucher(&self) -> Option<&Orderable> {
        self.products
            .iter()
            .filter(|p| p.is_voucher())
            .min_by_key(|p| p.min_charge())
    }
}

fn orderable(p: &Product) -> Option<Orderable> {
    let price = if p.is_voucher() {
        PriceRule::Voucher {
            agent_price: p.agent_price?,
        }
    } else if p.is_direct_top_up() {
        let (rate, min, max) = (p.agent_rate?, p.min_amount?, p.max_amount?);
        if min > max || max.is_zero() {
            return None;
        }
        PriceRule::TopUp { rate, min, max }
    } else {
        return None;
    };
    let fields = p
        .customer_account_fields
        .iter()
        .map(FieldRule::from_wire)
        .collect::<Option<Vec<_>>>()?;
    Some(Orderable {
        id: p.id,
        name: p.name.clone(),
        currency: p.currency_code.clone(),
        price,
        fields,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub fn sample_products() -> Vec<Value> {
        vec![
            json!({"id": 1, "name": "Voucher 10 USD", "type": "voucher", "category_id": 1,
                "currency_code": "USD", "region_code": "GLOBAL", "is_available": true,
                "price": "10.00", "agent_price": "9.50", "agent_rate": null, "min_amount": null,
                "max_amount": null, "customer_account_fields": [], "updated_at": "2024-10-01T00:00:00Z"}),
            json!({"id": 2, "name": "Steam USD", "type": "direct_top_up", "category_id": 1,
                "currency_code": "USD", "region_code": "GLOBAL", "is_available": true,
                "price": null, "agent_price": null, "agent_rate": "1.2500", "min_amount": "1.00",
                "max_amount": "500.00", "customer_account_fields": [
                    {"name": "steam_login", "required": true, "pattern": "^[A-Za-z0-9_]{3,32}$"},
                    {"name": "email", "required": false, "pattern": null}],
                "updated_at": "2024-10-01T00:00:00Z"}),
            json!({"id": 3, "name": "Gone", "type": "voucher", "category_id": 1,
                "currency_code": "EUR", "region_code": "DE", "is_available": false,
                "price": "5.00", "agent_price": "4.75", "agent_rate": null, "min_amount": null,
                "max_amount": null, "customer_account_fields": [], "updated_at": "2024-10-01T00:00:00Z"}),
        ]
    }

    #[test]
    fn keeps_orderable_products_and_finds_the_unavailable_one() {
        let c = Catalog::from_products(sample_products()).unwrap();
        assert_eq!(c.products.len(), 2);
        assert_eq!(c.unavailable, Some(3));
        assert!(c.unknown_id > 3);
        let topup = &c.products[1];
        assert!(topup.fields[0].accepts("player_1"));
        assert!(!topup.fields[0].accepts("no spaces allowed"));
        assert!(!topup.fields[0].accepts("ab"));
        assert!(topup.fields[1].accepts("anything"));
        assert!(
            !topup.fields[0].accepts("abc\u{1c}"),
            "control characters never count as valid"
        );
        assert!(topup.fields[0].refuses("a b"));
        assert_eq!(c.currencies(), vec!["USD".to_string()]);
    }
}
