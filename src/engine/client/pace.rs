//! Client-side pacing: a rate limit is the target's right, never a finding (a `429` is
//! an answer that says "later"). Every request an [`super::ApiClient`] sends passes here:
//!
//! - an optional polite cap on the whole run (`--max-rps`), a token bucket of burst 1;
//! - one adaptive bucket per credential (the target limits per key), AIMD-style: unlimited
//!   until the first `429`, then the rate the key was actually allowed in the last second,
//!   less a margin; every further `429` (at most one a second) cuts it by 30%; every quiet
//!   second (no `429`) raises it again, quickly back towards the rate that was limited and
//!   slowly past it, so a sporadic `429` costs a moment, not the rest of the run; each
//!   time a `429` meets the same limit again, the probes past it wait twice as long (up
//!   to a minute), so a long run at a strict limit does not spend its budget. A `429`
//!   after almost no traffic on the key (under two answers in the last second) teaches no
//!   rate: its `Retry-After` pause is all the pacing it asks for;
//! - a `429` pauses that key for its `Retry-After` (a whole number of seconds ≥ 1; when
//!   absent or malformed, an exponential back-off) and the request is sent again, within
//!   a per-request and a per-run budget. Past the budget the `429` is handed back as
//!   the answer: the caller reports its check as inconclusive, never as failed.
//!
//! Bursts that must stay bursts (concurrency probes) bypass the buckets and are not
//! retried. Every `429` is kept (up to a cap) so an API's checks can judge its
//! `Retry-After`; the pacer itself judges nothing.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::Exchange;

/// How polite to be and how long to wait for a rate-limited answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PaceConfig {
    /// At most this many requests per second from the whole run; `None`: no cap.
    pub max_rps: Option<f64>,
    /// The longest one request may wait through `429`s before it is given up.
    pub request_budget: Duration,
    /// The longest the whole run may spend waiting through `429`s.
    pub run_budget: Duration,
}

impl Default for PaceConfig {
    fn default() -> PaceConfig {
        PaceConfig {
            max_rps: None,
            request_budget: Duration::from_secs(30),
            run_budget: Duration::from_secs(300),
        }
    }
}

/// How many `429`s are kept for the checks to judge.
const KEPT_429S: usize = 200;
/// The longest back-off when a `429` gives no usable `Retry-After`.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// A learned rate never falls below this (requests per second).
const MIN_RATE: f64 = 0.5;
/// A cut keeps this share of the rate that met the `429`.
const CUT: f64 = 0.7;
/// Below 90% of the limited rate a quiet second closes half the gap; past it, a quiet
/// second probes this share of the limited rate higher (at least `MIN_RATE`).
const PROBE: f64 = 0.05;
/// Pacing decisions (cuts, raises) are at most one per this long per key.
const PACE_STEP: Duration = Duration::from_secs(1);
/// A `429` met within this share of the last one's rate is the same limit met again.
const SAME_LIMIT: f64 = 1.15;
/// The longest wait between two probes past 90% of a limit met again and again.
const MAX_PROBE_EVERY: Duration = Duration::from_secs(64);

/// What a caller does after a `429`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterLimit {
    /// Send again (the pacer holds the request until its key may send).
    Retry,
    /// The budget is spent: hand the `429` back.
    GiveUp,
}

/// The `Retry-After` of a `429` when it is what §10-style contracts ask: a whole number
/// of seconds ≥ 1. `None` for an absent, date-form, fractional or zero value.
pub fn retry_after_seconds(ex: &Exchange) -> Option<u64> {
    ex.header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s >= 1)
}

/// Shared by every clone of a client (and every identity made from it).
#[derive(Debug)]
pub struct Pacer {
    config: PaceConfig,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    global_next: Instant,
    keys: HashMap<u64, KeyBucket>,
    waiting: usize,
    waiting_since: Instant,
    held_back: Duration,
    delayed: u64,
    limited: u64,
    retried: u64,
    gave_up: u64,
    retry_wait: Duration,
    seen: Vec<Exchange>,
}

#[derive(Debug)]
struct KeyBucket {
    /// `None`: not yet limited.
    interval: Option<Duration>,
    next_slot: Instant,
    /// When recent answers that were not `429` arrived (the last second's).
    answered: VecDeque<Instant>,
    /// The rate that met the last `429` (requests per second).
    ceiling: f64,
    last_cut: Option<Instant>,
    last_raise: Option<Instant>,
    /// How long a probe past 90% of `ceiling` waits: one step at first, doubled each time
    /// a `429` meets the same limit again, so a strictly limited key sees a `429` every
    /// minute or two in a long run instead of every few seconds.
    probe_every: Duration,
}

impl KeyBucket {
    fn new(now: Instant) -> KeyBucket {
        KeyBucket {
            interval: None,
            next_slot: now,
            answered: VecDeque::new(),
            ceiling: 0.0,
            last_cut: None,
            last_raise: None,
            probe_every: PACE_STEP,
        }
    }

    /// A `429` on a key that sent `allowed` answered requests in the last second.
    fn cut(&mut self, now: Instant) {
        if self
            .last_cut
            .is_some_and(|t| now.duration_since(t) < PACE_STEP)
        {
            return;
        }
        let allowed = self.answered.len() as f64;
        let limited_at = match self.rate() {
            Some(r) => r,
            // Almost no traffic: the 429 says nothing about a rate.
            None if allowed < 2.0 => return,
            None => allowed,
        };
        let rate = (limited_at * CUT).max(MIN_RATE);
        self.probe_every = if self.ceiling > 0.0 && limited_at <= self.ceiling * SAME_LIMIT {
            (self.probe_every * 2).min(MAX_PROBE_EVERY)
        } else {
            PACE_STEP
        };
        self.ceiling = limited_at;
        self.set_rate(rate);
        self.last_cut = Some(now);
        tracing::info!(rate, "pacing: a 429 lowered this key's rate");
    }

    /// An answer that was not a `429`: after a quiet second, raise the rate.
    fn raise(&mut self, now: Instant) {
        let Some(rate) = self.rate() else { return };
        let probing = rate >= self.ceiling * 0.9;
        let wait = if probing { self.probe_every } else { PACE_STEP };
        let quiet = |t: Option<Instant>, wait| t.is_none_or(|t| now.duration_since(t) >= wait);
        if !quiet(self.last_cut, PACE_STEP) || !quiet(self.last_raise, wait) {
            return;
        }
        let step = if probing {
            self.ceiling * PROBE
        } else {
            (self.ceiling - rate) / 2.0
        };
        self.set_rate(rate + step.max(MIN_RATE));
        self.last_raise = Some(now);
    }

    fn set_rate(&mut self, rate: f64) {
        self.interval = Some(Duration::from_secs_f64(1.0 / rate));
    }

    fn rate(&self) -> Option<f64> {
        self.interval.map(|i| 1.0 / i.as_secs_f64())
    }

    fn forget_old(&mut self, now: Instant) {
        while self
            .answered
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
        {
            self.answered.pop_front();
        }
    }
}

/// What pacing did to a run, for the console and the JSON report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PacingSummary {
    /// `429` answers received.
    pub rate_limited: u64,
    /// Requests sent again after a `429`.
    pub retried: u64,
    /// Requests whose `429` was handed back after the budget (their checks inconclusive).
    pub gave_up: u64,
    /// Requests the pacer held before sending.
    pub delayed: u64,
    /// Wall time during which at least one request was held back, in milliseconds: an
    /// upper bound of what pacing cost the run.
    pub held_back_ms: u64,
    /// The slowest rate learned for any key (requests per second), when one was learned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned_rps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rps: Option<f64>,
}

impl PacingSummary {
    /// Whether pacing changed anything worth saying.
    pub fn slowed(&self) -> bool {
        self.rate_limited > 0 || self.delayed > 0
    }

    /// One line for the console.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if self.rate_limited > 0 {
            let in_bursts = self.rate_limited - self.retried - self.gave_up;
            parts.push(format!(
                "the target answered 429 {} times ({} retried, {} given up, {in_bursts} inside deliberate bursts)",
                self.rate_limited, self.retried, self.gave_up
            ));
        }
        if let Some(r) = self.learned_rps {
            parts.push(format!("slowest learned rate {r:.1} req/s for a key"));
        }
        if let Some(r) = self.max_rps {
            parts.push(format!("--max-rps {r}"));
        }
        parts.push(format!(
            "{} requests held back, slowing the run by at most {:.1} s",
            self.delayed,
            self.held_back_ms as f64 / 1000.0
        ));
        format!("pacing: {}", parts.join("; "))
    }
}

fn key_hash(key: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl Pacer {
    pub fn new(config: PaceConfig) -> Pacer {
        let now = Instant::now();
        Pacer {
            config,
            state: Mutex::new(State {
                global_next: now,
                keys: HashMap::new(),
                waiting: 0,
                waiting_since: now,
                held_back: Duration::ZERO,
                delayed: 0,
                limited: 0,
                retried: 0,
                gave_up: 0,
                retry_wait: Duration::ZERO,
                seen: Vec::new(),
            }),
        }
    }

    pub fn config(&self) -> &PaceConfig {
        &self.config
    }

    /// Waits until a request with this credential may be sent, and reserves its slot.
    pub async fn acquire(&self, credential: &str) {
        let now = Instant::now();
        let slot = {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            let bucket = st
                .keys
                .entry(key_hash(credential))
                .or_insert_with(|| KeyBucket::new(now));
            let slot = now.max(bucket.next_slot).max(st.global_next);
            if let Some(i) = bucket.interval {
                bucket.next_slot = slot + i;
            }
            if let Some(rps) = self.config.max_rps {
                st.global_next = slot + Duration::from_secs_f64(1.0 / rps);
            }
            if slot > now {
                st.delayed += 1;
                if st.waiting == 0 {
                    st.waiting_since = now;
                }
                st.waiting += 1;
            }
            slot
        };
        if slot > now {
            tokio::time::sleep_until(slot.into()).await;
            let mut st = self.state.lock();
            st.waiting -= 1;
            if st.waiting == 0 {
                let since = st.waiting_since;
                st.held_back += Instant::now().duration_since(since);
            }
        }
    }

    /// Records an answer that was not a `429`.
    pub fn answered(&self, credential: &str) {
        let now = Instant::now();
        let mut st = self.state.lock();
        let bucket = st
            .keys
            .entry(key_hash(credential))
            .or_insert_with(|| KeyBucket::new(now));
        bucket.answered.push_back(now);
        bucket.forget_old(now);
        bucket.raise(now);
    }

    /// Records a `429` and decides: retry (after its key's pause) or give up. `waited` is
    /// how long this request has already spent on `429`s; `attempt` counts them.
    /// `paced: false` (a burst) only records it.
    pub fn limited(
        &self,
        credential: &str,
        ex: &Exchange,
        attempt: u32,
        waited: Duration,
        paced: bool,
    ) -> (AfterLimit, Duration) {
        let now = Instant::now();
        let mut st = self.state.lock();
        st.limited += 1;
        if st.seen.len() < KEPT_429S {
            st.seen.push(ex.clone());
        }
        if !paced {
            return (AfterLimit::GiveUp, Duration::ZERO);
        }
        let pause = match retry_after_seconds(ex) {
            Some(s) => Duration::from_secs(s),
            None => (Duration::from_millis(500) * 2u32.saturating_pow(attempt)).min(MAX_BACKOFF),
        };
        if waited + pause > self.config.request_budget
            || st.retry_wait + pause > self.config.run_budget
        {
            st.gave_up += 1;
            return (AfterLimit::GiveUp, Duration::ZERO);
        }
        st.retried += 1;
        st.retry_wait += pause;
        let bucket = st
            .keys
            .entry(key_hash(credential))
            .or_insert_with(|| KeyBucket::new(now));
        bucket.forget_old(now);
        bucket.cut(now);
        bucket.next_slot = bucket.next_slot.max(now + pause);
        (AfterLimit::Retry, pause)
    }

    /// Every `429` received so far (up to a cap), for checks on `Retry-After`.
    pub fn rate_limited(&self) -> Vec<Exchange> {
        self.state.lock().seen.clone()
    }

    /// How many requests gave up on a `429` so far.
    pub fn gave_up(&self) -> u64 {
        self.state.lock().gave_up
    }

    pub fn summary(&self) -> PacingSummary {
        let st = self.state.lock();
        let mut held_back = st.held_back;
        if st.waiting > 0 {
            held_back += Instant::now().duration_since(st.waiting_since);
        }
        let learned_rps = st
            .keys
            .values()
            .filter_map(KeyBucket::rate)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.min(r))));
        PacingSummary {
            rate_limited: st.limited,
            retried: st.retried,
            gave_up: st.gave_up,
            delayed: st.delayed,
            held_back_ms: held_back.as_millis() as u64,
            learned_rps: learned_rps.map(|r| (r * 10.0).round() / 10.0),
            max_rps: self.config.max_rps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::client::{Masker, SentRequest};

    fn limited(retry_after: Option<&str>) -> Exchange {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(v) = retry_after {
            headers.insert("retry-after", v.parse().unwrap());
        }
        Exchange::new(
            "http://127.0.0.1:1".into(),
            SentRequest {
                method: "GET".into(),
                path: "/x".into(),
                headers: Vec::new(),
                body: None,
            },
            429,
            headers,
            bytes::Bytes::new(),
            Duration::ZERO,
            Masker::new(),
        )
    }

    #[test]
    fn a_429_teaches_the_rate_the_key_was_allowed() {
        let pacer = Pacer::new(PaceConfig::default());
        for _ in 0..5 {
            pacer.answered("k");
        }
        let (after, pause) = pacer.limited("k", &limited(Some("1")), 0, Duration::ZERO, true);
        assert_eq!((after, pause), (AfterLimit::Retry, Duration::from_secs(1)));
        let s = pacer.summary();
        assert_eq!(s.learned_rps, Some(3.5));
        assert_eq!((s.rate_limited, s.retried, s.gave_up), (1, 1, 0));
        assert_eq!(pacer.rate_limited().len(), 1);
    }

    fn bucket_limited_at(rps: f64, t0: Instant) -> KeyBucket {
        let mut b = KeyBucket::new(t0);
        b.set_rate(rps);
        b.cut(t0);
        b
    }

    #[test]
    fn quiet_seconds_raise_the_rate_back_then_probe_past_it() {
        let t0 = Instant::now();
        let mut b = bucket_limited_at(100.0, t0);
        let rate = |b: &KeyBucket| (b.rate().unwrap() * 10.0).round() / 10.0;
        assert_eq!(rate(&b), 70.0);
        // Within the second of the cut nothing moves.
        b.raise(t0 + Duration::from_millis(500));
        assert_eq!(rate(&b), 70.0);
        let mut seen = Vec::new();
        for s in 1..=5 {
            b.raise(t0 + Duration::from_secs(s));
            b.raise(t0 + Duration::from_secs(s) + Duration::from_millis(10));
            seen.push(rate(&b));
        }
        assert_eq!(seen, [85.0, 92.5, 97.5, 102.5, 107.5]);
        // A second 429 within a second of the first cuts once.
        let t = t0 + Duration::from_secs(10);
        b.cut(t);
        b.cut(t + Duration::from_millis(300));
        assert_eq!(rate(&b), 75.3);
    }

    #[test]
    fn the_same_limit_met_again_and_again_slows_the_probe_past_it() {
        let t0 = Instant::now();
        let mut b = bucket_limited_at(100.0, t0);
        assert_eq!(b.probe_every, PACE_STEP);
        // Back near the limit, the same limit is met again: probes wait twice as long.
        let mut t = t0;
        for (met, expected) in [(101.0, 2), (99.0, 4), (100.0, 8)] {
            t += Duration::from_secs(30);
            b.set_rate(met);
            b.cut(t);
            assert_eq!(b.probe_every, Duration::from_secs(expected));
        }
        // The climb back to 90% of the limit is as quick as ever…
        let rate = |b: &KeyBucket| (b.rate().unwrap() * 10.0).round() / 10.0;
        b.raise(t + Duration::from_secs(1));
        b.raise(t + Duration::from_secs(2));
        assert_eq!(rate(&b), 92.5);
        // …but past it a probe waits `probe_every`.
        b.raise(t + Duration::from_secs(3));
        assert_eq!(rate(&b), 92.5);
        b.raise(t + Duration::from_secs(10));
        assert_eq!(rate(&b), 97.5);
        // A limit met much higher (the target raised it) resets the wait.
        b.set_rate(200.0);
        b.cut(t + Duration::from_secs(60));
        assert_eq!(b.probe_every, PACE_STEP);
        // The wait never grows past its cap.
        for i in 0..20 {
            b.set_rate(200.0);
            b.cut(t + Duration::from_secs(100 + 10 * i));
        }
        assert_eq!(b.probe_every, MAX_PROBE_EVERY);
    }

    #[test]
    fn a_429_after_almost_no_traffic_teaches_no_rate() {
        let pacer = Pacer::new(PaceConfig::default());
        pacer.answered("k");
        let (after, _) = pacer.limited("k", &limited(Some("1")), 0, Duration::ZERO, true);
        assert_eq!(after, AfterLimit::Retry);
        assert_eq!(pacer.summary().learned_rps, None);
    }

    #[test]
    fn past_the_budget_the_429_is_handed_back() {
        let pacer = Pacer::new(PaceConfig {
            request_budget: Duration::from_secs(2),
            ..PaceConfig::default()
        });
        let ex = limited(Some("5"));
        assert_eq!(
            pacer.limited("k", &ex, 0, Duration::ZERO, true).0,
            AfterLimit::GiveUp
        );
        // A burst request is recorded, never retried, and teaches nothing.
        assert_eq!(
            pacer.limited("b", &ex, 0, Duration::ZERO, false).0,
            AfterLimit::GiveUp
        );
        let s = pacer.summary();
        assert_eq!((s.rate_limited, s.gave_up, s.learned_rps), (2, 1, None));
    }

    #[test]
    fn retry_after_must_be_whole_seconds_of_at_least_one() {
        assert_eq!(retry_after_seconds(&limited(Some("3"))), Some(3));
        for bad in [
            None,
            Some("0"),
            Some("1.5"),
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        ] {
            assert_eq!(retry_after_seconds(&limited(bad)), None, "{bad:?}");
        }
    }
}
