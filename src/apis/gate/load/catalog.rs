//! What a load run needs from the catalog: product ids, category ids, type codes, and for
//! orders a ready request body per orderable product with its expected charge (§5.1). A
//! thin view of the Gate's one catalog discovery (`apis::gate::catalog`), which decides
//! what can be ordered and with which dialect-safe `customer_account` values; products
//! left out come with a note.

use serde_json::Value;

use crate::apis::gate::catalog;
use crate::apis::gate::money::Amount;
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
    /// The §5.1 rule the charge follows.
    pub price: catalog::PriceRule,
}

impl Orderable {
    /// The expected charge of an order of `quantity` (vouchers) — §5.1.
    pub fn charge(&self, quantity: u32) -> Option<Amount> {
        if self.is_voucher {
            self.price.charge(quantity, None)
        } else {
            Some(self.unit_charge)
        }
    }

    /// The load's view of an orderable product; `None` when its ready charge overflows.
    fn of(o: &catalog::Orderable) -> Option<Orderable> {
        Some(Orderable {
            product_id: o.id,
            currency: o.currency.clone(),
            is_voucher: o.is_voucher(),
            body: o.ready_body(),
            unit_charge: o.ready_charge()?,
            price: o.price.clone(),
        })
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

impl Catalog {
    /// The load's view of a discovered catalog.
    pub fn of(c: &catalog::Catalog) -> Catalog {
        let mut view = Catalog {
            product_ids: c.product_ids.clone(),
            category_ids: c.category_ids.clone(),
            type_codes: c.type_codes.clone(),
            notes: c.notes(),
            ..Catalog::default()
        };
        for o in &c.orderable {
            match Orderable::of(o) {
                Some(v) if v.is_voucher => view.vouchers.push(v),
                Some(v) => view.top_ups.push(v),
                None => view.notes.push(format!(
                    "product {} not ordered: its charge overflows",
                    o.id
                )),
            }
        }
        view
    }
}

/// One quote (a test order) per orderable product before any real order: the catalog's
/// prices are claims, and the spend cap believes the larger of claim and quote.
/// Returns how many quotes were created.
pub async fn quote_all(client: &ApiClient, spend: &SpendGuard, catalog: &Catalog) -> u64 {
    let orders: Vec<_> = catalog
        .vouchers
        .iter()
        .chain(&catalog.top_ups)
        .map(|p| (p.currency.as_str(), p.unit_charge, &p.body))
        .collect();
    crate::apis::gate::charge::quote_each(client, spend, &orders).await
}

/// Walks the catalog lists of the target.
pub async fn discover(client: &ApiClient) -> Result<Catalog, GateError> {
    let found = catalog::discover(client, catalog::Lists::All)
        .await
        .map_err(|e| GateError::Target(format!("catalog discovery: {e}")))?;
    if found.product_ids.is_empty() {
        return Err(GateError::Target(
            "the target's catalog is empty: load needs at least one product".into(),
        ));
    }
    Ok(Catalog::of(&found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::gate::catalog::tests::sample_products;
    use crate::engine::dialect::PatternValues;
    use serde_json::json;

    fn topup_with(pattern: &str) -> Value {
        let mut p = sample_products().remove(1);
        p["customer_account_fields"] =
            json!([{"name": "login", "required": true, "pattern": pattern}]);
        p
    }

    #[test]
    fn the_view_keeps_ready_bodies_and_charges() {
        let view = Catalog::of(&catalog::Catalog::from_lists(&sample_products(), &[], &[]));
        assert_eq!(view.product_ids, vec![1, 2, 3]);
        assert_eq!(view.vouchers.len(), 1);
        assert_eq!(view.vouchers[0].charge(3), Some(Amount::from_minor(2_850)));
        let t = &view.top_ups[0];
        assert_eq!(t.charge(7), Some(Amount::from_minor(1_250)));
        assert_eq!(
            t.body["topup_request"]["customer_account"],
            json!({"steam_login": "player123"})
        );
        assert!(view.notes.is_empty());
    }

    /// Load used to pick account values with the JSON Schema `pattern` keyword (one regex
    /// engine). Now every value comes from the shared field rule: printable ASCII that the
    /// pattern matches, where `\d`, `\w`, `\S` and `$` mean the same in every dialect; a
    /// required field no such value satisfies leaves its product out, with a note.
    #[test]
    fn load_bodies_hold_only_values_every_dialect_accepts() {
        for pattern in [r"^\d{4,8}$", r"^[0-9]{3}$", r"^\S{2,5}$", r"^\w+\.\w+$"] {
            let view = Catalog::of(&catalog::Catalog::from_lists(
                &[topup_with(pattern)],
                &[],
                &[],
            ));
            let login = view.top_ups[0].body["topup_request"]["customer_account"]["login"]
                .as_str()
                .unwrap()
                .to_string();
            let m = PatternValues::new(pattern).unwrap();
            assert!(m.valid_everywhere(&login), "{pattern}: {login:?}");
        }
        // Only a non-ASCII character completes a match: Unicode `\d` (Rust, .NET, Python)
        // and ASCII `\d` (ECMA-262, RE2, Java) no longer agree on what the value may be.
        let only_one_dialect = topup_with(r"^\d*[^\x00-\x7F]\d*$");
        let view = Catalog::of(&catalog::Catalog::from_lists(&[only_one_dialect], &[], &[]));
        assert!(view.top_ups.is_empty());
        assert!(
            view.notes[0].contains("product 2 not ordered: required field `login`"),
            "{:?}",
            view.notes
        );
    }
}
