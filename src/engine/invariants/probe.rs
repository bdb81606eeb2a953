//! Why an API's invariants could not run (not a finding on the contract), and the one exit
//! code each reason gets: a refused sandbox admin call is the run's configuration or the
//! target's doing ([`AdminRefusal`]); a target that answered the preflight and then broke
//! the run is exit 1, never 3; a request still rate limited past the pacing budget never
//! ran, so nothing was judged on it.

use crate::engine::client::TransportError;
use crate::engine::exit::GateError;
use crate::engine::invariants::admin::AdminRefusal;
use crate::engine::invariants::pace::PaceError;

/// Why a probe could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Admin(AdminRefusal),
    #[error("target: {0}")]
    Target(String),
    /// A request was answered `429` past the pacing budget: it did not run, and what
    /// rested on it is inconclusive (callers turn this into a skip, never a failure).
    #[error("the target kept answering 429 (rate limited) past the retry budget ({0})")]
    RateLimited(String),
}

impl From<AdminRefusal> for ProbeError {
    /// A `429` from the admin API is a rate limit the pacer could not wait out: the call
    /// never ran, so the case is inconclusive — never a finding, never a configuration
    /// error.
    fn from(refusal: AdminRefusal) -> ProbeError {
        if refusal.status == 429 {
            ProbeError::RateLimited(refusal.call)
        } else {
            ProbeError::Admin(refusal)
        }
    }
}

impl From<TransportError> for ProbeError {
    fn from(e: TransportError) -> ProbeError {
        ProbeError::Target(e.to_string())
    }
}

impl From<PaceError> for ProbeError {
    fn from(e: PaceError) -> ProbeError {
        match e {
            PaceError::RateLimited(what) => ProbeError::RateLimited(what),
            e => ProbeError::Target(e.to_string()),
        }
    }
}

impl From<ProbeError> for GateError {
    fn from(e: ProbeError) -> GateError {
        match e {
            ProbeError::Admin(refusal) => refusal.into(),
            // The target answered the preflight: a transport failure after it (a timeout
            // mid-case, a reset) broke the run — exit 1 with a report, never 3.
            ProbeError::Target(m) => GateError::Target(format!("invariants: {m}")),
            // The probes end a rate-limited case inconclusively themselves; one that still
            // escapes broke the run, and is no verdict on the contract.
            ProbeError::RateLimited(m) => GateError::Target(format!(
                "invariants: rate limited past the retry budget ({m}); nothing was judged on it"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::exit::Exit;

    #[test]
    fn each_reason_has_one_exit() {
        let exit = |e: ProbeError| GateError::from(e).exit();
        assert_eq!(exit(ProbeError::Target("reset".into())), Exit::Violations);
        assert_eq!(
            exit(ProbeError::RateLimited("GET /x".into())),
            Exit::Violations
        );
        let refused = |status| ProbeError::from(AdminRefusal::new("POST /_sandbox/x", status, ""));
        assert_eq!(exit(refused(401)), Exit::Usage);
        assert_eq!(exit(refused(503)), Exit::Violations);
        // A rate-limited admin call is the pacer's budget spent, not a refusal.
        assert!(
            matches!(refused(429), ProbeError::RateLimited(call) if call == "POST /_sandbox/x")
        );
    }
}
