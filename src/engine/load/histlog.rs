//! HdrHistogram files: `.hgrm` percentile distributions, and interval logs (one
//! V2-deflate-compressed histogram per tag per second) — written by a run, read back and
//! added together by `gatecheck merge`.
//!
//! Interval-log tags are `<transaction>.<class>` (`get_product.2xx`, `create_order.5xx`,
//! `get_product.io` for no response) plus `<transaction>.error` holding the latencies of the
//! requests counted as errors (they also appear under their class). Values are
//! microseconds. Timestamps are seconds since the log's `BaseTime` (the run's start, Unix
//! time), so logs from several machines line up on one clock.
//!
//! **Invariant:** merging is exact — histograms are added bucket by bucket, never
//! re-sampled or averaged.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds from 1 µs to one hour, 3 significant digits.
pub const HIGHEST_US: u64 = 3_600_000_000;
pub const SIGFIG: u8 = 3;

/// A fresh histogram with gatecheck's standard bounds.
pub fn new_histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts; failure would be a programming error
    // caught by every test.
    Histogram::new_with_bounds(1, HIGHEST_US, SIGFIG).expect("constant histogram bounds are valid")
}

/// Writes the percentile distribution in the `.hgrm` text format of HdrHistogram's
/// `outputPercentileDistribution`, values in milliseconds.
pub fn write_hgrm(h: &Histogram<u64>, mut w: impl Write) -> io::Result<()> {
    const SCALE: f64 = 1000.0; // µs → ms
    writeln!(
        w,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    if !h.is_empty() {
        let mut total = 0u64;
        for v in h.iter_quantiles(5) {
            total += v.count_since_last_iteration();
            let q = v.quantile_iterated_to();
            let value = v.value_iterated_to() as f64 / SCALE;
            if q < 1.0 {
                writeln!(
                    w,
                    "{:>12.3} {:>2.12} {:>10} {:>14.2}",
                    value,
                    q,
                    total,
                    1.0 / (1.0 - q)
                )?;
            } else {
                writeln!(w, "{:>12.3} {:>2.12} {:>10}", value, q, total)?;
            }
        }
    }
    writeln!(
        w,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        h.mean() / SCALE,
        h.stdev() / SCALE
    )?;
    writeln!(
        w,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        h.max() as f64 / SCALE,
        h.len()
    )?;
    writeln!(
        w,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        sub_bucket_count(h.sigfig())
    )?;
    Ok(())
}

/// HdrHistogram's sub-bucket count for a precision: the power of two ≥ 2·10^sigfig.
fn sub_bucket_count(sigfig: u8) -> u64 {
    (2 * 10u64.pow(u32::from(sigfig))).next_power_of_two()
}

/// An interval log being written into memory; the caller saves the bytes.
pub struct IntervalLogBuffer {
    bytes: Vec<u8>,
    serializer: V2DeflateSerializer,
}

impl IntervalLogBuffer {
    /// Starts a log whose timestamps count from `start` (written as StartTime and BaseTime).
    pub fn begin(start: SystemTime, comment: &str) -> io::Result<IntervalLogBuffer> {
        let mut bytes = Vec::new();
        let mut serializer = V2DeflateSerializer::new();
        IntervalLogWriterBuilder::new()
            .add_comment(comment)
            .add_comment("values in microseconds; tags <transaction>.<2xx|3xx|4xx|5xx|io|error>")
            .with_start_time(start)
            .with_base_time(start)
            .begin_log_with(&mut bytes, &mut serializer)?;
        Ok(IntervalLogBuffer { bytes, serializer })
    }

    /// Appends one interval histogram; `offset` counts from the log's BaseTime.
    pub fn append(
        &mut self,
        h: &Histogram<u64>,
        offset: Duration,
        duration: Duration,
        tag: &str,
    ) -> io::Result<()> {
        let tag = Tag::new(tag).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("bad log tag `{tag}`"))
        })?;
        // A builder with no headers writes nothing before the interval line.
        let mut writer = IntervalLogWriterBuilder::new()
            .begin_log_with(&mut self.bytes, &mut self.serializer)?;
        writer
            .write_histogram(h, offset, duration, Some(tag))
            .map_err(|e| io::Error::other(format!("{e:?}")))
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// One interval read back from a log, on the absolute (Unix) clock.
#[derive(Debug, Clone)]
pub struct LoggedInterval {
    pub tag: String,
    pub start: Duration,
    pub duration: Duration,
    pub histogram: Histogram<u64>,
}

/// A log that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LogReadError {
    #[error("not an interval log: parse error at byte {0}")]
    Parse(usize),
    #[error("interval at {0:?}: {1}")]
    Histogram(Duration, String),
}

/// Reads every interval of a log; timestamps are made absolute with the log's BaseTime.
pub fn read_log(bytes: &[u8]) -> Result<Vec<LoggedInterval>, LogReadError> {
    let mut base = Duration::ZERO;
    let mut out = Vec::new();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(bytes) {
        match entry {
            Err(hdrhistogram::serialization::interval_log::LogIteratorError::ParseError {
                offset,
            }) => return Err(LogReadError::Parse(offset)),
            Ok(LogEntry::BaseTime(t)) => base = t,
            Ok(LogEntry::StartTime(_)) => {}
            Ok(LogEntry::Interval(i)) => {
                let start = base + i.start_timestamp();
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(i.encoded_histogram())
                    .map_err(|e| LogReadError::Histogram(start, e.to_string()))?;
                let decoded: Histogram<u64> = deserializer
                    .deserialize(&mut raw.as_slice())
                    .map_err(|e| LogReadError::Histogram(start, format!("{e:?}")))?;
                let mut histogram = new_histogram();
                histogram
                    .add(&decoded)
                    .map_err(|e| LogReadError::Histogram(start, format!("{e:?}")))?;
                out.push(LoggedInterval {
                    tag: i.tag().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    start,
                    duration: i.duration(),
                    histogram,
                });
            }
        }
    }
    Ok(out)
}

/// Adds every interval of every log into one histogram per tag.
pub fn merge_by_tag<'a>(
    intervals: impl IntoIterator<Item = &'a LoggedInterval>,
) -> BTreeMap<String, Histogram<u64>> {
    let mut merged: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    for i in intervals {
        let total = merged.entry(i.tag.clone()).or_insert_with(new_histogram);
        // Same bounds on both sides (read_log normalises), so adding cannot fail.
        let _ = total.add(&i.histogram);
    }
    merged
}

/// Seconds since the Unix epoch for a wall-clock time (zero before 1970).
pub fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_round_trips() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut log = IntervalLogBuffer::begin(start, "test").expect("begin");
        let mut h = new_histogram();
        for v in [100, 200, 300, 40_000] {
            h.record(v).expect("in range");
        }
        log.append(
            &h,
            Duration::from_secs(1),
            Duration::from_secs(1),
            "get_product.2xx",
        )
        .expect("append");
        let read = read_log(log.bytes()).expect("read");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].tag, "get_product.2xx");
        assert_eq!(read[0].start, Duration::from_secs(1_700_000_001));
        assert_eq!(read[0].histogram, h);
    }

    #[test]
    fn hgrm_has_the_standard_footer() {
        let mut h = new_histogram();
        h.record(1500).expect("in range");
        let mut out = Vec::new();
        write_hgrm(&h, &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.contains("Total count    =            1"), "{text}");
        assert!(text.contains("1.500"), "{text}");
    }
}
