//! Every example object of GATE_API.md (and every `examples` entry of the schema files)
//! conforms to its schema; additional properties are accepted everywhere; list envelopes
//! are validated item by item.

use gatecheck::apis::gate::schemas::{SchemaName, EMBEDDED_FILES};
use gatecheck::engine::schema::SchemaSet;
use serde_json::{json, Value};

fn set() -> SchemaSet {
    SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE)
        .expect("the embedded schemas compile")
}

fn name_from_title(title: &str) -> SchemaName {
    SchemaName::ALL
        .iter()
        .copied()
        .find(|n| n.title() == title)
        .unwrap_or_else(|| panic!("fixture names unknown schema {title}"))
}

fn contract_examples() -> Vec<(SchemaName, String, Value)> {
    let text = include_str!("fixtures/schema/contract-examples.json");
    let doc: Value = serde_json::from_str(text).expect("fixture is JSON");
    doc["examples"]
        .as_array()
        .expect("examples array")
        .iter()
        .map(|e| {
            (
                name_from_title(e["schema"].as_str().expect("schema")),
                e["section"].as_str().expect("section").to_owned(),
                e["value"].clone(),
            )
        })
        .collect()
}

#[test]
fn every_contract_example_validates() {
    let set = set();
    let examples = contract_examples();
    assert!(
        examples.len() >= 20,
        "the fixture holds the contract's examples"
    );
    let mut covered = std::collections::BTreeSet::new();
    for (name, section, value) in &examples {
        let violations = set.validate(*name, value);
        assert!(
            violations.is_empty(),
            "{name} example of {section} must validate: {violations:?}"
        );
        covered.insert(*name);
    }
    assert_eq!(
        covered.len(),
        SchemaName::ALL.len(),
        "every schema has at least one contract example"
    );
}

#[test]
fn every_schema_file_example_validates() {
    let set = set();
    let mut count = 0;
    for &name in SchemaName::ALL {
        let text = EMBEDDED_FILES
            .iter()
            .find(|(file, _)| *file == name.file_name())
            .map(|(_, text)| *text)
            .expect("embedded");
        let schema: Value = serde_json::from_str(text).expect("json");
        for example in schema["examples"].as_array().into_iter().flatten() {
            let violations = set.validate(name, example);
            assert!(violations.is_empty(), "{name}: {example} -> {violations:?}");
            count += 1;
        }
    }
    assert!(count >= 12);
}

fn with_extra(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "x_future_field".to_owned(),
            json!({"anything": [1, "two", null]}),
        );
    }
    value
}

#[test]
fn additional_properties_are_accepted() {
    let set = set();
    for (name, section, value) in contract_examples() {
        if !value.is_object() {
            continue;
        }
        let extended = with_extra(&value);
        assert_ne!(extended, value);
        let violations = set.validate(name, &extended);
        assert!(
            violations.is_empty(),
            "{name} ({section}) + extra field: {violations:?}"
        );
    }
    // Nested objects too.
    let error = json!({"error": {"code": "not_found", "message": "no such order", "param": null, "doc_url": "https://x"}, "request_id": "r1"});
    assert!(set.validate(SchemaName::Error, &error).is_empty());
}

fn voucher() -> Value {
    json!({
        "id": 123, "name": "Steam Gift Card 10 USD", "type": "voucher", "category_id": 3,
        "currency_code": "USD", "region_code": "US", "is_available": true,
        "price": "10.00", "agent_price": "9.50", "agent_rate": null,
        "min_amount": null, "max_amount": null, "customer_account_fields": [],
        "updated_at": "2024-10-01T00:00:00.5Z"
    })
}

#[test]
fn voucher_and_unknown_product_types_validate() {
    let set = set();
    assert_eq!(set.validate(SchemaName::Product, &voucher()), vec![]);
    // A type code that may appear later: only the shared shape is checked.
    let mut future = voucher();
    future["type"] = json!("gift_bundle");
    future["agent_rate"] = json!("1.0000");
    future["min_amount"] = json!("1.00");
    assert_eq!(set.validate(SchemaName::Product, &future), vec![]);
}

#[test]
fn lifecycle_variants_of_order_and_deposit_validate() {
    let set = set();
    let (_, _, pending) = contract_examples()
        .into_iter()
        .find(|(n, _, _)| *n == SchemaName::Order)
        .expect("order example");
    let mut completed = pending.clone();
    completed["status"] = json!("completed");
    completed["completed_at"] = json!("2024-11-01T10:00:00.100Z");
    assert_eq!(set.validate(SchemaName::Order, &completed), vec![]);
    let mut voucher_done = completed.clone();
    voucher_done["order_content"] = json!({"voucher_code": "ABCD-1234", "voucher_code_2": "EFGH"});
    assert_eq!(set.validate(SchemaName::Order, &voucher_done), vec![]);
    let mut failed = pending.clone();
    failed["status"] = json!("failed");
    failed["failed_at"] = json!("2024-11-01T10:00:01Z");
    failed["order_content"] = json!({});
    failed["external_ref"] = Value::Null;
    failed["idempotency_key"] = Value::Null;
    failed["is_test"] = json!(true);
    assert_eq!(set.validate(SchemaName::Order, &failed), vec![]);
    let rejected = json!({"id": "0b7e6a1e-5d2c-4c53-9d0a-2f1e0c9b8a71", "currency_code": "KZT",
        "amount": "500000.00", "amount_minor": 50000000, "status": "rejected", "reference": "r",
        "created_at": "2024-11-01T09:00:00Z", "posted_at": null});
    assert_eq!(set.validate(SchemaName::AgentDeposit, &rejected), vec![]);
}

#[test]
fn validate_list_checks_envelope_and_every_item_with_its_index() {
    let set = set();
    let good = json!({"items": [voucher(), voucher()], "next_cursor": "c2"});
    assert_eq!(set.validate_list(SchemaName::Product, &good), vec![]);

    let mut bad_item = voucher();
    bad_item["price"] = json!(10.0);
    let page = json!({"items": [voucher(), bad_item], "next_cursor": null});
    let violations = set.validate_list(SchemaName::Product, &page);
    // Two rules break there (nullable amount; a voucher's price is an amount): both reported.
    assert!(!violations.is_empty());
    assert!(
        violations
            .iter()
            .all(|v| v.instance_path == "/items/1/price"),
        "{violations:?}"
    );

    let no_cursor = json!({"items": [voucher()]});
    let violations = set.validate_list(SchemaName::Product, &no_cursor);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].instance_path, "");
    assert!(
        violations[0].message.contains("next_cursor"),
        "{violations:?}"
    );

    let not_a_list = json!([voucher()]);
    assert!(!set
        .validate_list(SchemaName::Product, &not_a_list)
        .is_empty());
}

#[test]
fn violations_come_in_a_deterministic_order() {
    let set = set();
    let broken = json!({"id": "X", "quantity": 0, "status": "nope", "charged_amount": 1});
    let first = set.validate(SchemaName::Order, &broken);
    assert!(first.len() > 4, "{first:?}");
    for _ in 0..5 {
        assert_eq!(set.validate(SchemaName::Order, &broken), first);
    }
    let mut sorted = first.clone();
    sorted.sort_by(|a, b| a.instance_path.cmp(&b.instance_path));
    let paths = |v: &[gatecheck::engine::schema::SchemaViolation]| {
        v.iter()
            .map(|x| x.instance_path.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&first), paths(&sorted));
}
