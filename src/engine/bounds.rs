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

fn duration_in(s: &str, (min, max): (Duration, Duration)) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| e.to_string())?;
    check_duration(d, (min, max))
}

/// `d` within `min..=max`, or why not.
pub fn check_duration(d: Duration, (min, max): (Duration, Duration)) -> Result<Duration, String> {
    if d < min || d > max {
        return Err(format!(
            "must be between {} and {}",
            humantime::format_duration(min),
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

pub fn timeout(s: &str) -> Result<Duration, String> {
    duration_in(s, TIMEOUT)
}

pub fn run_time(s: &str) -> Result<Duration, String> {
    duration_in(s, RUN_TIME)
}

pub fn wait(s: &str) -> Result<Duration, String> {
    duration_in(s, WAIT)
}

pub fn users(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| "must be a whole number".to_string())?;
    check_users(n)
}

pub fn check_users(n: u64) -> Result<u64, String> {
    if !(USERS.0..=USERS.1).contains(&n) {
        return Err(format!("must be between {} and {}", USERS.0, USERS.1));
    }
    Ok(n)
}

pub fn rate(s: &str) -> Result<f64, String> {
    let r: f64 = s
        .trim()
        .parse()
        .map_err(|_| "must be a number".to_string())?;
    check_rate(r)
}

pub fn check_rate(r: f64) -> Result<f64, String> {
    if !(r.is_finite() && (RATE.0..=RATE.1).contains(&r)) {
        return Err(format!(
            "must be between {} and {} per second",
            RATE.0, RATE.1
        ));
    }
    Ok(r)
}

pub fn cases(s: &str) -> Result<u32, String> {
    let n: u32 = s
        .trim()
        .parse()
        .map_err(|_| "must be a whole number".to_string())?;
    check_cases(n)
}

pub fn check_cases(n: u32) -> Result<u32, String> {
    if !(CASES.0..=CASES.1).contains(&n) {
        return Err(format!("must be between {} and {}", CASES.0, CASES.1));
    }
    Ok(n)
}

/// A response-size cap: 1 KiB to 1 GiB.
pub fn body_bytes(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| "must be a whole number of bytes".to_string())?;
    if !(1 << 10..=1 << 30).contains(&n) {
        return Err("must be between 1024 and 1073741824 bytes".to_string());
    }
    Ok(n)
}

/// A fraction in `0..=1`.
pub fn fraction(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| "must be a number".to_string())?;
    if !(f.is_finite() && (0.0..=1.0).contains(&f)) {
        return Err("must be between 0 and 1".to_string());
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
}
