//! Every contract check is proven able to fail: for each mutant (a sandbox that breaks
//! exactly one rule) the suite runs in-process and must report the intended check(s)
//! failing — and nothing outside a small, named set of knock-on checks — with exit code 1
//! (or a warning and exit 0 for SHOULD rules). All mutants run concurrently in one runtime.

use std::collections::BTreeSet;

use clap::Parser;
use futures::StreamExt;
use gatecheck::apis::gate::contract::cli::{execute, exit_of, ContractArgs};
use gatecheck::apis::gate::sandbox::{Mutant, SandboxConfig};
use gatecheck::engine::model::{Outcome, RunReport};
use gatecheck::Exit;

#[derive(Parser)]
struct Cmd {
    #[command(flatten)]
    args: ContractArgs,
}

/// A mutant and what the suite must say about it.
struct Case {
    mutant: &'static str,
    /// Checks that must fail (MUST rules).
    fails: &'static [&'static str],
    /// Checks that must warn (SHOULD rules).
    warns: &'static [&'static str],
    /// Knock-on checks that may also fail because the same fault breaks their rule too.
    may_fail: &'static [&'static str],
}

const fn must(
    mutant: &'static str,
    fails: &'static [&'static str],
    may_fail: &'static [&'static str],
) -> Case {
    Case {
        mutant,
        fails,
        warns: &[],
        may_fail,
    }
}

const fn should(mutant: &'static str, warns: &'static [&'static str]) -> Case {
    Case {
        mutant,
        fails: &[],
        warns,
        may_fail: &[],
    }
}

const SCHEMA: &str = "schema.success_bodies";

const CASES: &[Case] = &[
    // §2 authentication and scope
    must(
        "accepts-bearer-prefix",
        &["auth.bearer_prefix_rejected"],
        &[],
    ),
    must("accepts-missing-key", &["auth.missing_key_rejected"], &[]),
    must(
        "accepts-unknown-key",
        &["auth.unknown_key_rejected"],
        &["auth.revoked_key_rejected", "auth.bearer_prefix_rejected"],
    ),
    must(
        "revoked-key-still-works",
        &["auth.revoked_key_rejected"],
        &[],
    ),
    must("second-key-rejected", &["auth.second_key_works"], &[]),
    must(
        "other-agent-path-allowed",
        &["scope.other_agent_path_forbidden"],
        &[],
    ),
    must(
        "leaks-other-agent-order",
        &["scope.other_agent_order_hidden"],
        &[],
    ),
    must(
        "forbidden-as-not-found",
        &["scope.other_agent_path_forbidden"],
        &["transport.status_documented"],
    ),
    // §1 transport and formats, §3 error model
    must("text-content-type", &["transport.content_type_json"], &[]),
    should("no-request-id-echo", &["transport.request_id_echo"]),
    must("error-without-message", &["schema.error_bodies"], &[]),
    must(
        "uppercase-uuid",
        &["format.ids"],
        &[SCHEMA, "orders.location_header"],
    ),
    must("timestamp-offset", &["format.timestamps_utc"], &[SCHEMA]),
    must(
        "server-error-on-malformed-json",
        &["negative.malformed_json", "transport.no_server_errors"],
        &[],
    ),
    must("no-allow-header", &["negative.wrong_method"], &[]),
    must(
        "method-not-allowed-as-not-found",
        &["negative.wrong_method", "transport.status_documented"],
        &[],
    ),
    must(
        "unknown-route-invalid",
        &["negative.unknown_route", "transport.status_documented"],
        &[],
    ),
    must(
        "health-requires-key",
        &["health.ok_without_key", "transport.status_documented"],
        &[],
    ),
    // negative inputs
    must(
        "ignores-content-type",
        &["negative.unsupported_media_type"],
        &[],
    ),
    must(
        "wrong-error-param",
        &["negative.amount_forms", "negative.amount_out_of_range"],
        &["negative.invalid_fields"],
    ),
    must("wrong-limit-param", &["negative.bad_limit"], &[]),
    must(
        "wrong-external-ref-param",
        &["negative.invalid_fields"],
        &[],
    ),
    must("accepts-amount-number", &["negative.amount_forms"], &[]),
    must("ignores-max-amount", &["negative.amount_out_of_range"], &[]),
    must(
        "unknown-product-order-not-found",
        &["negative.unknown_product"],
        &["transport.status_documented"],
    ),
    must(
        "orders-unavailable-product",
        &["negative.unavailable_product"],
        &[],
    ),
    must(
        "ignores-currency-mismatch",
        &["negative.currency_mismatch"],
        &[],
    ),
    must(
        "accepts-quantity-over-max",
        &["negative.quantity_out_of_range"],
        &[SCHEMA],
    ),
    must(
        "ignores-customer-account",
        &["negative.customer_account"],
        &[],
    ),
    must(
        "accepts-long-idempotency-key",
        &["negative.idempotency_key_length"],
        &[],
    ),
    must("bad-cursor-restarts", &["negative.bad_cursor"], &[]),
    must(
        "malformed-product-id-not-found",
        &["negative.malformed_path_ids"],
        &[],
    ),
    must(
        "unknown-product-id-invalid",
        &["negative.unknown_ids_not_found"],
        &[],
    ),
    // The overdraft shows as a negative balance_after: a money fault of its own.
    must(
        "no-balance-check",
        &["negative.insufficient_balance"],
        &["money.decimal_amounts", SCHEMA],
    ),
    // §1 lists
    must("page-exceeds-limit", &["pagination.page_within_limit"], &[]),
    must(
        "cursor-skips-item",
        &["pagination.walk_exactly_once"],
        &["pagination.last_page_cursor_null"],
    ),
    must(
        "cursor-repeats-item",
        &["pagination.walk_exactly_once"],
        &["pagination.last_page_cursor_null"],
    ),
    must(
        "cursor-on-last-page",
        &["pagination.last_page_cursor_null"],
        &[],
    ),
    must("orders-ascending", &["pagination.sort_order"], &[]),
    // list/detail agreement
    must(
        "list-detail-differs",
        &["agreement.products_list_detail"],
        &[],
    ),
    // The list shows another external_ref: the external_ref filter's items look wrong too.
    must(
        "order-list-detail-differs",
        &["agreement.orders_list_detail"],
        &["orders.filters"],
    ),
    // §4 products
    must(
        "unknown-product-type",
        &["products.type_is_known_code"],
        &["products.filters", SCHEMA],
    ),
    must(
        "dangling-category",
        &["products.category_exists"],
        &["products.filters"],
    ),
    must("voucher-with-rate", &["products.fields_by_type"], &[SCHEMA]),
    must(
        "bad-region-code",
        &["products.region_code"],
        &["products.filters", SCHEMA],
    ),
    must("ignores-type-filter", &["products.filters"], &[]),
    must("ignores-category-filter", &["products.filters"], &[]),
    // §5.3, §7, §10 list filters
    must("ignores-order-status-filter", &["orders.filters"], &[]),
    must("ignores-external-ref-filter", &["orders.filters"], &[]),
    must(
        "ignores-deposit-currency-filter",
        &["deposits.filters"],
        &[],
    ),
    must("ignores-deposit-status-filter", &["deposits.filters"], &[]),
    must("created-to-exclusive", &["lists.created_range"], &[]),
    must("created-offset-ignored", &["lists.created_range"], &[]),
    must("lenient-time-filters", &["negative.bad_filters"], &[]),
    // §1 money, §5 orders
    must(
        "money-as-number",
        &["money.decimal_amounts", SCHEMA],
        &["money.charge_computed"],
    ),
    must("minor-mismatch", &["money.minor_units"], &[]),
    must("truncate-rounding", &["money.charge_computed"], &[]),
    must("quantity-ignored", &["money.charge_computed"], &[]),
    must(
        "test-order-moves-money",
        &["orders.balance_fields"],
        // Test orders that now spend money may run into insufficient_balance: the
        // positive controls (valid test orders) of these checks are refused.
        &[
            "deposits.ledger_identity",
            "negative.quantity_out_of_range",
            "negative.amount_out_of_range",
            "negative.amount_forms",
            "negative.unsupported_media_type",
            "negative.currency_mismatch",
            "negative.idempotency_key_length",
            "orders.create_response",
        ],
    ),
    must("external-ref-not-echoed", &["orders.create_response"], &[]),
    should("no-location-header", &["orders.location_header"]),
    must(
        "completed-without-content",
        &["orders.lifecycle_fields"],
        &[SCHEMA],
    ),
    must(
        "completed-at-on-pending",
        &["orders.lifecycle_fields"],
        &[SCHEMA],
    ),
    must(
        "completed-at-drifts",
        &["orders.terminal_is_final"],
        &["agreement.orders_list_detail"],
    ),
    // §6, §7
    must("balance-unsorted", &["balance.one_per_currency"], &[]),
    must(
        "posted-at-on-pending",
        &["deposits.status_fields"],
        &[SCHEMA],
    ),
    must("ledger-drift", &["deposits.ledger_identity"], &[]),
    // §3, §10 rate limit
    must(
        "rate-limit-without-retry-after",
        &["rate_limit.retry_after"],
        &[],
    ),
    must(
        "health-rate-limited",
        &["rate_limit.health_not_limited"],
        &[],
    ),
    // §9.2 the sandbox admin API's own auth
    must("admin-accepts-any-token", &["admin.token_required"], &[]),
];

async fn run_case(case: &Case) -> Result<(), String> {
    let mutant: Mutant = case
        .mutant
        .parse()
        .map_err(|e| format!("{}: not a sandbox mutant: {e}", case.mutant))?;
    let args = Cmd::parse_from(["contract", "--settle", "2s"]).args;
    let config = SandboxConfig {
        mutant: Some(mutant),
        ..SandboxConfig::default()
    };
    let report = execute(&args, config)
        .await
        .map_err(|e| format!("{}: the suite did not run: {e}", case.mutant))?;
    judge(case, &report)
}

fn judge(case: &Case, report: &RunReport) -> Result<(), String> {
    let failed: BTreeSet<&str> = report
        .checks()
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| c.id.as_str())
        .collect();
    let warned: BTreeSet<&str> = report
        .checks()
        .filter(|c| c.outcome == Outcome::Warned)
        .map(|c| c.id.as_str())
        .collect();
    let mut problems = Vec::new();
    for f in case.fails {
        if !failed.contains(f) {
            problems.push(format!("{f} did not fail"));
        }
    }
    for w in case.warns {
        if !warned.contains(w) {
            problems.push(format!("{w} did not warn"));
        }
    }
    for f in &failed {
        if !case.fails.contains(f) && !case.may_fail.contains(f) {
            problems.push(format!("{f} failed unexpectedly"));
        }
    }
    for w in &warned {
        if !case.warns.contains(w) && !case.may_fail.contains(w) {
            problems.push(format!("{w} warned unexpectedly"));
        }
    }
    let want_exit = if case.fails.is_empty() {
        Exit::Pass
    } else {
        Exit::Violations
    };
    if exit_of(report) != want_exit {
        problems.push(format!(
            "exit {:?}, expected {want_exit:?}",
            exit_of(report)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", case.mutant, problems.join("; ")))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_mutant_is_caught_by_its_check() {
    let results: Vec<Result<(), String>> = futures::stream::iter(CASES.iter())
        .map(run_case)
        .buffer_unordered(6)
        .collect()
        .await;
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(
        failures.is_empty(),
        "{} of {} mutants misjudged:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn every_check_is_proven_by_a_mutant() {
    let proven: BTreeSet<&str> = CASES
        .iter()
        .flat_map(|c| c.fails.iter().chain(c.warns))
        .copied()
        .collect();
    let unproven: Vec<&str> = gatecheck::apis::gate::contract::all_checks()
        .iter()
        .map(|c| c.id)
        .filter(|id| !proven.contains(id))
        .collect();
    assert!(unproven.is_empty(), "checks no mutant proves: {unproven:?}");
    let names: BTreeSet<&str> = CASES.iter().map(|c| c.mutant).collect();
    assert_eq!(names.len(), CASES.len(), "a mutant is listed twice");
}
