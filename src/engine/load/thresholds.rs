//! Threshold rules that gate CI: parse `--threshold` text, evaluate it on the measured
//! statistics.
//!
//! Grammar: `[TRANSACTION:]METRIC OP VALUE`, e.g. `create_order:p99<300ms`,
//! `error_rate<0.1%`, `throughput>=200/s`. METRIC is `p50`, `p90`, `p95`, `p99`, `p99.9`,
//! `max`, `mean` (a duration: `us`, `ms`, `s`), `error_rate` (a percentage `0.1%` or a
//! fraction `0.001`), or `throughput` (`200/s` or `200`). OP is `<`, `<=`, `>`, `>=`.
//! Without a transaction the rule applies to all transactions together.

use std::fmt;

use crate::engine::model::{ThresholdResult, TransactionStats};

/// The rule a load run is gated by when the user gave none: a run that passes with 14 %
/// or 100 % errors is not a pass.
pub const DEFAULT_RULE: &str = "error_rate<1%";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// A latency quantile in 0..=1.
    Quantile(f64),
    Max,
    Mean,
    ErrorRate,
    Throughput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

/// One parsed rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub transaction: Option<String>,
    pub metric: Metric,
    pub op: Op,
    /// Microseconds for latencies, a fraction for the error rate, per second for throughput.
    pub limit: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("threshold `{rule}`: {reason}")]
pub struct ThresholdError {
    pub rule: String,
    pub reason: String,
}

impl std::str::FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Threshold, ThresholdError> {
        let err = |reason: &str| ThresholdError {
            rule: text.to_string(),
            reason: reason.to_string(),
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (transaction, rest) = match compact.split_once(':') {
            Some((t, r)) if !t.is_empty() => (Some(t.to_string()), r.to_string()),
            Some(_) => return Err(err("empty transaction name before `:`")),
            None => (None, compact.clone()),
        };
        let op_at = rest
            .find(['<', '>'])
            .ok_or_else(|| err("no comparison: use <, <=, > or >="))?;
        let (metric_text, op_and_value) = rest.split_at(op_at);
        let (op, value_text) = if let Some(v) = op_and_value.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = op_and_value.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = op_and_value.strip_prefix('<') {
            (Op::Lt, v)
        } else if let Some(v) = op_and_value.strip_prefix('>') {
            (Op::Gt, v)
        } else {
            return Err(err("no comparison: use <, <=, > or >="));
        };
        let metric = match metric_text.to_ascii_lowercase().as_str() {
            "p50" | "median" => Metric::Quantile(0.5),
            "p90" => Metric::Quantile(0.9),
            "p95" => Metric::Quantile(0.95),
            "p99" => Metric::Quantile(0.99),
            "p99.9" | "p999" => Metric::Quantile(0.999),
            "max" => Metric::Max,
            "mean" | "avg" => Metric::Mean,
            "error_rate" | "error-rate" | "errors" => Metric::ErrorRate,
            "throughput" | "rps" => Metric::Throughput,
            other => {
                return Err(err(&format!(
                    "unknown metric `{other}`: use p50, p90, p95, p99, p99.9, max, mean, \
                     error_rate or throughput"
                )))
            }
        };
        let limit = match metric {
            Metric::Quantile(_) | Metric::Max | Metric::Mean => parse_micros(value_text)
                .ok_or_else(|| err(&format!("`{value_text}` is not a duration like 300ms")))?,
            Metric::ErrorRate => parse_fraction(value_text)
                .ok_or_else(|| err(&format!("`{value_text}` is not a rate like 0.1% or 0.001")))?,
            Metric::Throughput => {
                let v = value_text.strip_suffix("/s").unwrap_or(value_text);
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| err(&format!("`{value_text}` is not a rate like 200/s")))?
            }
        };
        Ok(Threshold {
            text: text.trim().to_string(),
            transaction,
            metric,
            op,
            limit,
        })
    }
}

fn parse_micros(s: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("µs") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        return None;
    };
    let v: f64 = number.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * scale)
}

fn parse_fraction(s: &str) -> Option<f64> {
    let v = match s.strip_suffix('%') {
        Some(p) => p.parse::<f64>().ok()? / 100.0,
        None => s.parse::<f64>().ok()?,
    };
    (v.is_finite() && (0.0..=1.0).contains(&v)).then_some(v)
}

impl Op {
    fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        })
    }
}

impl Threshold {
    /// Evaluates the rule on the transaction's statistics (`overall` when the rule names
    /// none). A rule naming a transaction that recorded nothing fails, saying so.
    pub fn evaluate(
        &self,
        transactions: &[TransactionStats],
        overall: &TransactionStats,
    ) -> ThresholdResult {
        let stats = match &self.transaction {
            None => Some(overall),
            Some(name) => transactions.iter().find(|t| &t.name == name),
        };
        let Some(stats) = stats.filter(|s| s.count > 0) else {
            return ThresholdResult {
                rule: self.text.clone(),
                measured: "no samples".into(),
                passed: false,
            };
        };
        let (measured, shown) = match self.metric {
            Metric::Quantile(q) => {
                let v = quantile_of(stats, q) as f64;
                (v, format_micros(v))
            }
            Metric::Max => (stats.max_us as f64, format_micros(stats.max_us as f64)),
            Metric::Mean => (stats.mean_us, format_micros(stats.mean_us)),
            Metric::ErrorRate => (
                stats.error_rate,
                format!("{:.3}%", stats.error_rate * 100.0),
            ),
            Metric::Throughput => (
                stats.throughput_per_s,
                format!("{:.1}/s", stats.throughput_per_s),
            ),
        };
        ThresholdResult {
            rule: self.text.clone(),
            measured: shown,
            passed: self.op.holds(measured, self.limit),
        }
    }
}

fn quantile_of(s: &TransactionStats, q: f64) -> u64 {
    let exact = [
        (0.5, s.p50_us),
        (0.9, s.p90_us),
        (0.99, s.p99_us),
        (0.999, s.p999_us),
    ];
    match exact.iter().find(|(x, _)| (x - q).abs() < 1e-12) {
        Some((_, v)) => *v,
        None => s
            .distribution
            .iter()
            .find(|(p, _)| *p >= q * 100.0)
            .map_or(s.max_us, |(_, v)| *v),
    }
}

/// `212.4ms`, `1.20s`, `850us`.
pub fn format_micros(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{:.2}s", us / 1_000_000.0)
    } else if us >= 1_000.0 {
        format!("{:.1}ms", us / 1_000.0)
    } else {
        format!("{us:.0}us")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(name: &str) -> TransactionStats {
        TransactionStats {
            name: name.into(),
            count: 1000,
            errors: 2,
            error_rate: 0.002,
            throughput_per_s: 250.0,
            mean_us: 20_000.0,
            p50_us: 10_000,
            p90_us: 50_000,
            p99_us: 250_000,
            p999_us: 400_000,
            max_us: 500_000,
            distribution: vec![(95.0, 90_000)],
        }
    }

    #[test]
    fn parses_the_issue_examples() {
        let t: Threshold = "create_order:p99<300ms".parse().expect("parse");
        assert_eq!(t.transaction.as_deref(), Some("create_order"));
        assert_eq!(
            (t.metric, t.op, t.limit),
            (Metric::Quantile(0.99), Op::Lt, 300_000.0)
        );
        let t: Threshold = "error_rate<0.1%".parse().expect("parse");
        assert_eq!((t.metric, t.limit), (Metric::ErrorRate, 0.001));
        let t: Threshold = "throughput>=200/s".parse().expect("parse");
        assert_eq!(
            (t.metric, t.op, t.limit),
            (Metric::Throughput, Op::Ge, 200.0)
        );
        assert!("p99<fast".parse::<Threshold>().is_err());
        assert!("latency<3ms".parse::<Threshold>().is_err());
        assert!("p99=3ms".parse::<Threshold>().is_err());
    }

    #[test]
    fn evaluates_with_the_measured_value() {
        let all = stats("all");
        let txs = vec![stats("create_order")];
        let r = "create_order:p99<300ms"
            .parse::<Threshold>()
            .expect("p")
            .evaluate(&txs, &all);
        assert!(r.passed);
        assert_eq!(r.measured, "250.0ms");
        let r = "error_rate<0.1%"
            .parse::<Threshold>()
            .expect("p")
            .evaluate(&txs, &all);
        assert!(!r.passed);
        assert_eq!(r.measured, "0.200%");
        let r = "throughput>=200/s"
            .parse::<Threshold>()
            .expect("p")
            .evaluate(&txs, &all);
        assert!(r.passed);
        let r = "p95<100ms"
            .parse::<Threshold>()
            .expect("p")
            .evaluate(&txs, &all);
        assert!(r.passed, "{r:?}");
        let r = "nope:p99<1s"
            .parse::<Threshold>()
            .expect("p")
            .evaluate(&txs, &all);
        assert!(!r.passed);
    }
}
