//! The Gate's stateful probe on the engine's runner: [`GateMachine`] plugs the Gate's
//! strategy and executor into [`engine::invariants::runner`](crate::engine::invariants::runner),
//! and the shrunk failure becomes a Gate [`Violation`] with its `curl` script.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use proptest::strategy::SBoxedStrategy;

use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::exec::{execute, CaseOutcome};
use crate::apis::gate::invariants::script::reproduction;
use crate::apis::gate::invariants::strategy::{case_strategy, CaseSpec};
use crate::apis::gate::invariants::{Env, InvariantOptions, ProbeError};
use crate::engine::invariants::runner::{self, Machine, RunnerOptions};

pub use crate::engine::invariants::runner::case_seed;

/// A failure after shrinking.
pub type ShrunkFailure = runner::ShrunkFailure<CheckId>;

/// What the stateful probe did.
pub type StatefulReport = runner::StatefulReport<CheckId>;

/// The Gate as a state machine: cases from the live catalog, run by [`execute`].
struct GateMachine<'a> {
    env: &'a Env,
    max_ops: usize,
}

impl Machine for GateMachine<'_> {
    type Case = CaseSpec;
    type Outcome = CaseOutcome;
    type Check = CheckId;
    type Error = ProbeError;

    fn strategy(&self) -> SBoxedStrategy<CaseSpec> {
        case_strategy(Arc::clone(&self.env.catalog), self.env.mode, self.max_ops)
    }

    fn execute<'b>(&'b self, case: &'b CaseSpec) -> BoxFuture<'b, Result<CaseOutcome, ProbeError>> {
        Box::pin(execute(self.env, case))
    }

    fn generation_error(&self, reason: String) -> ProbeError {
        ProbeError::Target(reason)
    }

    fn violation(outcome: &CaseOutcome) -> Option<(usize, &Violation)> {
        outcome.violation.as_ref().map(|(step, v)| (*step, v))
    }

    fn reproduction(&self, case: &CaseSpec, outcome: &CaseOutcome, step: usize) -> Vec<String> {
        reproduction(&outcome.trace, &case.ops, step)
    }

    fn requests(outcome: &CaseOutcome) -> u64 {
        outcome.requests
    }

    fn exercised(outcome: &CaseOutcome) -> &BTreeMap<CheckId, u64> {
        &outcome.exercised
    }

    fn inconclusive(outcome: &CaseOutcome) -> Option<(CheckId, String)> {
        outcome.inconclusive.clone()
    }

    fn case_len(case: &CaseSpec) -> usize {
        case.ops.len()
    }
}

/// Runs the stateful probe.
pub async fn run_stateful(
    env: &Env,
    opts: &InvariantOptions,
    run_seed: u64,
) -> Result<StatefulReport, ProbeError> {
    let machine = GateMachine {
        env,
        max_ops: opts.max_ops,
    };
    let runner_opts = RunnerOptions {
        cases: opts.cases,
        // Cases share the target's agent without the admin API: one at a time.
        parallel: if env.mode.admin {
            opts.parallel_cases.max(1)
        } else {
            1
        },
        max_shrink_iters: opts.max_shrink_iters,
        shrink_time: opts.shrink_time,
        regressions: opts.regressions.clone(),
    };
    runner::run_stateful(&machine, &runner_opts, run_seed).await
}
