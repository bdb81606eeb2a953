//! Reproduction scripts, for any API: the exchanges of a (shrunk) failing case or of a
//! concurrency round as `curl` commands, secrets masked (the exchanges carry the masker),
//! that a reviewer pastes to see the bug again. The report writers number the lines.

use crate::engine::client::Exchange;

/// What an exchange of a case was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Creating the isolated caller the case runs as.
    Setup,
    /// The operation itself.
    Action,
    /// A read that checks the state.
    Observe,
    /// Waiting for something to end.
    Poll,
}

/// One request of a case, in order.
#[derive(Debug, Clone, Copy)]
pub struct TraceLine<'a> {
    /// 0 for the setup, else the 1-based operation number.
    pub step: usize,
    pub role: Role,
    pub exchange: &'a Exchange,
}

/// One request of a case, as recorded (owned).
#[derive(Debug, Clone)]
pub struct Recorded {
    /// 0 for the setup, else the 1-based operation number.
    pub step: usize,
    pub role: Role,
    pub exchange: Exchange,
}

impl Recorded {
    pub fn line(&self) -> TraceLine<'_> {
        TraceLine {
            step: self.step,
            role: self.role,
            exchange: &self.exchange,
        }
    }
}

/// What the lines of a case's script say beyond the step number.
pub struct Notes<'a> {
    /// The setup line (e.g. "create an isolated agent; export …").
    pub setup: &'a str,
    /// The last poll of a run of polls (e.g. "repeat until the order is no longer pending").
    pub poll: &'a str,
    /// The name of operation `step` (1-based).
    pub op_name: &'a dyn Fn(usize) -> String,
}

/// One script line: the command, what it is, and what it answered.
pub fn line(ex: &Exchange, note: &str) -> String {
    format!("{}  # {note} → {}", ex.curl(), ex.status)
}

/// The reproduction of a case that failed at `failing_step`: setup and actions, the last
/// poll of each wait, and the one read that showed the failure.
pub fn reproduction(
    trace: &[TraceLine<'_>],
    notes: &Notes<'_>,
    failing_step: usize,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, r) in trace.iter().enumerate() {
        if r.step > failing_step {
            break;
        }
        match r.role {
            Role::Setup => lines.push(line(r.exchange, notes.setup)),
            Role::Action => lines.push(line(
                r.exchange,
                &format!("step {}: {}", r.step, (notes.op_name)(r.step)),
            )),
            Role::Poll => {
                // Keep only the last poll of a run: "repeat until it ends".
                let next_is_poll = trace
                    .get(i + 1)
                    .is_some_and(|x| x.role == Role::Poll && x.step == r.step);
                if !next_is_poll {
                    lines.push(line(
                        r.exchange,
                        &format!("step {}: {}", r.step, notes.poll),
                    ));
                }
            }
            Role::Observe => {
                // Only the read that showed the failure.
                let is_last = trace[i + 1..].iter().all(|x| x.step > failing_step);
                if r.step == failing_step && is_last {
                    lines.push(line(
                        r.exchange,
                        &format!("step {}: the read that disagrees", r.step),
                    ));
                }
            }
        }
    }
    lines
}

/// The exchanges of one concurrency round, in the order a reproduction needs them.
#[derive(Debug, Default, Clone)]
pub struct Script {
    pub lines: Vec<String>,
}

impl Script {
    /// One request, sent alone.
    pub fn one(&mut self, ex: &Exchange, note: &str) {
        self.lines.push(line(ex, note));
    }

    /// Requests sent at once: each backgrounded, then `wait` with their statuses.
    pub fn parallel(&mut self, exs: &[Exchange], note: &str) {
        let n = exs.len();
        for (i, ex) in exs.iter().enumerate() {
            self.lines
                .push(format!("{} &  # {note}: {}/{n} at once", ex.curl(), i + 1));
        }
        let statuses: Vec<String> = exs.iter().map(|e| e.status.to_string()).collect();
        self.lines.push(format!("wait  # → {}", statuses.join(" ")));
    }

    /// A comment line (what the script shows).
    pub fn note(&mut self, text: &str) {
        self.lines.push(format!("# {text}"));
    }
}
