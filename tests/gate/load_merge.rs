//! Merge exactness: interval logs of two runs, added by `gatecheck merge`, equal one
//! histogram of all their samples — bucket for bucket, not approximately.

use std::time::{Duration, UNIX_EPOCH};

use gatecheck::engine::load::histlog::{merge_by_tag, new_histogram, read_log, IntervalLogBuffer};
use gatecheck::engine::load::summary;
use rand::{Rng, SeedableRng};

/// A log of `seconds` per-second histograms for tag `get_product.2xx`, and the samples.
fn worker_log(seed: u64, start_s: u64, seconds: u64) -> (Vec<u8>, Vec<u64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut log = IntervalLogBuffer::begin(UNIX_EPOCH + Duration::from_secs(start_s), "worker")
        .expect("begin");
    let mut all = Vec::new();
    for s in 0..seconds {
        let mut h = new_histogram();
        for _ in 0..2_000 {
            // A long-tailed latency: mostly ~1 ms, sometimes up to 2 s.
            let v: u64 = if rng.random_bool(0.01) {
                rng.random_range(100_000..2_000_000)
            } else {
                rng.random_range(200..5_000)
            };
            h.record(v).expect("in range");
            all.push(v);
        }
        log.append(
            &h,
            Duration::from_secs(s),
            Duration::from_secs(1),
            "get_product.2xx",
        )
        .expect("append");
    }
    (log.into_bytes(), all)
}

#[test]
fn two_merged_logs_equal_one_histogram_of_all_samples() {
    let (log_a, samples_a) = worker_log(1, 1_700_000_000, 5);
    let (log_b, samples_b) = worker_log(2, 1_700_000_002, 4);
    let mut intervals = read_log(&log_a).expect("a");
    intervals.extend(read_log(&log_b).expect("b"));

    let merged = merge_by_tag(&intervals);
    let mut expected = new_histogram();
    for v in samples_a.iter().chain(&samples_b) {
        expected.record(*v).expect("in range");
    }
    let got = &merged["get_product.2xx"];
    assert_eq!(got.len(), 18_000);
    assert_eq!(
        *got, expected,
        "merged histogram differs from the histogram of all samples"
    );
    for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(
            got.value_at_quantile(q),
            expected.value_at_quantile(q),
            "quantile {q}"
        );
    }

    // The summary path used by `gatecheck merge` reports the same numbers, on one clock.
    let (records, timeline, duration) = summary::from_intervals(&intervals);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].all(), expected);
    assert_eq!(
        duration,
        Duration::from_secs(6),
        "worker b ends 6 s after worker a starts"
    );
    assert_eq!(timeline.iter().map(|i| i.requests).sum::<u64>(), 18_000);
    assert_eq!(timeline.len(), 6);
    assert_eq!(timeline[2].requests, 4_000, "second 2 holds both workers");
}

#[tokio::test]
async fn the_merge_command_writes_an_exact_report() {
    let dir = tempfile::tempdir().expect("tmp");
    let (log_a, samples_a) = worker_log(3, 1_700_000_000, 3);
    let (log_b, samples_b) = worker_log(4, 1_700_000_000, 3);
    let a = dir.path().join("a.hlog");
    let b = dir.path().join("b.hlog");
    std::fs::write(&a, log_a).expect("write");
    std::fs::write(&b, log_b).expect("write");
    let out = dir.path().join("merged");
    let exit =
        gatecheck::apis::gate::load::cli::run_merge(gatecheck::apis::gate::load::cli::MergeArgs {
            logs: vec![a, b],
            thresholds: vec!["get_product:p50<1ms".into()],
            out: Some(out.clone()),
        })
        .await
        .expect("merge");

    let mut expected = new_histogram();
    for v in samples_a.iter().chain(&samples_b) {
        expected.record(*v).expect("in range");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report"))
            .expect("json");
    let row = &report["phases"][0]["load"]["transactions"][0];
    assert_eq!(row["name"], "get_product");
    assert_eq!(row["count"], 12_000);
    assert_eq!(row["p99_us"], expected.value_at_quantile(0.99));
    assert_eq!(row["max_us"], expected.max());
    // The p50 of ~2.6 ms fails a 1 ms rule: exit 1, and the rule shows its measured value.
    assert_eq!(exit, gatecheck::Exit::Violations);
    let rule = &report["phases"][0]["load"]["thresholds"][0];
    assert_eq!(rule["passed"], false);
    assert!(
        rule["measured"].as_str().is_some_and(|m| m.ends_with("ms")),
        "{rule}"
    );
    // The merged log reads back to the same totals.
    let merged_log = read_log(&std::fs::read(out.join("load.hlog")).expect("log")).expect("parse");
    assert_eq!(merge_by_tag(&merged_log)["get_product.2xx"], expected);
    assert!(out.join("get_product.hgrm").exists());
}
