//! The Gate's catalog, decided once for every phase (§4, §5.1, §9.3: ids are discovered,
//! never hard-coded). From the wire `Product`s it decides which products can be ordered
//! (an available voucher with an `agent_price`, an available direct top-up with a rate and
//! a sane range), each one's price rule (`pricing`, §5.1), each customer-account field's
//! rule with its dialect-safe valid and invalid values (`engine::dialect`), the ready order
//! body, and why each product left out was left out.
//!
//! The contract walks the lists itself (its walk carries evidence for findings) and asks
//! [`orderable`] about each product; the invariants and load share [`discover`] and keep a
//! thin view of [`Catalog`] (the invariants walk only the products: each request counts
//! against a rate-limited target).
//!
//! **Invariant:** every value handed out as valid is valid in every regex dialect, every
//! value handed out as invalid is invalid in every one; a required field with no such
//! value leaves its product out (with the reason) rather than risk a false alarm.

use serde_json::{json, Map, Value};

use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{CustomerAccountField, Product};
use crate::engine::client::pages::{BadPage, Pages};
use crate::engine::client::ApiClient;
use crate::engine::dialect::{PatternValues, NO_SAFE_VALUE};

pub use crate::apis::gate::pricing::PriceRule;

/// Plausible customer-account values, tried in order before a generated one.
const CANDIDATES: &[&str] = &[
    "player123",
    "user@example.com",
    "+14155550100",
    "14155550100",
    "12345678",
    "ABC12345",
    "player_123",
    "gatecheck_user",
    "abc",
    "ABC",
    "12345",
    "1234567890",
    "77011234567",
    "+77011234567",
    "a1b2c3",
    "User_01",
    "a1",
    "1",
    "a",
    "AB12CD34",
    "123456789012",
];

/// Values that rarely satisfy a pattern, tried first to break one.
const BREAKERS: &[&str] = &["!", "a b", "#$%^&*", "-", "", "___"];

/// The value of a field that has no pattern.
pub const PLAIN_VALUE: &str = "player123";

/// The top-up amount a ready body asks for (10.00), when the range allows it.
const READY_MINOR: i64 = 1_000;

/// The largest page the contract allows (§1 Lists).
pub const MAX_LIMIT: u32 = 100;

/// Bound on pages per list, so a cursor that never ends cannot hang a phase.
pub const MAX_PAGES: usize = 1_000;

/// Why a product is not ordered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeftOut {
    #[error("not available")]
    Unavailable,
    #[error("unknown product type `{0}`")]
    UnknownType(String),
    #[error("{kind} without {field}")]
    Missing {
        kind: &'static str,
        field: &'static str,
    },
    #[error("min_amount {min} is above max_amount {max}")]
    EmptyRange { min: Amount, max: Amount },
    #[error("max_amount is 0")]
    ZeroMax,
    #[error("the pattern of field `{field}` does not parse: {reason}")]
    BadPattern { field: String, reason: String },
    #[error("required field `{field}`: {NO_SAFE_VALUE}")]
    NoSafeValue { field: String },
}

/// One customer-account field: its pattern (whole-value match, §10) and its dialect-safe
/// values.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub name: String,
    pub required: bool,
    pub pattern: Option<String>,
    /// `None` when the field has no pattern.
    pub values: Option<PatternValues>,
}

impl FieldRule {
    /// The field's rule; refused when its pattern does not parse (no value could be
    /// judged) or it is required and no value is valid in every dialect.
    pub fn from_wire(f: &CustomerAccountField) -> Result<FieldRule, LeftOut> {
        let values = match &f.pattern {
            Some(p) => Some(PatternValues::new(p).map_err(|e| LeftOut::BadPattern {
                field: f.name.clone(),
                reason: e.reason,
            })?),
            None => None,
        };
        let rule = FieldRule {
            name: f.name.clone(),
            required: f.required,
            pattern: f.pattern.clone(),
            values,
        };
        if rule.required && rule.valid_value().is_none() {
            return Err(LeftOut::NoSafeValue {
                field: f.name.clone(),
            });
        }
        Ok(rule)
    }

    /// Whether `value` is valid for this field in every regex dialect.
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

    /// A value valid in every dialect: the first plausible candidate, else a generated
    /// one; `None` when there is none.
    pub fn valid_value(&self) -> Option<String> {
        match &self.values {
            Some(v) => v.valid_value(CANDIDATES.iter().copied()),
            None => Some(PLAIN_VALUE.to_string()),
        }
    }

    /// A value invalid in every dialect; `None` without a pattern (any string is valid)
    /// or when the pattern accepts every printable value tried.
    pub fn invalid_value(&self) -> Option<String> {
        self.values
            .as_ref()?
            .invalid_value(BREAKERS.iter().copied())
    }
}

/// A product that can be ordered, with everything an order of it needs.
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

    /// The largest charge of one valid order (vouchers: quantity 3, what the generators
    /// use at most; top-ups: `max_amount`).
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

    /// The required fields of the product, each with a value valid in every dialect.
    pub fn account(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .filter(|f| f.required)
            .filter_map(|f| Some((f.name.clone(), Value::String(f.valid_value()?))))
            .collect()
    }

    /// The first required field with a pattern (the one a pattern-breaking order targets).
    pub fn patterned_field(&self) -> Option<&FieldRule> {
        self.fields
            .iter()
            .find(|f| f.required && f.values.is_some())
    }

    /// The amount a ready top-up body asks for: 10.00 when the range holds it, else
    /// `min_amount` (at least 0.01); `None` for a voucher.
    pub fn ready_amount(&self) -> Option<Amount> {
        let ready = Amount::from_minor(READY_MINOR);
        match &self.price {
            PriceRule::TopUp { min, max, .. } if *min <= ready && ready <= *max => Some(ready),
            PriceRule::TopUp { min, .. } => Some((*min).max(Amount::from_minor(1))),
            PriceRule::Voucher { .. } => None,
        }
    }

    /// An order body without `quantity` and `test`: `product_id`, and for a top-up a
    /// `topup_request` of `amount` with [`Orderable::account`].
    pub fn body(&self, amount: Option<Amount>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("product_id".into(), json!(self.id));
        if let (PriceRule::TopUp { .. }, Some(amount)) = (&self.price, amount) {
            body.insert(
                "topup_request".into(),
                topup_request(amount, self.account()),
            );
        }
        body
    }

    /// The body of one ready order ([`Orderable::ready_amount`]).
    pub fn ready_body(&self) -> Map<String, Value> {
        self.body(self.ready_amount())
    }

    /// The charge of one ready order (§5.1); `None` on overflow.
    pub fn ready_charge(&self) -> Option<Amount> {
        self.price.charge(1, self.ready_amount())
    }
}

/// A top-up order's `topup_request` (§5.2): the amount asked for and the account.
pub fn topup_request(amount: Amount, account: Map<String, Value>) -> Value {
    json!({"amount": amount.to_string(), "customer_account": account})
}

/// Whether and how `p` can be ordered.
pub fn orderable(p: &Product) -> Result<Orderable, LeftOut> {
    if !p.is_available {
        return Err(LeftOut::Unavailable);
    }
    Orderable::of(p)
}

impl Orderable {
    /// The rules of `p` whether or not it is available (an order for an unavailable
    /// product must be valid in every other way to be refused for that reason alone).
    pub fn of(p: &Product) -> Result<Orderable, LeftOut> {
        rules(p)
    }
}

fn rules(p: &Product) -> Result<Orderable, LeftOut> {
    let missing = |kind, field| LeftOut::Missing { kind, field };
    let price = if p.is_voucher() {
        PriceRule::Voucher {
            agent_price: p.agent_price.ok_or(missing("voucher", "agent_price"))?,
        }
    } else if p.is_direct_top_up() {
        let rate = p.agent_rate.ok_or(missing("top-up", "agent_rate"))?;
        let min = p.min_amount.ok_or(missing("top-up", "min_amount"))?;
        let max = p.max_amount.ok_or(missing("top-up", "max_amount"))?;
        if min > max {
            return Err(LeftOut::EmptyRange { min, max });
        }
        if max.is_zero() {
            return Err(LeftOut::ZeroMax);
        }
        PriceRule::TopUp { rate, min, max }
    } else {
        return Err(LeftOut::UnknownType(p.product_type.clone()));
    };
    let fields = p
        .customer_account_fields
        .iter()
        .map(FieldRule::from_wire)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Orderable {
        id: p.id,
        name: p.name.clone(),
        currency: p.currency_code.clone(),
        price,
        fields,
    })
}

/// An integer id no listed item has (the whole list was walked).
pub fn unknown_id<'a>(items: impl IntoIterator<Item = &'a Value>) -> u64 {
    items
        .into_iter()
        .filter_map(|p| p.get("id").and_then(Value::as_u64))
        .max()
        .unwrap_or(0)
        .saturating_add(1_000_000)
}

/// The catalog as the phases use it.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Every listed product id (parsed or not: each was listed by the server).
    pub product_ids: Vec<u64>,
    pub category_ids: Vec<u64>,
    pub type_codes: Vec<String>,
    /// Products that parsed as the typed model, in list order.
    pub products: Vec<Product>,
    /// What can be ordered, by id.
    pub orderable: Vec<Orderable>,
    /// Available products left out, and why.
    pub left_out: Vec<(u64, LeftOut)>,
    /// The first product with `is_available: false`.
    pub unavailable: Option<u64>,
    /// An id no product has.
    pub unknown_id: u64,
}

impl Catalog {
    /// From the raw list items (products that do not parse are left out silently: the
    /// contract checks judge them, the phases only need usable ones).
    pub fn from_lists(products: &[Value], categories: &[Value], types: &[Value]) -> Catalog {
        let parsed: Vec<Product> = products
            .iter()
            .filter_map(|v| serde_json::from_value(v.clone()).ok())
            .collect();
        let mut catalog = Catalog {
            product_ids: products
                .iter()
                .filter_map(|p| p.get("id").and_then(Value::as_u64))
                .collect(),
            category_ids: categories
                .iter()
                .filter_map(|c| c.get("id").and_then(Value::as_u64))
                .collect(),
            type_codes: types
                .iter()
                .filter_map(|t| t.get("code").and_then(Value::as_str).map(str::to_string))
                .collect(),
            unknown_id: unknown_id(products),
            unavailable: parsed.iter().find(|p| !p.is_available).map(|p| p.id),
            ..Catalog::default()
        };
        for p in &parsed {
            match orderable(p) {
                Ok(o) => catalog.orderable.push(o),
                Err(LeftOut::Unavailable) => {}
                Err(why) => catalog.left_out.push((p.id, why)),
            }
        }
        catalog.orderable.sort_by_key(|o| o.id);
        catalog.products = parsed;
        catalog
    }

    /// One line per available product left out.
    pub fn notes(&self) -> Vec<String> {
        self.left_out
            .iter()
            .map(|(id, why)| format!("product {id} not ordered: {why}"))
            .collect()
    }
}

/// Why the catalog could not be read.
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
    #[error("GET {path}: {BadPage}")]
    NotAList { path: String },
    #[error("{path} has more than {MAX_PAGES} pages")]
    Endless { path: String },
}

/// Every item of one of the agent's lists (`/products`, …), following `next_cursor`.
pub async fn walk(client: &ApiClient, list: &str) -> Result<Vec<Value>, CatalogError> {
    let mut items = Vec::new();
    let mut pages = Pages::new(client.agent_path(list), Some(MAX_LIMIT), MAX_PAGES);
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
        items.extend(
            pages
                .accept(ex.json().as_ref())
                .map_err(|BadPage| CatalogError::NotAList { path })?,
        );
    }
    if pages.capped() {
        return Err(CatalogError::Endless {
            path: client.agent_path(list),
        });
    }
    Ok(items)
}

/// Which lists a discovery walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lists {
    /// `/products` only (what orders need: one request on a small catalog).
    Products,
    /// `/products`, `/product-categories` and `/product-types`.
    All,
}

/// Walks the target's lists, one after the other (a rate-limited target sees no burst).
pub async fn discover(client: &ApiClient, lists: Lists) -> Result<Catalog, CatalogError> {
    let products = walk(client, "/products").await?;
    let (categories, types) = match lists {
        Lists::Products => (Vec::new(), Vec::new()),
        Lists::All => (
            walk(client, "/product-categories").await?,
            walk(client, "/product-types").await?,
        ),
    };
    Ok(Catalog::from_lists(&products, &categories, &types))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::dialect::PatternValues;

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

    fn topup(id: u64, fields: Value) -> Value {
        json!({"id": id, "name": "T", "type": "direct_top_up", "category_id": 1,
            "currency_code": "KZT", "region_code": "KZ", "is_available": true,
            "price": null, "agent_price": null, "agent_rate": "1.0000", "min_amount": "5.00",
            "max_amount": "8.00", "customer_account_fields": fields,
            "updated_at": "2024-10-01T00:00:00Z"})
    }

    fn field(name: &str, required: bool, pattern: Option<&str>) -> CustomerAccountField {
        CustomerAccountField {
            name: name.into(),
            required,
            pattern: pattern.map(str::to_string),
        }
    }

    #[test]
    fn keeps_orderable_products_with_their_rules_and_ready_bodies() {
        let types = [json!({"id": 1, "code": "voucher", "name": "V"})];
        let cats = [json!({"id": 7, "name": "Games", "parent_id": null})];
        let c = Catalog::from_lists(&sample_products(), &cats, &types);
        assert_eq!(c.product_ids, vec![1, 2, 3]);
        assert_eq!(
            (c.category_ids.clone(), c.type_codes.clone()),
            (vec![7], vec!["voucher".to_string()])
        );
        assert_eq!(c.orderable.len(), 2);
        assert_eq!(c.unavailable, Some(3));
        assert_eq!(c.unknown_id, 1_000_003);
        assert!(c.left_out.is_empty(), "an unavailable product is no note");

        let v = &c.orderable[0];
        assert!(v.is_voucher());
        assert_eq!(Value::Object(v.ready_body()), json!({"product_id": 1}));
        assert_eq!(v.ready_charge(), Some(Amount::from_minor(950)));

        let t = &c.orderable[1];
        assert_eq!(
            Value::Object(t.ready_body()),
            json!({"product_id": 2, "topup_request": {"amount": "10.00",
                "customer_account": {"steam_login": "player123"}}})
        );
        assert_eq!(t.ready_charge(), Some(Amount::from_minor(1_250)));
        assert_eq!(
            t.patterned_field().map(|f| f.name.as_str()),
            Some("steam_login")
        );
        let login = &t.fields[0];
        assert!(login.accepts("player_1") && !login.accepts("ab") && !login.accepts("abc\u{1c}"));
        assert!(login.refuses(&login.invalid_value().unwrap()));
        assert!(t.fields[1].accepts("anything") && t.fields[1].invalid_value().is_none());
    }

    #[test]
    fn a_narrow_range_orders_its_minimum() {
        let c = Catalog::from_lists(&[topup(9, json!([]))], &[], &[]);
        assert_eq!(c.orderable[0].ready_amount(), Some(Amount::from_minor(500)));
    }

    #[test]
    fn products_left_out_say_why() {
        let mut broken = sample_products();
        broken[0]["agent_price"] = Value::Null;
        broken[1]["min_amount"] = json!("600.00");
        broken.push(topup(
            4,
            json!([{"name": "login", "required": true, "pattern": "^[а-я]+$"}]),
        ));
        broken.push(topup(
            5,
            json!([{"name": "opt", "required": false, "pattern": "(unclosed"}]),
        ));
        let mut odd = topup(6, json!([]));
        odd["type"] = json!("gift_card");
        broken.push(odd);
        broken.push(json!({"id": 77, "name": 5}));
        let c = Catalog::from_lists(&broken, &[], &[]);
        assert!(c.orderable.is_empty());
        let notes = c.notes();
        assert_eq!(notes.len(), 5, "{notes:?}");
        assert_eq!(
            notes[0],
            "product 1 not ordered: voucher without agent_price"
        );
        assert_eq!(
            notes[1],
            "product 2 not ordered: min_amount 600.00 is above max_amount 500.00"
        );
        assert!(notes[2].contains("`login`") && notes[2].contains("every regex dialect"));
        assert!(notes[3].contains("`opt`") && notes[3].contains("does not parse"));
        assert_eq!(
            notes[4],
            "product 6 not ordered: unknown product type `gift_card`"
        );
        assert_eq!(
            c.unknown_id, 1_000_077,
            "an unparsed product's id is still taken"
        );
    }

    #[test]
    fn hostile_amounts_are_no_panic() {
        let huge = "40000000000000000000000000000.00";
        let mut v = sample_products().remove(0);
        v["agent_price"] = json!(huge);
        let mut t = topup(8, json!([]));
        t["min_amount"] = json!(huge);
        t["max_amount"] = json!(huge);
        t["agent_rate"] = json!("9.9999");
        let c = Catalog::from_lists(&[v, t], &[], &[]);
        assert_eq!(c.orderable.len(), 2);
        let (v, t) = (&c.orderable[0], &c.orderable[1]);
        let huge = Amount::parse_decimal_amount(huge).unwrap();
        assert_eq!(v.max_charge(), huge, "× 3 overflows: the price itself");
        assert_eq!(t.ready_charge(), None, "the charge overflows");
        assert_eq!(t.max_charge(), huge);
    }

    /// `\d` is Unicode in Rust `regex`, .NET and Python 3 `str` patterns but ASCII in
    /// ECMA-262, RE2 and Java; `$` lets a trailing newline through in PCRE, Python and
    /// Java; `\s` differs on U+001C. A value drawn for such a pattern must be printable
    /// ASCII and matched, and an invalid value printable ASCII and unmatched.
    #[test]
    fn values_mean_the_same_in_every_dialect() {
        for (pattern, risky) in [
            (r"^\d{4,8}$", "١٢٣٤٥"),
            (r"^[0-9]{3}$", "123\n"),
            (r"^\S+$", "a\u{1c}b"),
            (r"^\w+$", "élan"),
        ] {
            let rule = FieldRule::from_wire(&field("f", true, Some(pattern))).unwrap();
            let good = rule.valid_value().unwrap();
            let bad = rule.invalid_value().unwrap();
            let m = PatternValues::new(pattern).unwrap();
            assert!(
                m.valid_everywhere(&good) && m.invalid_everywhere(&bad),
                "{pattern}"
            );
            assert!(
                !rule.accepts(risky),
                "{pattern}: {risky:?} is valid in one dialect only"
            );
            assert!(
                !rule.refuses(risky),
                "{pattern}: {risky:?} is invalid in one dialect only"
            );
        }
        // No candidate fits: the value is drawn from the pattern, still printable ASCII.
        let rule = FieldRule::from_wire(&field("f", true, Some(r"^Z\d{3}q$"))).unwrap();
        let v = rule.valid_value().unwrap();
        assert!(
            v.starts_with('Z') && v.ends_with('q') && v[1..4].bytes().all(|b| b.is_ascii_digit()),
            "{v}"
        );
    }
}
