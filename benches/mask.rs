//! How fast the masker (every output's choke point) gets through a long line with two
//! secrets registered: a HAR-like line of JSON escapes only (the common case) and one
//! where JSON, percent and HTML escapes are dense and every sequence of them is decoded
//! (the worst case). `cargo bench --bench mask`; MB/s is the throughput criterion prints.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gatecheck::engine::client::Masker;
use std::hint::black_box;

fn line(unit: &str) -> String {
    unit.repeat((1 << 20) / unit.len())
}

fn bench(c: &mut Criterion) {
    let masker = Masker::new();
    masker.add("sk_test_abcdefgh12345", "GATECHECK_API_KEY");
    masker.add("adm_token_zyxw98765", "GATECHECK_ADMIN_TOKEN");
    let json_only = line(r#"{\"id\":\"5c1f4f9d\",\"text\":\"caf\u00e9 order\"}, "#);
    let dense = line(r#"{\"url\":\"http://x/a?b=1&c=%20d\",\"text\":\"caf\u00e9 &amp; more\"}, "#);

    let mut group = c.benchmark_group("mask_1MiB_line");
    group.sample_size(10);
    for (name, text) in [
        ("json_escapes", &json_only),
        ("dense_mixed_escapes", &dense),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| b.iter(|| masker.mask(black_box(text))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
