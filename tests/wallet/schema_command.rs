//! `gatecheck schemas --api wallet export | check | validate`, through the real clap
//! parser: the Wallet's own files, names and verdicts.

use clap::Parser;
use gatecheck::apis::wallet::schemas::{WalletSchema, EMBEDDED_FILES, EMBEDDED_OPENAPI};
use gatecheck::cli::{Cli, Command};
use gatecheck::{Exit, GateError};

fn run(args: &[&str]) -> (Result<Exit, GateError>, String) {
    let cli = Cli::try_parse_from(std::iter::once("gatecheck").chain(args.iter().copied()))
        .expect("the command line parses");
    let Command::Schemas(schemas) = cli.command else {
        panic!("not a schemas command");
    };
    let mut out = Vec::new();
    let result = gatecheck::apis::schemas_command::run_to(schemas, &mut out);
    (result, String::from_utf8(out).expect("utf-8"))
}

const TRANSACTION: &str = r#"{"walletTransactionId": "wt_01KHTPHWP8H8Q2X9K0R1ABCD12",
 "walletTransactionStatus": "SUCCESS", "orderReference": "ORDER-100045", "amount": 15000,
 "currency": "KZT", "authorizedAmount": 15000, "capturedAmount": 10000,
 "cancelledAmount": 5000, "refundedAmount": 2000, "createdAt": "2026-02-19T10:18:58.120Z",
 "updatedAt": "2026-02-19T10:19:40.517Z"}"#;

#[test]
fn export_and_check_work_on_the_wallet_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("wallet");
    let target_str = target.to_str().expect("utf-8 path");
    let (result, out) = run(&["schemas", "--api", "wallet", "export", target_str]);
    assert_eq!(result.expect("export"), Exit::Pass);
    assert!(out.contains("wrote 8 files"), "{out}");
    for (name, text) in EMBEDDED_FILES {
        assert_eq!(std::fs::read_to_string(target.join(name)).unwrap(), text);
    }
    assert_eq!(
        std::fs::read_to_string(target.join("openapi.json")).unwrap(),
        EMBEDDED_OPENAPI
    );
    // The flag after the action works too.
    let (result, out) = run(&[
        "schemas",
        "check",
        "--schemas",
        target_str,
        "--api",
        "wallet",
    ]);
    assert_eq!(result.expect("check"), Exit::Pass);
    assert!(
        out.contains(&format!("{} schemas compiled", WalletSchema::ALL.len())),
        "{out}"
    );
}

#[test]
fn validate_judges_a_wallet_document_by_its_wallet_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.json");
    std::fs::write(&good, TRANSACTION).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, TRANSACTION.replace("15000,", "\"15000\",")).unwrap();
    let (result, out) = run(&[
        "schemas",
        "--api",
        "wallet",
        "validate",
        "--schema",
        "WalletTransaction",
        good.to_str().unwrap(),
    ]);
    assert_eq!(result.expect("ran"), Exit::Pass, "{out}");
    assert!(out.contains("conforms to wallet-transaction"), "{out}");
    let (result, out) = run(&[
        "schemas",
        "--api",
        "wallet",
        "validate",
        "--schema",
        "wallet-transaction",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(result.expect("ran"), Exit::Violations);
    assert!(out.contains("/amount"), "{out}");
    // A Gate schema is not the Wallet's: a usage error, not a verdict.
    let (result, _) = run(&[
        "schemas",
        "--api",
        "wallet",
        "validate",
        "--schema",
        "order",
        good.to_str().unwrap(),
    ]);
    assert_eq!(result.expect_err("not a Wallet schema").exit(), Exit::Usage);
}
