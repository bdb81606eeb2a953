//! Capacity search: the highest open-model rate at which every threshold holds.
//!
//! A geometric ramp of steps (`start`, `start × growth`, …) until a step fails, then
//! bisection between the last rate that held and the first that did not, until the two are
//! within `precision` (relative). Each step runs a warm-up and then a measured window; only
//! the window is judged. A step whose achieved rate fell short because the *generator's*
//! schedule lagged (sends late although the user was idle and waiting for its slot) is a
//! generator limit: the search stops there and never reports it as the target's capacity.
//!
//! **Invariant:** this module only decides which rate to try next and what the steps mean;
//! running a step (and any API) is the caller's, through [`StepRunner`].

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the search proceeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchConfig {
    /// The first offered rate (transactions/s).
    pub start_rate: f64,
    /// The ramp's factor between steps (> 1).
    pub growth: f64,
    /// Never offer more than this.
    pub max_rate: f64,
    /// Stop bisecting when `(failed − held) ≤ precision × held`.
    pub precision: f64,
    /// Per step: run this long before measuring.
    pub warmup: Duration,
    /// Per step: the measured window.
    pub window: Duration,
    /// At most this many steps in all.
    pub max_steps: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            start_rate: 50.0,
            growth: 2.0,
            max_rate: 100_000.0,
            precision: 0.05,
            warmup: Duration::from_secs(2),
            window: Duration::from_secs(5),
            max_steps: 20,
        }
    }
}

/// What one step measured in its window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMeasure {
    pub achieved_rate: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub error_rate: f64,
    /// Thresholds that failed (their rules, with the measured value).
    pub failed_thresholds: Vec<String>,
    /// Sends the generator started late (> 10 ms) although the user was waiting for its
    /// slot: the generator's own lag, not the target's. Over the whole step.
    pub generator_late: u64,
    /// The largest such lag, over the whole step.
    pub generator_lag_max_us: u64,
    /// Transactions in the measured window.
    pub transactions: u64,
    /// Transactions in the whole step (warm-up included): `generator_late`'s base.
    pub sent: u64,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepVerdict {
    /// Every threshold held and the achieved rate kept up with the offered one.
    Held,
    /// A threshold failed, or the target did not keep up: the target's limit.
    TargetLimit,
    /// The generator could not keep its own schedule: nothing is said about the target.
    GeneratorLimit,
}

/// One step as reported: offered and achieved rate, percentiles, error rate, verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub offered_rate: f64,
    #[serde(flatten)]
    pub measure: StepMeasure,
    pub verdict: StepVerdict,
}

/// Why the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Bisected down to the precision: the capacity is known.
    Converged,
    /// The generator lagged first: the capacity is at least the last rate that held.
    GeneratorLimit,
    /// Held up to the maximum rate offered.
    MaxRate,
    /// Even the first step failed.
    BelowStart,
    /// The step budget ran out.
    StepBudget,
}

/// The search's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The highest offered rate at which every threshold held (None: not even the first).
    pub capacity_rate: Option<f64>,
    /// The lowest offered rate that failed on the target's side, if any.
    pub failed_rate: Option<f64>,
    pub ending: Ending,
    pub precision: f64,
    pub steps: Vec<Step>,
}

impl Capacity {
    /// The step at which the knee is drawn: the highest that held.
    pub fn knee(&self) -> Option<&Step> {
        let rate = self.capacity_rate?;
        self.steps
            .iter()
            .find(|s| s.verdict == StepVerdict::Held && s.offered_rate == rate)
    }
}

/// Runs one step at an offered rate: warm-up, then the measured window.
pub trait StepRunner {
    type Error;
    fn run_step(&mut self, rate: f64) -> impl Future<Output = Result<StepMeasure, Self::Error>>;
}

/// The achieved rate must reach this share of the offered one for a step to hold.
const KEEP_UP: f64 = 0.95;
/// Late generator sends above this share of a step's sends make it a generator limit (a
/// busy machine delays a few wake-ups by 10 ms; a generator at its limit, most).
const GENERATOR_LATE_SHARE: f64 = 0.05;

/// Judges one step.
pub fn verdict(offered: f64, m: &StepMeasure) -> StepVerdict {
    let kept_up = m.achieved_rate >= KEEP_UP * offered;
    // At the generator's limit its schedule slips further and further behind, so its own
    // lag is most of the latency; a target at its limit makes latency grow while the
    // generator's wake-ups stay a small part of it.
    let generator_lagged = m.generator_late as f64 > GENERATOR_LATE_SHARE * (m.sent.max(1) as f64)
        && m.generator_lag_max_us.saturating_mul(2) >= m.p99_us;
    if generator_lagged && (!kept_up || !m.failed_thresholds.is_empty()) {
        StepVerdict::GeneratorLimit
    } else if kept_up && m.failed_thresholds.is_empty() {
        StepVerdict::Held
    } else {
        StepVerdict::TargetLimit
    }
}

/// The search. `on_step` sees each step as it ends (progress).
pub async fn search<R: StepRunner>(
    cfg: &SearchConfig,
    runner: &mut R,
    mut on_step: impl FnMut(&Step),
) -> Result<Capacity, R::Error> {
    let mut steps: Vec<Step> = Vec::new();
    let mut held: Option<f64> = None;
    let mut failed: Option<f64> = None;
    let mut rate = cfg.start_rate.min(cfg.max_rate);
    let ending = loop {
        if steps.len() >= cfg.max_steps {
            break Ending::StepBudget;
        }
        let measure = runner.run_step(rate).await?;
        let v = verdict(rate, &measure);
        let step = Step {
            offered_rate: rate,
            measure,
            verdict: v,
        };
        on_step(&step);
        steps.push(step);
        match v {
            StepVerdict::GeneratorLimit => break Ending::GeneratorLimit,
            StepVerdict::Held => held = Some(rate),
            StepVerdict::TargetLimit => failed = Some(rate),
        }
        match (held, failed) {
            (None, Some(_)) => break Ending::BelowStart,
            (Some(lo), None) => {
                if lo >= cfg.max_rate {
                    break Ending::MaxRate;
                }
                rate = (lo * cfg.growth).min(cfg.max_rate);
            }
            (Some(lo), Some(hi)) => {
                if hi - lo <= cfg.precision * lo {
                    break Ending::Converged;
                }
                rate = (lo + hi) / 2.0;
            }
            (None, None) => unreachable!("a step either held or failed"),
        }
    };
    Ok(Capacity {
        capacity_rate: held,
        failed_rate: failed,
        ending,
        precision: cfg.precision,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model target: holds below `capacity`; the generator tops out at `generator`.
    struct Model {
        capacity: f64,
        generator: f64,
    }

    impl StepRunner for Model {
        type Error = ();
        async fn run_step(&mut self, rate: f64) -> Result<StepMeasure, ()> {
            let achieved = rate.min(self.generator);
            let over = rate > self.capacity;
            Ok(StepMeasure {
                achieved_rate: achieved,
                p50_us: 1000,
                p99_us: if over || rate > self.generator {
                    900_000
                } else {
                    5000
                },
                error_rate: 0.0,
                failed_thresholds: if over {
                    vec!["p99<300ms".into()]
                } else {
                    vec![]
                },
                generator_late: if rate > self.generator { 1000 } else { 0 },
                generator_lag_max_us: if rate > self.generator { 800_000 } else { 0 },
                transactions: (achieved * 5.0) as u64,
                sent: (achieved * 7.0) as u64,
            })
        }
    }

    #[tokio::test]
    async fn finds_a_known_capacity_within_the_precision() {
        let cfg = SearchConfig {
            start_rate: 10.0,
            precision: 0.05,
            ..SearchConfig::default()
        };
        let mut m = Model {
            capacity: 730.0,
            generator: 1e9,
        };
        let c = search(&cfg, &mut m, |_| {}).await.expect("search");
        assert_eq!(c.ending, Ending::Converged);
        let found = c.capacity_rate.expect("held");
        assert!((730.0 / 1.05..=730.0).contains(&found), "{found}");
        assert!(c.failed_rate.is_some_and(|f| f > 730.0));
    }

    #[tokio::test]
    async fn a_generator_limit_is_not_the_targets_capacity() {
        let cfg = SearchConfig {
            start_rate: 100.0,
            ..SearchConfig::default()
        };
        let mut m = Model {
            capacity: 1e9,
            generator: 500.0,
        };
        let c = search(&cfg, &mut m, |_| {}).await.expect("search");
        assert_eq!(c.ending, Ending::GeneratorLimit);
        assert_eq!(c.capacity_rate, Some(400.0));
        assert_eq!(c.failed_rate, None);
        assert_eq!(
            c.steps.last().map(|s| s.verdict),
            Some(StepVerdict::GeneratorLimit)
        );
    }

    #[tokio::test]
    async fn failing_the_first_step_reports_no_capacity() {
        let mut m = Model {
            capacity: 5.0,
            generator: 1e9,
        };
        let c = search(&SearchConfig::default(), &mut m, |_| {})
            .await
            .expect("search");
        assert_eq!((c.ending, c.capacity_rate), (Ending::BelowStart, None));
    }

    #[test]
    fn a_slow_target_with_an_idle_generator_is_a_target_limit() {
        let m = StepMeasure {
            achieved_rate: 80.0,
            p50_us: 1,
            p99_us: 1,
            error_rate: 0.0,
            failed_thresholds: vec![],
            generator_late: 0,
            generator_lag_max_us: 0,
            transactions: 400,
            sent: 560,
        };
        assert_eq!(verdict(100.0, &m), StepVerdict::TargetLimit);
    }
}
