//! Recorded histograms → the [`LoadSummary`] every report renders: per-transaction
//! percentiles, error rate and throughput, an `all` row, and threshold verdicts.
//! Also rebuilds the same records from interval logs, so `gatecheck merge` and a live run
//! share one path from histograms to numbers.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::engine::load::histlog::{merge_by_tag, new_histogram, LoggedInterval};
use crate::engine::load::recorder::{StatusClass, TransactionRecord};
use crate::engine::load::thresholds::Threshold;
use crate::engine::model::{LoadInterval, LoadSummary, TransactionStats};

/// Percentiles kept for the distribution plot.
const DISTRIBUTION: [f64; 14] = [
    0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999, 100.0,
];

/// Statistics of one histogram set over a run of `duration`.
pub fn stats(
    name: &str,
    all: &Histogram<u64>,
    errors: u64,
    duration: Duration,
) -> TransactionStats {
    let count = all.len();
    let seconds = duration.as_secs_f64();
    let q = |x: f64| {
        if count == 0 {
            0
        } else {
            all.value_at_quantile(x)
        }
    };
    TransactionStats {
        name: name.to_string(),
        count,
        errors,
        error_rate: if count == 0 {
            0.0
        } else {
            errors as f64 / count as f64
        },
        throughput_per_s: if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        },
        mean_us: if count == 0 { 0.0 } else { all.mean() },
        p50_us: q(0.5),
        p90_us: q(0.9),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: if count == 0 { 0 } else { all.max() },
        distribution: if count == 0 {
            Vec::new()
        } else {
            DISTRIBUTION
                .iter()
                .map(|p| (*p, all.value_at_quantile(p / 100.0)))
                .collect()
        },
    }
}

/// One row per transaction (in scenario order) plus the `all` row.
pub fn transaction_rows(
    records: &[TransactionRecord],
    duration: Duration,
) -> (Vec<TransactionStats>, TransactionStats) {
    let mut total = new_histogram();
    let mut total_errors = 0;
    let rows = records
        .iter()
        .map(|r| {
            let all = r.all();
            let _ = total.add(&all);
            total_errors += r.errors.len();
            stats(&r.name, &all, r.errors.len(), duration)
        })
        .collect();
    (rows, stats("all", &total, total_errors, duration))
}

/// The shape of the run, for the summary header.
#[derive(Debug, Clone)]
pub struct RunShape {
    pub scenario: String,
    pub users: u64,
    pub target_rate_per_s: Option<f64>,
}

/// Assembles the summary; the `all` row comes last among the transactions.
pub fn build(
    shape: &RunShape,
    records: &[TransactionRecord],
    timeline: Vec<LoadInterval>,
    duration: Duration,
    thresholds: &[Threshold],
    artifacts: Vec<String>,
) -> LoadSummary {
    let (mut rows, overall) = transaction_rows(records, duration);
    let results = thresholds
        .iter()
        .map(|t| t.evaluate(&rows, &overall))
        .collect();
    rows.push(overall);
    LoadSummary {
        scenario: shape.scenario.clone(),
        model: if shape.target_rate_per_s.is_some() {
            "open"
        } else {
            "closed"
        }
        .to_string(),
        users: shape.users,
        target_rate_per_s: shape.target_rate_per_s,
        duration_s: duration.as_secs_f64(),
        transactions: rows,
        thresholds: results,
        timeline,
        artifacts,
        capacity: None,
    }
}

/// Records and timeline rebuilt from interval logs (of one or many machines), added
/// exactly; the duration is the span from the earliest interval start to the latest end.
pub fn from_intervals(
    intervals: &[LoggedInterval],
) -> (Vec<TransactionRecord>, Vec<LoadInterval>, Duration) {
    let mut records: Vec<TransactionRecord> = Vec::new();
    for (tag, h) in merge_by_tag(intervals) {
        let Some((name, suffix)) = tag.rsplit_once('.') else {
            continue;
        };
        let index = match records.iter().position(|r| r.name == name) {
            Some(i) => i,
            None => {
                records.push(TransactionRecord::new(name.to_string()));
                records.len() - 1
            }
        };
        let record = &mut records[index];
        if suffix == "error" {
            let _ = record.errors.add(&h);
        } else if let Some(class) = StatusClass::from_label(suffix) {
            let _ = record.by_class[class as usize].add(&h);
        }
    }
    let Some(origin) = intervals.iter().map(|i| i.start).min() else {
        return (records, Vec::new(), Duration::ZERO);
    };
    let end = intervals
        .iter()
        .map(|i| i.start + i.duration)
        .max()
        .unwrap_or(origin);
    struct Bucket {
        all: Histogram<u64>,
        errors: u64,
    }
    let mut seconds: BTreeMap<u64, Bucket> = BTreeMap::new();
    for i in intervals {
        let second = (i.start - origin).as_secs();
        let b = seconds.entry(second).or_insert_with(|| Bucket {
            all: new_histogram(),
            errors: 0,
        });
        if i.tag.ends_with(".error") {
            b.errors += i.histogram.len();
        } else {
            let _ = b.all.add(&i.histogram);
        }
    }
    let timeline = seconds
        .into_iter()
        .map(|(second, b)| LoadInterval {
            second,
            requests: b.all.len(),
            errors: b.errors,
            p50_us: b.all.value_at_quantile(0.5),
            p99_us: b.all.value_at_quantile(0.99),
        })
        .collect();
    (records, timeline, end - origin)
}
