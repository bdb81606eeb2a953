//! Recording latencies from many users without locks in the hot path.
//!
//! Each transaction ends by sending one plain, `Copy` [`Sample`] (numbers only: no string,
//! no allocation, no lock) on an unbounded channel. One collector thread owns every
//! histogram: per transaction × status class totals, and per-second interval histograms
//! that it serialises into the interval log as soon as a second is complete (memory
//! stays bounded however long the run). The live progress view reads two atomics.
//!
//! **Invariant:** users never touch a histogram; the collector never does I/O besides
//! appending to the in-memory interval log.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::engine::load::histlog::{new_histogram, IntervalLogBuffer};
use crate::engine::model::LoadInterval;

/// How the response ended, as far as the histogram split is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusClass {
    S2xx = 0,
    S3xx = 1,
    S4xx = 2,
    S5xx = 3,
    /// No HTTP response (connection error, timeout).
    NoResponse = 4,
}

impl StatusClass {
    pub const ALL: [StatusClass; 5] = [
        StatusClass::S2xx,
        StatusClass::S3xx,
        StatusClass::S4xx,
        StatusClass::S5xx,
        StatusClass::NoResponse,
    ];

    pub fn of(status: u16) -> StatusClass {
        match status {
            200..=299 => StatusClass::S2xx,
            300..=399 => StatusClass::S3xx,
            500..=599 => StatusClass::S5xx,
            _ => StatusClass::S4xx,
        }
    }

    /// The interval-log tag suffix.
    pub fn label(self) -> &'static str {
        match self {
            StatusClass::S2xx => "2xx",
            StatusClass::S3xx => "3xx",
            StatusClass::S4xx => "4xx",
            StatusClass::S5xx => "5xx",
            StatusClass::NoResponse => "io",
        }
    }

    pub fn from_label(s: &str) -> Option<StatusClass> {
        StatusClass::ALL.into_iter().find(|c| c.label() == s)
    }
}

/// Why a transaction counts as an error. Plain data; rendered only in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorReason {
    /// A status other than the one the transaction expects.
    UnexpectedStatus(u16),
    /// No HTTP response within the timeout.
    Timeout,
    /// Connection or protocol failure.
    Transport,
    /// The body is not the JSON the contract describes (sampled schema check).
    SchemaViolation,
    /// A replay did not return the same order with `Idempotent-Replayed: true`.
    ReplayMismatch,
    /// The order did not reach a terminal status within the poll timeout.
    NotTerminal,
    /// A success answer that contradicts its request (another transaction, another
    /// amount than the one asked for).
    AnswerMismatch,
}

impl std::fmt::Display for ErrorReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorReason::UnexpectedStatus(s) => write!(f, "unexpected status {s}"),
            ErrorReason::Timeout => f.write_str("timeout"),
            ErrorReason::Transport => f.write_str("transport error"),
            ErrorReason::SchemaViolation => f.write_str("schema violation"),
            ErrorReason::ReplayMismatch => f.write_str("replay mismatch"),
            ErrorReason::NotTerminal => f.write_str("not terminal in time"),
            ErrorReason::AnswerMismatch => f.write_str("answer contradicts the request"),
        }
    }
}

/// One finished transaction. Times are microseconds since the run's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub transaction: u16,
    pub class: StatusClass,
    pub error: Option<ErrorReason>,
    /// When the transaction should have started (open model) or did start (closed).
    pub intended_us: u64,
    /// From the intended start to the end of the last response body.
    pub latency_us: u64,
    /// How late the send was behind its schedule (0 in the closed model).
    pub lag_us: u64,
    /// The part of `lag_us` the generator caused: the user was idle, waiting for its slot.
    pub generator_lag_us: u64,
}

enum Message {
    Sample(Sample),
    /// A rare, human-readable remark (first schema violation, spend cap reached).
    Note(String),
    Finish {
        elapsed_us: u64,
    },
}

/// Counters the progress bar reads while the run goes on.
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub transactions: AtomicU64,
    pub errors: AtomicU64,
}

/// The user side: cheap to clone, one per goose user (or shared).
#[derive(Clone)]
pub struct SampleSender {
    tx: UnboundedSender<Message>,
}

impl SampleSender {
    /// The hot path: one channel push of a `Copy` struct.
    #[inline]
    pub fn record(&self, sample: Sample) {
        let _ = self.tx.send(Message::Sample(sample));
    }

    /// Rare events only (never per request).
    pub fn note(&self, text: String) {
        let _ = self.tx.send(Message::Note(text));
    }
}

/// The collector's handle: finish it to get the [`Recording`].
pub struct Collector {
    tx: UnboundedSender<Message>,
    thread: std::thread::JoinHandle<Recording>,
    pub live: Arc<LiveCounters>,
}

/// Everything one transaction recorded.
#[derive(Debug, Clone)]
pub struct TransactionRecord {
    pub name: String,
    /// Indexed by `StatusClass as usize`.
    pub by_class: [Histogram<u64>; 5],
    /// Latencies of the samples counted as errors (a subset of `by_class`).
    pub errors: Histogram<u64>,
    pub error_reasons: BTreeMap<String, u64>,
}

impl TransactionRecord {
    pub fn new(name: String) -> TransactionRecord {
        TransactionRecord {
            name,
            by_class: std::array::from_fn(|_| new_histogram()),
            errors: new_histogram(),
            error_reasons: BTreeMap::new(),
        }
    }

    /// All samples of the transaction.
    pub fn all(&self) -> Histogram<u64> {
        let mut h = new_histogram();
        for c in &self.by_class {
            let _ = h.add(c);
        }
        h
    }
}

/// What a run recorded: the input to the summary and the artifacts.
#[derive(Debug, Clone)]
pub struct Recording {
    pub transactions: Vec<TransactionRecord>,
    pub timeline: Vec<LoadInterval>,
    pub interval_log: Vec<u8>,
    pub duration: Duration,
    pub late_sends: u64,
    pub max_lag_us: u64,
    /// Sends more than 10 ms late by the generator's own fault (see `Sample`).
    pub generator_late: u64,
    /// The largest such lag.
    pub generator_lag_max_us: u64,
    pub notes: Vec<String>,
}

/// Starts the collector for the named transactions; `start` stamps the interval log.
pub fn start(
    names: Vec<String>,
    start: SystemTime,
    comment: &str,
) -> std::io::Result<(Collector, SampleSender)> {
    let (tx, rx) = unbounded_channel();
    let live = Arc::new(LiveCounters::default());
    let log = IntervalLogBuffer::begin(start, comment)?;
    let state = State::new(names, log, live.clone());
    let thread = std::thread::Builder::new()
        .name("gatecheck-recorder".into())
        .spawn(move || state.run(rx))?;
    Ok((
        Collector {
            tx: tx.clone(),
            thread,
            live,
        },
        SampleSender { tx },
    ))
}

impl Collector {
    /// Ends the recording. Every sample sent before this call is included (all senders'
    /// sends happen-before it). `elapsed` is the run's wall-clock length, used as the
    /// duration only when no sample arrived.
    pub fn finish(self, elapsed: Duration) -> anyhow::Result<Recording> {
        let _ = self.tx.send(Message::Finish {
            elapsed_us: elapsed.as_micros() as u64,
        });
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the latency recorder thread panicked"))
    }
}

/// How long the collector sleeps when the channel is empty.
const POLL_INTERVAL: Duration = Duration::from_millis(2);

/// A sample later than this behind the schedule counts as a late send.
const LATE: u64 = 10_000;

struct Second {
    by_tag: BTreeMap<(u16, u8), Histogram<u64>>,
    all: Histogram<u64>,
    errors: u64,
}

struct State {
    records: Vec<TransactionRecord>,
    open: BTreeMap<u64, Second>,
    /// Seconds before this one are written out; late samples go into it.
    first_open: u64,
    log: IntervalLogBuffer,
    timeline: Vec<LoadInterval>,
    live: Arc<LiveCounters>,
    late_sends: u64,
    max_lag_us: u64,
    generator_late: u64,
    generator_lag_max_us: u64,
    notes: Vec<String>,
    /// Earliest intended start and latest completion: the run's active span.
    span_us: Option<(u64, u64)>,
}

impl State {
    fn new(names: Vec<String>, log: IntervalLogBuffer, live: Arc<LiveCounters>) -> State {
        State {
            records: names.into_iter().map(TransactionRecord::new).collect(),
            open: BTreeMap::new(),
            first_open: 0,
            log,
            timeline: Vec::new(),
            live,
            late_sends: 0,
            max_lag_us: 0,
            generator_late: 0,
            generator_lag_max_us: 0,
            notes: Vec::new(),
            span_us: None,
        }
    }

    fn run(mut self, mut rx: UnboundedReceiver<Message>) -> Recording {
        let mut elapsed_us = 0;
        // Polled, not parked: a parked receiver makes every sender's push a futex wake-up
        // (a context switch per request); draining in batches costs none.
        loop {
            let msg = match rx.try_recv() {
                Ok(msg) => msg,
                Err(TryRecvError::Empty) => {
                    std::thread::sleep(POLL_INTERVAL);
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
            };
            match msg {
                Message::Sample(s) => self.add(s),
                Message::Note(n) => {
                    if self.notes.len() < 50 && !self.notes.contains(&n) {
                        self.notes.push(n);
                    }
                }
                Message::Finish { elapsed_us: e } => {
                    elapsed_us = e;
                    break;
                }
            }
        }
        self.close_through(u64::MAX);
        Recording {
            transactions: self.records,
            timeline: self.timeline,
            interval_log: self.log.into_bytes(),
            // Throughput counts over the span samples cover (user start-up and shutdown
            // excluded); the wall-clock length when nothing was recorded.
            duration: Duration::from_micros(match self.span_us {
                Some((first, last)) if last > first => last - first,
                _ => elapsed_us,
            }),
            late_sends: self.late_sends,
            max_lag_us: self.max_lag_us,
            generator_late: self.generator_late,
            generator_lag_max_us: self.generator_lag_max_us,
            notes: self.notes,
        }
    }

    fn add(&mut self, s: Sample) {
        let Some(record) = self.records.get_mut(s.transaction as usize) else {
            return;
        };
        let latency = s.latency_us.max(1);
        record.by_class[s.class as usize].saturating_record(latency);
        if let Some(reason) = s.error {
            record.errors.saturating_record(latency);
            *record.error_reasons.entry(reason.to_string()).or_insert(0) += 1;
            self.live.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.live.transactions.fetch_add(1, Ordering::Relaxed);
        if s.lag_us > LATE {
            self.late_sends += 1;
        }
        self.max_lag_us = self.max_lag_us.max(s.lag_us);
        if s.generator_lag_us > LATE {
            self.generator_late += 1;
        }
        self.generator_lag_max_us = self.generator_lag_max_us.max(s.generator_lag_us);
        let done = s.intended_us + s.latency_us;
        self.span_us = Some(match self.span_us {
            None => (s.intended_us, done),
            Some((first, last)) => (first.min(s.intended_us), last.max(done)),
        });

        let second = ((s.intended_us + s.latency_us) / 1_000_000).max(self.first_open);
        let bucket = self.open.entry(second).or_insert_with(|| Second {
            by_tag: BTreeMap::new(),
            all: new_histogram(),
            errors: 0,
        });
        bucket
            .by_tag
            .entry((s.transaction, s.class as u8))
            .or_insert_with(new_histogram)
            .saturating_record(latency);
        if s.error.is_some() {
            bucket
                .by_tag
                .entry((s.transaction, u8::MAX))
                .or_insert_with(new_histogram)
                .saturating_record(latency);
            bucket.errors += 1;
        }
        bucket.all.saturating_record(latency);
        // Completions arrive nearly in order: a second is final two seconds later.
        if second >= self.first_open + 3 {
            self.close_through(second - 2);
        }
    }

    /// Writes out every open second below `end`.
    fn close_through(&mut self, end: u64) {
        let keep = match end {
            u64::MAX => BTreeMap::new(),
            e => self.open.split_off(&e),
        };
        let closed = std::mem::replace(&mut self.open, keep);
        for (second, bucket) in closed {
            for ((tx, class), h) in &bucket.by_tag {
                let name = &self.records[*tx as usize].name;
                let suffix = match StatusClass::ALL.get(*class as usize) {
                    Some(c) => c.label(),
                    None => "error",
                };
                let tag = format!("{name}.{suffix}");
                if let Err(e) =
                    self.log
                        .append(h, Duration::from_secs(second), Duration::from_secs(1), &tag)
                {
                    self.notes.push(format!("interval log: {e}"));
                }
            }
            self.timeline.push(LoadInterval {
                second,
                requests: bucket.all.len(),
                errors: bucket.errors,
                p50_us: bucket.all.value_at_quantile(0.5),
                p99_us: bucket.all.value_at_quantile(0.99),
            });
        }
        if end != u64::MAX {
            self.first_open = self.first_open.max(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::load::histlog::read_log;

    #[test]
    fn samples_land_in_totals_timeline_and_log() {
        let (collector, sender) =
            start(vec!["a".into(), "b".into()], SystemTime::now(), "t").expect("start");
        for i in 0..5_000u64 {
            sender.record(Sample {
                transaction: (i % 2) as u16,
                class: if i % 10 == 0 {
                    StatusClass::S5xx
                } else {
                    StatusClass::S2xx
                },
                error: (i % 10 == 0).then_some(ErrorReason::UnexpectedStatus(500)),
                intended_us: i * 1_000,
                latency_us: 500 + i,
                lag_us: 0,
                generator_lag_us: 0,
            });
        }
        let rec = collector.finish(Duration::from_secs(5)).expect("finish");
        let total: u64 = rec.transactions.iter().map(|t| t.all().len()).sum();
        assert_eq!(total, 5_000);
        assert_eq!(rec.transactions[0].errors.len(), 500);
        assert_eq!(rec.timeline.iter().map(|i| i.requests).sum::<u64>(), 5_000);
        let logged = read_log(&rec.interval_log).expect("log");
        let logged_total: u64 = logged
            .iter()
            .filter(|i| !i.tag.ends_with(".error"))
            .map(|i| i.histogram.len())
            .sum();
        assert_eq!(logged_total, 5_000);
    }
}
