//! A realistic `RunReport` for the report writers' tests: a passing health phase, a contract
//! phase with passes, two failures carrying full evidence, a warning and a skipped check, an
//! invariants phase whose failure has a numbered reproduction and a seed, and a load phase
//! with three transactions, a 20-second timeline, distributions and a missed threshold.
//! Every timestamp is fixed, so the outputs are stable.

#![allow(dead_code)]

use gatecheck::engine::model::{
    CheckResult, ExchangeEvidence, Finding, LoadInterval, LoadSummary, PhaseReport, RunReport,
    Severity, TargetInfo, ThresholdResult, TransactionStats,
};

pub const BASE_URL: &str = "http://127.0.0.1:8080";
pub const AGENT: &str = "6f1c2a7e-4b1d-4c55-9a43-0d3b5e9f1a20";

fn agent_url(suffix: &str) -> String {
    format!("{BASE_URL}/agent/{AGENT}{suffix}")
}

/// The failing `certify` run.
pub fn failing_run() -> RunReport {
    RunReport {
        tool: "gatecheck".into(),
        tool_version: "0.1.0".into(),
        schema_version: "3f2a9c1".into(),
        command: "certify".into(),
        target: TargetInfo {
            base_url: BASE_URL.into(),
            identity: [("agent_id".to_string(), AGENT.to_string())].into(),
            embedded_sandbox: true,
        },
        started_at: "2026-11-21T12:06:00Z".into(),
        finished_at: "2026-11-21T12:06:31Z".into(),
        phases: vec![
            health_phase(),
            contract_phase(),
            invariants_phase(),
            load_phase(),
        ],
        pacing: None,
    }
}

/// A passing `contract` run: only passing checks and one skipped.
pub fn passing_contract_run() -> RunReport {
    let mut run = failing_run();
    run.command = "contract".into();
    let mut contract = contract_phase();
    contract.checks.retain(|c| {
        matches!(
            c.outcome,
            gatecheck::engine::model::Outcome::Passed
                | gatecheck::engine::model::Outcome::Skipped { .. }
        )
    });
    run.phases = vec![health_phase(), contract];
    run
}

fn health_phase() -> PhaseReport {
    PhaseReport {
        name: "health".into(),
        checks: vec![CheckResult::from_findings(
            "health.reachable",
            "§8",
            "GET /health answers 200 with status ok",
            Severity::Must,
            vec![],
            4,
        )],
        load: None,
        duration_ms: 4,
    }
}

pub fn method_not_allowed_finding() -> Finding {
    Finding {
        check: "errors.method_not_allowed_has_allow".into(),
        section: "§3".into(),
        severity: Severity::Must,
        message: "405 response without an Allow header".into(),
        expected: "an Allow header listing the supported methods (GET, POST)".into(),
        got: "no Allow header".into(),
        exchange: Some(ExchangeEvidence {
            method: "DELETE".into(),
            path: format!("/agent/{AGENT}/orders"),
            status: Some(405),
            body_excerpt: r#"{"error":{"code":"method_not_allowed","message":"DELETE is not allowed here","param":null}}"#.into(),
            curl: format!(
                r#"curl -sS -i -X DELETE "{}" -H "Authorization: $GATECHECK_API_KEY""#,
                agent_url("/orders")
            ),
            har_entry: Some(3),
        }),
        reproduction: vec![],
        seed: None,
    }
}

pub fn content_type_finding() -> Finding {
    Finding {
        check: "transport.json_content_type".into(),
        section: "§1".into(),
        severity: Severity::Must,
        message: "error body is not JSON".into(),
        expected: "Content-Type: application/json".into(),
        got: "Content-Type: text/html; charset=utf-8".into(),
        exchange: Some(ExchangeEvidence {
            method: "GET".into(),
            path: format!("/agent/{AGENT}/no-such-route?x=<1>&y=2"),
            status: Some(404),
            body_excerpt:
                "<html>\n<body><h1>404 Not Found</h1><script>alert('x')</script></body>\n</html>"
                    .into(),
            curl: format!(
                r#"curl -sS -i "{}" -H "Authorization: $GATECHECK_API_KEY""#,
                agent_url("/no-such-route?x=<1>&y=2")
            ),
            har_entry: Some(7),
        }),
        reproduction: vec![],
        seed: None,
    }
}

fn request_id_finding() -> Finding {
    Finding {
        check: "headers.request_id_echoed".into(),
        section: "§1".into(),
        severity: Severity::Should,
        message: "X-Request-Id was not echoed".into(),
        expected: "X-Request-Id: gc-req-0001".into(),
        got: "X-Request-Id: 9d2b7c1e".into(),
        exchange: Some(ExchangeEvidence {
            method: "GET".into(),
            path: format!("/agent/{AGENT}/products?limit=5"),
            status: Some(200),
            body_excerpt:
                r#"{"items":[{"id":456,"name":"Steam Wallet Top-Up (USD)"}],"next_cursor":"c2"}"#
                    .into(),
            curl: format!(
                r#"curl -sS -i "{}" -H "Authorization: $GATECHECK_API_KEY" -H "X-Request-Id: gc-req-0001""#,
                agent_url("/products?limit=5")
            ),
            har_entry: None,
        }),
        reproduction: vec![],
        seed: None,
    }
}

fn contract_phase() -> PhaseReport {
    PhaseReport {
        name: "contract".into(),
        checks: vec![
            CheckResult::from_findings(
                "auth.missing_key_unauthorized",
                "§2",
                "a request without Authorization gets 401 unauthorized",
                Severity::Must,
                vec![],
                12,
            ),
            CheckResult::from_findings(
                "auth.bearer_prefix_rejected",
                "§2",
                "a `Bearer <key>` Authorization gets 401 unauthorized",
                Severity::Must,
                vec![],
                9,
            ),
            CheckResult::from_findings(
                "errors.method_not_allowed_has_allow",
                "§3",
                "405 method_not_allowed carries an Allow header",
                Severity::Must,
                vec![method_not_allowed_finding()],
                15,
            ),
            CheckResult::from_findings(
                "transport.json_content_type",
                "§1",
                "every response, errors included, is application/json",
                Severity::Must,
                vec![content_type_finding()],
                31,
            ),
            CheckResult::from_findings(
                "headers.request_id_echoed",
                "§1",
                "a sent X-Request-Id is echoed unchanged",
                Severity::Should,
                vec![request_id_finding()],
                7,
            ),
            CheckResult::from_findings(
                "pagination.walk_has_no_duplicates",
                "§1 Lists",
                "walking every page yields each item exactly once",
                Severity::Must,
                vec![],
                240,
            ),
            CheckResult::skipped(
                "catalog.unavailable_product_rejected",
                "§3",
                "ordering an unavailable product gets 400 product_unavailable",
                Severity::Must,
                "no unavailable product in the catalog",
            ),
        ],
        load: None,
        duration_ms: 1_840,
    }
}

pub fn replay_finding() -> Finding {
    let order = r#"--data-raw "{\"product_id\":456,\"quantity\":1}""#;
    Finding {
        check: "idempotency.replay_moves_no_money".into(),
        section: "§5.2".into(),
        severity: Severity::Must,
        message: "a replayed order reserved its charge a second time".into(),
        expected: "USD available 987.50 after the replay (unchanged)".into(),
        got: "USD available 975.00 (12.50 moved again)".into(),
        exchange: Some(ExchangeEvidence {
            method: "GET".into(),
            path: format!("/agent/{AGENT}/balance?currency_code=USD"),
            status: Some(200),
            body_excerpt: r#"{"items":[{"currency_code":"USD","available":"975.00","reserved":"25.00","available_minor":97500,"reserved_minor":2500,"updated_at":"2026-11-21T12:06:12Z"}],"next_cursor":null}"#.into(),
            curl: format!(
                r#"curl -sS -i "{}" -H "Authorization: $GATECHECK_API_KEY""#,
                agent_url("/balance?currency_code=USD")
            ),
            har_entry: Some(12),
        }),
        reproduction: vec![
            "# idempotency.replay_moves_no_money (§5.2): replay with `gatecheck invariants --seed 7f3a9c1e5b2d4f60 --cases 1`".into(),
            format!(
                r#"1. curl -sS -i -X POST "{}" -H "Authorization: $GATECHECK_API_KEY" -H "Content-Type: application/json" -H "Idempotency-Key: gc-7f3a" {order}"#,
                agent_url("/orders")
            ),
            "   # step 1: create_order → 201".into(),
            format!(
                r#"2. curl -sS -i -X POST "{}" -H "Authorization: $GATECHECK_API_KEY" -H "Content-Type: application/json" -H "Idempotency-Key: gc-7f3a" {order}"#,
                agent_url("/orders")
            ),
            "   # step 2: replay_order → 201".into(),
            format!(
                r#"3. curl -sS -i "{}" -H "Authorization: $GATECHECK_API_KEY""#,
                agent_url("/balance?currency_code=USD")
            ),
            "   # step 3: observe → 200".into(),
            "# expected: USD available 987.50 after the replay (unchanged)".into(),
            "# got:      USD available 975.00 (12.50 moved again)".into(),
        ],
        seed: Some("7f3a9c1e5b2d4f60".into()),
    }
}

fn invariants_phase() -> PhaseReport {
    PhaseReport {
        name: "invariants".into(),
        checks: vec![
            CheckResult::from_findings(
                "reservation.never_overdraws",
                "§5.1",
                "concurrent orders never take available below zero",
                Severity::Must,
                vec![],
                3_120,
            ),
            CheckResult::from_findings(
                "idempotency.replay_moves_no_money",
                "§5.2",
                "a replay returns the same order and moves no money",
                Severity::Must,
                vec![replay_finding()],
                1_460,
            ),
            CheckResult::from_findings(
                "ledger.identity_holds",
                "§7",
                "available + reserved equals deposits minus completed charges",
                Severity::Must,
                vec![],
                2_050,
            ),
        ],
        load: None,
        duration_ms: 6_630,
    }
}

/// A percentile distribution shaped like a latency curve with a tail, percentiles 0–100.
fn distribution(p50_us: u64, p99_us: u64, max_us: u64) -> Vec<(f64, u64)> {
    let points = [
        (0.0, p50_us / 3),
        (25.0, p50_us * 3 / 4),
        (50.0, p50_us),
        (75.0, p50_us * 3 / 2),
        (90.0, p50_us * 2),
        (95.0, p50_us * 5 / 2),
        (99.0, p99_us),
        (99.5, p99_us + (max_us - p99_us) / 4),
        (99.9, p99_us + (max_us - p99_us) / 2),
        (99.99, p99_us + (max_us - p99_us) * 9 / 10),
        (100.0, max_us),
    ];
    points.to_vec()
}

fn transaction(
    name: &str,
    count: u64,
    errors: u64,
    latencies_us: [u64; 5],
    mean_us: f64,
) -> TransactionStats {
    let [p50, p90, p99, p999, max] = latencies_us;
    TransactionStats {
        name: name.into(),
        count,
        errors,
        error_rate: errors as f64 / count as f64,
        throughput_per_s: count as f64 / 20.0,
        mean_us,
        p50_us: p50,
        p90_us: p90,
        p99_us: p99,
        p999_us: p999,
        max_us: max,
        distribution: distribution(p50, p99, max),
    }
}

fn timeline() -> Vec<LoadInterval> {
    (0..20)
        .map(|second| {
            // Ramp up over 4 s, a plateau, a latency bump around second 12.
            let ramp = (second + 1).min(4);
            let bump = if (11..=13).contains(&second) { 3 } else { 1 };
            LoadInterval {
                second,
                requests: 60 * ramp + (second * 7) % 11,
                errors: u64::from(second == 12) * 2,
                p50_us: 14_000 + (second % 5) * 600,
                p99_us: 120_000 * bump + (second % 3) * 9_000,
            }
        })
        .collect()
}

fn load_phase() -> PhaseReport {
    PhaseReport {
        name: "load".into(),
        checks: vec![],
        load: Some(LoadSummary {
            scenario: "checkout".into(),
            model: "closed".into(),
            users: 20,
            target_rate_per_s: None,
            duration_s: 20.0,
            transactions: vec![
                transaction(
                    "list_products",
                    2_410,
                    0,
                    [9_800, 21_400, 61_400, 88_000, 97_300],
                    11_870.0,
                ),
                transaction(
                    "get_balance",
                    1_204,
                    0,
                    [6_100, 12_900, 40_200, 55_800, 60_100],
                    7_410.5,
                ),
                transaction(
                    "create_order",
                    1_190,
                    3,
                    [48_100, 97_000, 412_800, 530_000, 611_200],
                    63_220.0,
                ),
            ],
            thresholds: vec![
                ThresholdResult {
                    rule: "list_products:p99<200ms".into(),
                    measured: "61.4ms".into(),
                    passed: true,
                },
                ThresholdResult {
                    rule: "create_order:p99<300ms".into(),
                    measured: "412.8ms".into(),
                    passed: false,
                },
                ThresholdResult {
                    rule: "error_rate<1%".into(),
                    measured: "0.06%".into(),
                    passed: true,
                },
            ],
            timeline: timeline(),
            artifacts: vec!["load-checkout.hgrm".into(), "load-checkout.hlog".into()],
            capacity: None,
        }),
        duration_ms: 21_200,
    }
}
