//! Contract §4 and §9.3: the seeded catalog, its filters, and list/detail agreement.

use crate::common;

use std::collections::HashSet;

use common::start;
use serde_json::Value;

#[tokio::test]
async fn seeded_catalog_has_what_section_9_3_promises() {
    let sb = start().await;
    let a = sb.default_agent();
    let products = sb.walk(&a, "/products", "", 3).await;
    for currency in ["USD", "EUR", "KZT"] {
        for kind in ["voucher", "direct_top_up"] {
            assert!(
                products.iter().any(|p| p["currency_code"] == currency
                    && p["type"] == kind
                    && p["is_available"] == true),
                "{currency} {kind}"
            );
        }
    }
    assert!(products.iter().any(|p| p["is_available"] == false));
    let ids: Vec<u64> = products.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "products sorted by id ascending");

    let types = sb.walk(&a, "/product-types", "", 1).await;
    let codes: HashSet<&str> = types.iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert!(codes.contains("voucher") && codes.contains("direct_top_up"));
    let categories = sb.walk(&a, "/product-categories", "", 2).await;
    let cat_ids: HashSet<u64> = categories
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert!(categories.iter().any(|c| c["parent_id"].is_u64()));
    for c in &categories {
        if let Some(parent) = c["parent_id"].as_u64() {
            assert!(cat_ids.contains(&parent));
        }
    }
    for p in &products {
        assert!(cat_ids.contains(&p["category_id"].as_u64().unwrap()));
        assert!(codes.contains(p["type"].as_str().unwrap()));
        let detail = sb.get(&a, &format!("/products/{}", p["id"])).await;
        assert_eq!(&detail.json(), p, "list and detail agree");
        check_product_shape(p);
    }
    sb.handle.shutdown().await;
}

fn check_product_shape(p: &Value) {
    let money = |v: &Value| {
        gatecheck::apis::gate::money::Amount::parse_decimal_amount(v.as_str().unwrap_or("x"))
            .is_ok()
    };
    if p["type"] == "voucher" {
        assert!(money(&p["price"]) && money(&p["agent_price"]));
        assert!(
            p["agent_rate"].is_null() && p["min_amount"].is_null() && p["max_amount"].is_null()
        );
        assert_eq!(p["customer_account_fields"], serde_json::json!([]));
    } else {
        assert!(p["price"].is_null() && p["agent_price"].is_null());
        assert!(
            gatecheck::apis::gate::money::Rate::parse(p["agent_rate"].as_str().unwrap()).is_ok()
        );
        assert!(money(&p["min_amount"]) && money(&p["max_amount"]));
        assert!(!p["customer_account_fields"].as_array().unwrap().is_empty());
    }
    assert!(p["updated_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn product_filters() {
    let sb = start().await;
    let a = sb.default_agent();
    let all = sb.walk(&a, "/products", "", 100).await;
    let vouchers = sb.walk(&a, "/products", "type=voucher", 100).await;
    assert!(!vouchers.is_empty() && vouchers.iter().all(|p| p["type"] == "voucher"));
    assert!(sb
        .walk(&a, "/products", "type=gift_box", 100)
        .await
        .is_empty());
    let unavailable = sb.walk(&a, "/products", "is_available=false", 100).await;
    assert!(!unavailable.is_empty() && unavailable.iter().all(|p| p["is_available"] == false));
    let cat = all[0]["category_id"].as_u64().unwrap();
    let in_cat = sb
        .walk(&a, "/products", &format!("category_id={cat}"), 100)
        .await;
    assert!(!in_cat.is_empty() && in_cat.iter().all(|p| p["category_id"] == cat));
    let global = sb.walk(&a, "/products", "region_code=GLOBAL", 100).await;
    assert!(!global.is_empty() && global.iter().all(|p| p["region_code"] == "GLOBAL"));
    for (q, param) in [
        ("region_code=usa", "region_code"),
        ("region_code=us", "region_code"),
        ("is_available=yes", "is_available"),
        ("category_id=abc", "category_id"),
        ("limit=0", "limit"),
        ("limit=", "limit"),
        ("cursor=bogus", "cursor"),
    ] {
        sb.get(&a, &format!("/products?{q}"))
            .await
            .expect_error(400, "invalid_request")
            .expect_param(Some(param));
    }
    sb.handle.shutdown().await;
}
