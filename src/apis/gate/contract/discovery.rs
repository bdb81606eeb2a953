//! Discovers what the suite needs through the API itself (contract §9.3: never hard-code
//! ids): walks the catalog, the balance and the deposits, and picks a voucher, a direct
//! top-up (preferably one with a patterned account field), an unavailable product and the
//! currencies the agent holds. Also builds valid and invalid customer accounts from a
//! product's `customer_account_fields` by testing candidates against each `pattern`.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::context::{Ctx, NoResponse, Observed, Req};
use crate::apis::gate::money::{Amount, Rate};
use crate::apis::gate::wire::{AgentBalance, CustomerAccountField, Product};
use crate::engine::client::pages::{BadPage, Pages};
use crate::engine::dialect::PatternValues;

/// How a walk over a list's pages ended.
#[derive(Debug, Clone)]
pub enum WalkEnd {
    /// `next_cursor` was null.
    Complete,
    /// A page was not a 200 list envelope.
    BadPage(Arc<Observed>),
    /// More pages than the item count allows: the cursor never ends.
    Endless,
    NoResponse(NoResponse),
}

/// Every page of one list walked with one `limit`.
#[derive(Debug, Clone)]
pub struct Walk {
    pub path: String,
    pub limit: u32,
    pub items: Vec<Value>,
    pub pages: Vec<Arc<Observed>>,
    pub end: WalkEnd,
}

impl Walk {
    pub fn is_complete(&self) -> bool {
        matches!(self.end, WalkEnd::Complete)
    }

    /// The first page holding an item `is_it` picks (evidence for a finding about it).
    pub fn page_holding(&self, is_it: impl Fn(&Value) -> bool) -> Option<&Observed> {
        self.pages
            .iter()
            .find(|p| {
                p.json
                    .as_ref()
                    .and_then(|j| j.get("items")?.as_array())
                    .is_some_and(|items| items.iter().any(&is_it))
            })
            .map(Arc::as_ref)
    }
}

pub use crate::engine::client::pages::with_query;

/// Walks all pages of `path` with `limit` (0: the list takes no paging parameters, like
/// the balance, §6), following `next_cursor`, at most `max_pages`.
pub async fn walk(ctx: &Ctx<'_>, path: String, limit: u32, max_pages: usize) -> Walk {
    let mut walk = Walk {
        path: path.clone(),
        limit,
        items: Vec::new(),
        pages: Vec::new(),
        end: WalkEnd::Complete,
    };
    let mut pages = Pages::new(path, (limit > 0).then_some(limit), max_pages);
    while let Some(page_path) = pages.next_path() {
        let observed = match ctx.send(Req::get(page_path)).await {
            Ok(o) => o,
            Err(e) => {
                walk.end = WalkEnd::NoResponse(e);
                return walk;
            }
        };
        walk.pages.push(observed.clone());
        let body = observed.json.as_ref().filter(|_| observed.status() == 200);
        match pages.accept(body) {
            Ok(items) => walk.items.extend(items),
            Err(BadPage) => {
                walk.end = WalkEnd::BadPage(observed);
                return walk;
            }
        }
    }
    if pages.capped() {
        walk.end = WalkEnd::Endless;
    }
    walk
}

/// What the catalog and the agent's money look like.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub types: Walk,
    pub categories: Walk,
    pub products: Walk,
    pub deposits: Walk,
    pub balance: Walk,
    /// Products that parsed as the typed model (the others are the schema check's business).
    pub catalog: Vec<Product>,
    pub balances: Vec<AgentBalance>,
}

/// The largest page the contract allows (§1 Lists).
pub const MAX_LIMIT: u32 = 100;
/// Bound on pages per walk, so a cursor that never ends cannot hang the suite.
pub const MAX_PAGES: usize = 200;

impl Discovery {
    pub async fn run(ctx: &Ctx<'_>) -> Discovery {
        let (types, categories, products, deposits, balance) = futures::join!(
            walk(ctx, ctx.agent_path("/product-types"), MAX_LIMIT, MAX_PAGES),
            walk(
                ctx,
                ctx.agent_path("/product-categories"),
                MAX_LIMIT,
                MAX_PAGES
            ),
            walk(ctx, ctx.agent_path("/products"), MAX_LIMIT, MAX_PAGES),
            walk(ctx, ctx.agent_path("/deposits"), MAX_LIMIT, MAX_PAGES),
            walk(ctx, ctx.agent_path("/balance"), 0, 2),
        );
        let catalog = products
            .items
            .iter()
            .filter_map(|v| serde_json::from_value::<Product>(v.clone()).ok())
            .collect();
        let balances = balance
            .items
            .iter()
            .filter_map(|v| serde_json::from_value::<AgentBalance>(v.clone()).ok())
            .collect();
        Discovery {
            types,
            categories,
            products,
            deposits,
            balance,
            catalog,
            balances,
        }
    }

    pub fn available_in(&self, currency: &str) -> Option<Amount> {
        self.balances
            .iter()
            .find(|b| b.currency_code == currency)
            .map(|b| b.available)
    }

    fn held_first(&self, products: Vec<&Product>) -> Option<Product> {
        let held = |p: &&&Product| {
            self.available_in(&p.currency_code)
                .is_some_and(|a| a > Amount::ZERO)
        };
        products
            .iter()
            .find(held)
            .or(products.first())
            .map(|p| (*p).clone())
    }

    /// An available voucher, preferring a held currency and the lowest `agent_price`.
    pub fn voucher(&self) -> Option<Product> {
        let mut vouchers: Vec<&Product> = self
            .catalog
            .iter()
            .filter(|p| p.is_voucher() && p.is_available && p.agent_price.is_some())
            .collect();
        vouchers.sort_by_key(|p| p.agent_price);
        self.held_first(vouchers)
    }

    /// An available direct top-up for which a valid account can be built, preferring one
    /// with a required patterned field, then a held currency.
    pub fn topup(&self) -> Option<Product> {
        let usable: Vec<&Product> = self
            .catalog
            .iter()
            .filter(|p| {
                p.is_direct_top_up()
                    && p.is_available
                    && p.agent_rate.is_some()
                    && p.min_amount.is_some()
                    && p.max_amount.is_some()
                    && valid_account(p).is_some()
            })
            .collect();
        let patterned: Vec<&Product> = usable
            .iter()
            .copied()
            .filter(|p| patterned_field(p).is_some())
            .collect();
        self.held_first(patterned)
            .or_else(|| self.held_first(usable))
    }

    /// A product whose `is_available` is false.
    pub fn unavailable(&self) -> Option<Product> {
        self.catalog.iter().find(|p| !p.is_available).cloned()
    }

    /// An integer id no product has (the whole catalog was walked).
    pub fn unknown_product_id(&self) -> u64 {
        let max = self
            .products
            .items
            .iter()
            .filter_map(|p| p.get("id").and_then(Value::as_u64))
            .max()
            .unwrap_or(0);
        max.saturating_add(1_000_000)
    }

    /// A currency code different from `currency` (one the agent holds when possible).
    pub fn other_currency(&self, currency: &str) -> String {
        self.balances
            .iter()
            .map(|b| b.currency_code.clone())
            .chain(["USD", "EUR", "KZT"].map(String::from))
            .find(|c| c != currency)
            .unwrap_or_else(|| "EUR".to_string())
    }
}

/// The first required field of a product that has a pattern.
pub fn patterned_field(product: &Product) -> Option<&CustomerAccountField> {
    product
        .customer_account_fields
        .iter()
        .find(|f| f.required && f.pattern.is_some())
}

/// Candidate account values tried against a field's pattern.
const CANDIDATES: &[&str] = &[
    "player123",
    "gatecheck_user",
    "user@example.com",
    "abc",
    "ABC",
    "12345",
    "1234567890",
    "77011234567",
    "+77011234567",
    "a1b2c3",
    "User_01",
    "1",
    "a",
    "AB12CD34",
    "123456789012",
];

/// Values that rarely satisfy a pattern, tried to break one (printable ASCII: invalid
/// under every regex dialect when invalid under one, see `engine::dialect`).
const BREAKERS: &[&str] = &["!", "a b", "#$%^&*", "-", "", "___"];

/// The field's pattern, ready for dialect-safe values; `None` when it does not parse.
fn values_of(pattern: &str) -> Option<PatternValues> {
    PatternValues::new(pattern).ok()
}

/// A value matching the field's pattern in every regex dialect (any non-empty string
/// without one); `None` when there is none (the caller skips, citing
/// [`crate::engine::dialect::NO_SAFE_VALUE`]).
pub fn value_for(field: &CustomerAccountField) -> Option<String> {
    let Some(pattern) = &field.pattern else {
        return Some("gatecheck".to_string());
    };
    values_of(pattern)?.valid_value(CANDIDATES.iter().copied())
}

/// A value not matching the field's pattern in any regex dialect.
pub fn value_against(field: &CustomerAccountField) -> Option<String> {
    values_of(field.pattern.as_ref()?)?.invalid_value(BREAKERS.iter().copied())
}

/// A `customer_account` satisfying every required field.
pub fn valid_account(product: &Product) -> Option<Map<String, Value>> {
    let mut account = Map::new();
    for field in product
        .customer_account_fields
        .iter()
        .filter(|f| f.required)
    {
        account.insert(field.name.clone(), Value::String(value_for(field)?));
    }
    Some(account)
}

/// An amount inside `[min, max]` whose charge at `rate` exercises half-up rounding (the
/// exact product ends in a 5 at the third decimal) when one exists near `min`.
pub fn half_up_amount(min: Amount, max: Amount, rate: Rate) -> Amount {
    let hundred = rust_decimal::Decimal::from(100);
    let mut minor = min.minor().max(1);
    let top = max.minor().min(minor.saturating_add(5_000));
    while minor <= top {
        let amount = Amount::from_minor(minor);
        let scaled = amount.decimal() * rate.decimal() * hundred;
        if scaled.fract() == rust_decimal::Decimal::new(5, 1) {
            return amount;
        }
        minor += 1;
    }
    min.max(Amount::from_minor(1)).min(max)
}

/// A valid order body for a top-up (`test` as given).
pub fn topup_body(product: &Product, amount: Amount, test: bool) -> Value {
    json!({
        "product_id": product.id,
        "topup_request": {
            "amount": amount.to_string(),
            "customer_account": valid_account(product).unwrap_or_default(),
        },
        "test": test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_for_and_against_a_pattern() {
        let field = CustomerAccountField {
            name: "steam_login".into(),
            required: true,
            pattern: Some("[A-Za-z0-9_]{3,32}".into()),
        };
        let good = value_for(&field).unwrap();
        let bad = value_against(&field).unwrap();
        let m = PatternValues::new("[A-Za-z0-9_]{3,32}").unwrap();
        assert!(m.valid_everywhere(&good));
        assert!(m.invalid_everywhere(&bad));
    }

    #[test]
    fn picks_an_amount_that_rounds_half_up() {
        let rate = Rate::parse("1.2500").unwrap();
        let a = half_up_amount(
            Amount::parse_decimal_amount("1.00").unwrap(),
            Amount::parse_decimal_amount("500.00").unwrap(),
            rate,
        );
        assert_eq!(a.to_string(), "1.02"); // 1.02 × 1.25 = 1.275 → 1.28
        assert_eq!(a.times_rate(rate).unwrap().to_string(), "1.28");
    }
}
