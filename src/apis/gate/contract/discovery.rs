//! Discovers what the suite needs through the API itself (contract §9.3: never hard-code
//! ids): walks the catalog, the balance and the deposits, and picks a voucher, a direct
//! top-up (preferably one with a patterned account field), an unavailable product and the
//! currencies the agent holds. What can be ordered, and with which dialect-safe customer
//! accounts, is the Gate's one catalog rule (`apis::gate::catalog`); this module keeps
//! the walk, whose pages are the evidence of findings.

use std::sync::Arc;

use serde_json::Value;

use super::context::{Ctx, NoResponse, Observed, Req};
use crate::apis::gate::catalog::{self, FieldRule, Orderable};
use crate::apis::gate::money::Amount;
use crate::apis::gate::wire::{AgentBalance, Product};
use crate::engine::client::pages::{BadPage, Pages};

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
    /// The order rules of each product of `catalog`, in the same order, made once: a
    /// patterned field's dialect-safe values cost a compile per regex dialect.
    rules: Vec<Option<Orderable>>,
    pub balances: Vec<AgentBalance>,
}

pub use crate::apis::gate::catalog::MAX_LIMIT;
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
        let catalog: Vec<Product> = products
            .items
            .iter()
            .filter_map(|v| serde_json::from_value::<Product>(v.clone()).ok())
            .collect();
        let rules = catalog.iter().map(|p| Orderable::of(p).ok()).collect();
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
            rules,
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

    /// The catalog's products that can be ordered (`apis::gate::catalog`), with their rules.
    fn orderable(&self) -> impl Iterator<Item = (&Product, &Orderable)> {
        self.catalog
            .iter()
            .zip(&self.rules)
            .filter(|(p, _)| p.is_available)
            .filter_map(|(p, rules)| Some((p, rules.as_ref()?)))
    }

    /// The order rules of `product` (available or not), when it has usable ones.
    pub fn rules_of(&self, product: &Product) -> Option<&Orderable> {
        let at = self.catalog.iter().position(|p| p.id == product.id)?;
        self.rules[at].as_ref()
    }

    /// The first required field of `product` that has a pattern, with its rule.
    pub fn patterned_field(&self, product: &Product) -> Option<&FieldRule> {
        self.rules_of(product)?.patterned_field()
    }

    /// A valid order body for a top-up of `amount` (`test` as given): its required
    /// fields with values valid in every regex dialect (an empty account when the
    /// product's fields have none usable).
    pub fn topup_body(&self, product: &Product, amount: Amount, test: bool) -> Value {
        let account = self
            .rules_of(product)
            .map(Orderable::account)
            .unwrap_or_default();
        let mut body = serde_json::Map::new();
        body.insert("product_id".into(), product.id.into());
        body.insert(
            "topup_request".into(),
            catalog::topup_request(amount, account),
        );
        body.insert("test".into(), test.into());
        Value::Object(body)
    }

    /// An available voucher, preferring a held currency and the lowest `agent_price`.
    pub fn voucher(&self) -> Option<Product> {
        let mut vouchers: Vec<&Product> = self
            .orderable()
            .filter(|(_, o)| o.is_voucher())
            .map(|(p, _)| p)
            .collect();
        vouchers.sort_by_key(|p| p.agent_price);
        self.held_first(vouchers)
    }

    /// An available direct top-up that can be ordered, preferring one with a required
    /// patterned field, then a held currency.
    pub fn topup(&self) -> Option<Product> {
        let usable: Vec<(&Product, &Orderable)> =
            self.orderable().filter(|(_, o)| !o.is_voucher()).collect();
        let patterned: Vec<&Product> = usable
            .iter()
            .filter(|(_, o)| o.patterned_field().is_some())
            .map(|(p, _)| *p)
            .collect();
        self.held_first(patterned)
            .or_else(|| self.held_first(usable.iter().map(|(p, _)| *p).collect()))
    }

    /// A product whose `is_available` is false.
    pub fn unavailable(&self) -> Option<Product> {
        self.catalog.iter().find(|p| !p.is_available).cloned()
    }

    /// An integer id no product has (the whole catalog was walked).
    pub fn unknown_product_id(&self) -> u64 {
        catalog::unknown_id(&self.products.items)
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
