//! Gives a load run against the embedded sandbox an agent of its own (§9.2 admin API),
//! funded in every currency the catalog orders in with ten times the spend cap, so real
//! orders stop at `--max-spend` rather than at `insufficient_balance`, and the default
//! agent's ledger is left alone.
//!
//! **Invariant:** only for the embedded sandbox; against any other target the run uses
//! the agent and key it was given.

use crate::apis::gate::client::GateClientExt as _;
use std::collections::BTreeSet;

use serde_json::json;

use crate::apis::gate::load::catalog::Catalog;
use crate::apis::gate::money::Amount;
use crate::engine::client::{ApiClient, Auth};
use crate::engine::target::ResolvedTarget;

/// The client the load runs as, and a remark when a dedicated agent could not be made.
pub async fn load_client(
    resolved: &ResolvedTarget,
    catalog: &Catalog,
) -> (ApiClient, Option<String>) {
    let client = &resolved.client;
    if resolved.embedded.is_none() || client.target().admin_token.is_none() {
        return (client.clone(), None);
    }
    let currencies: BTreeSet<&str> = catalog
        .vouchers
        .iter()
        .chain(&catalog.top_ups)
        .map(|o| o.currency.as_str())
        .collect();
    let amount = Amount::from(resolved.spend.cap())
        .times(10)
        .filter(|a| *a >= Amount::from_minor(100_000))
        .unwrap_or(Amount::from_minor(100_000));
    let deposits: Vec<_> = currencies
        .iter()
        .map(|c| json!({"currency_code": c, "amount": amount.to_string()}))
        .collect();
    let made = client
        .post("/_sandbox/agents")
        .auth(Auth::Admin)
        .json(&json!({ "deposits": deposits }))
        .send()
        .await;
    let answer = match made {
        Ok(ex) if ex.status == 201 => ex.json(),
        Ok(ex) => {
            return (
                client.clone(),
                Some(format!(
                    "no dedicated load agent (admin API answered {}); using the default agent",
                    ex.status
                )),
            )
        }
        Err(e) => {
            return (
                client.clone(),
                Some(format!("no dedicated load agent: {e}")),
            )
        }
    };
    let id = answer
        .as_ref()
        .and_then(|v| v["agent_id"].as_str().map(str::to_string));
    let key = answer
        .as_ref()
        .and_then(|v| v["api_key"].as_str().map(str::to_string));
    match (id, key) {
        (Some(id), Some(key)) => (client.as_agent(&id, &key), None),
        _ => (
            client.clone(),
            Some(
                "no dedicated load agent (unexpected admin API answer); using the default agent"
                    .into(),
            ),
        ),
    }
}
