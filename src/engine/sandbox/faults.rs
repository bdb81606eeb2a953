//! Fault injection for users testing their own clients: extra latency on a fraction of
//! requests, a fraction of `503 unavailable`, and periodic stalls of all requests.
//! Each API applies it to its own routes (and the Gate to `/health`), never to the admin API.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::engine::sandbox::errors::ApiError;

/// Fault injection for users testing their own clients. Applies to the APIs' routes
/// (and `/health`), never to the admin API.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub latency: Option<LatencyFault>,
    /// Fraction (0–1) of requests answered `503 unavailable`.
    pub errors: Option<f64>,
    pub stall: Option<Stall>,
    /// A known capacity: at most `concurrency` requests served at once, each for at least
    /// `service`; the rest queue. Capacity = concurrency / service requests per second.
    pub capacity: Option<CapacityFault>,
}

/// `--capacity N:DURATION`: see [`Faults::capacity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityFault {
    pub concurrency: usize,
    pub service: Duration,
}

impl CapacityFault {
    /// Requests per second the sandbox can then serve.
    pub fn rate(&self) -> f64 {
        self.concurrency as f64 / self.service.as_secs_f64()
    }
}

/// Delay `delay` on a `fraction` (0–1) of requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyFault {
    pub fraction: f64,
    pub delay: Duration,
}

/// Every `every`, all requests stall for `period` (they wait until the stall is over).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub period: Duration,
    pub every: Duration,
}

#[derive(Debug, Clone)]
pub struct FaultInjector {
    faults: Faults,
    started: Instant,
    /// `--capacity`: the service slots.
    slots: Option<Arc<tokio::sync::Semaphore>>,
}

impl FaultInjector {
    pub fn new(faults: Faults) -> FaultInjector {
        FaultInjector {
            slots: faults
                .capacity
                .map(|c| Arc::new(tokio::sync::Semaphore::new(c.concurrency.max(1)))),
            faults,
            started: Instant::now(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.faults != Faults::default()
    }

    /// Waits out a stall and any injected latency; then maybe answers `503`.
    pub async fn apply(&self) -> Result<(), ApiError> {
        if let (Some(slots), Some(cap)) = (&self.slots, self.faults.capacity) {
            // Queue for a service slot and hold it for the service time.
            if let Ok(_slot) = slots.acquire().await {
                tokio::time::sleep(cap.service).await;
            }
        }
        if let Some(stall) = self.faults.stall {
            if let Some(wait) = stall_remaining(self.started.elapsed(), stall.period, stall.every) {
                tokio::time::sleep(wait).await;
            }
        }
        if let Some(lat) = self.faults.latency {
            if rand::rng().random_bool(lat.fraction.clamp(0.0, 1.0)) {
                tokio::time::sleep(lat.delay).await;
            }
        }
        if let Some(fraction) = self.faults.errors {
            if rand::rng().random_bool(fraction.clamp(0.0, 1.0)) {
                return Err(ApiError::unavailable(
                    "Injected fault: the service is degraded",
                ));
            }
        }
        Ok(())
    }
}

/// How long until the current stall ends, when `elapsed` falls inside one. Stalls occupy
/// the first `period` of every `every` window, starting at sandbox start.
pub fn stall_remaining(elapsed: Duration, period: Duration, every: Duration) -> Option<Duration> {
    if every.is_zero() || period.is_zero() {
        return None;
    }
    let into = Duration::from_nanos((elapsed.as_nanos() % every.as_nanos()) as u64);
    (into < period).then(|| period - into)
}

/// A fault flag's value the sandbox cannot use: which flag syntax, the value, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    /// Not in the flag's `A:B` / `A/B` shape.
    #[error("`{value}`: expected {shape}")]
    Shape { value: String, shape: &'static str },
    #[error("`{0}` is not a fraction between 0 and 1")]
    Fraction(String),
    #[error("`{value}` is not a duration: {source}")]
    Duration {
        value: String,
        source: humantime::DurationError,
    },
    #[error("`{0}` is not a concurrency of at least 1")]
    Concurrency(String),
    #[error("the stall period ({period}) must be shorter than its interval ({every})")]
    StallTooLong { period: String, every: String },
    #[error("the service time must be above zero")]
    ZeroService,
}

fn split<'a>(
    s: &'a str,
    sep: char,
    shape: &'static str,
) -> Result<(&'a str, &'a str), FaultSpecError> {
    s.split_once(sep).ok_or_else(|| FaultSpecError::Shape {
        value: s.to_string(),
        shape,
    })
}

/// Parses `FRACTION:DURATION` (`0.1:250ms`) for `--inject-latency`.
pub fn parse_latency(s: &str) -> Result<LatencyFault, FaultSpecError> {
    let (f, d) = split(s, ':', "FRACTION:DURATION, e.g. 0.1:250ms")?;
    Ok(LatencyFault {
        fraction: parse_fraction(f)?,
        delay: parse_duration(d)?,
    })
}

/// Parses `PERIOD/EVERY` (`2s/30s`) for `--stall`.
pub fn parse_stall(s: &str) -> Result<Stall, FaultSpecError> {
    let (p, e) = split(s, '/', "PERIOD/EVERY, e.g. 2s/30s")?;
    let stall = Stall {
        period: parse_duration(p)?,
        every: parse_duration(e)?,
    };
    if stall.period >= stall.every {
        return Err(FaultSpecError::StallTooLong {
            period: p.trim().to_string(),
            every: e.trim().to_string(),
        });
    }
    Ok(stall)
}

/// Parses `N:DURATION` (`4:20ms`) for `--capacity`.
pub fn parse_capacity(s: &str) -> Result<CapacityFault, FaultSpecError> {
    let (n, d) = split(s, ':', "CONCURRENCY:SERVICE_TIME, e.g. 4:20ms")?;
    let concurrency = match n.trim().parse::<usize>() {
        Ok(n) if n >= 1 => n,
        _ => return Err(FaultSpecError::Concurrency(n.to_string())),
    };
    let service = parse_duration(d)?;
    if service.is_zero() {
        return Err(FaultSpecError::ZeroService);
    }
    Ok(CapacityFault {
        concurrency,
        service,
    })
}

/// A fraction in [0, 1].
pub fn parse_fraction(s: &str) -> Result<f64, FaultSpecError> {
    match s.trim().parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(FaultSpecError::Fraction(s.to_string())),
    }
}

/// A human duration: `100ms`, `2s`, `1m`.
pub fn parse_duration(s: &str) -> Result<Duration, FaultSpecError> {
    humantime::parse_duration(s.trim()).map_err(|source| FaultSpecError::Duration {
        value: s.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_windows() {
        let ms = Duration::from_millis;
        assert_eq!(stall_remaining(ms(100), ms(500), ms(2000)), Some(ms(400)));
        assert_eq!(stall_remaining(ms(700), ms(500), ms(2000)), None);
        assert_eq!(stall_remaining(ms(2100), ms(500), ms(2000)), Some(ms(400)));
    }

    #[test]
    fn flag_syntax() {
        assert_eq!(
            parse_latency("0.5:20ms").unwrap().delay,
            Duration::from_millis(20)
        );
        assert!(parse_latency("2:20ms").is_err());
        assert!(parse_stall("2s/30s").is_ok());
        assert_eq!(
            parse_stall("30s/2s").unwrap_err(),
            FaultSpecError::StallTooLong {
                period: "30s".into(),
                every: "2s".into()
            }
        );
        assert_eq!(
            parse_capacity("4").unwrap_err().to_string(),
            "`4`: expected CONCURRENCY:SERVICE_TIME, e.g. 4:20ms"
        );
    }
}
