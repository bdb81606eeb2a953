//! Range checks for every number a user gives gatecheck, applied at parse time (clap
//! value parsers, config validation), so a zero or nonsensical value is exit 2 before
//! anything runs: `--rate 1e12` would allocate the world, `--timeout 0s` fails every
//! request, `--users 0` runs nothing and passes.

use std::time::Duration;

/// Per-request timeout: 10 ms to 10 min.
pub const TIMEOUT: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(600));
/// Load run time: 1 s to 24 h.
pub const RUN_TIME: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(86_400));
/// Ramp-up and settle waits: 0 to 1 h.
pub const WAIT: (Duration, Duration) = (Duration::ZERO, Duration::from_secs(3_600));
/// Concurrent load users.
pub const USERS: (u64, u64) = (1, 10_000);
/// Users derived from `--rate` when `--users` is not given stop here (memory: each user
/// is a task with its own HTTP client).
pub const AUTO_USERS: u64 = 1_000;
/// Open-model arrival rate, per second.
pub const RATE: (f64, f64) = (0.01, 1_000_000.0);
/// Invariant cases.
pub const CASES: (u32, u32) = (1, 1_000_000);

/// A user's number gatecheck refuses: what it was and the range it must be in. Clap shows
/// it after the flag (`invalid value '0s' for '--timeout <DURATION>': …`); a config file
/// field puts its own name in front (`timeout: …`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundsError {
    /// Not a duration at all (`humantime` says why).
    #[error("`{value}` is not a duration: {source}")]
    NotADuration {
        value: String,
        source: humantime::DurationError,
    },
    /// Not a number of the kind the field takes (`a whole number`, `a number`, ...).
    #[error("`{value}` must be {kind}")]
    NotANumber { value: String, kind: &'static str },
    /// A number outside `min..=max` (both already rendered with their unit).
    #[error("`{value}` must be between {min} and {max}")]
    OutOfRange {
        value: String,
        min: String,
        max: String,
    },
}

impl BoundsError {
    /// The same refusal with the user's text shown through `mask` (a config file's value
    /// may be a pasted secret): a duration's parse error is dropped, as it may quote it.
    pub fn masked(self, mask: impl Fn(&str) -> String) -> BoundsError {
        match self {
            BoundsError::NotADuration { value, .. } => BoundsError::NotANumber {
                value: mask(&value),
                kind: "a duration such as 30s",
            },
            BoundsError::NotANumber { value, kind } => BoundsError::NotANumber {
                value: mask(&value),
                kind,
            },
            parsed @ BoundsError::OutOfRange { .. } => parsed,
        }
    }
}

fn out_of_range(value: impl ToString, min: impl ToString, max: impl ToString) -> BoundsError {
    BoundsError::OutOfRange {
        value: value.to_string(),
        min: min.to_string(),
        max: max.to_string(),
    }
}

fn number<T: std::str::FromStr>(s: &str, kind: &'static str) -> Result<T, BoundsError> {
    s.trim().parse().map_err(|_| BoundsError::NotANumber {
        value: s.to_string(),
        kind,
    })
}

fn duration_in(s: &str, range: (Duration, Duration)) -> Result<Duration, BoundsError> {
    let d = humantime::parse_duration(s.trim()).map_err(|source| BoundsError::NotADuration {
        value: s.to_string(),
        source,
    })?;
    check_duration(d, range)
}

/// `d` within `min..=max`, or why not.
pub fn check_duration(
    d: Duration,
    (min, max): (Duration, Duration),
) -> Result<Duration, BoundsError> {
    if d < min || d > max {
        return Err(out_of_range(
            humantime::format_duration(d),
            humantime::format_duration(min),
            humantime::format_duration(max),
        ));
    }
    Ok(d)
}

pub fn timeout(s: &str) -> Result<Duration, BoundsError> {
    duration_in(s, TIMEOUT)
}

pub fn run_time(s: &str) -> Result<Duration, BoundsError> {
    duration_in(s, RUN_TIME)
}

pub fn wait(s: &str) -> Result<Duration, BoundsError> {
    duration_in(s, WAIT)
}

pub fn users(s: &str) -> Result<u64, BoundsError> {
    check_users(number(s, "a whole number")?)
}

pub fn check_users(n: u64) -> Result<u64, BoundsError> {
    if !(USERS.0..=USERS.1).contains(&n) {
        return Err(out_of_range(n, USERS.0, USERS.1));
    }
    Ok(n)
}

pub fn rate(s: &str) -> Result<f64, BoundsError> {
    check_rate(number(s, "a number")?)
}

pub fn check_rate(r: f64) -> Result<f64, BoundsError> {
    if !(r.is_finite() && (RATE.0..=RATE.1).contains(&r)) {
        return Err(out_of_range(
            r,
            RATE.0,
            format_args!("{} per second", RATE.1),
        ));
    }
    Ok(r)
}

pub fn cases(s: &str) -> Result<u32, BoundsError> {
    check_cases(number(s, "a whole number")?)
}

pub fn check_cases(n: u32) -> Result<u32, BoundsError> {
    if !(CASES.0..=CASES.1).contains(&n) {
        return Err(out_of_range(n, CASES.0, CASES.1));
    }
    Ok(n)
}

/// Response-size caps: 1 KiB to 1 GiB.
pub const BODY_BYTES: (usize, usize) = (1 << 10, 1 << 30);

/// A response-size cap within [`BODY_BYTES`].
pub fn body_bytes(s: &str) -> Result<usize, BoundsError> {
    let n: usize = number(s, "a whole number of bytes")?;
    if !(BODY_BYTES.0..=BODY_BYTES.1).contains(&n) {
        return Err(out_of_range(
            n,
            BODY_BYTES.0,
            format_args!("{} bytes", BODY_BYTES.1),
        ));
    }
    Ok(n)
}

/// A fraction in `0..=1`.
pub fn fraction(s: &str) -> Result<f64, BoundsError> {
    let f: f64 = number(s, "a number")?;
    if !(f.is_finite() && (0.0..=1.0).contains(&f)) {
        return Err(out_of_range(f, 0, 1));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_nonsense_are_refused() {
        assert!(timeout("0s").is_err());
        assert!(timeout("10s").is_ok());
        assert!(run_time("0s").is_err());
        assert!(users("0").is_err());
        assert!(users("-1").is_err());
        assert!(rate("1e12").is_err());
        assert!(rate("NaN").is_err());
        assert!(rate("0").is_err());
        assert!(rate("100000").is_ok());
        assert!(cases("0").is_err());
        assert!(fraction("1.5").is_err());
        assert!(wait("0s").is_ok());
    }

    #[test]
    fn a_refusal_names_the_value_and_the_range() {
        assert_eq!(
            timeout("0s").unwrap_err().to_string(),
            "`0s` must be between 10ms and 10m"
        );
        assert_eq!(
            users("x").unwrap_err().to_string(),
            "`x` must be a whole number"
        );
        assert_eq!(
            rate("1e12").unwrap_err().to_string(),
            "`1000000000000` must be between 0.01 and 1000000 per second"
        );
        assert!(run_time("soon")
            .unwrap_err()
            .to_string()
            .starts_with("`soon` is not a duration: "));
    }
}
