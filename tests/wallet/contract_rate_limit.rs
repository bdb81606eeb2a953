//! A `429` the client gave up waiting out is no evidence: every Wallet check that meets
//! one where it expected another answer reports itself inconclusive (a skip with the
//! reason) — never failed, and never silently passed.

use std::time::Instant;

use gatecheck::apis::wallet::contract::checks::{expect, expect_status, invalid, Param};
use gatecheck::apis::wallet::contract::context::{Operation, Sent};
use gatecheck::engine::contract::recorder::fake::observed_op;
use gatecheck::engine::contract::Check;
use gatecheck::engine::model::Outcome;

const CHECK: Check = Check::must("wallet.test.check", "§3 Errors", "a test rule");

fn rate_limited() -> Sent {
    Ok(observed_op(
        Operation::default(),
        "POST",
        "/v1/wallet/authorize",
        429,
        &[("content-type", "application/json"), ("retry-after", "1")],
        r#"{"error":{"code":"rate_limited","message":"slow down","param":null}}"#,
    ))
}

fn outcome(findings: Vec<gatecheck::engine::model::Finding>) -> Outcome {
    CHECK.result(Ok(findings), Instant::now()).outcome
}

#[test]
fn a_given_up_429_makes_the_check_inconclusive() {
    let sent = rate_limited();
    for finding in [
        expect(
            &CHECK,
            "x",
            &sent,
            401,
            "unauthorized",
            Param::is("Authorization"),
        ),
        invalid(&CHECK, "x", &sent, "amount"),
        expect_status(&CHECK, "x", &sent, 201),
    ] {
        let finding = finding.expect("a 429 is not the expected answer: no silent pass");
        match outcome(vec![finding]) {
            Outcome::Skipped { reason } => assert!(reason.contains("429"), "{reason}"),
            other => panic!("a 429 must be inconclusive, got {other:?}"),
        }
    }
}

#[test]
fn the_expected_answer_is_no_finding() {
    let sent: Sent = Ok(observed_op(
        Operation::default(),
        "POST",
        "/v1/wallet/authorize",
        400,
        &[("content-type", "application/json; charset=utf-8")],
        r#"{"error":{"code":"invalid_request","message":"any text at all","param":"amount"}}"#,
    ));
    assert!(invalid(&CHECK, "x", &sent, "amount").is_none());
    assert!(matches!(outcome(Vec::new()), Outcome::Passed));
}
