//! Phase progress on stderr while certify runs (`[2/4] contract … 84 checks, 0 failed`).
//! Silent in quiet and JSON modes; the load phase draws its own progress bar.

use std::io::Write;

use super::config::Phase;
use crate::engine::model::{Outcome, PhaseReport};

pub struct PhaseProgress {
    silent: bool,
}

impl PhaseProgress {
    pub fn new(silent: bool) -> PhaseProgress {
        PhaseProgress { silent }
    }

    pub fn start(&self, index: usize, total: usize, phase: Phase) {
        if !self.silent {
            let _ = writeln!(
                crate::engine::output::stderr(),
                "[{}/{total}] {} …",
                index + 1,
                phase.name()
            );
        }
    }

    pub fn finish(&self, phase: &PhaseReport) {
        if self.silent {
            return;
        }
        let failed = phase
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .count();
        let what = match &phase.load {
            Some(load) => format!(
                "{} transactions, {} thresholds missed",
                load.transactions.len(),
                load.thresholds.iter().filter(|t| !t.passed).count()
            ),
            None => format!("{} checks, {failed} failed", phase.checks.len()),
        };
        let _ = writeln!(
            crate::engine::output::stderr(),
            "      {} done in {:.1} s: {what}",
            phase.name,
            phase.duration_ms as f64 / 1000.0
        );
    }
}
