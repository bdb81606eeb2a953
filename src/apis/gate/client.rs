//! The Gate's view of the engine's client: its caller is an agent, named by `agent_id` in
//! every agent path (`/agent/{agent_id}/…`, contract §2).

use crate::engine::client::{ApiClient, Identity, Target};

/// The identity field of a Gate caller.
pub const AGENT_ID: &str = "agent_id";

/// An identity holding just this agent id.
pub fn agent_identity(agent_id: &str) -> Identity {
    Identity::from([(AGENT_ID, agent_id.to_string())])
}

/// The Gate's agent on a target.
pub trait GateTarget {
    fn agent_id(&self) -> &str;
}

impl GateTarget for Target {
    fn agent_id(&self) -> &str {
        self.identity(AGENT_ID)
    }
}

/// Agent paths and acting as another agent.
pub trait GateClientExt {
    fn agent_id(&self) -> &str;
    /// `/agent/{agent_id}{suffix}`.
    fn agent_path(&self, suffix: &str) -> String;
    /// A client acting as another agent (one made through the admin API).
    fn as_agent(&self, agent_id: &str, api_key: &str) -> ApiClient;
}

impl GateClientExt for ApiClient {
    fn agent_id(&self) -> &str {
        self.target().agent_id()
    }

    fn agent_path(&self, suffix: &str) -> String {
        format!("/agent/{}{}", self.target().agent_id(), suffix)
    }

    fn as_agent(&self, agent_id: &str, api_key: &str) -> ApiClient {
        self.as_identity(agent_identity(agent_id), api_key)
    }
}
