//! The read side of the Gate API (contract §4–§7): catalog lists and product by id (from
//! memory), orders by id and list, balance, deposits — each with its filters and cursors.

use bytes::{BufMut, Bytes, BytesMut};
use http::StatusCode;
use serde::Serialize;

use crate::apis::gate::sandbox::app::App;
use crate::apis::gate::sandbox::mutants::Mutant;
use crate::apis::gate::sandbox::store::{self, DepositFilter, OrderFilter};
use crate::engine::sandbox::clock::{parse_bound, Bound};
use crate::engine::sandbox::errors::ApiError;
use crate::engine::sandbox::pagination::{Binding, Page, Position, Query};
use crate::engine::sandbox::reply::{Handled, Reply};
use crate::engine::sandbox::request::{is_capital_code, parse_positive_id, parse_uuid};

#[derive(Serialize)]
struct Envelope<T: Serialize> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

fn list_reply<T: Serialize>(items: Vec<T>, next_cursor: Option<String>) -> Reply {
    Reply::json(StatusCode::OK, &Envelope { items, next_cursor })
}

/// The position to continue after, when a cursor was given.
fn after(app: &App, q: &Query, binding: &Binding<'_>) -> Result<Option<Position>, ApiError> {
    let checked = q
        .cursor()
        .map(|c| app.cursors.check(binding, c))
        .transpose();
    // MUTANT HOOK (bad-cursor-restarts): a refused cursor means the first page.
    if app.mutant_is(Mutant::BadCursorRestarts) {
        return Ok(checked.unwrap_or(None));
    }
    checked
}

fn next_cursor(app: &App, binding: &Binding<'_>, next: Option<Position>) -> Option<String> {
    next.map(|p| app.cursors.issue(binding, &p))
}

/// Pages an id-sorted in-memory list.
fn id_page<T: Clone>(
    app: &App,
    q: &Query,
    binding: &Binding<'_>,
    items: impl Iterator<Item = (u64, T)>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = q.limit()?;
    let start = match after(app, q, binding)? {
        Some(Position::Id(id)) => Some(id),
        Some(_) => {
            return Err(ApiError::invalid(
                "cursor",
                "cursor was issued for another list",
            ))
        }
        None => None,
    };
    // MUTANT HOOK (page-exceeds-limit, cursor-skips-item, cursor-repeats-item,
    // cursor-on-last-page): catalog paging faults.
    let limit = limit + usize::from(app.mutant_is(Mutant::PageExceedsLimit));
    let skip = usize::from(start.is_some() && app.mutant_is(Mutant::CursorSkipsItem));
    let repeat = app.mutant_is(Mutant::CursorRepeatsItem);
    let fetched: Vec<(u64, T)> = items
        .filter(|(id, _)| start.is_none_or(|s| *id > s || (repeat && *id == s)))
        .skip(skip)
        .take(limit + 1)
        .collect();
    let page = Page::from_fetched(fetched, limit, |(id, _)| Position::Id(*id));
    let next = match page.next {
        None if app.mutant_is(Mutant::CursorOnLastPage) => {
            page.items.last().map(|(id, _)| Position::Id(*id))
        }
        next => next,
    };
    let cursor = next_cursor(app, binding, next);
    Ok((page.items.into_iter().map(|(_, t)| t).collect(), cursor))
}

pub fn product_types(app: &App, agent: &str, raw_query: Option<&str>) -> Handled {
    let q = Query::parse(raw_query)?;
    let b = Binding {
        list: "product-types",
        owner: agent,
        filter: "",
    };
    let (items, cursor) = id_page(
        app,
        &q,
        &b,
        app.catalog.types.iter().map(|t| (t.id, t.clone())),
    )?;
    Ok(list_reply(items, cursor))
}

pub fn product_categories(app: &App, agent: &str, raw_query: Option<&str>) -> Handled {
    let q = Query::parse(raw_query)?;
    let b = Binding {
        list: "product-categories",
        owner: agent,
        filter: "",
    };
    let (items, cursor) = id_page(
        app,
        &q,
        &b,
        app.catalog.categories.iter().map(|c| (c.id, c.clone())),
    )?;
    Ok(list_reply(items, cursor))
}

pub fn products(app: &App, agent: &str, raw_query: Option<&str>) -> Handled {
    let q = Query::parse(raw_query)?;
    let kind = q.get("type");
    let category = match q.get("category_id") {
        None => None,
        Some(c) => Some(parse_positive_id(c).ok_or_else(|| {
            ApiError::invalid("category_id", "category_id must be a positive integer")
        })?),
    };
    let region = q.get("region_code");
    if let Some(r) = region {
        if r != "GLOBAL" && !is_capital_code(r, 2) {
            return Err(ApiError::invalid(
                "region_code",
                "region_code must be GLOBAL or two capital letters",
            ));
        }
    }
    let available = match q.get("is_available") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(ApiError::invalid(
                "is_available",
                "is_available must be true or false",
            ))
        }
    };
    let filter = format!(
        "type={:?}&category_id={:?}&region_code={:?}&is_available={:?}",
        kind, category, region, available
    );
    let b = Binding {
        list: "products",
        owner: agent,
        filter: &filter,
    };
    let matching = app.catalog.products().filter(|p| {
        let p = &p.product;
        // MUTANT HOOK (ignores-type-filter)
        (kind.is_none_or(|k| p.product_type == k) || app.mutant_is(Mutant::IgnoresTypeFilter))
            // MUTANT HOOK (ignores-category-filter)
            && (category.is_none_or(|c| c == Some(p.category_id))
                || app.mutant_is(Mutant::IgnoresCategoryFilter))
            && region.is_none_or(|r| p.region_code == r)
            && available.is_none_or(|a| p.is_available == a)
    });
    let (items, cursor) = id_page(
        app,
        &q,
        &b,
        matching.map(|p| (p.product.id, p.json.clone())),
    )?;
    // The envelope around the products' pre-rendered JSON.
    let mut out = BytesMut::with_capacity(64 + items.iter().map(Bytes::len).sum::<usize>());
    out.put_slice(b"{\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        out.put_slice(item);
    }
    out.put_slice(b"],\"next_cursor\":");
    let cursor_json = serde_json::to_vec(&cursor).map_err(|e| ApiError::internal(e.to_string()))?;
    out.put_slice(&cursor_json);
    out.put_u8(b'}');
    Ok(Reply::raw(StatusCode::OK, out.freeze()))
}

pub fn product(app: &App, raw_id: &str) -> Handled {
    let id = parse_positive_id(raw_id)
        .ok_or_else(|| ApiError::invalid("productId", "productId must be a positive integer"))?;
    let p = id
        .and_then(|id| app.catalog.product(id))
        .ok_or_else(|| ApiError::not_found(format!("No product {raw_id}")))?;
    Ok(Reply::raw(StatusCode::OK, p.json.clone()))
}

fn time_filter(
    app: &App,
    q: &Query,
    name: &'static str,
    bound: Bound,
) -> Result<Option<i64>, ApiError> {
    let Some(text) = q.get(name) else {
        return Ok(None);
    };
    // MUTANT HOOK (created-offset-ignored): the wall-clock time is read as UTC.
    let text = if app.mutant_is(Mutant::CreatedOffsetIgnored) {
        wall_clock_as_utc(text)
    } else {
        text.to_string()
    };
    match parse_bound(&text, bound) {
        // MUTANT HOOK (created-to-exclusive): the upper bound leaves out its own instant.
        Some(us) if matches!(bound, Bound::To) && app.mutant_is(Mutant::CreatedToExclusive) => {
            Ok(Some(us - 1))
        }
        Some(us) => Ok(Some(us)),
        // MUTANT HOOK (lenient-time-filters): a malformed bound is no bound.
        None if app.mutant_is(Mutant::LenientTimeFilters) => Ok(None),
        None => Err(ApiError::invalid(
            name,
            format!("{name} must be an RFC 3339 timestamp"),
        )),
    }
}

/// `2024-11-01T15:30:00+05:30` → `2024-11-01T15:30:00Z` (only the mutant wants this).
fn wall_clock_as_utc(text: &str) -> String {
    let time_at = text.find(['T', 't']).unwrap_or(0);
    match text[time_at..].rfind(['+', '-', 'Z', 'z']) {
        Some(i) => format!("{}Z", &text[..time_at + i]),
        None => text.to_string(),
    }
}

fn enum_filter(
    q: &Query,
    name: &'static str,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match q.get(name) {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
        Some(_) => Err(ApiError::invalid(
            name,
            format!("{name} must be one of {}", allowed.join(", ")),
        )),
    }
}

fn currency_filter(q: &Query) -> Result<Option<String>, ApiError> {
    match q.get("currency_code") {
        None => Ok(None),
        Some(c) if is_capital_code(c, 3) => Ok(Some(c.to_string())),
        Some(_) => Err(ApiError::invalid(
            "currency_code",
            "currency_code must be three capital letters",
        )),
    }
}

fn time_position(pos: Option<Position>) -> Result<Option<(i64, String)>, ApiError> {
    match pos {
        None => Ok(None),
        Some(Position::Time { created_us, id }) => Ok(Some((created_us, id))),
        Some(Position::Id(_)) => Err(ApiError::invalid(
            "cursor",
            "cursor was issued for another list",
        )),
    }
}

pub async fn orders(app: &App, agent: &str, raw_query: Option<&str>) -> Handled {
    let q = Query::parse(raw_query)?;
    let limit = q.limit()?;
    let mut filter = OrderFilter {
        status: enum_filter(&q, "status", &["pending", "completed", "failed"])?,
        external_ref: match q.get("external_ref") {
            None => None,
            Some(r) if (1..=64).contains(&r.chars().count()) => Some(r.to_string()),
            Some(_) => {
                return Err(ApiError::invalid(
                    "external_ref",
                    "external_ref must be 1 to 64 characters",
                ))
            }
        },
        from_us: time_filter(app, &q, "created_from", Bound::From)?,
        to_us: time_filter(app, &q, "created_to", Bound::To)?,
    };
    // MUTANT HOOK (ignores-order-status-filter)
    if app.mutant_is(Mutant::IgnoresOrderStatusFilter) {
        filter.status = None;
    }
    // MUTANT HOOK (ignores-external-ref-filter)
    if app.mutant_is(Mutant::IgnoresExternalRefFilter) {
        filter.external_ref = None;
    }
    let filter_text = format!("{filter:?}");
    let (rows, cursor) = time_ordered_page(
        app,
        &q,
        "orders",
        agent,
        &filter_text,
        limit,
        move |c, agent, start, n| store::list_orders(c, agent, &filter, start, n),
    )
    .await?;
    Ok(list_reply(rows.iter().map(|r| r.view()).collect(), cursor))
}

pub async fn order(app: &App, agent: &str, raw_id: &str) -> Handled {
    let id =
        parse_uuid(raw_id).ok_or_else(|| ApiError::invalid("orderId", "orderId must be a UUID"))?;
    let row = app.store.call(move |c| Ok(store::order(c, &id)?)).await?;
    match row {
        // MUTANT HOOK (leaks-other-agent-order): the owner is not compared.
        Some(r) if r.agent_id == agent || app.mutant_is(Mutant::LeaksOtherAgentOrder) => {
            Ok(Reply::json(StatusCode::OK, &r.view()))
        }
        _ => Err(ApiError::not_found("No such order")),
    }
}

pub async fn deposits(app: &App, agent: &str, raw_query: Option<&str>) -> Handled {
    let q = Query::parse(raw_query)?;
    let limit = q.limit()?;
    let mut filter = DepositFilter {
        status: enum_filter(&q, "status", &["pending", "completed", "rejected"])?,
        currency: currency_filter(&q)?,
        from_us: time_filter(app, &q, "created_from", Bound::From)?,
        to_us: time_filter(app, &q, "created_to", Bound::To)?,
    };
    // MUTANT HOOK (ignores-deposit-currency-filter)
    if app.mutant_is(Mutant::IgnoresDepositCurrencyFilter) {
        filter.currency = None;
    }
    // MUTANT HOOK (ignores-deposit-status-filter)
    if app.mutant_is(Mutant::IgnoresDepositStatusFilter) {
        filter.status = None;
    }
    let filter_text = format!("{filter:?}");
    let (rows, cursor) = time_ordered_page(
        app,
        &q,
        "deposits",
        agent,
        &filter_text,
        limit,
        move |c, agent, start, n| store::list_deposits(c, agent, &filter, start, n),
    )
    .await?;
    Ok(list_reply(rows, cursor))
}

/// A row of a list sorted by `created_at` then `id`, both descending (orders, deposits).
trait TimeOrdered {
    fn position(&self) -> Position;
}

impl TimeOrdered for store::OrderRow {
    fn position(&self) -> Position {
        Position::Time {
            created_us: self.created_us,
            id: self.id.clone(),
        }
    }
}

impl TimeOrdered for store::DepositView {
    fn position(&self) -> Position {
        Position::Time {
            created_us: self.created_us,
            id: self.id.clone(),
        }
    }
}

/// The steps every time-ordered list shares: the cursor is bound to the list, the agent
/// and the filter in force; one row more than `limit` is fetched to learn whether more
/// follow; the next cursor points after the page's last row.
async fn time_ordered_page<R, F>(
    app: &App,
    q: &Query,
    list: &'static str,
    agent: &str,
    filter_text: &str,
    limit: usize,
    fetch: F,
) -> Result<(Vec<R>, Option<String>), ApiError>
where
    R: TimeOrdered + Send + 'static,
    F: FnOnce(
            &rusqlite::Connection,
            &str,
            Option<(i64, String)>,
            usize,
        ) -> rusqlite::Result<Vec<R>>
        + Send
        + 'static,
{
    let binding = Binding {
        list,
        owner: agent,
        filter: filter_text,
    };
    let start = time_position(after(app, q, &binding)?)?;
    let agent_owned = agent.to_string();
    let rows = app
        .store
        .call(move |c| Ok(fetch(c, &agent_owned, start, limit + 1)?))
        .await?;
    let page = Page::from_fetched(rows, limit, R::position);
    Ok((page.items, next_cursor(app, &binding, page.next)))
}

/// One page always: `limit` is checked like on every list but never splits it, and a
/// (non-empty) cursor is refused, since this list issues none.
pub async fn balance(app: &App, agent: &str, raw_query: Option<&str>) -> Handled {
    let q = Query::parse(raw_query)?;
    q.limit()?;
    if q.cursor().is_some() {
        return Err(ApiError::invalid(
            "cursor",
            "the balance list is a single page and takes no cursor",
        ));
    }
    let currency = currency_filter(&q)?;
    let agent_owned = agent.to_string();
    let rows = app
        .store
        .call(move |c| Ok(store::balances(c, &agent_owned, currency.as_deref())?))
        .await?;
    Ok(list_reply(rows, None))
}
