//! Gives a load run against the embedded sandbox an agent of its own (§9.2 admin API),
//! funded in every currency the catalog orders in with ten times the spend cap, so real
//! orders stop at `--max-spend` rather than at `insufficient_balance`, and the default
//! agent's ledger is left alone.
//!
//! **Invariant:** only for the embedded sandbox; against any other target the run uses
//! the agent and key it was given.

use std::collections::BTreeSet;

use crate::apis::gate::admin::AdminClient;
use crate::apis::gate::load::catalog::Catalog;
use crate::apis::gate::money::Amount;
use crate::engine::client::ApiClient;
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
    let deposits: Vec<(String, Amount)> =
        currencies.iter().map(|c| (c.to_string(), amount)).collect();
    match AdminClient::new(client).create_agent(&deposits).await {
        Ok(Ok((agent, _))) => (agent, None),
        Ok(Err(e)) => (
            client.clone(),
            Some(format!(
                "no dedicated load agent ({e}); using the default agent"
            )),
        ),
        Err(e) => (
            client.clone(),
            Some(format!("no dedicated load agent: {e}")),
        ),
    }
}
