//! The Wallet's stateful probe on the engine's runner: [`WalletMachine`] plugs the
//! Wallet's strategy, executor and reproduction script into
//! [`engine::invariants::runner`](crate::engine::invariants::runner).

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use proptest::strategy::SBoxedStrategy;

use crate::apis::wallet::invariants::checks::{Check, Violation};
use crate::apis::wallet::invariants::exec::{execute, CaseOutcome};
use crate::apis::wallet::invariants::strategy::{case_strategy, Case};
use crate::apis::wallet::invariants::{Env, InvariantOptions, ProbeError};
use crate::engine::invariants::runner::{self, Machine, RunnerOptions, StatefulReport};
use crate::engine::invariants::script::{self, Notes, Recorded, TraceLine};

/// The Wallet as a state machine.
pub struct WalletMachine<'a> {
    pub env: &'a Env,
    pub max_ops: usize,
}

impl Machine for WalletMachine<'_> {
    type Case = Case;
    type Outcome = CaseOutcome;
    type Check = Check;
    type Error = ProbeError;

    fn strategy(&self) -> SBoxedStrategy<Case> {
        case_strategy(self.env.admin, self.max_ops)
    }

    fn execute<'b>(&'b self, case: &'b Case) -> BoxFuture<'b, Result<CaseOutcome, ProbeError>> {
        Box::pin(execute(self.env, case))
    }

    fn generation_error(&self, reason: String) -> ProbeError {
        ProbeError::Target(reason)
    }

    fn violation(outcome: &CaseOutcome) -> Option<(usize, &Violation)> {
        outcome.violation.as_ref().map(|(step, v)| (*step, v))
    }

    fn reproduction(&self, case: &Case, outcome: &CaseOutcome, step: usize) -> Vec<String> {
        let lines: Vec<TraceLine<'_>> = outcome.trace.iter().map(Recorded::line).collect();
        let op_name = |step: usize| {
            step.checked_sub(1)
                .and_then(|i| case.ops.get(i))
                .map_or_else(String::new, |op| op.name())
        };
        let notes = Notes {
            setup: "create a merchant (admin); export the api_key of its reply as the variable this script uses",
            poll: "repeat until the transaction is SUCCESS or FAILED",
            op_name: &op_name,
        };
        script::reproduction(&lines, &notes, step)
    }

    fn requests(outcome: &CaseOutcome) -> u64 {
        outcome.requests
    }

    fn exercised(outcome: &CaseOutcome) -> &BTreeMap<Check, u64> {
        &outcome.exercised
    }

    fn case_len(case: &Case) -> usize {
        case.ops.len()
    }
}

/// Runs the stateful probe: cases in parallel when each runs as its own merchant.
pub async fn run_stateful(
    env: &Env,
    opts: &InvariantOptions,
    run_seed: u64,
) -> Result<StatefulReport<Check>, ProbeError> {
    let machine = WalletMachine {
        env,
        max_ops: opts.max_ops,
    };
    let runner_opts = RunnerOptions {
        cases: opts.cases,
        parallel: if env.admin { opts.parallel_cases } else { 1 },
        max_shrink_iters: opts.max_shrink_iters,
        shrink_time: opts.shrink_time,
        regressions: opts.regressions.clone(),
    };
    runner::run_stateful(&machine, &runner_opts, run_seed).await
}
