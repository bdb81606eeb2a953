//! Time as the sandbox stores and shows it: microseconds since the Unix epoch in the
//! store, RFC 3339 UTC with a `Z` suffix and microsecond fraction on the wire (§1).

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, in microseconds since the epoch.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    now_us() / 1000
}

/// `2024-11-01T10:00:00.123456Z`.
pub fn rfc3339(us: i64) -> String {
    let nanos = i128::from(us) * 1000;
    match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        ),
        Err(_) => "1970-01-01T00:00:00Z".to_string(),
    }
}

/// Which end of an inclusive time range a filter value bounds.
#[derive(Debug, Clone, Copy)]
pub enum Bound {
    From,
    To,
}

/// Parses an RFC 3339 filter value (any offset) into the inclusive microsecond bound
/// it implies: `From` rounds up, `To` rounds down, so sub-microsecond inputs stay exact.
pub fn parse_bound(text: &str, bound: Bound) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let nanos = t.unix_timestamp_nanos();
    let us = match bound {
        Bound::From => nanos.div_euclid(1000) + i128::from(nanos.rem_euclid(1000) != 0),
        Bound::To => nanos.div_euclid(1000),
    };
    i64::try_from(us).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_z_and_parses_back() {
        let us = 1_730_455_200_123_456;
        let s = rfc3339(us);
        assert_eq!(s, "2024-11-01T10:00:00.123456Z");
        assert_eq!(parse_bound(&s, Bound::From), Some(us));
        assert_eq!(
            parse_bound("2024-11-01T11:00:00.123456+01:00", Bound::To),
            Some(us)
        );
        assert_eq!(
            parse_bound("2024-11-01T10:00:00.1234561Z", Bound::From),
            Some(us + 1)
        );
        assert!(parse_bound("yesterday", Bound::To).is_none());
    }
}
