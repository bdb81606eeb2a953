//! Discovers, through the API, what a load run needs: product ids, category ids, type
//! codes, and for orders a ready request body per orderable product with its expected
//! charge (contract §5.1). Ids are never hard-coded (§9.3).
//!
//! A direct top-up needs `customer_account` values that match the product's patterns:
//! each field is given the first of a few plausible values its pattern accepts (checked
//! with the JSON Schema `pattern` keyword, so no regex engine of our own). A product whose
//! required field none of them fits is left out, with a note.

use crate::apis::gate::client::GateClientExt as _;
use serde_json::{json, Value};

use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{ListPage, Product, ProductCategory, ProductType};
use crate::engine::client::ApiClient;
use crate::engine::spend::SpendGuard;
use crate::GateError;

/// One product the load can order, with its body (without `test`) and expected charge.
#[derive(Debug, Clone)]
pub struct Orderable {
    pub product_id: u64,
    pub currency: String,
    pub is_voucher: bool,
    /// `product_id`, `quantity` or `topup_request` — `test` is added per order.
    pub body: serde_json::Map<String, Value>,
    /// Expected charge of one order (voucher: agent_price × quantity is applied later).
    pub unit_charge: Amount,
}

impl Orderable {
    /// The expected charge of an order of `quantity` (vouchers) — §5.1.
    pub fn charge(&self, quantity: u32) -> Option<Amount> {
        if self.is_voucher {
            self.unit_charge.times(quantity)
        } else {
            Some(self.unit_charge)
        }
    }
}

/// What the catalog holds, as far as load needs it.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub product_ids: Vec<u64>,
    pub category_ids: Vec<u64>,
    pub type_codes: Vec<String>,
    pub vouchers: Vec<Orderable>,
    pub top_ups: Vec<Orderable>,
    /// Products left out and why (shown in the summary notes).
    pub notes: Vec<String>,
}

/// One quote (a test order) per orderable product before any real order: the catalog's
/// prices are claims, and the spend cap believes the larger of claim and quote.
/// Returns how many quotes were created.
pub async fn quote_all(client: &ApiClient, spend: &SpendGuard, catalog: &Catalog) -> u64 {
    let mut created = 0;
    for p in catalog.vouchers.iter().chain(&catalog.top_ups) {
        if crate::apis::gate::charge::quote(client, spend, &p.currency, p.unit_charge, &p.body)
            .await
        {
            created += 1;
        }
    }
    created
}

/// Walks the catalog lists of the target.
pub async fn discover(client: &ApiClient) -> Result<Catalog, GateError> {
    let products: Vec<Product> = walk(client, "/products").await?;
    let categories: Vec<ProductCategory> = walk(client, "/product-categories").await?;
    let types: Vec<ProductType> = walk(client, "/product-types").await?;
    let mut catalog = Catalog {
        product_ids: products.iter().map(|p| p.id).collect(),
        category_ids: categories.iter().map(|c| c.id).collect(),
        type_codes: types.into_iter().map(|t| t.code).collect(),
        ..Catalog::default()
    };
    if catalog.product_ids.is_empty() {
        return Err(GateError::Target(
            "the target's catalog is empty: load needs at least one product".into(),
        ));
    }
    for p in products.iter().filter(|p| p.is_available) {
        match orderable(p) {
            Ok(o) if o.is_voucher => catalog.vouchers.push(o),
            Ok(o) => catalog.top_ups.push(o),
            Err(why) => catalog
                .notes
                .push(format!("product {} not ordered: {why}", p.id)),
        }
    }
    Ok(catalog)
}

/// Every item of a list endpoint, following `next_cursor` (at most 1,000 pages).
async fn walk<T: serde::de::DeserializeOwned>(
    client: &ApiClient,
    list: &str,
) -> Result<Vec<T>, GateError> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut path = client.agent_path(list);
        path.push_str("?limit=100");
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(&url::form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>());
        }
        let ex = client
            .get(path)
            .send()
            .await
            .map_err(|e| GateError::Target(e.to_string()))?;
        if ex.status != 200 {
            return Err(GateError::Target(format!(
                "catalog discovery: GET {} answered {} ({})",
                ex.request.path,
                ex.status,
                ex.body_excerpt()
            )));
        }
        let page: ListPage<T> = serde_json::from_slice(&ex.body).map_err(|e| {
            GateError::Target(format!(
                "catalog discovery: GET {} is not a list page: {e}",
                ex.request.path
            ))
        })?;
        items.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(items),
        }
    }
    Err(GateError::Target(format!(
        "catalog discovery: {list} has more than 1000 pages"
    )))
}

/// The order body and expected charge for an available product.
fn orderable(p: &Product) -> Result<Orderable, String> {
    let mut body = serde_json::Map::new();
    body.insert("product_id".into(), json!(p.id));
    if p.is_voucher() {
        let price = p.agent_price.ok_or("voucher without agent_price")?;
        return Ok(Orderable {
            product_id: p.id,
            currency: p.currency_code.clone(),
            is_voucher: true,
            body,
            unit_charge: price,
        });
    }
    if !p.is_direct_top_up() {
        return Err(format!("unknown product type `{}`", p.product_type));
    }
    let rate = p.agent_rate.ok_or("top-up without agent_rate")?;
    let min = p.min_amount.ok_or("top-up without min_amount")?;
    let max = p.max_amount.ok_or("top-up without max_amount")?;
    let ten = Amount::from_minor(1000);
    let amount = if min <= ten && ten <= max { ten } else { min };
    if amount.is_zero() {
        return Err("min_amount is 0".into());
    }
    let mut account = serde_json::Map::new();
    for field in &p.customer_account_fields {
        match value_for(field.pattern.as_deref()) {
            Some(v) => {
                account.insert(field.name.clone(), Value::String(v.to_string()));
            }
            None if field.required => {
                return Err(format!(
                    "no sample value matches the pattern of required field `{}`",
                    field.name
                ))
            }
            None => {}
        }
    }
    body.insert(
        "topup_request".into(),
        json!({"amount": amount.to_string(), "customer_account": account}),
    );
    let charge = amount.times_rate(rate).ok_or("charge overflows")?;
    Ok(Orderable {
        product_id: p.id,
        currency: p.currency_code.clone(),
        is_voucher: false,
        body,
        unit_charge: charge,
    })
}

/// Plausible customer-account values, tried in order.
const CANDIDATES: [&str; 9] = [
    "player123",
    "user@example.com",
    "+14155550100",
    "14155550100",
    "12345678",
    "ABC12345",
    "player_123",
    "a1",
    "1",
];

fn value_for(pattern: Option<&str>) -> Option<&'static str> {
    let Some(pattern) = pattern else {
        return Some(CANDIDATES[0]);
    };
    // §10: a pattern must match the whole value; JSON Schema's `pattern` searches.
    let whole = format!("^(?:{pattern})$");
    let validator = jsonschema::validator_for(&json!({"type": "string", "pattern": whole})).ok()?;
    CANDIDATES
        .into_iter()
        .find(|c| validator.is_valid(&Value::String((*c).to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_a_value_the_pattern_accepts() {
        assert_eq!(value_for(Some("^[A-Za-z0-9_]{3,32}$")), Some("player123"));
        assert_eq!(value_for(Some("^[^@]+@[^@]+$")), Some("user@example.com"));
        assert_eq!(value_for(Some("^\\+[0-9]{8,15}$")), Some("+14155550100"));
        assert_eq!(value_for(Some("^zz$")), None);
        assert_eq!(value_for(None), Some("player123"));
    }
}
