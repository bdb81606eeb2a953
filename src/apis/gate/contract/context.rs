//! The Gate suite's context: the engine's [`Recorder`] (every exchange kept, so the rules
//! that hold for *every* response are judged over all observed traffic) classified by
//! Gate [`Operation`], plus the spend policy, the schemas and the agent's paths.

use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::client::GateTarget as _;
use std::sync::Arc;

use super::operation::Operation;
use crate::engine::client::ApiClient;
use crate::engine::contract::{Classify, Recorder};
use crate::engine::schema::SchemaSet;
use crate::engine::spend::SpendGuard;

pub use crate::engine::contract::{NoResponse, Req};

/// One recorded exchange, classified by Gate [`Operation`].
pub type Observed = crate::engine::contract::Observed<Operation>;

impl Classify for Operation {
    fn classify(method: &str, path: &str) -> Operation {
        Operation::of(method, path)
    }
}

/// The run's shared state: the client, the spend policy, the schemas and the recording.
pub struct Ctx<'a> {
    pub client: ApiClient,
    pub spend: SpendGuard,
    pub schemas: &'a SchemaSet,
    recorder: Recorder<Operation>,
}

impl<'a> Ctx<'a> {
    pub fn new(client: ApiClient, spend: SpendGuard, schemas: &'a SchemaSet) -> Ctx<'a> {
        Ctx {
            recorder: Recorder::new(client.clone()),
            client,
            spend,
            schemas,
        }
    }

    pub fn has_admin(&self) -> bool {
        self.client.target().admin_token.is_some()
    }

    pub fn agent_id(&self) -> &str {
        self.client.target().agent_id()
    }

    /// `/agent/{our agent_id}{suffix}`.
    pub fn agent_path(&self, suffix: &str) -> String {
        self.client.agent_path(suffix)
    }

    /// Sends as the target's own agent and records the exchange.
    pub async fn send(&self, req: Req) -> Result<Arc<Observed>, NoResponse> {
        self.recorder.send(req).await
    }

    /// Sends as another agent (a client from [`ApiClient::as_agent`]).
    pub async fn send_as(&self, other: &ApiClient, req: Req) -> Result<Arc<Observed>, NoResponse> {
        self.recorder.send_as(other, req).await
    }

    /// Everything observed so far, in arrival order.
    pub fn observed(&self) -> Vec<Arc<Observed>> {
        self.recorder.observed()
    }

    pub fn no_responses(&self) -> Vec<NoResponse> {
        self.recorder.no_responses()
    }
}

/// Hand-made observations for unit tests of the check functions.
#[cfg(test)]
pub mod fake {
    use super::*;

    pub fn observed(
        method: &str,
        path: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Arc<Observed> {
        crate::engine::contract::recorder::fake::observed_as(method, path, status, headers, body)
    }
}
