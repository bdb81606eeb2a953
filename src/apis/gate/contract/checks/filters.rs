//! List filters of products (§4: `type`, `category_id`, `region_code`, `is_available`),
//! orders (§5.3: `status`, `external_ref`, `created_from`, `created_to`) and deposits
//! (§7: `status`, `currency_code`, `created_from`, `created_to`). Each
//! filtered list is walked to its end and judged two ways: every returned item satisfies
//! the filter, and every item *known* to match is present. An item is known when the
//! unfiltered list shows it, with the same filtered field, both before and after the
//! filtered walks: an order that completes (or a product that goes unavailable) meanwhile
//! is never blamed on the filter.
//!
//! Date bounds (§10) are inclusive at both ends and mean the same instant in any RFC 3339
//! offset: they are taken from items' own `created_at`, sent verbatim and re-written in
//! other offsets (same fractional digits), and compared as instants.
//!
//! Filter values are safe under any matching a server may use (equality, prefix,
//! `LIKE`, a regex): our own external_ref is `gatecheck-<hex>-…`, letters, digits and
//! hyphens only, unique to this run; status and currency values are plain capitals or
//! lower-case words.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::orders::CreationPhase;
use super::{excerpt, Check, Run, Skip};
use crate::apis::gate::contract::context::Ctx;
use crate::apis::gate::contract::discovery::{
    walk, with_query, Walk, WalkEnd, MAX_LIMIT, MAX_PAGES,
};
use crate::engine::model::{CheckResult, Finding};

pub const PRODUCTS: Check = Check::must(
    "products.filters",
    "§4 Catalog",
    "The type, category_id, region_code and is_available filters return exactly the matching products",
);
pub const ORDERS: Check = Check::must(
    "orders.filters",
    "§5.3 Order",
    "The status and external_ref filters return every matching order and only matching orders",
);
pub const DEPOSITS: Check = Check::must(
    "deposits.filters",
    "§7 Deposits",
    "The status and currency_code filters return every matching deposit and only matching deposits",
);
pub const CREATED_RANGE: Check = Check::must(
    "lists.created_range",
    "§10 Filters",
    "created_from/created_to bound orders and deposits inclusively, in any RFC 3339 offset",
);

/// Pages a filtered walk may take; past it only the returned items are judged.
const FILTER_PAGES: usize = 20;

/// Offsets (minutes east of UTC) a bound is re-written in: a half-hour zone east, a zone
/// west of UTC.
const EAST: i16 = 5 * 60 + 30;
const WEST: i16 = -8 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum List {
    Products,
    Orders,
    Deposits,
}

impl List {
    fn suffix(self) -> &'static str {
        match self {
            List::Products => "/products",
            List::Orders => "/orders",
            List::Deposits => "/deposits",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            List::Products => "product",
            List::Orders => "order",
            List::Deposits => "deposit",
        }
    }
}

/// What a filter asks of an item.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    /// The field equals this JSON value.
    Equals(&'static str, Value),
    /// `created_at` within these inclusive bounds.
    Created {
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    },
}

impl Want {
    /// Whether `item` satisfies it; `None` when the field cannot be read (the schema and
    /// format checks judge that).
    fn holds(&self, item: &Value) -> Option<bool> {
        match self {
            Want::Equals(field, want) => match item.get(*field) {
                None | Some(Value::Null) => Some(false),
                Some(v) if std::mem::discriminant(v) == std::mem::discriminant(want) => {
                    Some(v == want)
                }
                Some(_) => None,
            },
            Want::Created { from, to } => {
                let t = created(item)?;
                Some(from.is_none_or(|f| t >= f) && to.is_none_or(|x| t <= x))
            }
        }
    }

    /// An item shown exactly on the upper date bound with fewer than six fractional
    /// digits: its server may keep a finer time than it shows (a JavaScript `Date` over a
    /// microsecond column, Go's `time.RFC3339`), so leaving it out of `created_to=<its own
    /// created_at>` may be that hidden precision rather than an exclusive bound. Never
    /// blamed; a server that shows its full precision is judged at the bound. Assumed:
    /// six digits is full precision. A server that keeps nanoseconds but shows six would
    /// be blamed here, and allowing it would hide an exclusive bound on a µs server (the
    /// `created-to-exclusive` mutant): from outside the two look the same.
    fn hidden_precision_edge(&self, item: &Value) -> bool {
        let Want::Created { to: Some(to), .. } = self else {
            return false;
        };
        let Some(raw) = item.get("created_at").and_then(Value::as_str) else {
            return false;
        };
        created(item) == Some(*to) && fraction(raw).len() < 1 + 6
    }

    /// The field an item must keep across the reference walks to be "known".
    fn field(&self) -> &'static str {
        match self {
            Want::Equals(field, _) => field,
            Want::Created { .. } => "created_at",
        }
    }

    fn describe(&self) -> String {
        match self {
            Want::Equals(field, v) => format!("{field} = {v}"),
            Want::Created { from, to } => {
                let show = |t: &Option<OffsetDateTime>| {
                    t.and_then(|t| t.format(&Rfc3339).ok())
                        .unwrap_or_else(|| "-".into())
                };
                match (from, to) {
                    (Some(_), Some(_)) => {
                        format!("{} ≤ created_at ≤ {}", show(from), show(to))
                    }
                    (Some(_), None) => format!("created_at ≥ {}", show(from)),
                    _ => format!("created_at ≤ {}", show(to)),
                }
            }
        }
    }
}

/// One filtered list to walk and judge.
#[derive(Debug, Clone)]
struct Case {
    check: Check,
    list: List,
    query: Vec<(&'static str, String)>,
    want: Want,
}

impl Case {
    fn path(&self, ctx: &Ctx<'_>) -> String {
        self.query
            .iter()
            .fold(ctx.agent_path(self.list.suffix()), |p, (name, value)| {
                with_query(&p, name, value)
            })
    }

    /// `orders?status=completed` (values as sent, before encoding).
    fn describe(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(n, v)| format!("{n}={v}")).collect();
        format!(
            "{}?{}",
            self.list.suffix().trim_start_matches('/'),
            query.join("&")
        )
    }
}

/// The unfiltered list, walked before and after the filtered walks.
struct Reference<'w> {
    before: &'w Walk,
    after: &'w Walk,
}

impl Reference<'_> {
    /// Items shown by both walks with the same `field` and the same `updated_at` (when
    /// they have one), as seen before: a product whose `is_available` flipped and flipped
    /// back during the filtered walks shows the same field twice but a new `updated_at`,
    /// and is not judged.
    fn known<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        let seen = move |i: &'a Value| (i.get(field), i.get("updated_at"));
        let after: HashMap<String, (Option<&Value>, Option<&Value>)> = self
            .after
            .items
            .iter()
            .filter_map(|i| Some((id_of(i)?, seen(i))))
            .collect();
        self.before.items.iter().filter(move |i| {
            id_of(i).is_some_and(|id| after.get(&id).is_some_and(|v| *v == seen(i)))
        })
    }
}

fn id_of(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn created(item: &Value) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(item.get("created_at")?.as_str()?, &Rfc3339).ok()
}

/// The `.123` after the seconds of an RFC 3339 timestamp (empty when none).
fn fraction(raw: &str) -> &str {
    let Some(t) = raw.find(['T', 't']) else {
        return "";
    };
    let rest = &raw[t..];
    match rest.find('.') {
        Some(dot) => {
            let digits = rest[dot + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            &rest[dot..dot + 1 + digits]
        }
        None => "",
    }
}

/// `raw` (an RFC 3339 timestamp) written as the same instant at `minutes` east of UTC,
/// with the same fractional digits: `2024-11-01T10:00:00.5Z` at +05:30 is
/// `2024-11-01T15:30:00.5+05:30`.
pub fn at_offset(raw: &str, minutes: i16) -> Option<String> {
    let t = OffsetDateTime::parse(raw, &Rfc3339).ok()?;
    let local = t.to_offset(UtcOffset::from_whole_seconds(i32::from(minutes) * 60).ok()?);
    if !(0..=9999).contains(&local.year()) {
        return None;
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{sign}{:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute(),
        local.second(),
        fraction(raw),
        m / 60,
        m % 60
    ))
}

/// An external_ref safe under any matching (equality, prefix, `LIKE`, regex).
fn plain_ref(r: &str) -> bool {
    (1..=64).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn equals_cases(check: Check, list: List, field: &'static str, values: Vec<Value>) -> Vec<Case> {
    values
        .into_iter()
        .map(|v| Case {
            check,
            list,
            query: vec![(
                field,
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )],
            want: Want::Equals(field, v),
        })
        .collect()
}

/// The date cases of one list, from its items' own `created_at`: the newest as
/// `created_from`, the oldest as `created_to`, a middle one as both, verbatim and in other
/// offsets.
fn created_cases(list: List, items: &[Value]) -> Vec<Case> {
    let mut dated: Vec<(OffsetDateTime, &str)> = items
        .iter()
        .filter_map(|i| Some((created(i)?, i.get("created_at")?.as_str()?)))
        .collect();
    dated.sort_by_key(|(t, _)| *t);
    let (Some(oldest), Some(newest)) = (dated.first().copied(), dated.last().copied()) else {
        return Vec::new();
    };
    let mid = dated[dated.len() / 2];
    let case = |query: Vec<(&'static str, Option<String>)>, from, to| -> Option<Case> {
        Some(Case {
            check: CREATED_RANGE,
            list,
            query: query
                .into_iter()
                .map(|(n, v)| Some((n, v?)))
                .collect::<Option<_>>()?,
            want: Want::Created { from, to },
        })
    };
    let from = |(t, _): (OffsetDateTime, &str)| (Some(t), None);
    let to = |(t, _): (OffsetDateTime, &str)| (None, Some(t));
    let (f, t) = from(newest);
    let (f2, t2) = to(oldest);
    [
        case(vec![("created_from", Some(newest.1.to_string()))], f, t),
        case(vec![("created_from", at_offset(newest.1, EAST))], f, t),
        case(vec![("created_to", Some(oldest.1.to_string()))], f2, t2),
        case(vec![("created_to", at_offset(oldest.1, WEST))], f2, t2),
        case(
            vec![
                ("created_from", at_offset(mid.1, EAST)),
                ("created_to", at_offset(mid.1, WEST)),
            ],
            Some(mid.0),
            Some(mid.0),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Up to three distinct values of `field` that `ok` accepts, in order.
fn distinct(items: &[Value], field: &str, ok: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .filter_map(|i| i.get(field))
        .filter(|v| ok(v) && seen.insert(v.to_string()))
        .take(3)
        .cloned()
        .collect()
}

/// The ids of categories no category names as its `parent_id`.
fn leaf_categories(categories: Option<&[Value]>) -> BTreeSet<u64> {
    let Some(categories) = categories else {
        return BTreeSet::new();
    };
    let parents: BTreeSet<u64> = categories
        .iter()
        .filter_map(|c| c.get("parent_id")?.as_u64())
        .collect();
    categories
        .iter()
        .filter_map(|c| c.get("id")?.as_u64())
        .filter(|id| !parents.contains(id))
        .collect()
}

fn capitals(v: &Value, len: usize) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_uppercase()))
}

/// Every filter case, from the creation phase's own orders and the unfiltered lists.
fn cases(created: &CreationPhase, lists: &Lists<'_>) -> Vec<Case> {
    let words = |w: &[&str]| w.iter().map(|s| Value::from(*s)).collect::<Vec<_>>();
    let mut types = distinct(lists.products, "type", |v| {
        v.as_str()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    });
    // §10: an unknown type code yields an empty list.
    types.push(Value::from("gatecheck_no_such_type"));
    let mut out = equals_cases(PRODUCTS, List::Products, "type", types);
    out.extend(equals_cases(
        PRODUCTS,
        List::Products,
        "is_available",
        vec![Value::Bool(true), Value::Bool(false)],
    ));
    // Only leaf categories: the contract does not say whether a parent's id also matches
    // its subcategories' products, so a server may read it either way.
    let leaves = leaf_categories(lists.categories);
    out.extend(equals_cases(
        PRODUCTS,
        List::Products,
        "category_id",
        distinct(lists.products, "category_id", |v| {
            v.as_u64().is_some_and(|id| leaves.contains(&id))
        }),
    ));
    // §10 accepts a 2-capital-letter `region_code` filter; `GLOBAL` a server may refuse.
    out.extend(equals_cases(
        PRODUCTS,
        List::Products,
        "region_code",
        distinct(lists.products, "region_code", |v| capitals(v, 2)),
    ));
    out.extend(equals_cases(
        ORDERS,
        List::Orders,
        "status",
        words(&["pending", "completed", "failed"]),
    ));
    let mut refs: Vec<Value> = created
        .created
        .iter()
        .filter_map(|c| c.body.get("external_ref")?.as_str())
        .filter(|r| r.starts_with("gatecheck-") && plain_ref(r))
        .map(Value::from)
        .collect();
    refs.push(Value::from(format!(
        "gatecheck-absent-{}",
        uuid::Uuid::new_v4().simple()
    )));
    out.extend(equals_cases(ORDERS, List::Orders, "external_ref", refs));
    out.extend(equals_cases(
        DEPOSITS,
        List::Deposits,
        "status",
        words(&["pending", "completed", "rejected"]),
    ));
    out.extend(equals_cases(
        DEPOSITS,
        List::Deposits,
        "currency_code",
        distinct(lists.deposits, "currency_code", |v| capitals(v, 3)),
    ));
    out.extend(created_cases(List::Orders, lists.orders));
    out.extend(created_cases(List::Deposits, lists.deposits));
    out
}

/// The items of each unfiltered list, as first walked.
struct Lists<'a> {
    /// The categories, when their walk reached its end (else no category is a known leaf).
    categories: Option<&'a [Value]>,
    products: &'a [Value],
    orders: &'a [Value],
    deposits: &'a [Value],
}

/// Judges one filtered walk against its filter and the reference.
fn judge(case: &Case, w: &Walk, reference: &Reference<'_>) -> Vec<Finding> {
    let check = case.check;
    let what = case.describe();
    let noun = case.list.noun();
    match &w.end {
        WalkEnd::BadPage(o) => {
            return vec![check.finding(
                format!("{what} was refused"),
                "200 with the matching items",
                format!("{} {}", o.status(), o.error_code().unwrap_or("-")),
                Some(o.as_ref()),
            )]
        }
        WalkEnd::NoResponse(e) => return vec![check.no_response(e)],
        WalkEnd::Complete | WalkEnd::Endless => {}
    }
    let mut findings = Vec::new();
    let wrong: Vec<&Value> = w
        .items
        .iter()
        .filter(|i| case.want.holds(i) == Some(false))
        .collect();
    if let Some(first) = wrong.first() {
        let id = id_of(first).unwrap_or_default();
        let field = case.want.field();
        findings.push(check.finding(
            format!(
                "{what} returned {} {noun}(s) that do not match, e.g. {id}",
                wrong.len()
            ),
            format!("only {noun}s with {}", case.want.describe()),
            format!(
                "{noun} {id} with {field} {}",
                first.get(field).map(excerpt).unwrap_or_else(|| "absent".into())
            ),
            w.page_holding(|i| id_of(i).as_deref() == Some(id.as_str())),
        ));
    }
    if w.is_complete() {
        let got: HashSet<String> = w.items.iter().filter_map(id_of).collect();
        let missing: Vec<(String, String)> = reference
            .known(case.want.field())
            .filter(|i| case.want.holds(i) == Some(true))
            .filter(|i| !case.want.hidden_precision_edge(i))
            .filter_map(|i| {
                let id = id_of(i)?;
                let value = i.get(case.want.field()).map(excerpt).unwrap_or_default();
                (!got.contains(&id)).then_some((id, value))
            })
            .collect();
        if let Some((id, value)) = missing.first() {
            findings.push(check.finding(
                format!(
                    "{what} left out {} matching {noun}(s), e.g. {id}",
                    missing.len()
                ),
                format!(
                    "every {noun} with {} (the unfiltered list shows {id} with {} {value} before and after)",
                    case.want.describe(),
                    case.want.field()
                ),
                format!("{} {noun}s, without {id}", w.items.len()),
                w.pages.first().map(Arc::as_ref),
            ));
        }
    }
    findings
}

async fn reference(ctx: &Ctx<'_>, list: List) -> Walk {
    walk(ctx, ctx.agent_path(list.suffix()), MAX_LIMIT, MAX_PAGES).await
}

/// Why a list's filters cannot be judged, when its unfiltered walks did not complete.
fn unwalkable(list: List, r: &Reference<'_>) -> Option<Skip> {
    (!r.before.is_complete() || !r.after.is_complete()).then(|| {
        Skip(format!(
            "the unfiltered {} list could not be walked to its end",
            list.noun()
        ))
    })
}

pub async fn run(ctx: &Ctx<'_>, created: &CreationPhase, categories: &Walk) -> Vec<CheckResult> {
    let started = Instant::now();
    let references = || async {
        futures::join!(
            reference(ctx, List::Products),
            reference(ctx, List::Orders),
            reference(ctx, List::Deposits)
        )
    };
    let (products, orders, deposits) = references().await;
    let all = cases(
        created,
        &Lists {
            categories: categories
                .is_complete()
                .then_some(categories.items.as_slice()),
            products: &products.items,
            orders: &orders.items,
            deposits: &deposits.items,
        },
    );
    let walks = futures::future::join_all(
        all.iter()
            .map(|c| walk(ctx, c.path(ctx), MAX_LIMIT, FILTER_PAGES)),
    )
    .await;
    let (products_after, orders_after, deposits_after) = references().await;
    let reference_of = |list: List| match list {
        List::Products => (&products, &products_after),
        List::Orders => (&orders, &orders_after),
        List::Deposits => (&deposits, &deposits_after),
    };
    let mut findings: HashMap<&'static str, Vec<Finding>> = HashMap::new();
    let mut skipped: HashMap<&'static str, Skip> = HashMap::new();
    for (case, w) in all.iter().zip(&walks) {
        let (before, after) = reference_of(case.list);
        let r = Reference { before, after };
        match unwalkable(case.list, &r) {
            Some(skip) => {
                skipped.entry(case.check.id).or_insert(skip);
            }
            None => findings
                .entry(case.check.id)
                .or_default()
                .extend(judge(case, w, &r)),
        }
    }
    [PRODUCTS, ORDERS, DEPOSITS, CREATED_RANGE]
        .into_iter()
        .map(|check| {
            let run: Run = match (findings.remove(check.id), skipped.remove(check.id)) {
                (Some(found), _) => Ok(found),
                (None, Some(skip)) => Err(skip),
                (None, None) => Err(Skip(
                    "no order or deposit with a readable created_at to bound".into(),
                )),
            };
            check.result(run, started)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_leaf_categories_are_filter_values() {
        let categories = [
            serde_json::json!({"id": 1, "parent_id": null}),
            serde_json::json!({"id": 4, "parent_id": 1}),
            serde_json::json!({"id": 2, "parent_id": null}),
        ];
        assert_eq!(
            leaf_categories(Some(&categories)),
            BTreeSet::from([2, 4]),
            "a parent's id may match its subcategories' products on a correct server"
        );
        assert!(
            leaf_categories(None).is_empty(),
            "no complete walk, no known leaf"
        );
    }
    use serde_json::json;

    #[test]
    fn rewrites_a_timestamp_in_another_offset_keeping_its_digits() {
        assert_eq!(
            at_offset("2024-11-01T10:00:00.123456Z", EAST).as_deref(),
            Some("2024-11-01T15:30:00.123456+05:30")
        );
        assert_eq!(
            at_offset("2024-11-01T03:00:00Z", WEST).as_deref(),
            Some("2024-10-31T19:00:00-08:00")
        );
        assert_eq!(
            at_offset("2024-11-01T10:00:00.5+01:00", 0).as_deref(),
            Some("2024-11-01T09:00:00.5+00:00")
        );
        let a = OffsetDateTime::parse("2024-11-01T10:00:00.123456Z", &Rfc3339).unwrap();
        let b = at_offset("2024-11-01T10:00:00.123456Z", WEST).unwrap();
        assert_eq!(OffsetDateTime::parse(&b, &Rfc3339).unwrap(), a);
        assert_eq!(at_offset("yesterday", EAST), None);
    }

    #[test]
    fn an_item_on_the_upper_bound_shown_coarser_than_microseconds_is_not_judged() {
        let item = |raw: &str| json!({"id": "a", "created_at": raw});
        let at = |raw: &str| Want::Created {
            from: None,
            to: created(&item(raw)),
        };
        for coarse in ["2024-11-01T10:00:00Z", "2024-11-01T10:00:00.123Z"] {
            assert!(at(coarse).hidden_precision_edge(&item(coarse)), "{coarse}");
        }
        let fine = "2024-11-01T10:00:00.123456Z";
        assert!(!at(fine).hidden_precision_edge(&item(fine)));
        // Off the bound, or a lower bound, is judged as ever.
        assert!(!at(fine).hidden_precision_edge(&item("2024-11-01T10:00:00Z")));
        let from = Want::Created {
            from: created(&item(fine)),
            to: None,
        };
        assert!(!from.hidden_precision_edge(&item(fine)));
    }

    #[test]
    fn bounds_are_inclusive_instants() {
        let t = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
        let at = Want::Created {
            from: Some(t("2024-11-01T10:00:00.5Z")),
            to: Some(t("2024-11-01T10:00:00.5Z")),
        };
        assert_eq!(
            at.holds(&json!({"created_at": "2024-11-01T11:00:00.500+01:00"})),
            Some(true)
        );
        assert_eq!(
            at.holds(&json!({"created_at": "2024-11-01T10:00:00.501Z"})),
            Some(false)
        );
        assert_eq!(at.holds(&json!({"created_at": 5})), None);
        let r = Want::Equals("external_ref", Value::from("gatecheck-1"));
        assert_eq!(r.holds(&json!({"external_ref": null})), Some(false));
        assert_eq!(r.holds(&json!({"external_ref": "gatecheck-1"})), Some(true));
        let c = Want::Equals("category_id", json!(3));
        assert_eq!(c.holds(&json!({"category_id": 3})), Some(true));
        assert_eq!(c.holds(&json!({"category_id": 4})), Some(false));
        assert_eq!(c.holds(&json!({"category_id": "3"})), None);
    }

    #[test]
    fn known_items_kept_their_field_in_both_walks() {
        let w = |items: Vec<Value>| Walk {
            path: String::new(),
            limit: 100,
            items,
            pages: Vec::new(),
            end: WalkEnd::Complete,
        };
        let (before, after) = (
            w(vec![
                json!({"id": "a", "status": "pending"}),
                json!({"id": "b", "status": "completed"}),
            ]),
            w(vec![
                json!({"id": "a", "status": "completed"}),
                json!({"id": "b", "status": "completed"}),
                json!({"id": "c", "status": "completed"}),
            ]),
        );
        let r = Reference {
            before: &before,
            after: &after,
        };
        let known: Vec<String> = r.known("status").filter_map(id_of).collect();
        assert_eq!(known, vec!["b"]);
        // A product that flipped and flipped back shows the same field, a new updated_at.
        let (before, after) = (
            w(vec![
                json!({"id": 1, "is_available": true, "updated_at": "t1"}),
            ]),
            w(vec![
                json!({"id": 1, "is_available": true, "updated_at": "t3"}),
            ]),
        );
        let flipped = Reference {
            before: &before,
            after: &after,
        };
        assert_eq!(flipped.known("is_available").count(), 0);
        let case = Case {
            check: ORDERS,
            list: List::Orders,
            query: vec![("status", "completed".into())],
            want: Want::Equals("status", Value::from("completed")),
        };
        assert!(judge(
            &case,
            &w(vec![json!({"id": "b", "status": "completed"})]),
            &r
        )
        .is_empty());
        let left_out = judge(&case, &w(vec![]), &r);
        assert_eq!(left_out.len(), 1);
        assert!(left_out[0].message.contains("left out 1"));
        let extra = judge(&case, &w(vec![json!({"id": "a", "status": "pending"})]), &r);
        assert_eq!(extra.len(), 2);
    }

    #[test]
    fn date_cases_take_the_newest_oldest_and_middle_items() {
        let items = vec![
            json!({"id": "1", "created_at": "2024-11-01T10:00:02Z"}),
            json!({"id": "2", "created_at": "2024-11-01T10:00:01Z"}),
            json!({"id": "3", "created_at": "2024-11-01T10:00:00Z"}),
        ];
        let cases = created_cases(List::Orders, &items);
        let queries: Vec<String> = cases.iter().map(Case::describe).collect();
        assert_eq!(
            queries,
            vec![
                "orders?created_from=2024-11-01T10:00:02Z",
                "orders?created_from=2024-11-01T15:30:02+05:30",
                "orders?created_to=2024-11-01T10:00:00Z",
                "orders?created_to=2024-11-01T02:00:00-08:00",
                "orders?created_from=2024-11-01T15:30:01+05:30&created_to=2024-11-01T02:00:01-08:00",
            ]
        );
    }
}
