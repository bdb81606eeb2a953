//! Failure persistence: the seeds of failing cases, kept in a small text file, are
//! retried first on the next run (like proptest's regression files).
//!
//! Format, one case a line: `<seed, 16 hex digits> <check id>`; `#` starts a comment.

use std::io::Write;
use std::path::Path;

/// Reads the seeds to retry; a missing or unreadable file means none.
pub fn load(path: &Path) -> Vec<u64> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut seeds = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if let Ok(seed) = parse_seed(first) {
            if !seeds.contains(&seed) {
                seeds.push(seed);
            }
        }
    }
    seeds
}

/// Appends a failing seed (once).
pub fn save(path: &Path, seed: u64, check: &str) -> std::io::Result<()> {
    if load(path).contains(&seed) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let fresh = !path.exists();
    let mut f = crate::engine::output::Masked::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?,
    );
    if fresh {
        writeln!(
            f,
            "# gatecheck invariants: seeds of failing cases, retried first on every run."
        )?;
    }
    writeln!(f, "{seed:016x} {check}")
}

/// A seed as printed (`0123456789abcdef`, optionally `0x`-prefixed).
pub fn parse_seed(s: &str) -> Result<u64, BadSeed> {
    let hex = s.trim().trim_start_matches("0x");
    if hex.is_empty() || hex.len() > 16 {
        return Err(BadSeed(s.to_string()));
    }
    u64::from_str_radix(hex, 16).map_err(|_| BadSeed(s.to_string()))
}

/// A `--seed` that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a seed (up to 16 hex digits)")]
pub struct BadSeed(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_once_and_loads_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/regressions.txt");
        assert!(load(&path).is_empty());
        save(&path, 0xabc, "ledger.identity").unwrap();
        save(&path, 0x1, "pricing.half_up").unwrap();
        save(&path, 0xabc, "ledger.identity").unwrap();
        assert_eq!(load(&path), vec![0xabc, 0x1]);
        assert_eq!(parse_seed("0x00000000000000ff"), Ok(255));
        assert!(parse_seed("xyz").is_err());
    }
}
