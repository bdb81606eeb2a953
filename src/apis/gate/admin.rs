//! The sandbox admin API (GATE_API.md §9.2), typed: one place that knows its routes, bodies
//! and answers. Each call is an [`AdminCall`] (method, path, body) that any transport can
//! send, the contract's recorder as well as the plain client; [`AdminClient`] sends them
//! through an [`ApiClient`] for the phases that use one directly.
//!
//! **Invariant:** these routes exist only on a sandbox; every call carries
//! `X-Sandbox-Admin` ([`Auth::Admin`]) and nothing else knows their paths.

use reqwest::Method;
use serde_json::{json, Value};

use crate::apis::gate::client::{GateClientExt as _, GateTarget as _};
use crate::apis::gate::money::Amount;
use crate::engine::client::pages::encode;
use crate::engine::client::{ApiClient, Auth, Exchange, TransportError};

/// The root every admin route lives under (§9.2).
pub const ROOT: &str = "/_sandbox";

/// Whether a request path (no query) is an admin route.
pub fn is_admin_path(path: &str) -> bool {
    path.strip_prefix(ROOT)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// One admin request.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminCall {
    /// `POST /_sandbox/agents` with these completed deposits.
    CreateAgent { deposits: Vec<(String, Amount)> },
    /// `POST /_sandbox/agents/{id}/keys`: one more key of the agent.
    AddKey { agent_id: String },
    /// `DELETE /_sandbox/keys/{key}`.
    RevokeKey { key: String },
    /// `POST /_sandbox/agents/{id}/deposits`; `status` and `reference` only when given
    /// (the sandbox's default is a completed deposit).
    Deposit {
        agent_id: String,
        currency: String,
        amount: Amount,
        status: Option<&'static str>,
        reference: Option<String>,
    },
    /// `POST /_sandbox/orders/{id}/complete` or `/fail`.
    Force { order_id: String, fail: bool },
}

impl AdminCall {
    /// A completed deposit.
    pub fn deposit(agent_id: &str, currency: &str, amount: Amount) -> AdminCall {
        AdminCall::Deposit {
            agent_id: agent_id.to_string(),
            currency: currency.to_string(),
            amount,
            status: None,
            reference: None,
        }
    }

    pub fn method(&self) -> Method {
        match self {
            AdminCall::RevokeKey { .. } => Method::DELETE,
            _ => Method::POST,
        }
    }

    pub fn path(&self) -> String {
        match self {
            AdminCall::CreateAgent { .. } => "/_sandbox/agents".into(),
            AdminCall::AddKey { agent_id } => format!("/_sandbox/agents/{agent_id}/keys"),
            AdminCall::RevokeKey { key } => format!("/_sandbox/keys/{}", encode(key)),
            AdminCall::Deposit { agent_id, .. } => format!("/_sandbox/agents/{agent_id}/deposits"),
            AdminCall::Force { order_id, fail } => {
                let verb = if *fail { "fail" } else { "complete" };
                format!("/_sandbox/orders/{order_id}/{verb}")
            }
        }
    }

    /// The JSON body, if the call has one.
    pub fn body(&self) -> Option<Value> {
        match self {
            AdminCall::CreateAgent { deposits } if deposits.is_empty() => Some(json!({})),
            AdminCall::CreateAgent { deposits } => Some(json!({
                "deposits": deposits
                    .iter()
                    .map(|(c, a)| json!({"currency_code": c, "amount": a.to_string()}))
                    .collect::<Vec<_>>()
            })),
            AdminCall::Deposit {
                currency,
                amount,
                status,
                reference,
                ..
            } => {
                let mut body = json!({"currency_code": currency, "amount": amount.to_string()});
                if let Some(s) = status {
                    body["status"] = json!(s);
                }
                if let Some(r) = reference {
                    body["reference"] = json!(r);
                }
                Some(body)
            }
            AdminCall::AddKey { .. } | AdminCall::RevokeKey { .. } | AdminCall::Force { .. } => {
                None
            }
        }
    }
}

/// An agent the admin API created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgent {
    pub agent_id: String,
    pub api_key: String,
}

/// An admin answer that is not what §9.2 promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("{call} answered {status} {body}")]
    Status {
        call: String,
        status: u16,
        body: String,
    },
    #[error("{call} answered without {field}: {body}")]
    Missing {
        call: String,
        field: &'static str,
        body: String,
    },
}

impl From<AdminError> for crate::engine::invariants::admin::AdminRefusal {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Status { call, status, body } => Self::new(call, status, body),
            AdminError::Missing { call, field, body } => {
                Self::new(call, 201, format!("without {field}: {body}"))
            }
        }
    }
}

/// Masks the `api_key` an admin answer carries, whatever else is wrong with the answer
/// (a `201` without `agent_id` must not put a live key into an error or a report), under
/// the name it gets once used: `variable`, or when `None` the numbered
/// `$GATECHECK_OTHER_KEY_n` a client acting with it would give it.
pub fn mask_issued_key(
    json: Option<&Value>,
    masker: &crate::engine::client::Masker,
    variable: Option<&str>,
) {
    if let Some(key) = json.and_then(|j| j.get("api_key")?.as_str()) {
        match variable {
            Some(variable) => masker.add(key, variable),
            None => {
                masker.add_numbered(key, crate::engine::client::OTHER_KEY_PREFIX);
            }
        }
    }
}

/// `201` and `agent_id`/`api_key` strings, from a `POST /_sandbox/agents` answer.
pub fn new_agent(status: u16, json: Option<&Value>, excerpt: &str) -> Result<NewAgent, AdminError> {
    let call = "POST /_sandbox/agents";
    if status != 201 {
        return Err(AdminError::Status {
            call: call.into(),
            status,
            body: excerpt.into(),
        });
    }
    let field = |f: &str| json?.get(f)?.as_str().map(str::to_string);
    match (field("agent_id"), field("api_key")) {
        (Some(agent_id), Some(api_key)) => Ok(NewAgent { agent_id, api_key }),
        _ => Err(AdminError::Missing {
            call: call.into(),
            field: "agent_id/api_key",
            body: excerpt.into(),
        }),
    }
}

/// `201` and an `api_key` string, from a `POST /_sandbox/agents/{id}/keys` answer.
pub fn new_key(status: u16, json: Option<&Value>, excerpt: &str) -> Result<String, AdminError> {
    let call = "POST /_sandbox/agents/{id}/keys";
    if status != 201 {
        return Err(AdminError::Status {
            call: call.into(),
            status,
            body: excerpt.into(),
        });
    }
    json.and_then(|j| j.get("api_key")?.as_str().map(str::to_string))
        .ok_or_else(|| AdminError::Missing {
            call: call.into(),
            field: "api_key",
            body: excerpt.into(),
        })
}

/// The admin API through a plain client (the invariants' probes).
pub struct AdminClient<'a> {
    client: &'a ApiClient,
}

impl<'a> AdminClient<'a> {
    pub fn new(client: &'a ApiClient) -> AdminClient<'a> {
        AdminClient { client }
    }

    /// Sends one call as the admin; the exchange, whatever it answered.
    pub async fn send(&self, call: &AdminCall) -> Result<Exchange, TransportError> {
        let mut rb = self
            .client
            .request(call.method(), call.path())
            .auth(Auth::Admin);
        if let Some(body) = call.body() {
            rb = rb.json(&body);
        }
        rb.send().await
    }

    /// Creates an agent with these completed deposits: a client acting as it (its id and
    /// key masked as `$GATECHECK_AGENT_ID` / `$GATECHECK_AGENT_KEY`) and the exchange.
    pub async fn create_agent(
        &self,
        deposits: &[(String, Amount)],
    ) -> Result<Result<(ApiClient, Exchange), AdminError>, TransportError> {
        let ex = self
            .send(&AdminCall::CreateAgent {
                deposits: deposits.to_vec(),
            })
            .await?;
        mask_issued_key(
            ex.json().as_ref(),
            self.client.masker(),
            Some("GATECHECK_AGENT_KEY"),
        );
        let agent = match new_agent(ex.status, ex.json().as_ref(), &ex.body_excerpt()) {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        let masker = self.client.masker();
        masker.add(&agent.api_key, "GATECHECK_AGENT_KEY");
        masker.add(&agent.agent_id, "GATECHECK_AGENT_ID");
        Ok(Ok((
            self.client.as_agent(&agent.agent_id, &agent.api_key),
            ex,
        )))
    }

    /// A completed deposit to the client's own agent.
    pub async fn deposit(
        &self,
        currency: &str,
        amount: Amount,
    ) -> Result<Exchange, TransportError> {
        let agent = self.client.target().agent_id().to_string();
        self.send(&AdminCall::deposit(&agent, currency, amount))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `201` that issues a key but lacks `agent_id` is refused, and the refusal (with
    /// its body excerpt) never shows the key.
    #[tokio::test]
    async fn an_issued_key_is_masked_even_when_the_answer_is_refused() {
        use crate::engine::client::{Identity, Secret, Target};
        let issued = "sk_issued_live_0123456789";
        let (url, server) =
            crate::engine::client::fake::answer_once(201, &format!(r#"{{"api_key":"{issued}"}}"#))
                .await;
        let mut identity = Identity::new();
        identity.insert("agent_id", "a1".into());
        let target = Target {
            base_url: url,
            identity,
            api_key: Secret::new("sk_test_own_key_0123"),
            admin_token: Some(Secret::new("adm_token_0123456789")),
        };
        let client = ApiClient::new(target, std::time::Duration::from_secs(5)).unwrap();
        let refused = AdminClient::new(&client)
            .create_agent(&[])
            .await
            .expect("an answer")
            .expect_err("no agent_id");
        server.await.unwrap();
        let text = refused.to_string();
        assert!(text.contains("agent_id"), "{text}");
        assert!(!text.contains(issued), "{text}");
        assert!(!client.masker().mask(issued).contains(issued));
    }

    #[test]
    fn calls_name_the_routes_of_section_9_2() {
        let c = AdminCall::CreateAgent {
            deposits: vec![("USD".into(), Amount::from_minor(1050))],
        };
        assert_eq!(
            (c.method(), c.path().as_str()),
            (Method::POST, "/_sandbox/agents")
        );
        assert_eq!(
            c.body(),
            Some(json!({"deposits": [{"currency_code": "USD", "amount": "10.50"}]}))
        );
        let empty = AdminCall::CreateAgent { deposits: vec![] };
        assert_eq!(empty.body(), Some(json!({})));
        let revoke = AdminCall::RevokeKey {
            key: "a/b c".into(),
        };
        assert_eq!(revoke.method(), Method::DELETE);
        assert_eq!(revoke.path(), "/_sandbox/keys/a%2Fb%20c");
        let force = AdminCall::Force {
            order_id: "o1".into(),
            fail: true,
        };
        assert_eq!(force.path(), "/_sandbox/orders/o1/fail");
        assert_eq!(force.body(), None);
        assert!(is_admin_path(&force.path()) && is_admin_path("/_sandbox"));
        assert!(!is_admin_path("/_sandboxes") && !is_admin_path("/agent/x/orders"));
        let dep = AdminCall::Deposit {
            agent_id: "a1".into(),
            currency: "EUR".into(),
            amount: Amount::from_minor(100),
            status: Some("pending"),
            reference: Some("r".into()),
        };
        assert_eq!(dep.path(), "/_sandbox/agents/a1/deposits");
        assert_eq!(
            dep.body(),
            Some(
                json!({"currency_code": "EUR", "amount": "1.00", "status": "pending", "reference": "r"})
            )
        );
        assert_eq!(
            AdminCall::AddKey {
                agent_id: "a1".into()
            }
            .path(),
            "/_sandbox/agents/a1/keys"
        );
    }

    #[test]
    fn answers_are_read_strictly() {
        let ok = json!({"agent_id": "a1", "api_key": "k1"});
        assert_eq!(
            new_agent(201, Some(&ok), ""),
            Ok(NewAgent {
                agent_id: "a1".into(),
                api_key: "k1".into()
            })
        );
        assert!(matches!(
            new_agent(200, Some(&ok), ""),
            Err(AdminError::Status { status: 200, .. })
        ));
        assert!(matches!(
            new_agent(201, Some(&json!({"agent_id": "a1"})), ""),
            Err(AdminError::Missing { .. })
        ));
        assert_eq!(
            new_key(201, Some(&json!({"api_key": "k2"})), ""),
            Ok("k2".into())
        );
        assert!(new_key(201, None, "").is_err());
    }
}
