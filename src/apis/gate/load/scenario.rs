//! Load scenarios as data: a `scenarios/*.toml` file → a validated [`Scenario`].
//!
//! ```toml
//! name = "catalog"
//! [load]
//! users = 20              # concurrent users (closed model)
//! ramp = "2s"             # time to start them all
//! think_time = "50ms..200ms"
//! # rate = 200            # optional: open model, transactions/s (CO-corrected)
//! [[transaction]]
//! name = "get_product"
//! kind = "get_product"
//! weight = 5
//! ```
//!
//! Every mistake is reported as `FILE:LINE:COLUMN: field `PATH`: what is wrong`, using the
//! spans the `toml` crate keeps. **Invariant:** this module knows nothing about goose or
//! HTTP; it only turns text into a plan or a precise error.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// A scenario file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: field `{field}`: {message}", file.display())]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted path of the offending field, e.g. `transaction[2].weight`.
    pub field: String,
    pub message: String,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub source: PathBuf,
    pub load: LoadSettings,
    pub transactions: Vec<TransactionSpec>,
}

/// The scenario's defaults for the run shape; command-line flags override each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadSettings {
    pub users: Option<u64>,
    pub ramp: Option<Duration>,
    pub run_time: Option<Duration>,
    pub think_time: Option<ThinkTime>,
    /// Open model: transactions started per second, on a fixed schedule.
    pub rate: Option<f64>,
}

/// A random pause between a user's transactions, uniform in `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThinkTime {
    pub min: Duration,
    pub max: Duration,
}

/// One named, weighted transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionSpec {
    /// `[a-z0-9_]+`, unique in the scenario; used as the histogram tag.
    pub name: String,
    pub weight: u32,
    pub action: Action,
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
struct RawScenario {
    name: Option<Spanned<String>>,
    description: Option<String>,
    load: Option<RawLoad>,
    #[serde(default, rename = "transaction")]
    transactions: Vec<Spanned<RawTransaction>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoad {
    users: Option<Spanned<i64>>,
    ramp: Option<Spanned<String>>,
    run_time: Option<Spanned<String>>,
    think_time: Option<Spanned<String>>,
    rate: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransaction {
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

/// Reads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    if let Some(text) = path.to_str().filter(|_| !path.exists()).and_then(embedded) {
        return parse(path, text);
    }
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        field: "-".into(),
        message: format!("cannot read the file: {e}"),
    })?;
    parse(path, &text)
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

/// Parses and validates scenario text; `path` only names the source in errors.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let ctx = Ctx { path, text };
    let raw: RawScenario = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
    let name = match &raw.name {
        Some(n) => {
            ctx.check_ident(n, "name")?;
            n.get_ref().clone()
        }
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into()),
    };
    let load = match &raw.load {
        Some(l) => ctx.load_settings(l)?,
        None => LoadSettings::default(),
    };
    if raw.transactions.is_empty() {
        return Err(ctx.error(
            0..0,
            "transaction",
            "at least one [[transaction]] is required",
        ));
    }
    let mut transactions = Vec::with_capacity(raw.transactions.len());
    for (i, t) in raw.transactions.iter().enumerate() {
        let spec = ctx.transaction(i, t.get_ref())?;
        if transactions
            .iter()
            .any(|s: &TransactionSpec| s.name == spec.name)
        {
            return Err(ctx.error(
                t.get_ref().name.span(),
                &format!("transaction[{i}].name"),
                &format!(
                    "`{}` is used by an earlier transaction; names must be unique",
                    spec.name
                ),
            ));
        }
        transactions.push(spec);
    }
    Ok(Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        source: path.to_path_buf(),
        load,
        transactions,
    })
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn error(&self, span: Range<usize>, field: &str, message: &str) -> ScenarioError {
        let (line, column) = line_col(self.text, span.start);
        ScenarioError {
            file: self.path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    /// A syntax or type error from the TOML layer: name the field from the message or
    /// from the key on the offending line, qualified by the enclosing table.
    fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let key = backticked_after(&message, "unknown field `")
            .or_else(|| backticked_after(&message, "missing field `"))
            .or_else(|| key_on_line(self.text, span.start));
        let table = table_path(self.text, span.start);
        let field = match (table.is_empty(), key) {
            (true, Some(k)) => k,
            (false, Some(k)) => format!("{table}.{k}"),
            (false, None) => table,
            (true, None) => "-".to_string(),
        };
        self.error(span, &field, &message)
    }

    fn check_ident(&self, s: &Spanned<String>, field: &str) -> Result<(), ScenarioError> {
        let v = s.get_ref();
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(())
        } else {
            Err(self.error(
                s.span(),
                field,
                &format!("`{v}` must be 1–64 characters of a-z, 0-9 and _"),
            ))
        }
    }

    fn duration(&self, s: &Spanned<String>, field: &str) -> Result<Duration, ScenarioError> {
        humantime::parse_duration(s.get_ref().trim()).map_err(|e| {
            self.error(
                s.span(),
                field,
                &format!(
                    "`{}` is not a duration like `250ms` or `2s`: {e}",
                    s.get_ref()
                ),
            )
        })
    }

    fn positive(&self, v: &Spanned<i64>, field: &str, max: i64) -> Result<u64, ScenarioError> {
        let n = *v.get_ref();
        if (1..=max).contains(&n) {
            Ok(n as u64)
        } else {
            Err(self.error(v.span(), field, &format!("{n} is outside 1..={max}")))
        }
    }

    fn load_settings(&self, l: &RawLoad) -> Result<LoadSettings, ScenarioError> {
        let users = l
            .users
            .as_ref()
            .map(|u| self.positive(u, "load.users", 100_000))
            .transpose()?;
        let ramp = l
            .ramp
            .as_ref()
            .map(|r| self.duration(r, "load.ramp"))
            .transpose()?;
        let run_time = l
            .run_time
            .as_ref()
            .map(|r| self.duration(r, "load.run_time"))
            .transpose()?;
        let think_time = l
            .think_time
            .as_ref()
            .map(|t| self.think_time(t))
            .transpose()?;
        let rate = match &l.rate {
            Some(r) if !(r.get_ref().is_finite() && *r.get_ref() > 0.0) => {
                return Err(self.error(r.span(), "load.rate", "must be a number > 0 (per second)"))
            }
            Some(r) => Some(*r.get_ref()),
            None => None,
        };
        Ok(LoadSettings {
            users,
            ramp,
            run_time,
            think_time,
            rate,
        })
    }

    fn think_time(&self, t: &Spanned<String>) -> Result<ThinkTime, ScenarioError> {
        let field = "load.think_time";
        let (min, max) = match t.get_ref().split_once("..") {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (t.get_ref().trim(), t.get_ref().trim()),
        };
        let parse = |s: &str| {
            humantime::parse_duration(s).map_err(|e| {
                self.error(
                    t.span(),
                    field,
                    &format!("`{s}` is not a duration (write `100ms` or `50ms..200ms`): {e}"),
                )
            })
        };
        let (min, max) = (parse(min)?, parse(max)?);
        if min > max {
            return Err(self.error(t.span(), field, "the minimum is above the maximum"));
        }
        Ok(ThinkTime { min, max })
    }

    fn transaction(&self, i: usize, t: &RawTransaction) -> Result<TransactionSpec, ScenarioError> {
        let at = |f: &str| format!("transaction[{i}].{f}");
        self.check_ident(&t.name, &at("name"))?;
        let weight = match &t.weight {
            Some(w) => self.positive(w, &at("weight"), 1000)? as u32,
            None => 1,
        };
        let limit = t
            .limit
            .as_ref()
            .map(|l| self.positive(l, &at("limit"), 100).map(|v| v as u32))
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
                return Err(self.error(
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
        for (field, span) in present {
            if let Some(span) = span {
                if !allowed.contains(&field) {
                    return Err(self.error(
                        span,
                        &at(field),
                        &format!("not accepted by kind `{kind}`"),
                    ));
                }
            }
        }
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
                    Some(f) => self.filters(i, f.get_ref())?,
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
                            return Err(self.error(
                                p.span(),
                                &at("product"),
                                &format!("`{other}`: expected `voucher`, `top_up` or `any`"),
                            ))
                        }
                    },
                };
                let quantity = match &t.quantity {
                    Some(q) => self.positive(q, &at("quantity"), 100)? as u32,
                    None => 1,
                };
                Action::CreateOrder {
                    product,
                    quantity,
                    force_test: t.test_orders.as_ref().is_some_and(|b| *b.get_ref()),
                }
            }
            _ => {
                let interval = match &t.poll_interval {
                    Some(d) => self.duration(d, &at("poll_interval"))?,
                    None => Duration::from_millis(50),
                };
                let timeout = match &t.poll_timeout {
                    Some(d) => self.duration(d, &at("poll_timeout"))?,
                    None => Duration::from_secs(10),
                };
                if interval.is_zero() {
                    let span = t.poll_interval.as_ref().map(|d| d.span()).unwrap_or(0..0);
                    return Err(self.error(span, &at("poll_interval"), "must be > 0"));
                }
                Action::PollOrder { interval, timeout }
            }
        };
        Ok(TransactionSpec {
            name: t.name.get_ref().clone(),
            weight,
            action,
        })
    }

    fn filters(&self, i: usize, f: &RawFilters) -> Result<ProductFilters, ScenarioError> {
        let at = |k: &str| format!("transaction[{i}].filters.{k}");
        let any_category = match &f.category {
            None => false,
            Some(c) if c.get_ref() == "any" => true,
            Some(c) => {
                return Err(self.error(
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
                return Err(self.error(
                    r.span(),
                    &at("region_code"),
                    &format!("`{v}` is neither GLOBAL nor a 2-letter capital code"),
                ));
            }
        }
        if let Some(t) = &f.product_type {
            if t.get_ref().is_empty() {
                return Err(self.error(t.span(), &at("type"), "must not be empty"));
            }
        }
        Ok(ProductFilters {
            product_type: f.product_type.as_ref().map(|t| t.get_ref().clone()),
            any_category,
            region_code: f.region_code.as_ref().map(|r| r.get_ref().clone()),
            is_available: f.is_available,
        })
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_string())
}

/// The key on the line holding `offset` (`key = value`), if any.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let start = floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// The table enclosing `offset`, e.g. `load` or `transaction[1].filters`.
fn table_path(text: &str, offset: usize) -> String {
    let end = floor_char_boundary(text, offset.min(text.len()));
    let mut path = String::new();
    let mut transaction_index: Option<usize> = None;
    for line in text[..end].lines() {
        let l = line.trim();
        if l == "[[transaction]]" {
            transaction_index = Some(transaction_index.map_or(0, |i| i + 1));
            path = format!("transaction[{}]", transaction_index.unwrap_or(0));
        } else if let Some(sub) = l
            .strip_prefix("[transaction.")
            .and_then(|s| s.strip_suffix(']'))
        {
            path = format!("transaction[{}].{sub}", transaction_index.unwrap_or(0));
        } else if l.starts_with('[') && l.ends_with(']') {
            path = l.trim_matches(|c| c == '[' || c == ']').to_string();
        }
    }
    path
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
