//! Compiling: the scenario's transactions and the live catalog to the requests of the run,
//! paths joined once before it starts.

use std::sync::Arc;

use super::{GateLoad, GateTx, Op};
use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::load::catalog::Catalog;
use crate::apis::gate::load::scenario::{Action, ProductChoice, ProductFilters, TransactionSpec};
use crate::apis::gate::load::validate::BodyKind;
use crate::engine::client::pages::encode;
use crate::engine::client::ApiClient;
use crate::engine::load::attack::Compiled;
use crate::engine::load::goose::Endpoint;
use crate::engine::load::txn::query_path;

/// A scenario transaction the live catalog cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("transaction `{0}`: category = \"any\" but the catalog has no categories")]
    NoCategories(String),
    #[error("transaction `{0}`: the live catalog has no available product of that kind to order")]
    NothingToOrder(String),
}

crate::engine::exit::layer_errors!(CompileError);

/// Builds the requests of each transaction from the scenario and the catalog.
pub fn compile(
    specs: &[TransactionSpec],
    client: &ApiClient,
    catalog: &Catalog,
    load: &Arc<GateLoad>,
) -> Result<Vec<Compiled<GateTx>>, CompileError> {
    let with_limit = |suffix: &str, limit: Option<u32>| {
        query_path(&client.agent_path(suffix), &limit_query(limit))
    };
    let base = reqwest::Url::parse(&client.target().base_url).ok();
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let get = |mut paths: Vec<String>, body| {
            if paths.is_empty() {
                paths.push("/".to_string());
            }
            Op::Get {
                paths: paths
                    .into_iter()
                    .map(|p| Endpoint::new(base.as_ref(), p))
                    .collect(),
                body,
            }
        };
        let op = match &spec.action {
            Action::ListProductTypes { limit } => get(
                vec![with_limit("/product-types", *limit)],
                BodyKind::ProductTypeList,
            ),
            Action::ListCategories { limit } => get(
                vec![with_limit("/product-categories", *limit)],
                BodyKind::CategoryList,
            ),
            Action::ListOrders { limit } => {
                get(vec![with_limit("/orders", *limit)], BodyKind::OrderList)
            }
            Action::ListDeposits { limit } => {
                get(vec![with_limit("/deposits", *limit)], BodyKind::DepositList)
            }
            Action::GetBalance => get(vec![client.agent_path("/balance")], BodyKind::BalanceList),
            Action::GetProduct => get(
                catalog
                    .product_ids
                    .iter()
                    .map(|id| client.agent_path(&format!("/products/{id}")))
                    .collect(),
                BodyKind::Product,
            ),
            Action::ListProducts { filters, limit } => {
                let paths = product_paths(
                    &client.agent_path("/products"),
                    filters,
                    *limit,
                    &catalog.category_ids,
                )
                .ok_or_else(|| CompileError::NoCategories(spec.name.clone()))?;
                get(paths, BodyKind::ProductList)
            }
            Action::CreateOrder {
                product,
                quantity,
                force_test,
            } => {
                if !can_order(catalog, *product) {
                    return Err(CompileError::NothingToOrder(spec.name.clone()));
                }
                Op::CreateOrder {
                    choice: *product,
                    quantity: *quantity,
                    force_test: *force_test,
                }
            }
            Action::PollOrder { interval, timeout } => Op::PollOrder {
                interval: *interval,
                timeout: *timeout,
            },
            Action::ReplayOrder => Op::ReplayOrder,
        };
        out.push(Compiled {
            name: spec.name.clone(),
            weight: spec.weight,
            tx: Arc::new(GateTx {
                load: load.clone(),
                op,
            }),
        });
    }
    Ok(out)
}

fn limit_query(limit: Option<u32>) -> Vec<String> {
    limit.map(|l| format!("limit={l}")).into_iter().collect()
}

/// The product list's paths (§4.3): one, or one per category when `category = "any"`;
/// `None` when it asks for a category and the catalog has none.
fn product_paths(
    base: &str,
    filters: &ProductFilters,
    limit: Option<u32>,
    category_ids: &[u64],
) -> Option<Vec<String>> {
    let mut query = limit_query(limit);
    if let Some(t) = &filters.product_type {
        query.push(format!("type={}", encode(t)));
    }
    if let Some(r) = &filters.region_code {
        query.push(format!("region_code={}", encode(r)));
    }
    if let Some(a) = filters.is_available {
        query.push(format!("is_available={a}"));
    }
    if !filters.any_category {
        return Some(vec![query_path(base, &query)]);
    }
    if category_ids.is_empty() {
        return None;
    }
    let paths = category_ids
        .iter()
        .map(|c| {
            let mut q = query.clone();
            q.push(format!("category_id={c}"));
            query_path(base, &q)
        })
        .collect();
    Some(paths)
}

/// Whether the catalog has an available product of the kind `choice` orders.
fn can_order(catalog: &Catalog, choice: ProductChoice) -> bool {
    match choice {
        ProductChoice::Voucher => !catalog.vouchers.is_empty(),
        ProductChoice::TopUp => !catalog.top_ups.is_empty(),
        ProductChoice::Any => !(catalog.vouchers.is_empty() && catalog.top_ups.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(any_category: bool) -> ProductFilters {
        ProductFilters {
            product_type: Some("top up".into()),
            any_category,
            region_code: Some("KZ".into()),
            is_available: Some(true),
        }
    }

    #[test]
    fn a_product_list_carries_every_filter_encoded() {
        let paths = product_paths("/p", &filters(false), Some(5), &[]).unwrap();
        assert_eq!(
            paths,
            ["/p?limit=5&type=top%20up&region_code=KZ&is_available=true"]
        );
        let bare = ProductFilters {
            product_type: None,
            any_category: false,
            region_code: None,
            is_available: None,
        };
        assert_eq!(product_paths("/p", &bare, None, &[]).unwrap(), ["/p"]);
    }

    #[test]
    fn any_category_is_one_path_per_category_and_needs_one() {
        let paths = product_paths("/p", &filters(true), None, &[3, 9]).unwrap();
        assert_eq!(paths.len(), 2);
        assert!(paths[0].ends_with("&category_id=3"));
        assert!(paths[1].ends_with("&category_id=9"));
        assert_eq!(product_paths("/p", &filters(true), None, &[]), None);
    }

    #[test]
    fn ordering_needs_a_product_of_the_kind() {
        let mut catalog = Catalog {
            product_ids: vec![],
            category_ids: vec![],
            type_codes: vec![],
            vouchers: vec![],
            top_ups: vec![],
            notes: vec![],
        };
        for choice in [
            ProductChoice::Voucher,
            ProductChoice::TopUp,
            ProductChoice::Any,
        ] {
            assert!(!can_order(&catalog, choice));
        }
        catalog
            .top_ups
            .push(crate::apis::gate::load::catalog::Orderable {
                product_id: 1,
                currency: "USD".into(),
                is_voucher: false,
                body: serde_json::Map::new(),
                unit_charge: crate::apis::gate::money::Amount::from_minor(100),
                price: crate::apis::gate::pricing::PriceRule::TopUp {
                    rate: crate::apis::gate::money::Rate::parse("1.0000").unwrap(),
                    min: crate::apis::gate::money::Amount::from_minor(100),
                    max: crate::apis::gate::money::Amount::from_minor(100),
                },
            });
        assert!(!can_order(&catalog, ProductChoice::Voucher));
        assert!(can_order(&catalog, ProductChoice::TopUp));
        assert!(can_order(&catalog, ProductChoice::Any));
    }
}
