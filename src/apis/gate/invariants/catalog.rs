//! The live catalog, as the generators need it: every orderable product with its price
//! rule and its `customer_account_fields` compiled, plus the ids that make near-valid
//! invalid orders (an unavailable product, an unknown id). Nothing here is hard-coded:
//! the contract (§9.3) forbids assuming product ids.

use crate::apis::gate::client::GateClientExt as _;
use std::collections::BTreeMap;

use regex::Regex;
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
    /// `^(?:pattern)$`, compiled; `None` when the field has no pattern.
    pub matcher: Option<Regex>,
    /// The pattern with its outer anchors removed, for proptest's regex generator.
    pub generator_pattern: Option<String>,
}

impl FieldRule {
    fn from_wire(f: &CustomerAccountField) -> Option<FieldRule> {
        let matcher = match &f.pattern {
            Some(p) => Some(Regex::new(&format!("^(?:{p})$")).ok()?),
            None => None,
        };
        Some(FieldRule {
            name: f.name.clone(),
            required: f.required,
            pattern: f.pattern.clone(),
            matcher,
            generator_pattern: f.pattern.as_deref().map(strip_anchors),
        })
    }

    /// Whether `value` is acceptable for this field (whole-value match, §10).
    pub fn accepts(&self, value: &str) -> bool {
        self.matcher.as_ref().is_none_or(|m| m.is_match(value))
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

/// Removes one leading `^` and one trailing unescaped `$`.
fn strip_anchors(pattern: &str) -> String {
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    match p.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') => rest.to_string(),
        _ => p.to_string(),
    }
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
        assert_eq!(
            topup.fields[0].generator_pattern.as_deref(),
            Some("[A-Za-z0-9_]{3,32}")
        );
        assert_eq!(c.currencies(), vec!["USD".to_string()]);
    }
}
