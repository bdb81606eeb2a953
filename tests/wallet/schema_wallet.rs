//! `schemas/wallet/`: the OpenAPI document is valid OpenAPI 3.1 (the official meta-schema),
//! the bundle compiles with every `$ref` resolved, the examples conform, the schemas are
//! not vacuous, and every exchange with the sandbox's Wallet conforms to both the schemas
//! and the OpenAPI document.

use std::path::Path;

use gatecheck::apis::wallet::schemas::{WalletSchema, BUNDLE};
use gatecheck::engine::schema::openapi::OpenApi;
use gatecheck::engine::schema::SchemaSet;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

fn read_json(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_document_validates_against_the_oas_3_1_meta_schema() {
    let meta = read_json("tests/gate/fixtures/schema/oas-3.1-schema-2022-10-07.json");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&meta)
        .expect("the OAS meta-schema compiles");
    let doc = read_json("schemas/wallet/openapi.json");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path.as_str()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let mut broken = doc.clone();
    broken["paths"]["/v1/wallet/authorize"]["post"]["responses"]["201"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    assert!(!validator.is_valid(&broken));
    let mut broken = doc;
    broken["openapi"] = json!("3.0.3");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn the_bundle_compiles_and_the_examples_conform() {
    let set = SchemaSet::embedded(&BUNDLE).expect("the Wallet schemas compile");
    let api = OpenApi::embedded(&BUNDLE).expect("the Wallet OpenAPI document compiles");
    assert!(api.operations().len() >= 7, "{:?}", api.operations());
    for &name in WalletSchema::ALL {
        let doc = read_json(&format!("schemas/wallet/{}", name.file_name()));
        for example in doc["examples"].as_array().into_iter().flatten() {
            assert!(set.validate(name, example).is_empty(), "{name}: {example}");
        }
    }
    // Not vacuous: each rule of the objects refuses what the contract forbids.
    let tx = read_json("schemas/wallet/wallet-transaction.json")["examples"][0].clone();
    for (field, bad) in [
        ("amount", json!("15000")),
        ("capturedAmount", json!(-1)),
        ("refundedAmount", json!(1.5)),
        (
            "walletTransactionId",
            json!("wt_01jdm3z7v8h8q2x9k0r1abcd12"),
        ),
        ("walletTransactionStatus", json!("DONE")),
        ("createdAt", json!("2026-02-19T10:18:58Z")),
        ("updatedAt", json!("2026-02-19T10:18:58.120+00:00")),
        ("currency", json!("kzt")),
    ] {
        let mut t = tx.clone();
        t[field] = bad.clone();
        assert!(
            !set.validate(WalletSchema::WalletTransaction, &t).is_empty(),
            "{field}: {bad}"
        );
    }
    let list = json!({"items": [tx], "nextCursor": null});
    assert!(set
        .validate_list(WalletSchema::WalletTransaction, &list)
        .is_empty());
    assert!(!set
        .validate(
            WalletSchema::List,
            &json!({"items": [], "next_cursor": null})
        )
        .is_empty());
    assert!(!set
        .validate(
            WalletSchema::Error,
            &json!({"error": {"code": "teapot", "message": "x"}})
        )
        .is_empty());
    assert!(!set
        .validate(
            WalletSchema::AuthorizeRequest,
            &json!({"amount": 0, "phoneNumber": "+77001234567",
            "iin": "900101300007", "orderReference": "x", "currency": "KZT"})
        )
        .is_empty());
}

/// Judges one exchange: the schema of its route and status, and the OpenAPI document.
fn judge(set: &SchemaSet, api: &OpenApi, method: &str, path: &str, r: &Resp) {
    let body = r.json();
    let status = r.status();
    let violations = if status >= 400 {
        set.validate(WalletSchema::Error, &body)
    } else if path.contains("/transactions") && method == "GET" {
        set.validate_list(WalletSchema::WalletTransaction, &body)
    } else if ["/capture", "/cancel", "/refund"]
        .iter()
        .any(|o| path.ends_with(o))
    {
        set.validate(WalletSchema::WalletOperation, &body)
    } else {
        set.validate(WalletSchema::WalletTransaction, &body)
    };
    assert!(
        violations.is_empty(),
        "{method} {path} {status}: {violations:?}\n{}",
        r.text
    );
    let template = api
        .match_path(path)
        .unwrap_or_else(|| panic!("{path} is documented"));
    let judged = api
        .validate_response(
            method,
            template,
            status,
            (!r.text.is_empty()).then_some(&body),
        )
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    assert!(judged.is_empty(), "{method} {path} {status}: {judged:?}");
}

#[tokio::test]
async fn every_sandbox_exchange_conforms_to_the_schemas_and_the_document() {
    let set = SchemaSet::embedded(&BUNDLE).unwrap();
    let api = OpenApi::embedded(&BUNDLE).unwrap();
    let sb = start().await;
    let key = sb.key();
    let mut seen = Vec::new();
    let authorize = "/v1/wallet/authorize";
    let r = sb
        .post(
            authorize,
            Some(&fresh_key()),
            &auth_body(15_000, "+77001234567", "S-1"),
        )
        .await;
    judge(&set, &api, "POST", authorize, &r);
    seen.push(r.status());
    let id = r.json()["walletTransactionId"]
        .as_str()
        .unwrap()
        .to_string();
    sb.wait_status(&id, "SUCCESS").await;
    let open = sb.authorize(100, "+77001111111").await["walletTransactionId"]
        .as_str()
        .unwrap()
        .to_string();
    let used = fresh_key();
    sb.op(&id, "capture", 1, Some(&used)).await.ok(200);
    let cases: Vec<(Method, String, Option<Value>, Option<String>)> = vec![
        (
            Method::POST,
            authorize.into(),
            Some(auth_body(0, "+77001234567", "S")),
            Some(fresh_key()),
        ),
        (
            Method::POST,
            authorize.into(),
            Some(auth_body(1, "+77001234567", "S")),
            None,
        ),
        (
            Method::POST,
            format!("/v1/wallet/{id}/capture"),
            Some(json!({"amount": 9_999})),
            Some(fresh_key()),
        ),
        (
            Method::POST,
            format!("/v1/wallet/{id}/capture"),
            Some(json!({"amount": 10_000})),
            None,
        ),
        (
            Method::POST,
            format!("/v1/wallet/{id}/cancel"),
            Some(json!({"amount": 5_000})),
            None,
        ),
        (
            Method::POST,
            format!("/v1/wallet/{id}/refund"),
            Some(json!({"amount": 2_000})),
            None,
        ),
        (
            Method::POST,
            format!("/v1/wallet/{id}/refund"),
            Some(json!({"amount": "1"})),
            None,
        ),
        (
            Method::POST,
            "/v1/wallet/wt_bad/refund".into(),
            Some(json!({"amount": 1})),
            None,
        ),
        (
            Method::POST,
            "/v1/wallet/wt_01KHTPHWP8H8Q2X9K0R1ABCD12/capture".into(),
            Some(json!({"amount": 1})),
            None,
        ),
        (
            Method::POST,
            format!("/v1/wallet/{open}/capture"),
            Some(json!({"amount": 1})),
            None,
        ),
        (
            Method::POST,
            format!("/v1/wallet/{id}/capture"),
            Some(json!({"amount": 2})),
            Some(used),
        ),
        (
            Method::GET,
            format!("/v1/wallet/transaction/{id}"),
            None,
            None,
        ),
        (
            Method::GET,
            "/v1/wallet/transaction/wt_01KHTPHWP8H8Q2X9K0R1ABCD12".into(),
            None,
            None,
        ),
        (
            Method::GET,
            "/v1/wallet/transactions/?limit=1".into(),
            None,
            None,
        ),
        (
            Method::GET,
            "/v1/wallet/transactions?status=SUCCESS".into(),
            None,
            None,
        ),
        (
            Method::GET,
            "/v1/wallet/transactions?limit=0".into(),
            None,
            None,
        ),
        (
            Method::DELETE,
            format!("/v1/wallet/transaction/{id}"),
            None,
            None,
        ),
    ];
    for (method, path, body, idem) in cases {
        let mut headers = vec![("authorization", key.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        if let Some(i) = &idem {
            headers.push(("idempotency-key", i.as_str()));
        }
        let r = sb
            .send(
                method.clone(),
                &path,
                &headers,
                body.map(|b| b.to_string().into_bytes()),
            )
            .await;
        judge(&set, &api, method.as_str(), &path, &r);
        seen.push(r.status());
    }
    let r = sb
        .send(Method::GET, "/v1/wallet/transactions", &[], None)
        .await;
    judge(&set, &api, "GET", "/v1/wallet/transactions", &r);
    seen.push(r.status());
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen,
        vec![200, 201, 400, 401, 404, 405, 409, 422],
        "the cases cover these statuses"
    );
}
