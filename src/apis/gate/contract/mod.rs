//! `gatecheck contract`: certifies a target against the Gate API contract — schemas of
//! every response, auth and scope, negative inputs, pagination, list/detail agreement,
//! product, money, order and deposit rules, health. Each check names its contract
//! section; findings carry the exchange and a masked `curl` reproduction.
//!
//! Phases, in order: discovery (catalog, balance, deposits) → order creation (then wait
//! for the orders to settle) → read-only consistency (pagination walks, list/detail,
//! products) → probes (auth, scope, negatives) run concurrently → the rules that hold for
//! every response, judged over *all* recorded exchanges.
//!
//! **Invariant:** the suite never hard-codes ids or amounts: it derives them from the
//! catalog and the contract; and it never writes files (that is `report`'s job).

pub mod checks;
pub mod cli;
pub mod context;
pub mod discovery;
pub mod operation;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::model::{CheckResult, PhaseReport};
use crate::engine::schema::openapi::OpenApi;
use crate::engine::schema::SchemaSet;
use crate::engine::target::ResolvedTarget;
use crate::GateError;

use checks::admin;
use checks::{
    agreement, auth, deposits, filters, format, health, money, negative, orders, pagination,
    products, rate_limit, schema, transport, Check,
};
use context::Ctx;
use discovery::Discovery;

/// Tuning of a contract run.
#[derive(Debug, Clone)]
pub struct ContractOptions {
    /// How long to wait for the suite's orders to leave `pending`.
    pub settle: Duration,
    /// At most this many findings per check are kept (the rest are counted).
    pub max_findings_per_check: usize,
}

impl Default for ContractOptions {
    fn default() -> Self {
        ContractOptions {
            settle: Duration::from_secs(3),
            max_findings_per_check: 20,
        }
    }
}

/// Runs the whole contract suite against a resolved target, judged by `schemas` and the
/// OpenAPI document `openapi` (both loaded once per run, from the same directory).
pub async fn run(
    opts: &ContractOptions,
    target: &ResolvedTarget,
    schemas: &SchemaSet,
    openapi: &Arc<OpenApi>,
) -> Result<PhaseReport, GateError> {
    let started = Instant::now();
    let ctx = Ctx::new(
        target.client.clone(),
        target.spend.clone(),
        schemas,
        openapi.clone(),
    );
    let mut results: Vec<CheckResult> = Vec::new();

    results.push(checks::timed(&health::HEALTH_OK, health::health_ok(&ctx)).await);
    results.push(checks::timed(&admin::ADMIN_TOKEN, admin::token_required(&ctx)).await);
    let discovery = Discovery::run(&ctx).await;
    if discovery.products.pages.is_empty() && ctx.observed().is_empty() {
        return Err(GateError::Target(
            "the target answered /health, then no other request".into(),
        ));
    }

    let creation_started = Instant::now();
    deposits::seed(&ctx).await;
    let created = orders::creation_phase(&ctx, &discovery, opts.settle).await;

    results.extend(products::run(&discovery));
    let (pages, agree, filtered) = futures::join!(
        pagination::run(&ctx),
        agreement::run(&ctx, &discovery),
        filters::run(&ctx, &created, &discovery.categories),
    );
    results.extend(pages);
    results.extend(agree);
    results.extend(filtered);

    let own_order = created.any_order_id();
    let (auth_results, negative_results, deposit_results) = futures::join!(
        auth::run(&ctx, &discovery),
        negative::run(&ctx, &discovery, own_order.as_deref()),
        deposits::run(&ctx, &discovery),
    );
    results.extend(auth_results);
    results.extend(negative_results);
    results.extend(deposit_results);

    // Rules over everything observed.
    let all = ctx.observed();
    let limited = ctx.client.pacer().rate_limited();
    let at = Instant::now();
    let over_all: Vec<(Check, checks::Run)> = vec![
        (orders::CREATE, orders::create_response(&ctx, &created)),
        (orders::LOCATION, orders::location_header(&ctx, &created)),
        (
            money::CHARGE_COMPUTED,
            money::charge_computed(&created.charges),
        ),
        (
            orders::BALANCE_FIELDS,
            orders::balance_fields(&all, &created),
        ),
        (orders::LIFECYCLE, orders::lifecycle(&all, &discovery)),
        (orders::TERMINAL_FINAL, orders::terminal_final(&all)),
        (deposits::DEPOSIT_FIELDS, deposits::status_fields(&all)),
        (
            transport::NO_SERVER_ERRORS,
            transport::no_server_errors(&all),
        ),
        (
            transport::CONTENT_TYPE_JSON,
            transport::content_type_json(&all),
        ),
        (transport::REQUEST_ID_ECHO, transport::request_id_echo(&all)),
        (
            transport::STATUS_DOCUMENTED,
            transport::status_documented(&all, openapi),
        ),
        (
            schema::SUCCESS_BODIES,
            schema::success_bodies(&all, schemas),
        ),
        (schema::ERROR_BODIES, schema::error_bodies(&all, schemas)),
        (format::TIMESTAMPS_UTC, format::timestamps_utc(&all)),
        (format::IDS, format::ids(&all)),
        (money::DECIMAL_AMOUNTS, money::decimal_amounts(&all)),
        (money::MINOR_UNITS, money::minor_units(&all)),
        (rate_limit::RETRY_AFTER, rate_limit::retry_after(&limited)),
        (
            rate_limit::UNLIMITED_PATHS,
            rate_limit::unlimited_paths(
                &limited,
                crate::engine::target::TargetProfile::health_path(&crate::apis::gate::GATE),
            ),
        ),
    ];
    for (check, run) in over_all {
        results.push(check.result(run, at));
    }
    let _ = creation_started;
    tracing::debug!(exchanges = all.len(), "contract suite done");

    for r in &mut results {
        crate::engine::contract::cap_findings(r, opts.max_findings_per_check);
    }
    results.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(PhaseReport {
        name: "contract".to_string(),
        checks: results,
        load: None,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Every check of the suite, for documentation and tests.
pub fn all_checks() -> Vec<Check> {
    vec![
        health::HEALTH_OK,
        admin::ADMIN_TOKEN,
        rate_limit::RETRY_AFTER,
        rate_limit::UNLIMITED_PATHS,
        transport::NO_SERVER_ERRORS,
        transport::CONTENT_TYPE_JSON,
        transport::REQUEST_ID_ECHO,
        transport::STATUS_DOCUMENTED,
        schema::SUCCESS_BODIES,
        schema::ERROR_BODIES,
        format::TIMESTAMPS_UTC,
        format::IDS,
        auth::MISSING_KEY,
        auth::UNKNOWN_KEY,
        auth::BEARER_REJECTED,
        auth::REVOKED_KEY,
        auth::SECOND_KEY,
        auth::OTHER_AGENT_PATH,
        auth::OTHER_AGENT_ORDER,
        negative::MALFORMED_JSON,
        negative::MEDIA_TYPE,
        negative::INVALID_FIELDS,
        negative::AMOUNT_FORMS,
        negative::AMOUNT_RANGE,
        negative::UNKNOWN_PRODUCT,
        negative::UNAVAILABLE_PRODUCT,
        negative::CURRENCY_MISMATCH,
        negative::QUANTITY_RANGE,
        negative::CUSTOMER_ACCOUNT,
        negative::IDEMPOTENCY_KEY,
        negative::INSUFFICIENT_BALANCE,
        negative::BAD_LIMIT,
        negative::BAD_CURSOR,
        negative::BAD_FILTERS,
        negative::PATH_IDS,
        negative::NOT_FOUND,
        negative::UNKNOWN_ROUTE,
        negative::WRONG_METHOD,
        pagination::PAGE_WITHIN_LIMIT,
        pagination::EXACTLY_ONCE,
        pagination::SORT_ORDER,
        pagination::LAST_PAGE,
        agreement::PRODUCTS,
        agreement::ORDERS,
        products::TYPE_KNOWN,
        products::CATEGORY_EXISTS,
        products::FIELDS_BY_TYPE,
        products::REGION_CODE,
        filters::PRODUCTS,
        money::DECIMAL_AMOUNTS,
        money::MINOR_UNITS,
        money::CHARGE_COMPUTED,
        orders::CREATE,
        orders::LOCATION,
        orders::BALANCE_FIELDS,
        orders::LIFECYCLE,
        orders::TERMINAL_FINAL,
        filters::ORDERS,
        filters::DEPOSITS,
        filters::CREATED_RANGE,
        deposits::DEPOSIT_FIELDS,
        deposits::BALANCE_LIST,
        deposits::LEDGER,
    ]
}

/// The §8 health checks on their own: `certify`'s health phase.
pub async fn health_checks(
    target: &ResolvedTarget,
    schemas: &SchemaSet,
    openapi: &Arc<OpenApi>,
) -> Vec<CheckResult> {
    let ctx = Ctx::new(
        target.client.clone(),
        target.spend.clone(),
        schemas,
        openapi.clone(),
    );
    vec![checks::timed(&health::HEALTH_OK, health::health_ok(&ctx)).await]
}
