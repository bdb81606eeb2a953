//! No flakes: twenty consecutive runs of `gatecheck invariants` (fresh sandbox, random
//! seed each) against the correct sandbox must all pass. Kept fast with a smaller case
//! count per run; the full `--cases 256` loop is `scripts/invariants-twenty-runs.sh`.

use gatecheck::apis::gate::invariants::checks::failed_ids;
use gatecheck::apis::gate::invariants::{self, InvariantOptions};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::engine::target::TargetArgs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_consecutive_runs_pass() {
    for run in 0..20 {
        let seed: u64 = rand::random();
        let args = TargetArgs::default();
        let resolved = args
            .resolve(&gatecheck::apis::gate::GATE, &SandboxConfig::default())
            .await
            .expect("the sandbox starts");
        let opts = InvariantOptions {
            cases: 24,
            seed: Some(seed),
            concurrency_rounds: 2,
            ..InvariantOptions::default()
        };
        let phase = invariants::run(&opts, &resolved)
            .await
            .expect("the probes run");
        resolved.shutdown().await;
        let failed = failed_ids(&phase.checks);
        assert!(
            failed.is_empty(),
            "run {run} (seed {seed:016x}) failed {failed:?}: {:#?}",
            phase
                .checks
                .iter()
                .flat_map(|c| c.findings.iter())
                .collect::<Vec<_>>()
        );
    }
}
