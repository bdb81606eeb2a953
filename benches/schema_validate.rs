//! How fast one compiled `SchemaSet` validates an Order: a conforming one (the common
//! case in a contract run or a load sample) and a broken one (violations collected).
//! `cargo bench --bench schema_validate`; validations/s = 1 / time per iteration.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gatecheck::apis::gate::schemas::SchemaName;
use gatecheck::engine::schema::SchemaSet;
use serde_json::json;
use std::hint::black_box;

fn order() -> serde_json::Value {
    json!({
        "id": "5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c", "product_id": 456, "quantity": 1,
        "external_ref": "INV-1001", "idempotency_key": "order-1001", "status": "completed",
        "order_content": {"vendor_order_id": "LC-123456"}, "currency_code": "USD",
        "charged_amount": "12.50", "balance_before": "100.00", "balance_after": "87.50",
        "is_test": false, "region_code": "GLOBAL", "created_at": "2024-11-01T10:00:00Z",
        "completed_at": "2024-11-01T10:00:00.120Z", "failed_at": null
    })
}

fn bench(c: &mut Criterion) {
    let set = SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE)
        .expect("embedded schemas compile");
    let valid = order();
    let mut broken = order();
    broken["charged_amount"] = json!(12.5);
    broken["id"] = json!("5C1F4F9D-8B5A-4E8B-8C0E-1D1C2F3A4B5C");
    broken["completed_at"] = json!(null);

    let mut group = c.benchmark_group("order");
    group.throughput(Throughput::Elements(1));
    group.bench_function("validate_valid", |b| {
        b.iter(|| set.validate(SchemaName::Order, black_box(&valid)))
    });
    group.bench_function("validate_broken", |b| {
        b.iter(|| set.validate(SchemaName::Order, black_box(&broken)))
    });
    let page = json!({"items": vec![order(); 20], "next_cursor": "c"});
    group.throughput(Throughput::Elements(20));
    group.bench_function("validate_list_20", |b| {
        b.iter(|| set.validate_list(SchemaName::Order, black_box(&page)))
    });
    group.finish();
    c.bench_function("compile_embedded", |b| {
        b.iter(|| SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("compiles"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
