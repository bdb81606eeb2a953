//! The stateful probe's driver, for any API: generates cases from seeds (persisted
//! failures first), runs several at once, and shrinks the first failure to the shortest
//! case that still breaks the same check — then re-runs it to capture its exchanges.
//!
//! An API plugs in a [`Machine`]: its case strategy, how to run one case against the live
//! target, and how to read a run's outcome (which check failed at which step). The runner
//! knows nothing else about the API.
//!
//! Seeds: case 0 of a run uses the run seed itself, case *i* a value derived from it, so
//! `--seed <a failing case's seed> --cases 1` replays exactly that case.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::StreamExt;
use proptest::strategy::{SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::engine::invariants::book::{InvariantCheck, Ledgerbook, Violation};
use crate::engine::invariants::persist;
use crate::engine::invariants::script::Recorded;
use crate::engine::invariants::stats::RunStats;

/// One API's stateful model: what a case is, how to make one, how to run it.
pub trait Machine: Sync {
    /// A generated sequence of operations (and whatever set-up it needs).
    type Case: Clone + Debug + Send + Sync;
    /// What running a case produced: the first disagreement, the exchanges, counters.
    type Outcome: Debug + Send;
    /// The API's invariant ids.
    type Check: InvariantCheck;
    /// Why a case could not be run at all (not a finding).
    type Error: Send;

    fn strategy(&self) -> SBoxedStrategy<Self::Case>;

    fn execute<'a>(
        &'a self,
        case: &'a Self::Case,
    ) -> BoxFuture<'a, Result<Self::Outcome, Self::Error>>;

    /// The error for a strategy that cannot generate a case.
    fn generation_error(&self, reason: String) -> Self::Error;

    /// The first disagreement and the 1-based step that showed it, if the case failed.
    fn violation(outcome: &Self::Outcome) -> Option<(usize, &Violation<Self::Check>)>;

    /// The numbered `curl` script of a case that failed at `step`.
    fn reproduction(&self, case: &Self::Case, outcome: &Self::Outcome, step: usize) -> Vec<String>;

    fn requests(outcome: &Self::Outcome) -> u64;

    fn exercised(outcome: &Self::Outcome) -> &BTreeMap<Self::Check, u64>;

    /// The check a case could not judge and why (a request answered `429` past the
    /// pacing budget): such a case reports no violation, and the check is inconclusive.
    fn inconclusive(_outcome: &Self::Outcome) -> Option<(Self::Check, String)> {
        None
    }

    /// Operations in a case (for "shrank from N to M").
    fn case_len(case: &Self::Case) -> usize;
}

/// The failed check and its step.
fn failure<M: Machine>(outcome: &M::Outcome) -> Option<(usize, M::Check)> {
    M::violation(outcome).map(|(step, v)| (step, v.check))
}

/// What running one case produced, for an API that records its exchanges as the engine's
/// [`Recorded`] (its `Machine::Outcome` then needs no type of its own).
#[derive(Debug)]
pub struct CaseOutcome<C> {
    /// The first disagreement and the 1-based step that showed it.
    pub violation: Option<(usize, Violation<C>)>,
    pub trace: Vec<Recorded>,
    pub exercised: BTreeMap<C, u64>,
    pub requests: u64,
}

/// How much the runner does.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    pub cases: u32,
    /// Cases run at once (1 when cases share state on the target).
    pub parallel: usize,
    pub max_shrink_iters: u32,
    pub shrink_time: Duration,
    /// Seeds of failing cases: retried first, appended on failure. `None`: not kept.
    pub regressions: Option<PathBuf>,
}

/// A failure after shrinking.
#[derive(Debug, Clone)]
pub struct ShrunkFailure<C> {
    pub violation: Violation<C>,
    pub seed: u64,
    pub reproduction: Vec<String>,
    pub original_ops: usize,
    pub shrunk_ops: usize,
    pub shrink_runs: u32,
}

/// What the stateful probe did.
#[derive(Debug)]
pub struct StatefulReport<C> {
    pub cases: u32,
    pub requests: u64,
    /// Generating and running cases until all passed or one failed.
    pub elapsed: Duration,
    /// Shrinking the failure (zero when none).
    pub shrink_elapsed: Duration,
    pub exercised: BTreeMap<C, u64>,
    /// Checks a case could not judge (429s past the pacing budget), with the first reason.
    pub inconclusive: BTreeMap<C, String>,
    pub failure: Option<ShrunkFailure<C>>,
}

impl<C: InvariantCheck> StatefulReport<C> {
    /// Adds this run to the book and the stats: what ran, and the shrunk failure as a
    /// finding with its script and seed (every other check: not exercised after it).
    pub fn record(self, book: &mut Ledgerbook<C>, stats: &mut RunStats) {
        book.exercised_all(&self.exercised);
        for (check, reason) in self.inconclusive {
            book.inconclusive(check, reason);
        }
        stats.cases = self.cases;
        stats.requests += self.requests;
        stats.stateful_elapsed = self.elapsed;
        stats.shrink_elapsed = self.shrink_elapsed;
        if let Some(f) = self.failure {
            for &c in C::ALL {
                book.skip(
                    c,
                    format!(
                        "not exercised: the stateful probe stops at its first failure (after {} cases)",
                        self.cases
                    ),
                );
            }
            stats.shrink_runs = f.shrink_runs;
            stats.shrunk = Some((f.original_ops, f.shrunk_ops));
            let check = f.violation.check;
            book.finding(
                f.violation
                    .into_finding(f.reproduction, Some(format!("{:016x}", f.seed))),
                check,
            );
        }
    }
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
fn replay<M: Machine>(
    machine: &M,
    strategy: &SBoxedStrategy<M::Case>,
    seed: u64,
    moves: &[Move],
    next: Option<Move>,
) -> Result<(bool, M::Case), M::Error> {
    let mut runner = runner_for(seed);
    let mut tree = strategy
        .new_tree(&mut runner)
        .map_err(|e| machine.generation_error(format!("cannot generate a case: {e}")))?;
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

/// Runs the stateful probe of `machine`.
pub async fn run_stateful<M: Machine>(
    machine: &M,
    opts: &RunnerOptions,
    run_seed: u64,
) -> Result<StatefulReport<M::Check>, M::Error> {
    let started = Instant::now();
    let strategy = machine.strategy();
    let mut seeds: Vec<u64> = opts
        .regressions
        .as_deref()
        .map(persist::load)
        .unwrap_or_default();
    let retried = seeds.len();
    seeds.extend((0..opts.cases).map(|i| case_seed(run_seed, i)));
    let mut run = StatefulReport {
        cases: 0,
        requests: 0,
        elapsed: Duration::ZERO,
        shrink_elapsed: Duration::ZERO,
        exercised: BTreeMap::new(),
        inconclusive: BTreeMap::new(),
        failure: None,
    };

    let mut first_failure: Option<(u64, M::Case, M::Outcome)> = None;
    {
        let strategy = &strategy;
        let mut stream = futures::stream::iter(seeds.iter().copied().enumerate())
            .map(|(i, seed)| async move {
                let (_, case) = replay(machine, strategy, seed, &[], None)?;
                let outcome = machine.execute(&case).await?;
                Ok::<_, M::Error>((i, seed, case, outcome))
            })
            .buffered(opts.parallel.max(1));
        while let Some(result) = stream.next().await {
            let (i, seed, case, outcome) = result?;
            run.cases += 1;
            run.requests += M::requests(&outcome);
            merge::<M>(&mut run.exercised, M::exercised(&outcome));
            if let Some((check, reason)) = M::inconclusive(&outcome) {
                run.inconclusive.entry(check).or_insert(reason);
            }
            if M::violation(&outcome).is_some() {
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

    run.elapsed = started.elapsed();
    if let Some((seed, case, outcome)) = first_failure {
        let shrink_started = Instant::now();
        let failure = shrink(machine, opts, &strategy, seed, case, outcome, &mut run).await?;
        if let Some(path) = &opts.regressions {
            if let Err(e) = persist::save(path, seed, failure.violation.check.id()) {
                tracing::warn!("cannot persist the failing seed to {}: {e}", path.display());
            }
        }
        run.failure = Some(failure);
        run.shrink_elapsed = shrink_started.elapsed();
    }
    Ok(run)
}

fn merge<M: Machine>(into: &mut BTreeMap<M::Check, u64>, from: &BTreeMap<M::Check, u64>) {
    for (c, n) in from {
        *into.entry(*c).or_default() += n;
    }
}

/// proptest's shrink loop (simplify while it still fails the same check, complicate
/// when it passes), with async runs; then one more run of the result for its exchanges.
async fn shrink<M: Machine>(
    machine: &M,
    opts: &RunnerOptions,
    strategy: &SBoxedStrategy<M::Case>,
    seed: u64,
    case: M::Case,
    outcome: M::Outcome,
    run: &mut StatefulReport<M::Check>,
) -> Result<ShrunkFailure<M::Check>, M::Error> {
    let fails_the_same =
        |o: &M::Outcome, target: M::Check| failure::<M>(o).is_some_and(|(_, c)| c == target);
    let (_, target) = failure::<M>(&outcome).expect("a failing outcome");
    let original_ops = M::case_len(&case);
    let mut best = (case, outcome);
    let started = Instant::now();
    let mut runs = 0u32;
    let mut moves: Vec<Move> = Vec::new();
    let (mut moved, mut candidate) = replay(machine, strategy, seed, &moves, Some(Move::Simplify))?;
    if moved {
        moves.push(Move::Simplify);
    }
    while moved {
        if runs >= opts.max_shrink_iters || started.elapsed() > opts.shrink_time {
            break;
        }
        runs += 1;
        let out = machine.execute(&candidate).await?;
        run.requests += M::requests(&out);
        let next = if fails_the_same(&out, target) {
            best = (candidate.clone(), out);
            Move::Simplify
        } else {
            Move::Complicate
        };
        (moved, candidate) = replay(machine, strategy, seed, &moves, Some(next))?;
        if moved {
            moves.push(next);
        }
    }
    // Re-run the shrunk case: its own exchanges make the reproduction (when it fails the
    // same way again; otherwise the run that shrank to it is shown).
    let (case, mut outcome) = best;
    let again = machine.execute(&case).await?;
    run.requests += M::requests(&again);
    if fails_the_same(&again, target) {
        outcome = again;
    }
    let (step, violation) = M::violation(&outcome).expect("the best case fails");
    Ok(ShrunkFailure {
        violation: violation.clone(),
        seed,
        reproduction: machine.reproduction(&case, &outcome, step),
        original_ops,
        shrunk_ops: step.min(M::case_len(&case)),
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

    /// A toy API: a case is a list of deposits; "the target" breaks once a case holds a
    /// deposit of 50 or more. The runner must find it and shrink to that one deposit.
    struct Toy;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct SmallDeposits;

    impl InvariantCheck for SmallDeposits {
        const ALL: &'static [SmallDeposits] = &[SmallDeposits];
        fn id(self) -> &'static str {
            "toy.small_deposits"
        }
        fn section(self) -> &'static str {
            "§1"
        }
        fn title(self) -> &'static str {
            "deposits stay under 50"
        }
    }

    #[derive(Debug)]
    struct ToyOutcome {
        failed: Option<(usize, Violation<SmallDeposits>)>,
        exercised: BTreeMap<SmallDeposits, u64>,
        case: Vec<u32>,
    }

    impl Machine for Toy {
        type Case = Vec<u32>;
        type Outcome = ToyOutcome;
        type Check = SmallDeposits;
        type Error = String;

        fn strategy(&self) -> SBoxedStrategy<Vec<u32>> {
            proptest::collection::vec(0u32..100, 1..20).sboxed()
        }

        fn execute<'a>(&'a self, case: &'a Vec<u32>) -> BoxFuture<'a, Result<ToyOutcome, String>> {
            let failed = case.iter().position(|&d| d >= 50).map(|i| {
                (
                    i + 1,
                    Violation::new(SmallDeposits, "too big", "< 50", case[i].to_string()),
                )
            });
            Box::pin(async move {
                Ok(ToyOutcome {
                    failed,
                    exercised: BTreeMap::from([(SmallDeposits, 1)]),
                    case: case.clone(),
                })
            })
        }

        fn generation_error(&self, reason: String) -> String {
            reason
        }

        fn violation(o: &ToyOutcome) -> Option<(usize, &Violation<SmallDeposits>)> {
            o.failed.as_ref().map(|(s, v)| (*s, v))
        }

        fn reproduction(&self, _: &Vec<u32>, o: &ToyOutcome, step: usize) -> Vec<String> {
            o.case[..step]
                .iter()
                .map(|d| format!("deposit {d}"))
                .collect()
        }

        fn requests(_: &ToyOutcome) -> u64 {
            1
        }

        fn exercised(o: &ToyOutcome) -> &BTreeMap<SmallDeposits, u64> {
            &o.exercised
        }

        fn case_len(case: &Vec<u32>) -> usize {
            case.len()
        }
    }

    #[tokio::test]
    async fn finds_shrinks_and_persists_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let regressions = dir.path().join("r.txt");
        let opts = RunnerOptions {
            cases: 64,
            parallel: 4,
            max_shrink_iters: 1000,
            shrink_time: Duration::from_secs(5),
            regressions: Some(regressions.clone()),
        };
        let run = run_stateful(&Toy, &opts, 7).await.unwrap();
        let f = run.failure.expect("a deposit of 50+ is found");
        assert_eq!(
            f.reproduction,
            vec!["deposit 50"],
            "shrinks to the smallest failing case"
        );
        assert_eq!(f.shrunk_ops, 1);
        assert_eq!(f.violation.got, "50");
        assert_eq!(persist::load(&regressions), vec![f.seed]);
        // The persisted seed is retried first and fails at once.
        let again = run_stateful(&Toy, &RunnerOptions { cases: 0, ..opts }, 1)
            .await
            .unwrap();
        assert_eq!(again.cases, 1);
        assert!(again.failure.is_some());
    }
}
