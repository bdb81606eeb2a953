//! Drives the stateful probe: generates cases from seeds (persisted failures first),
//! runs several at once on isolated agents, and shrinks the first failure to the shortest
//! sequence that still breaks the same check — then re-runs it to capture its exchanges.
//!
//! Seeds: case 0 of a run uses the run seed itself, case *i* a value derived from it, so
//! `--seed <a failing case's seed> --cases 1` replays exactly that case.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::exec::{execute, CaseOutcome};
use crate::apis::gate::invariants::script::reproduction;
use crate::apis::gate::invariants::strategy::{case_strategy, CaseSpec};
use crate::apis::gate::invariants::{Env, InvariantOptions, ProbeError};
use crate::engine::invariants::persist;

/// A failure after shrinking.
#[derive(Debug, Clone)]
pub struct ShrunkFailure {
    pub violation: Violation,
    pub seed: u64,
    pub reproduction: Vec<String>,
    pub original_ops: usize,
    pub shrunk_ops: usize,
    pub shrink_runs: u32,
}

/// What the stateful probe did.
#[derive(Debug, Default)]
pub struct StatefulReport {
    pub cases: u32,
    pub requests: u64,
    /// Generating and running cases until all passed or one failed.
    pub elapsed: Duration,
    /// Shrinking the failure (zero when none).
    pub shrink_elapsed: Duration,
    pub exercised: BTreeMap<CheckId, u64>,
    pub failure: Option<ShrunkFailure>,
}

/// The seed of case `i` of a run.
pub fn case_seed(run_seed: u64, i: u32) -> u64 {
    if i == 0 {
        run_seed
    } else {
        splitmix(run_seed ^ u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn runner_for(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    let mut s = seed;
    for chunk in bytes.chunks_mut(8) {
        s = splitmix(s);
        chunk.copy_from_slice(&s.to_le_bytes());
    }
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// One successful move of the shrinker on a value tree.
#[derive(Debug, Clone, Copy)]
enum Move {
    Simplify,
    Complicate,
}

/// The case after replaying `moves` on the tree of `seed`, and whether `next` (if any)
/// could still be made. proptest's boxed value trees are not `Send`, so none is kept
/// across an `.await`: the tree is rebuilt from its seed and the moves so far (cheap next
/// to an HTTP round trip), which keeps the probe's future `Send`.
fn replay(
    strategy: &proptest::strategy::SBoxedStrategy<CaseSpec>,
    seed: u64,
    moves: &[Move],
    next: Option<Move>,
) -> Result<(bool, CaseSpec), ProbeError> {
    let mut runner = runner_for(seed);
    let mut tree = strategy
        .new_tree(&mut runner)
        .map_err(|e| ProbeError::Target(format!("cannot generate a case: {e}")))?;
    for m in moves {
        match m {
            Move::Simplify => tree.simplify(),
            Move::Complicate => tree.complicate(),
        };
    }
    let moved = match next {
        Some(Move::Simplify) => tree.simplify(),
        Some(Move::Complicate) => tree.complicate(),
        None => true,
    };
    Ok((moved, tree.current()))
}

/// Runs the stateful probe.
pub async fn run_stateful(
    env: &Env,
    opts: &InvariantOptions,
    run_seed: u64,
) -> Result<StatefulReport, ProbeError> {
    let started = Instant::now();
    let strategy = case_strategy(Arc::clone(&env.catalog), env.mode, opts.max_ops);
    let mut seeds: Vec<u64> = opts
        .regressions
        .as_deref()
        .map(persist::load)
        .unwrap_or_default();
    let retried = seeds.len();
    seeds.extend((0..opts.cases).map(|i| case_seed(run_seed, i)));
    let parallel = if env.mode.admin {
        opts.parallel_cases.max(1)
    } else {
        1
    };
    let mut report = StatefulReport::default();

    let mut first_failure: Option<(u64, CaseSpec, CaseOutcome)> = None;
    {
        let strategy = &strategy;
        let mut stream = futures::stream::iter(seeds.iter().copied().enumerate())
            .map(|(i, seed)| async move {
                let (_, case) = replay(strategy, seed, &[], None)?;
                let outcome = execute(env, &case).await?;
                Ok::<_, ProbeError>((i, seed, case, outcome))
            })
            .buffered(parallel);
        while let Some(result) = stream.next().await {
            let (i, seed, case, outcome) = result?;
            report.cases += 1;
            report.requests += outcome.requests;
            merge(&mut report.exercised, &outcome.exercised);
            if outcome.violation.is_some() {
                tracing::info!(
                    case = i,
                    retried = i < retried,
                    seed = format!("{seed:016x}"),
                    "case failed"
                );
                first_failure = Some((seed, case, outcome));
                break;
            }
        }
    }

    report.elapsed = started.elapsed();
    if let Some((seed, case, outcome)) = first_failure {
        let shrink_started = Instant::now();
        let failure = shrink(env, opts, &strategy, seed, case, outcome, &mut report).await?;
        if let Some(path) = &opts.regressions {
            if let Err(e) = persist::save(path, seed, failure.violation.check.id()) {
                tracing::warn!("cannot persist the failing seed to {}: {e}", path.display());
            }
        }
        report.failure = Some(failure);
        report.shrink_elapsed = shrink_started.elapsed();
    }
    Ok(report)
}

fn merge(into: &mut BTreeMap<CheckId, u64>, from: &BTreeMap<CheckId, u64>) {
    for (c, n) in from {
        *into.entry(*c).or_default() += n;
    }
}

/// proptest's shrink loop (simplify while it still fails the same check, complicate
/// when it passes), with async runs; then one more run of the result for its exchanges.
async fn shrink(
    env: &Env,
    opts: &InvariantOptions,
    strategy: &proptest::strategy::SBoxedStrategy<CaseSpec>,
    seed: u64,
    case: CaseSpec,
    outcome: CaseOutcome,
    report: &mut StatefulReport,
) -> Result<ShrunkFailure, ProbeError> {
    let target = outcome
        .violation
        .as_ref()
        .map(|(_, v)| v.check)
        .expect("a failing outcome");
    let original_ops = case.ops.len();
    let mut best = (case, outcome);
    let started = Instant::now();
    let mut runs = 0u32;
    let mut moves: Vec<Move> = Vec::new();
    let (mut moved, mut candidate) = replay(strategy, seed, &moves, Some(Move::Simplify))?;
    if moved {
        moves.push(Move::Simplify);
    }
    while moved {
        if runs >= opts.max_shrink_iters || started.elapsed() > opts.shrink_time {
            break;
        }
        runs += 1;
        let out = execute(env, &candidate).await?;
        report.requests += out.requests;
        let same = out
            .violation
            .as_ref()
            .is_some_and(|(_, v)| v.check == target);
        let next = if same {
            best = (candidate.clone(), out);
            Move::Simplify
        } else {
            Move::Complicate
        };
        (moved, candidate) = replay(strategy, seed, &moves, Some(next))?;
        if moved {
            moves.push(next);
        }
    }
    // Re-run the shrunk case: its own exchanges make the reproduction (when it fails the
    // same way again; otherwise the run that shrank to it is shown).
    let (case, mut out) = best;
    let again = execute(env, &case).await?;
    report.requests += again.requests;
    if again
        .violation
        .as_ref()
        .is_some_and(|(_, v)| v.check == target)
    {
        out = again;
    }
    let (step, violation) = out.violation.clone().expect("the best case fails");
    let script = reproduction(&out.trace, &case.ops, step);
    let shrunk_ops = step.min(case.ops.len());
    Ok(ShrunkFailure {
        violation,
        seed,
        reproduction: script,
        original_ops,
        shrunk_ops,
        shrink_runs: runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_zero_is_the_run_seed_and_others_differ() {
        assert_eq!(case_seed(42, 0), 42);
        assert_ne!(case_seed(42, 1), case_seed(42, 2));
        assert_ne!(case_seed(42, 1), 42);
    }
}
