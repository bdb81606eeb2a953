//! Turns the exchanges of a (shrunk) failing case into a script of `curl` commands,
//! secrets masked, that a reviewer can paste to see the bug again.

use crate::apis::gate::invariants::exec::{Recorded, Role};
use crate::apis::gate::invariants::strategy::Op;

/// The reproduction of a case that failed at `failing_step`: one shell command per
/// step (the report writers number them), each ending in a comment saying what it is
/// and what it answered. The seed travels in the finding, expected/got too.
pub fn reproduction(trace: &[Recorded], ops: &[Op], failing_step: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let line = |r: &Recorded, note: &str| {
        format!("{}  # {note} → {}", r.exchange.curl(), r.exchange.status)
    };
    for (i, r) in trace.iter().enumerate() {
        if r.step > failing_step {
            break;
        }
        let op_name = r
            .step
            .checked_sub(1)
            .and_then(|i| ops.get(i))
            .map_or("", Op::name);
        match r.role {
            Role::Setup => lines.push(line(
                r,
                "create an isolated agent; export GATECHECK_AGENT_ID and GATECHECK_AGENT_KEY from its reply",
            )),
            Role::Action => lines.push(line(r, &format!("step {}: {op_name}", r.step))),
            Role::Poll => {
                // Keep only the last poll of a run: "repeat until it ends".
                let next_is_poll = trace
                    .get(i + 1)
                    .is_some_and(|x| x.role == Role::Poll && x.step == r.step);
                if !next_is_poll {
                    lines.push(line(r, &format!("step {}: repeat until the order is no longer pending", r.step)));
                }
            }
            Role::Observe => {
                // Only the read that showed the failure.
                let is_last = trace[i + 1..].iter().all(|x| x.step > failing_step);
                if r.step == failing_step && is_last {
                    lines.push(line(r, &format!("step {}: the read that disagrees", r.step)));
                }
            }
        }
    }
    lines
}
