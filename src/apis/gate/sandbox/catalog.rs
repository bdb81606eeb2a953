//! The seeded catalog (contract §4, §9.3), held in memory: product types, categories with
//! parents, and products — vouchers and direct top-ups in USD, EUR and KZT, one
//! unavailable product, and a rate (1.2500) under which half-up rounding matters.
//! Each product's JSON is rendered once at start, so a GET by id costs no serialization.
//!
//! **Invariant:** the catalog never changes while the sandbox runs and never touches SQLite.

use std::collections::BTreeMap;

use bytes::Bytes;
use regex::Regex;

use crate::apis::gate::money::{Amount, Rate};
use crate::apis::gate::wire::{CustomerAccountField, Product, ProductCategory, ProductType};
use crate::apis::gate::wire::{DIRECT_TOP_UP, VOUCHER};

/// A product with what order validation needs precomputed.
#[derive(Debug)]
pub struct CatalogProduct {
    pub product: Product,
    /// The product's JSON, as served by GET by id and inside lists.
    pub json: Bytes,
    /// `customer_account_fields` with their patterns compiled (anchored to the whole value).
    pub account_fields: Vec<(CustomerAccountField, Option<Regex>)>,
}

#[derive(Debug)]
pub struct Catalog {
    pub types: Vec<ProductType>,
    pub categories: Vec<ProductCategory>,
    products: BTreeMap<u64, CatalogProduct>,
}

const UPDATED_AT: &str = "2024-10-01T00:00:00Z";

impl Catalog {
    pub fn product(&self, id: u64) -> Option<&CatalogProduct> {
        self.products.get(&id)
    }

    /// Products in id order.
    pub fn products(&self) -> impl Iterator<Item = &CatalogProduct> {
        self.products.values()
    }

    /// The seeded catalog.
    pub fn seeded() -> anyhow::Result<Catalog> {
        let types = vec![
            ProductType {
                id: 1,
                code: VOUCHER.into(),
                name: "Voucher".into(),
            },
            ProductType {
                id: 2,
                code: DIRECT_TOP_UP.into(),
                name: "Direct top-up".into(),
            },
        ];
        let categories = vec![
            category(1, "Games", None),
            category(2, "Gift cards", None),
            category(3, "Mobile", None),
            category(4, "PC games", Some(1)),
            category(5, "Console games", Some(1)),
            category(6, "Prepaid SIM", Some(3)),
        ];
        let steam_fields = vec![
            field("steam_login", true, Some("^[A-Za-z0-9_]{3,32}$")),
            field("email", false, None),
        ];
        let phone_fields = vec![field("phone_number", true, Some(r"^\+[1-9][0-9]{7,14}$"))];
        let player_fields = vec![
            field("player_id", true, Some("^[0-9]{6,12}$")),
            field("server", false, Some("^(eu|asia|na)$")),
        ];
        let products = vec![
            voucher(
                101,
                "Steam Gift Card 10 USD",
                4,
                "USD",
                "GLOBAL",
                "10.00",
                "9.50",
                true,
            ),
            voucher(
                102,
                "Amazon Gift Card 25 EUR",
                2,
                "EUR",
                "DE",
                "25.00",
                "24.10",
                true,
            ),
            voucher(
                103,
                "PlayStation Store 5000 KZT",
                5,
                "KZT",
                "KZ",
                "5000.00",
                "4850.00",
                true,
            ),
            voucher(
                104,
                "Xbox Gift Card 50 USD",
                5,
                "USD",
                "US",
                "50.00",
                "48.75",
                false,
            ),
            top_up(
                105,
                "Steam Wallet Top-Up (USD)",
                4,
                "USD",
                "GLOBAL",
                "1.2500",
                "1.00",
                "500.00",
                steam_fields,
            ),
            top_up(
                106,
                "Mobile Top-Up (EUR)",
                6,
                "EUR",
                "GLOBAL",
                "1.0350",
                "5.00",
                "200.00",
                phone_fields,
            ),
            top_up(
                107,
                "Mobile Legends Diamonds (KZT)",
                5,
                "KZT",
                "KZ",
                "0.9850",
                "500.00",
                "100000.00",
                player_fields,
            ),
            voucher(
                108,
                "Google Play Gift Card 5 USD",
                2,
                "USD",
                "US",
                "5.00",
                "4.80",
                true,
            ),
        ];
        let mut map = BTreeMap::new();
        for product in products {
            let product = product?;
            let json = Bytes::from(serde_json::to_vec(&product)?);
            let account_fields = product
                .customer_account_fields
                .iter()
                .map(|f| {
                    let re = f
                        .pattern
                        .as_deref()
                        .map(|p| Regex::new(&format!("^(?:{p})$")))
                        .transpose()?;
                    Ok((f.clone(), re))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            map.insert(
                product.id,
                CatalogProduct {
                    product,
                    json,
                    account_fields,
                },
            );
        }
        Ok(Catalog {
            types,
            categories,
            products: map,
        })
    }
}

fn category(id: u64, name: &str, parent_id: Option<u64>) -> ProductCategory {
    ProductCategory {
        id,
        name: name.into(),
        parent_id,
    }
}

fn field(name: &str, required: bool, pattern: Option<&str>) -> CustomerAccountField {
    CustomerAccountField {
        name: name.into(),
        required,
        pattern: pattern.map(str::to_string),
    }
}

#[allow(clippy::too_many_arguments)]
fn voucher(
    id: u64,
    name: &str,
    category_id: u64,
    currency: &str,
    region: &str,
    price: &str,
    agent_price: &str,
    available: bool,
) -> anyhow::Result<Product> {
    Ok(Product {
        id,
        name: name.into(),
        product_type: VOUCHER.into(),
        category_id,
        currency_code: currency.into(),
        region_code: region.into(),
        is_available: available,
        price: Some(Amount::parse_decimal_amount(price)?),
        agent_price: Some(Amount::parse_decimal_amount(agent_price)?),
        agent_rate: None,
        min_amount: None,
        max_amount: None,
        customer_account_fields: Vec::new(),
        updated_at: UPDATED_AT.into(),
    })
}

#[allow(clippy::too_many_arguments)]
fn top_up(
    id: u64,
    name: &str,
    category_id: u64,
    currency: &str,
    region: &str,
    rate: &str,
    min: &str,
    max: &str,
    fields: Vec<CustomerAccountField>,
) -> anyhow::Result<Product> {
    Ok(Product {
        id,
        name: name.into(),
        product_type: DIRECT_TOP_UP.into(),
        category_id,
        currency_code: currency.into(),
        region_code: region.into(),
        is_available: true,
        price: None,
        agent_price: None,
        agent_rate: Some(Rate::parse(rate)?),
        min_amount: Some(Amount::parse_decimal_amount(min)?),
        max_amount: Some(Amount::parse_decimal_amount(max)?),
        customer_account_fields: fields,
        updated_at: UPDATED_AT.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_catalog_covers_section_9_3() {
        let c = Catalog::seeded().unwrap();
        for cur in ["USD", "EUR", "KZT"] {
            for t in [VOUCHER, DIRECT_TOP_UP] {
                assert!(
                    c.products().any(|p| p.product.currency_code == cur
                        && p.product.product_type == t
                        && p.product.is_available),
                    "{cur} {t}"
                );
            }
        }
        assert!(c.products().any(|p| !p.product.is_available));
        for p in c.products() {
            assert!(c.categories.iter().any(|k| k.id == p.product.category_id));
        }
    }
}
