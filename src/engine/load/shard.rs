//! Many machines: worker `index` of `count` takes its exact share of the run (like k6's
//! execution segments): rates split evenly (the shares add up to the whole), users and
//! the spend cap (minor units) split as integers whose shares add up exactly. Each worker
//! stamps its shard in its interval log's comment (`[gatecheck shard I/N]`), so `gatecheck merge`
//! knows how many shards a run had and can refuse a partial merge.

use std::collections::BTreeSet;
use std::fmt;

use crate::engine::spend::Minor;

/// Worker `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

const MARK: &str = "[gatecheck shard ";

impl Shard {
    /// The whole run (one worker).
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::NoWorkers);
        }
        if index >= count {
            return Err(ShardError::IndexOutside { index, count });
        }
        Ok(Shard { index, count })
    }

    /// This worker's share of a rate.
    pub fn rate(&self, rate: f64) -> f64 {
        rate / f64::from(self.count)
    }

    /// This worker's share of a whole number; the shares of all workers add up to `n`.
    pub fn split(&self, n: u64) -> u64 {
        let count = u64::from(self.count);
        n / count + u64::from(u64::from(self.index) < n % count)
    }

    /// This worker's share of a spend cap, in minor units; the shares add up to `cap`.
    pub fn spend(&self, cap: Minor) -> Minor {
        Minor(self.split(cap.0.max(0) as u64) as i64)
    }

    /// The text, within the interval log's comment, that names the shard.
    pub fn log_comment(&self) -> String {
        format!("{MARK}{self}]")
    }

    /// The shard a log names; `None` for a log of a one-worker run or of an older version.
    pub fn from_log(bytes: &[u8]) -> Option<Shard> {
        let text = std::str::from_utf8(bytes.get(..4096.min(bytes.len()))?).ok()?;
        let rest = &text[text.find(MARK)? + MARK.len()..];
        let (i, n) = rest[..rest.find(']')?].split_once('/')?;
        Shard::new(i.trim().parse().ok()?, n.trim().parse().ok()?).ok()
    }
}

/// Why `--worker-index` / `--workers` name no share of a run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("--workers must be at least 1")]
    NoWorkers,
    #[error("--worker-index {index} is outside 0..{count} (--workers {count})")]
    IndexOutside { index: u32, count: u32 },
}

/// Why `gatecheck merge` refuses its logs: one is not an interval log, they hold nothing,
/// or they are not every shard of one run exactly once.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: {source}", path.display())]
    Log {
        path: std::path::PathBuf,
        source: crate::engine::load::histlog::LogReadError,
    },
    #[error("the logs hold no interval histograms")]
    Empty,
    #[error("the logs come from runs of different sizes ({} workers); merge refused", join(.counts))]
    MixedSizes { counts: Vec<u32> },
    #[error("shard {0} is given twice; merge refused")]
    Twice(Shard),
    #[error("partial merge: {seen} of {count} shards; missing worker index {}; merge refused", join(.absent))]
    Partial {
        seen: usize,
        count: u32,
        absent: Vec<u32>,
    },
}

fn join(numbers: &[u32]) -> String {
    numbers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a set of logs is not one whole run.
pub fn missing(shards: &[Shard]) -> Result<(), MergeError> {
    let counts: BTreeSet<u32> = shards.iter().map(|s| s.count).collect();
    if counts.len() > 1 {
        return Err(MergeError::MixedSizes {
            counts: counts.into_iter().collect(),
        });
    }
    let Some(&count) = counts.first() else {
        return Ok(());
    };
    let mut seen = BTreeSet::new();
    for s in shards {
        if !seen.insert(s.index) {
            return Err(MergeError::Twice(*s));
        }
    }
    let absent: Vec<u32> = (0..count).filter(|i| !seen.contains(i)).collect();
    if absent.is_empty() {
        Ok(())
    } else {
        Err(MergeError::Partial {
            seen: seen.len(),
            count,
            absent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_exactly() {
        for count in 1..=7u32 {
            let shards: Vec<Shard> = (0..count).map(|i| Shard::new(i, count).unwrap()).collect();
            for n in [0u64, 1, 5, 50, 101, 9_999] {
                assert_eq!(shards.iter().map(|s| s.split(n)).sum::<u64>(), n);
            }
            let cap = Minor(10_001);
            assert_eq!(shards.iter().map(|s| s.spend(cap).0).sum::<i64>(), cap.0);
            let total: f64 = shards.iter().map(|s| s.rate(250.0)).sum();
            assert!((total - 250.0).abs() < 1e-9);
        }
        assert!(Shard::new(2, 2).is_err());
        assert!(Shard::new(0, 0).is_err());
    }

    #[test]
    fn a_log_names_its_shard_and_merges_need_every_one() {
        let s = Shard::new(1, 3).unwrap();
        let log = format!("#gatecheck load {}\n#[StartTime: 1]\n", s.log_comment());
        assert_eq!(Shard::from_log(log.as_bytes()), Some(s));
        assert_eq!(Shard::from_log(b"#[StartTime: 1]\n"), None);
        let all: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
        assert!(missing(&all).is_ok());
        let e = missing(&all[..2]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "partial merge: 2 of 3 shards; missing worker index 2; merge refused"
        );
        assert!(missing(&[all[0], all[0], all[1], all[2]]).is_err());
        assert!(missing(&[all[0], Shard::WHOLE]).is_err());
    }
}
