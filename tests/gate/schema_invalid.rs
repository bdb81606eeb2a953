//! A table of invalid variants per schema: each must be rejected, with a violation at
//! the instance path where the contract is broken.

use gatecheck::apis::gate::schemas::SchemaName;
use gatecheck::engine::schema::SchemaSet;
use serde_json::{json, Value};

/// A change to a valid base object: set a JSON pointer to a value, or remove it.
enum Edit {
    Set(&'static str, Value),
    Remove(&'static str),
}
use Edit::{Remove, Set};

struct Case {
    title: &'static str,
    schema: SchemaName,
    base: fn() -> Value,
    edits: Vec<Edit>,
    /// The instance path a violation must be reported at.
    at: &'static str,
}

fn apply(mut value: Value, edits: &[Edit]) -> Value {
    for edit in edits {
        match edit {
            Set(pointer, new) => {
                if pointer.is_empty() {
                    value = new.clone();
                    continue;
                }
                let (parent, key) = pointer.rsplit_once('/').expect("pointer");
                let target = value.pointer_mut(parent).expect("parent exists");
                match target {
                    Value::Object(map) => {
                        map.insert(key.to_owned(), new.clone());
                    }
                    Value::Array(items) => {
                        let index: usize = key.parse().expect("index");
                        items[index] = new.clone();
                    }
                    _ => panic!("cannot set {pointer}"),
                }
            }
            Remove(pointer) => {
                let (parent, key) = pointer.rsplit_once('/').expect("pointer");
                let target = value.pointer_mut(parent).expect("parent exists");
                target
                    .as_object_mut()
                    .expect("object")
                    .remove(key)
                    .expect("field existed");
            }
        }
    }
    value
}

fn order() -> Value {
    json!({
        "id": "5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c", "product_id": 456, "quantity": 1,
        "external_ref": "INV-1001", "idempotency_key": "order-1001", "status": "pending",
        "order_content": {"vendor_order_id": "LC-123456"}, "currency_code": "USD",
        "charged_amount": "12.50", "balance_before": "100.00", "balance_after": "87.50",
        "is_test": false, "region_code": "GLOBAL", "created_at": "2024-11-01T10:00:00Z",
        "completed_at": null, "failed_at": null
    })
}
fn completed_order() -> Value {
    apply(
        order(),
        &[
            Set("/status", json!("completed")),
            Set("/completed_at", json!("2024-11-01T10:00:01Z")),
        ],
    )
}
fn failed_order() -> Value {
    apply(
        order(),
        &[
            Set("/status", json!("failed")),
            Set("/failed_at", json!("2024-11-01T10:00:01Z")),
            Set("/order_content", json!({})),
        ],
    )
}
fn voucher() -> Value {
    json!({
        "id": 123, "name": "Gift Card 10 USD", "type": "voucher", "category_id": 3,
        "currency_code": "USD", "region_code": "US", "is_available": true,
        "price": "10.00", "agent_price": "9.50", "agent_rate": null,
        "min_amount": null, "max_amount": null, "customer_account_fields": [],
        "updated_at": "2024-10-01T00:00:00Z"
    })
}
fn direct_top_up() -> Value {
    json!({
        "id": 456, "name": "Steam Wallet Top-Up (USD)", "type": "direct_top_up", "category_id": 3,
        "currency_code": "USD", "region_code": "GLOBAL", "is_available": true,
        "price": null, "agent_price": null, "agent_rate": "1.2500",
        "min_amount": "1.00", "max_amount": "500.00",
        "customer_account_fields": [
            {"name": "steam_login", "required": true, "pattern": "^[A-Za-z0-9_]{3,32}$"},
            {"name": "email", "required": false, "pattern": null}
        ],
        "updated_at": "2024-10-01T00:00:00Z"
    })
}
fn product_type() -> Value {
    json!({"id": 2, "code": "direct_top_up", "name": "Direct top-up"})
}
fn category() -> Value {
    json!({"id": 3, "name": "Games", "parent_id": null})
}
fn balance() -> Value {
    json!({"currency_code": "USD", "available": "87.50", "reserved": "12.50",
           "available_minor": 8750, "reserved_minor": 1250, "updated_at": "2024-11-01T10:00:00Z"})
}
fn deposit() -> Value {
    json!({"id": "0b7e6a1e-5d2c-4c53-9d0a-2f1e0c9b8a71", "currency_code": "USD", "amount": "100.00",
           "amount_minor": 10000, "status": "completed", "reference": "wire-2024-11-01",
           "created_at": "2024-11-01T09:00:00Z", "posted_at": "2024-11-01T09:05:00Z"})
}
fn error() -> Value {
    json!({"error": {"code": "insufficient_balance", "message": "Available balance 5.00 USD is below the charge 12.50 USD", "param": null}})
}
fn health() -> Value {
    json!({"status": "ok", "version": "0.1.0", "time": "2024-11-01T10:00:00Z"})
}
fn list() -> Value {
    json!({"items": [], "next_cursor": "abc"})
}
fn amount() -> Value {
    json!("12.50")
}
fn topup() -> Value {
    json!({"amount": "10.00", "customer_account": {"steam_login": "player123"}})
}
fn create_order() -> Value {
    json!({"product_id": 456, "quantity": 1, "currency_code": "USD", "external_ref": "INV-1",
           "topup_request": topup(), "test": false})
}

fn case(
    title: &'static str,
    schema: SchemaName,
    base: fn() -> Value,
    edits: Vec<Edit>,
    at: &'static str,
) -> Case {
    Case {
        title,
        schema,
        base,
        edits,
        at,
    }
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use SchemaName as S;
    vec![
        // Order: money
        case("number instead of DecimalAmount", S::Order, order, vec![Set("/charged_amount", json!(12.5))], "/charged_amount"),
        case("one decimal", S::Order, order, vec![Set("/charged_amount", json!("12.5"))], "/charged_amount"),
        case("three decimals", S::Order, order, vec![Set("/charged_amount", json!("12.500"))], "/charged_amount"),
        case("negative amount", S::Order, order, vec![Set("/balance_after", json!("-1.00"))], "/balance_after"),
        case("leading zero", S::Order, order, vec![Set("/balance_before", json!("0100.00"))], "/balance_before"),
        case("exponent", S::Order, order, vec![Set("/balance_before", json!("1e2"))], "/balance_before"),
        case("null amount", S::Order, order, vec![Set("/charged_amount", Value::Null)], "/charged_amount"),
        // Order: ids and codes
        case("uppercase UUID", S::Order, order, vec![Set("/id", json!("5C1F4F9D-8B5A-4E8B-8C0E-1D1C2F3A4B5C"))], "/id"),
        case("not a UUID", S::Order, order, vec![Set("/id", json!("order-1"))], "/id"),
        case("UUID without hyphens", S::Order, order, vec![Set("/id", json!("5c1f4f9d8b5a4e8b8c0e1d1c2f3a4b5c"))], "/id"),
        case("product_id as string", S::Order, order, vec![Set("/product_id", json!("456"))], "/product_id"),
        case("product_id zero", S::Order, order, vec![Set("/product_id", json!(0))], "/product_id"),
        case("lowercase currency", S::Order, order, vec![Set("/currency_code", json!("usd"))], "/currency_code"),
        case("region of 3 letters", S::Order, order, vec![Set("/region_code", json!("USA"))], "/region_code"),
        case("region lowercase global", S::Order, order, vec![Set("/region_code", json!("global"))], "/region_code"),
        // Order: timestamps
        case("+01:00 offset", S::Order, order, vec![Set("/created_at", json!("2024-11-01T11:00:00+01:00"))], "/created_at"),
        case("+00:00 instead of Z", S::Order, order, vec![Set("/created_at", json!("2024-11-01T10:00:00+00:00"))], "/created_at"),
        case("lowercase z", S::Order, order, vec![Set("/created_at", json!("2024-11-01T10:00:00z"))], "/created_at"),
        case("space separator", S::Order, order, vec![Set("/created_at", json!("2024-11-01 10:00:00Z"))], "/created_at"),
        case("no seconds", S::Order, order, vec![Set("/created_at", json!("2024-11-01T10:00Z"))], "/created_at"),
        case("month 13", S::Order, order, vec![Set("/created_at", json!("2024-13-01T10:00:00Z"))], "/created_at"),
        case("epoch number", S::Order, order, vec![Set("/created_at", json!(1730455200))], "/created_at"),
        // Order: presence, enums, ranges
        case("missing currency_code", S::Order, order, vec![Remove("/currency_code")], ""),
        case("missing completed_at", S::Order, order, vec![Remove("/completed_at")], ""),
        case("unknown status", S::Order, order, vec![Set("/status", json!("done"))], "/status"),
        case("quantity 0", S::Order, order, vec![Set("/quantity", json!(0))], "/quantity"),
        case("quantity 101", S::Order, order, vec![Set("/quantity", json!(101))], "/quantity"),
        case("is_test as string", S::Order, order, vec![Set("/is_test", json!("false"))], "/is_test"),
        case("external_ref empty", S::Order, order, vec![Set("/external_ref", json!(""))], "/external_ref"),
        case("external_ref 65 chars", S::Order, order, vec![Set("/external_ref", json!("x".repeat(65)))], "/external_ref"),
        case("idempotency_key non-ASCII", S::Order, order, vec![Set("/idempotency_key", json!("ключ"))], "/idempotency_key"),
        case("order_content non-string value", S::Order, order, vec![Set("/order_content/vendor_order_id", json!(123456))], "/order_content/vendor_order_id"),
        case("order_content not an object", S::Order, order, vec![Set("/order_content", json!(["LC-1"]))], "/order_content"),
        // Order: status-dependent rules
        case("completed with null completed_at", S::Order, completed_order, vec![Set("/completed_at", Value::Null)], "/completed_at"),
        case("completed with failed_at set", S::Order, completed_order, vec![Set("/failed_at", json!("2024-11-01T10:00:01Z"))], "/failed_at"),
        case("completed without voucher_code or vendor_order_id", S::Order, completed_order, vec![Set("/order_content", json!({}))], "/order_content"),
        case("pending with completed_at", S::Order, order, vec![Set("/completed_at", json!("2024-11-01T10:00:01Z"))], "/completed_at"),
        case("pending with failed_at", S::Order, order, vec![Set("/failed_at", json!("2024-11-01T10:00:01Z"))], "/failed_at"),
        case("failed with null failed_at", S::Order, failed_order, vec![Set("/failed_at", Value::Null)], "/failed_at"),
        case("failed with completed_at", S::Order, failed_order, vec![Set("/completed_at", json!("2024-11-01T10:00:01Z"))], "/completed_at"),
        case("failed with content", S::Order, failed_order, vec![Set("/order_content", json!({"voucher_code": "X"}))], "/order_content"),
        // Product
        case("voucher with agent_rate", S::Product, voucher, vec![Set("/agent_rate", json!("1.2500"))], "/agent_rate"),
        case("voucher with min_amount", S::Product, voucher, vec![Set("/min_amount", json!("1.00"))], "/min_amount"),
        case("voucher with max_amount", S::Product, voucher, vec![Set("/max_amount", json!("9.00"))], "/max_amount"),
        case("voucher without price", S::Product, voucher, vec![Set("/price", Value::Null)], "/price"),
        case("voucher without agent_price", S::Product, voucher, vec![Set("/agent_price", Value::Null)], "/agent_price"),
        case("voucher with account fields", S::Product, voucher, vec![Set("/customer_account_fields", json!([{"name": "a", "required": true, "pattern": null}]))], "/customer_account_fields"),
        case("voucher price as number", S::Product, voucher, vec![Set("/price", json!(10))], "/price"),
        case("direct top-up with price", S::Product, direct_top_up, vec![Set("/price", json!("10.00"))], "/price"),
        case("direct top-up with agent_price", S::Product, direct_top_up, vec![Set("/agent_price", json!("9.00"))], "/agent_price"),
        case("direct top-up without agent_rate", S::Product, direct_top_up, vec![Set("/agent_rate", Value::Null)], "/agent_rate"),
        case("rate with 2 decimals", S::Product, direct_top_up, vec![Set("/agent_rate", json!("1.25"))], "/agent_rate"),
        case("rate as number", S::Product, direct_top_up, vec![Set("/agent_rate", json!(1.25))], "/agent_rate"),
        case("direct top-up without min_amount", S::Product, direct_top_up, vec![Set("/min_amount", Value::Null)], "/min_amount"),
        case("direct top-up max_amount one decimal", S::Product, direct_top_up, vec![Set("/max_amount", json!("500.0"))], "/max_amount"),
        case("account field required as string", S::Product, direct_top_up, vec![Set("/customer_account_fields/0/required", json!("yes"))], "/customer_account_fields/0/required"),
        case("account field pattern not a regex", S::Product, direct_top_up, vec![Set("/customer_account_fields/1/pattern", json!("(["))], "/customer_account_fields/1/pattern"),
        case("account field without name", S::Product, direct_top_up, vec![Remove("/customer_account_fields/1/name")], "/customer_account_fields/1"),
        case("is_available as string", S::Product, voucher, vec![Set("/is_available", json!("true"))], "/is_available"),
        case("category_id negative", S::Product, voucher, vec![Set("/category_id", json!(-3))], "/category_id"),
        case("region alpha-3", S::Product, voucher, vec![Set("/region_code", json!("USA"))], "/region_code"),
        case("updated_at with offset", S::Product, voucher, vec![Set("/updated_at", json!("2024-10-01T00:00:00-05:00"))], "/updated_at"),
        case("missing type", S::Product, voucher, vec![Remove("/type")], ""),
        // ProductType / ProductCategory
        case("type id as string", S::ProductType, product_type, vec![Set("/id", json!("2"))], "/id"),
        case("type without code", S::ProductType, product_type, vec![Remove("/code")], ""),
        case("type with empty code", S::ProductType, product_type, vec![Set("/code", json!(""))], "/code"),
        case("category parent as string", S::ProductCategory, category, vec![Set("/parent_id", json!("3"))], "/parent_id"),
        case("category parent zero", S::ProductCategory, category, vec![Set("/parent_id", json!(0))], "/parent_id"),
        case("category without parent_id", S::ProductCategory, category, vec![Remove("/parent_id")], ""),
        // AgentBalance
        case("available as number", S::AgentBalance, balance, vec![Set("/available", json!(87.5))], "/available"),
        case("reserved negative", S::AgentBalance, balance, vec![Set("/reserved", json!("-12.50"))], "/reserved"),
        case("minor negative", S::AgentBalance, balance, vec![Set("/available_minor", json!(-1))], "/available_minor"),
        case("minor as string", S::AgentBalance, balance, vec![Set("/reserved_minor", json!("1250"))], "/reserved_minor"),
        case("minor fractional", S::AgentBalance, balance, vec![Set("/reserved_minor", json!(1250.5))], "/reserved_minor"),
        case("balance without updated_at", S::AgentBalance, balance, vec![Remove("/updated_at")], ""),
        // AgentDeposit
        case("completed deposit with null posted_at", S::AgentDeposit, deposit, vec![Set("/posted_at", Value::Null)], "/posted_at"),
        case("pending deposit with posted_at", S::AgentDeposit, deposit, vec![Set("/status", json!("pending"))], "/posted_at"),
        case("rejected deposit with posted_at", S::AgentDeposit, deposit, vec![Set("/status", json!("rejected"))], "/posted_at"),
        case("deposit status unknown", S::AgentDeposit, deposit, vec![Set("/status", json!("posted"))], "/status"),
        case("deposit amount_minor negative", S::AgentDeposit, deposit, vec![Set("/amount_minor", json!(-10000))], "/amount_minor"),
        case("deposit id uppercase", S::AgentDeposit, deposit, vec![Set("/id", json!("0B7E6A1E-5D2C-4C53-9D0A-2F1E0C9B8A71"))], "/id"),
        case("deposit reference number", S::AgentDeposit, deposit, vec![Set("/reference", json!(42))], "/reference"),
        // Error
        case("unknown error code", S::Error, error, vec![Set("/error/code", json!("oops"))], "/error/code"),
        case("error without message", S::Error, error, vec![Remove("/error/message")], "/error"),
        case("error param as number", S::Error, error, vec![Set("/error/param", json!(5))], "/error/param"),
        case("error flat", S::Error, error, vec![Set("", json!({"code": "not_found", "message": "x"}))], ""),
        case("error as string", S::Error, error, vec![Set("/error", json!("not_found"))], "/error"),
        // Health
        case("health status up", S::Health, health, vec![Set("/status", json!("up"))], "/status"),
        case("healthy without time", S::Health, health, vec![Remove("/time")], ""),
        case("health time with offset", S::Health, health, vec![Set("/time", json!("2024-11-01T10:00:00+02:00"))], "/time"),
        // List envelope
        case("list without next_cursor", S::List, list, vec![Remove("/next_cursor")], ""),
        case("list without items", S::List, list, vec![Remove("/items")], ""),
        case("next_cursor number", S::List, list, vec![Set("/next_cursor", json!(2))], "/next_cursor"),
        case("next_cursor empty", S::List, list, vec![Set("/next_cursor", json!(""))], "/next_cursor"),
        case("items an object", S::List, list, vec![Set("/items", json!({}))], "/items"),
        case("more than 100 items", S::List, list, vec![Set("/items", Value::Array(vec![json!({}); 101]))], "/items"),
        // DecimalAmount alone
        case("amount number", S::DecimalAmount, amount, vec![Set("", json!(12.5))], ""),
        case("amount 12.5", S::DecimalAmount, amount, vec![Set("", json!("12.5"))], ""),
        case("amount -1.00", S::DecimalAmount, amount, vec![Set("", json!("-1.00"))], ""),
        case("amount with comma", S::DecimalAmount, amount, vec![Set("", json!("1,00"))], ""),
        case("amount with space", S::DecimalAmount, amount, vec![Set("", json!(" 1.00"))], ""),
        case("amount .50", S::DecimalAmount, amount, vec![Set("", json!(".50"))], ""),
        // TopupRequest
        case("request amount number", S::TopupRequest, topup, vec![Set("/amount", json!(10))], "/amount"),
        case("request amount zero", S::TopupRequest, topup, vec![Set("/amount", json!("0"))], "/amount"),
        case("request amount 0.00", S::TopupRequest, topup, vec![Set("/amount", json!("0.00"))], "/amount"),
        case("request amount negative", S::TopupRequest, topup, vec![Set("/amount", json!("-5"))], "/amount"),
        case("request amount 3 decimals", S::TopupRequest, topup, vec![Set("/amount", json!("10.505"))], "/amount"),
        case("request amount exponent", S::TopupRequest, topup, vec![Set("/amount", json!("1e2"))], "/amount"),
        case("request amount whitespace", S::TopupRequest, topup, vec![Set("/amount", json!(" 10"))], "/amount"),
        case("request amount trailing dot", S::TopupRequest, topup, vec![Set("/amount", json!("10."))], "/amount"),
        case("no customer_account", S::TopupRequest, topup, vec![Remove("/customer_account")], ""),
        case("customer_account not an object", S::TopupRequest, topup, vec![Set("/customer_account", json!("player123"))], "/customer_account"),
        case("customer_account non-string value", S::TopupRequest, topup, vec![Set("/customer_account/steam_login", json!(123))], "/customer_account/steam_login"),
        // CreateOrderRequest
        case("no product_id", S::CreateOrderRequest, create_order, vec![Remove("/product_id")], ""),
        case("product_id string", S::CreateOrderRequest, create_order, vec![Set("/product_id", json!("456"))], "/product_id"),
        case("product_id boolean", S::CreateOrderRequest, create_order, vec![Set("/product_id", json!(true))], "/product_id"),
        case("quantity 0", S::CreateOrderRequest, create_order, vec![Set("/quantity", json!(0))], "/quantity"),
        case("quantity 101", S::CreateOrderRequest, create_order, vec![Set("/quantity", json!(101))], "/quantity"),
        case("quantity string", S::CreateOrderRequest, create_order, vec![Set("/quantity", json!("1"))], "/quantity"),
        case("currency lowercase", S::CreateOrderRequest, create_order, vec![Set("/currency_code", json!("usd"))], "/currency_code"),
        case("external_ref empty", S::CreateOrderRequest, create_order, vec![Set("/external_ref", json!(""))], "/external_ref"),
        case("external_ref too long", S::CreateOrderRequest, create_order, vec![Set("/external_ref", json!("r".repeat(65)))], "/external_ref"),
        case("test as 1", S::CreateOrderRequest, create_order, vec![Set("/test", json!(1))], "/test"),
        case("nested amount invalid", S::CreateOrderRequest, create_order, vec![Set("/topup_request/amount", json!("10.505"))], "/topup_request/amount"),
        case("nested customer_account missing", S::CreateOrderRequest, create_order, vec![Remove("/topup_request/customer_account")], "/topup_request"),
        case("body not an object", S::CreateOrderRequest, create_order, vec![Set("", json!([1]))], ""),
    ]
}

#[test]
fn every_invalid_variant_is_rejected_at_its_path() {
    let set =
        SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("schemas compile");
    let cases = cases();
    assert!(cases.len() > 100);
    let mut failures = Vec::new();
    for case in &cases {
        let base = (case.base)();
        assert!(
            set.validate(case.schema, &base).is_empty(),
            "base of '{}' must be valid",
            case.title
        );
        let instance = apply(base, &case.edits);
        let violations = set.validate(case.schema, &instance);
        if !violations.iter().any(|v| v.instance_path == case.at) {
            failures.push(format!(
                "{} ({}): expected a violation at '{}', got {:?}",
                case.title, case.schema, case.at, violations
            ));
        }
        for v in &violations {
            assert!(!v.message.is_empty(), "{}: empty message", case.title);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn messages_name_the_broken_rule() {
    let set =
        SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("schemas compile");
    let mut o = order();
    o["charged_amount"] = json!(12.5);
    let v = set.validate(SchemaName::Order, &o);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].message.contains("string"), "{}", v[0].message);

    o["charged_amount"] = json!("12.5");
    let v = set.validate(SchemaName::Order, &o);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].message.contains("does not match"), "{}", v[0].message);
    assert!(v[0].schema_path.contains("pattern"), "{}", v[0].schema_path);

    let mut p = voucher();
    p["price"] = json!(10);
    let v = set.validate(SchemaName::Product, &p);
    assert!(
        v.iter().all(|x| x.instance_path == "/price"),
        "a number in a nullable amount is one finding at /price: {v:?}"
    );
    assert!(v[0].message.contains("\"string\""), "{}", v[0].message);
    assert_eq!(v[0].to_string(), format!("/price: {}", v[0].message));
}
