//! The Gate's scenario transaction kinds (contract §4–§7): what a `[[transaction]]` of
//! `scenarios/gate/*.toml` may say, checked with file:line:field errors. The file's shell
//! (`name`, `[load]`, names, weights) is the engine's (`crate::engine::load::scenario`).

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::engine::load::scenario::{self as shell, SpanContext, TransactionKind};
pub use crate::engine::load::scenario::{ScenarioDefaults, ScenarioError, ThinkTime};

/// A Gate scenario.
pub type Scenario = shell::Scenario<Action>;
/// One named, weighted Gate transaction.
pub type TransactionSpec = shell::TransactionSpec<Action>;

/// Reads and validates a Gate scenario file, or a built-in scenario by name (`mixed`)
/// when no such file exists.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    shell::load_file_or_embedded(path, EMBEDDED)
}

/// The scenarios built into gatecheck, by name: `--scenario mixed` (or `scenario =
/// "mixed"` in gatecheck.toml) works from any folder.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "mixed",
        include_str!("../../../../scenarios/gate/mixed.toml"),
    ),
    (
        "orders",
        include_str!("../../../../scenarios/gate/orders.toml"),
    ),
    (
        "catalog",
        include_str!("../../../../scenarios/gate/catalog.toml"),
    ),
];

/// A built-in scenario's text by name.
pub fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Parses and validates Gate scenario text; `path` only names the source in errors.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    shell::parse(path, text)
}

/// Which kind of product an order is for; chosen from the live catalog at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductChoice {
    Voucher,
    TopUp,
    Any,
}

/// Filters for `list_products`; `category = "any"` picks a discovered category at random.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilters {
    pub product_type: Option<String>,
    pub any_category: bool,
    pub region_code: Option<String>,
    pub is_available: Option<bool>,
}

/// What a transaction does (contract §4–§7).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    ListProductTypes {
        limit: Option<u32>,
    },
    ListCategories {
        limit: Option<u32>,
    },
    ListProducts {
        filters: ProductFilters,
        limit: Option<u32>,
    },
    GetProduct,
    GetBalance,
    /// A fresh `Idempotency-Key` per order; real unless `force_test` or the spend policy
    /// says otherwise.
    CreateOrder {
        product: ProductChoice,
        quantity: u32,
        force_test: bool,
    },
    /// Polls this user's latest order until `completed`/`failed`.
    PollOrder {
        interval: Duration,
        timeout: Duration,
    },
    /// Re-sends this user's latest create request with the same key and body.
    ReplayOrder,
    ListOrders {
        limit: Option<u32>,
    },
    ListDeposits {
        limit: Option<u32>,
    },
}

impl Action {
    /// The expected success status of the request that ends the transaction.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Action::ListProductTypes { .. } => "list_product_types",
            Action::ListCategories { .. } => "list_categories",
            Action::ListProducts { .. } => "list_products",
            Action::GetProduct => "get_product",
            Action::GetBalance => "get_balance",
            Action::CreateOrder { .. } => "create_order",
            Action::PollOrder { .. } => "poll_order",
            Action::ReplayOrder => "replay_order",
            Action::ListOrders { .. } => "list_orders",
            Action::ListDeposits { .. } => "list_deposits",
        }
    }
}

const KINDS: &str = "list_product_types, list_categories, list_products, get_product, \
get_balance, create_order, poll_order, replay_order, list_orders, list_deposits";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransaction {
    name: Spanned<String>,
    kind: Spanned<String>,
    weight: Option<Spanned<i64>>,
    limit: Option<Spanned<i64>>,
    filters: Option<Spanned<RawFilters>>,
    product: Option<Spanned<String>>,
    quantity: Option<Spanned<i64>>,
    test_orders: Option<Spanned<bool>>,
    poll_interval: Option<Spanned<String>>,
    poll_timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilters {
    #[serde(rename = "type")]
    product_type: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    region_code: Option<Spanned<String>>,
    is_available: Option<bool>,
}

impl TransactionKind for Action {
    type Raw = RawTransaction;

    fn common(raw: &RawTransaction) -> (&Spanned<String>, Option<&Spanned<i64>>) {
        (&raw.name, raw.weight.as_ref())
    }

    fn parse(ctx: &SpanContext<'_>, i: usize, t: &RawTransaction) -> Result<Action, ScenarioError> {
        let at = |f: &str| format!("transaction[{i}].{f}");
        let limit = t
            .limit
            .as_ref()
            .map(|l| ctx.positive(l, &at("limit"), 100).map(|v| v as u32))
            .transpose()?;
        let kind = t.kind.get_ref().as_str();
        // Fields each kind accepts, besides name/kind/weight.
        let allowed: &[&str] = match kind {
            "list_product_types" | "list_categories" | "list_orders" | "list_deposits" => {
                &["limit"]
            }
            "list_products" => &["limit", "filters"],
            "get_product" | "get_balance" | "replay_order" => &[],
            "create_order" => &["product", "quantity", "test_orders"],
            "poll_order" => &["poll_interval", "poll_timeout"],
            other => {
                return Err(ctx.error(
                    t.kind.span(),
                    &at("kind"),
                    &format!("unknown kind `{other}`; expected one of {KINDS}"),
                ))
            }
        };
        let present: [(&str, Option<Range<usize>>); 7] = [
            ("limit", t.limit.as_ref().map(|v| v.span())),
            ("filters", t.filters.as_ref().map(|v| v.span())),
            ("product", t.product.as_ref().map(|v| v.span())),
            ("quantity", t.quantity.as_ref().map(|v| v.span())),
            ("test_orders", t.test_orders.as_ref().map(|v| v.span())),
            ("poll_interval", t.poll_interval.as_ref().map(|v| v.span())),
            ("poll_timeout", t.poll_timeout.as_ref().map(|v| v.span())),
        ];
        ctx.only_allowed(i, kind, allowed, &present)?;
        let action = match kind {
            "list_product_types" => Action::ListProductTypes { limit },
            "list_categories" => Action::ListCategories { limit },
            "list_orders" => Action::ListOrders { limit },
            "list_deposits" => Action::ListDeposits { limit },
            "get_product" => Action::GetProduct,
            "get_balance" => Action::GetBalance,
            "replay_order" => Action::ReplayOrder,
            "list_products" => Action::ListProducts {
                filters: match &t.filters {
                    Some(f) => filters(ctx, i, f.get_ref())?,
                    None => ProductFilters::default(),
                },
                limit,
            },
            "create_order" => {
                let product = match &t.product {
                    None => ProductChoice::Any,
                    Some(p) => match p.get_ref().as_str() {
                        "voucher" => ProductChoice::Voucher,
                        "top_up" | "direct_top_up" => ProductChoice::TopUp,
                        "any" => ProductChoice::Any,
                        other => {
                            return Err(ctx.error(
                                p.span(),
                                &at("product"),
                                &format!("`{other}`: expected `voucher`, `top_up` or `any`"),
                            ))
                        }
                    },
                };
                let quantity = match &t.quantity {
                    Some(q) => ctx.positive(q, &at("quantity"), 100)? as u32,
                    None => 1,
                };
                Action::CreateOrder {
                    product,
                    quantity,
                    force_test: t.test_orders.as_ref().is_some_and(|b| *b.get_ref()),
                }
            }
            _ => {
                let (interval, timeout) =
                    ctx.poll_settings(i, t.poll_interval.as_ref(), t.poll_timeout.as_ref())?;
                Action::PollOrder { interval, timeout }
            }
        };
        Ok(action)
    }
}

fn filters(
    ctx: &SpanContext<'_>,
    i: usize,
    f: &RawFilters,
) -> Result<ProductFilters, ScenarioError> {
    let at = |k: &str| format!("transaction[{i}].filters.{k}");
    let any_category = match &f.category {
        None => false,
        Some(c) if c.get_ref() == "any" => true,
        Some(c) => {
            return Err(ctx.error(
                c.span(),
                &at("category"),
                "only `any` (a category discovered from the live catalog) is accepted: \
                 ids are never hard-coded",
            ))
        }
    };
    if let Some(r) = &f.region_code {
        let v = r.get_ref();
        let ok = v == "GLOBAL" || (v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()));
        if !ok {
            return Err(ctx.error(
                r.span(),
                &at("region_code"),
                &format!("`{v}` is neither GLOBAL nor a 2-letter capital code"),
            ));
        }
    }
    if let Some(t) = &f.product_type {
        if t.get_ref().is_empty() {
            return Err(ctx.error(t.span(), &at("type"), "must not be empty"));
        }
    }
    Ok(ProductFilters {
        product_type: f.product_type.as_ref().map(|t| t.get_ref().clone()),
        any_category,
        region_code: f.region_code.as_ref().map(|r| r.get_ref().clone()),
        is_available: f.is_available,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Scenario, ScenarioError> {
        parse(Path::new("s.toml"), s)
    }

    #[test]
    fn a_good_scenario_parses() {
        let s = parse_str(
            "name = \"x\"\n[load]\nusers = 3\nthink_time = \"10ms..20ms\"\nrate = 5.0\n\
             [[transaction]]\nname = \"gp\"\nkind = \"get_product\"\nweight = 2\n\
             [[transaction]]\nname = \"lp\"\nkind = \"list_products\"\n\
             filters = { type = \"voucher\", is_available = true }\n",
        )
        .expect("valid");
        assert_eq!(s.load.users, Some(3));
        assert_eq!(s.load.rate, Some(5.0));
        assert_eq!(s.transactions[0].weight, 2);
        assert!(matches!(
            s.transactions[1].action,
            Action::ListProducts { .. }
        ));
    }

    #[test]
    fn a_wrong_type_names_file_line_and_field() {
        let e = parse_str(
            "[load]\nusers = \"many\"\n[[transaction]]\nname=\"a\"\nkind=\"get_balance\"\n",
        )
        .expect_err("bad");
        assert_eq!((e.line, e.field.as_str()), (2, "load.users"), "{e}");
        assert!(e.to_string().starts_with("s.toml:2:"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_there_is_named_with_the_built_in_names() {
        let e = load_file(Path::new("no/such/scenario.toml")).expect_err("missing");
        let text = e.to_string();
        assert!(
            text.starts_with("no/such/scenario.toml: cannot read the file: "),
            "{text}"
        );
        assert!(
            text.ends_with("the built-in scenarios are mixed, orders, catalog"),
            "{text}"
        );
        assert!(load_file(Path::new("orders")).is_ok(), "a built-in by name");
    }

    #[test]
    fn an_unknown_field_is_named() {
        let e = parse_str("[[transaction]]\nname=\"a\"\nkind=\"get_balance\"\nwieght = 3\n")
            .expect_err("bad");
        assert_eq!(e.field, "transaction[0].wieght", "{e}");
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn semantic_errors_point_at_the_value() {
        let e = parse_str(
            "[[transaction]]\nname=\"a\"\nkind=\"get_balance\"\n[[transaction]]\nname=\"b\"\nkind=\"create_order\"\nquantity = 0\n",
        )
        .expect_err("bad");
        assert_eq!(
            (e.line, e.field.as_str()),
            (7, "transaction[1].quantity"),
            "{e}"
        );
        let e = parse_str("[[transaction]]\nname=\"a\"\nkind=\"teleport\"\n").expect_err("bad");
        assert_eq!(
            (e.line, e.field.as_str()),
            (3, "transaction[0].kind"),
            "{e}"
        );
        let e = parse_str("[[transaction]]\nname=\"a\"\nkind=\"get_balance\"\nlimit=5\n")
            .expect_err("bad");
        assert_eq!(e.field, "transaction[0].limit", "{e}");
    }

    #[test]
    fn duplicate_names_are_refused() {
        let e = parse_str(
            "[[transaction]]\nname=\"a\"\nkind=\"get_balance\"\n[[transaction]]\nname=\"a\"\nkind=\"get_product\"\n",
        )
        .expect_err("dup");
        assert_eq!(
            (e.line, e.field.as_str()),
            (5, "transaction[1].name"),
            "{e}"
        );
    }
}
