//! The Gate's reproduction script: its trace mapped onto the engine's numbered `curl`
//! script, with the Gate's notes (isolated agent, pending orders).

use crate::apis::gate::invariants::exec::{Recorded, Role};
use crate::apis::gate::invariants::strategy::Op;
use crate::engine::invariants::script::{self, Notes, TraceLine};

/// The reproduction of a case that failed at `failing_step`: one shell command per
/// step (the report writers number them), each ending in a comment saying what it is
/// and what it answered. The seed travels in the finding, expected/got too.
pub fn reproduction(trace: &[Recorded], ops: &[Op], failing_step: usize) -> Vec<String> {
    let lines: Vec<TraceLine<'_>> = trace
        .iter()
        .map(|r| TraceLine {
            step: r.step,
            role: match r.role {
                Role::Setup => script::Role::Setup,
                Role::Action => script::Role::Action,
                Role::Observe => script::Role::Observe,
                Role::Poll => script::Role::Poll,
            },
            exchange: &r.exchange,
        })
        .collect();
    let op_name = |step: usize| {
        step.checked_sub(1)
            .and_then(|i| ops.get(i))
            .map_or("", Op::name)
            .to_string()
    };
    let notes = Notes {
        setup: "create an isolated agent; export GATECHECK_AGENT_ID and GATECHECK_AGENT_KEY from its reply",
        poll: "repeat until the order is no longer pending",
        op_name: &op_name,
    };
    script::reproduction(&lines, &notes, failing_step)
}
