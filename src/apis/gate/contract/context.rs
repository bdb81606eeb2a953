//! The Gate suite's context: the engine's [`Recorder`] (every exchange kept, so the rules
//! that hold for *every* response are judged over all observed traffic) classified by
//! Gate [`Operation`] (looked up in the run's OpenAPI document), plus the spend policy, the
//! schemas and the agent's paths.

use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::client::GateTarget as _;
use std::sync::Arc;

use super::operation::Operation;
use crate::apis::gate::admin::AdminCall;
use crate::engine::client::{ApiClient, Auth};
use crate::engine::contract::Recorder;
use crate::engine::schema::openapi::OpenApi;
use crate::engine::schema::SchemaSet;
use crate::engine::spend::SpendGuard;

pub use crate::engine::contract::{NoResponse, Req};

/// One recorded exchange, classified by Gate [`Operation`].
pub type Observed = crate::engine::contract::Observed<Operation>;

/// A sandbox admin call (§9.2), sent as the admin.
pub fn admin_req(call: &AdminCall) -> Req {
    let req = Req::new(call.method(), call.path()).auth(Auth::Admin);
    match call.body() {
        Some(body) => req.json(&body),
        None => req,
    }
}

/// The run's shared state: the client, the spend policy, the schemas, the OpenAPI
/// document and the recording.
pub struct Ctx<'a> {
    pub client: ApiClient,
    pub spend: SpendGuard,
    pub schemas: &'a SchemaSet,
    pub openapi: Arc<OpenApi>,
    recorder: Recorder<Operation>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        client: ApiClient,
        spend: SpendGuard,
        schemas: &'a SchemaSet,
        openapi: Arc<OpenApi>,
    ) -> Ctx<'a> {
        Ctx {
            recorder: Recorder::classified_by(
                client.clone(),
                Operation::classifier(openapi.clone()),
            ),
            client,
            spend,
            schemas,
            openapi,
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
        let openapi = OpenApi::embedded(&crate::apis::gate::schemas::BUNDLE).expect("document");
        let op = Operation::of(&openapi, method, path);
        crate::engine::contract::recorder::fake::observed_op(
            op, method, path, status, headers, body,
        )
    }
}
