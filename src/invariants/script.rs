//! Turns the exchanges of a (shrunk) failing case into a numbered script of `curl`
//! commands, secrets masked, that a reviewer can paste to see the bug again.

use super::checks::Violation;
use super::exec::{Recorded, Role};
use super::strategy::Op;

/// The numbered reproduction of a case that failed at `failing_step`.
pub fn reproduction(
    trace: &[Recorded],
    ops: &[Op],
    failing_step: usize,
    violation: &Violation,
    seed: u64,
) -> Vec<String> {
    let mut lines = vec![format!(
        "# {} ({}): replay with `gatecheck invariants --seed {seed:016x} --cases 1`",
        violation.check.id(),
        violation.check.section()
    )];
    let mut n = 0;
    let mut push = |lines: &mut Vec<String>, r: &Recorded, note: &str| {
        n += 1;
        lines.push(format!("{n}. {}", r.exchange.curl()));
        lines.push(format!("   # {note} → {}", r.exchange.status));
    };
    for (i, r) in trace.iter().enumerate() {
        if r.step > failing_step {
            break;
        }
        let op = r.step.checked_sub(1).and_then(|i| ops.get(i));
        let op_name = op.map_or("", Op::name);
        match r.role {
            Role::Setup => {
                push(&mut lines, r, "create an isolated agent");
                lines.push(
                    "   # then: export GATECHECK_AGENT_ID=<agent_id> GATECHECK_AGENT_KEY=<api_key> from its reply"
                        .to_string(),
                );
            }
            Role::Action => push(&mut lines, r, &format!("step {}: {op_name}", r.step)),
            Role::Poll => {
                // Keep only the last poll of a run: "repeat until it ends".
                let next_is_poll = trace
                    .get(i + 1)
                    .is_some_and(|x| x.role == Role::Poll && x.step == r.step);
                if !next_is_poll {
                    push(
                        &mut lines,
                        r,
                        &format!(
                            "step {}: repeat until the order is no longer pending",
                            r.step
                        ),
                    );
                }
            }
            Role::Observe => {
                // Only the read that showed the failure.
                let is_last = trace[i + 1..].iter().all(|x| x.step > failing_step);
                if r.step == failing_step && is_last {
                    push(&mut lines, r, &format!("step {}: observe", r.step));
                }
            }
        }
    }
    lines.push(format!("# expected: {}", violation.expected));
    lines.push(format!("# got:      {}", violation.got));
    lines
}
