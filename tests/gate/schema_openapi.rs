//! `schemas/openapi.json` is a valid OpenAPI 3.1 document (checked against the official
//! OAS 3.1 meta-schema, iteration 2022-10-07), every `$ref` in it and in the schema files
//! resolves, every operation documents the responses the contract allows, and its
//! response schemas judge bodies like the `SchemaSet` does.

use std::path::{Path, PathBuf};

use gatecheck::engine::schema::openapi::{OpenApi, Undocumented};
use serde_json::{json, Value};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/gate")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn openapi_doc() -> Value {
    read_json(&schemas_dir().join("openapi.json"))
}

#[test]
fn the_document_validates_against_the_oas_3_1_meta_schema() {
    let meta = read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/gate/fixtures/schema/oas-3.1-schema-2022-10-07.json"),
    );
    assert_eq!(
        meta["$id"],
        json!("https://spec.openapis.org/oas/3.1/schema/2022-10-07")
    );
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&meta)
        .expect("the OAS meta-schema compiles");
    let doc = openapi_doc();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path.as_str()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // The meta-schema is not vacuous: it rejects broken documents.
    let mut broken = doc.clone();
    broken["openapi"] = json!("3.0.3");
    assert!(!validator.is_valid(&broken));
    let mut broken = doc.clone();
    broken["paths"]["/health"]["get"]["responses"]["200"]
        .as_object_mut()
        .expect("response")
        .remove("description");
    assert!(!validator.is_valid(&broken));
    let mut broken = doc;
    broken["components"]["securitySchemes"]["ApiKey"]["in"] = json!("body");
    assert!(!validator.is_valid(&broken));
}

/// Every `$ref` string under `value`, with the JSON pointer where it sits.
fn refs_in(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    if let Value::String(target) = inner {
                        out.push((at.clone(), target.clone()));
                    }
                } else {
                    refs_in(inner, format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                refs_in(inner, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Resolves `target` as written in `file`: a local pointer, or a sibling file with an
/// optional pointer fragment.
fn resolve(file: &str, target: &str) -> Result<(), String> {
    let (other, fragment) = match target.split_once('#') {
        Some((other, fragment)) => (other, fragment),
        None => (target, ""),
    };
    let name = if other.is_empty() { file } else { other };
    if name.contains('/') || name.contains(':') {
        return Err(format!("{target}: only sibling files are referenced"));
    }
    let path = schemas_dir().join(name);
    if !path.is_file() {
        return Err(format!("{target}: file {name} does not exist"));
    }
    let doc = read_json(&path);
    if fragment.is_empty() {
        return Ok(());
    }
    doc.pointer(fragment)
        .map(|_| ())
        .ok_or(format!("{target}: {fragment} is not in {name}"))
}

#[test]
fn every_ref_resolves() {
    let mut failures = Vec::new();
    let mut total = 0;
    for entry in std::fs::read_dir(schemas_dir()).expect("schemas/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        let mut refs = Vec::new();
        refs_in(&read_json(&path), String::new(), &mut refs);
        total += refs.len();
        for (at, target) in refs {
            if let Err(e) = resolve(&file, &target) {
                failures.push(format!("{file}{at}: {e}"));
            }
        }
    }
    assert!(total > 100, "the files do use $ref ({total})");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn statuses(api: &OpenApi, method: &str, path: &str) -> Vec<u16> {
    api.documented_statuses(method, path)
        .unwrap_or_else(|| panic!("{method} {path} is documented"))
}

#[test]
fn every_operation_documents_the_contracts_responses() {
    let api =
        OpenApi::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("the document compiles");
    let a = "/agent/{agent_id}";
    let list = vec![200, 400, 401, 403, 405, 429, 503];
    for path in [
        "/product-types",
        "/product-categories",
        "/products",
        "/orders",
        "/balance",
        "/deposits",
    ] {
        assert_eq!(
            statuses(&api, "GET", &format!("{a}{path}")),
            list,
            "GET {path}"
        );
    }
    let by_id = vec![200, 400, 401, 403, 404, 405, 429, 503];
    assert_eq!(
        statuses(&api, "GET", &format!("{a}/products/{{productId}}")),
        by_id
    );
    assert_eq!(
        statuses(&api, "GET", &format!("{a}/orders/{{orderId}}")),
        by_id
    );
    assert_eq!(
        statuses(&api, "POST", &format!("{a}/orders")),
        vec![201, 400, 401, 403, 405, 409, 415, 422, 429, 503]
    );
    assert_eq!(statuses(&api, "GET", "/health"), vec![200, 405, 503]);
    assert_eq!(
        statuses(&api, "POST", "/_sandbox/agents"),
        // 404: a target without the sandbox extensions (§9: the live API has none).
        vec![201, 400, 401, 404, 405, 415]
    );
    assert_eq!(
        statuses(&api, "POST", "/_sandbox/agents/{agent_id}/deposits"),
        vec![201, 400, 401, 404, 405, 415]
    );
    assert_eq!(
        statuses(&api, "POST", "/_sandbox/agents/{agent_id}/keys"),
        vec![201, 400, 401, 404, 405]
    );
    assert_eq!(
        statuses(&api, "DELETE", "/_sandbox/keys/{api_key}"),
        vec![204, 401, 404, 405]
    );
    for action in ["complete", "fail"] {
        assert_eq!(
            statuses(
                &api,
                "POST",
                &format!("/_sandbox/orders/{{order_id}}/{action}")
            ),
            vec![200, 400, 401, 404, 405, 409]
        );
    }
    assert_eq!(api.operations().len(), 16);
    assert!(api.documented_statuses("PUT", "/health").is_none());
}

#[test]
fn security_headers_and_parameters_follow_the_contract() {
    let doc = openapi_doc();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["ApiKey"],
        json!({"type": "apiKey", "in": "header", "name": "Authorization", "description": schemes["ApiKey"]["description"]})
    );
    assert_eq!(schemes["SandboxAdmin"]["name"], json!("X-Sandbox-Admin"));
    assert_eq!(doc["security"], json!([{"ApiKey": []}]));
    assert_eq!(doc["paths"]["/health"]["get"]["security"], json!([]));

    let mut sandbox_ops = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let Some(tags) = op.get("tags") else { continue };
            let is_sandbox = tags == &json!(["sandbox"]);
            assert_eq!(
                is_sandbox,
                path.starts_with("/_sandbox"),
                "{method} {path} tag"
            );
            if is_sandbox {
                sandbox_ops += 1;
                assert_eq!(
                    op["security"],
                    json!([{"SandboxAdmin": []}]),
                    "{method} {path}"
                );
            }
            // Every documented response carries X-Request-Id.
            for (status, response) in op["responses"].as_object().expect("responses") {
                let response = match response.get("$ref").and_then(Value::as_str) {
                    Some(target) => doc.pointer(&target[1..]).expect("response ref"),
                    None => response,
                };
                assert!(
                    response["headers"].get("X-Request-Id").is_some(),
                    "{method} {path} {status}: X-Request-Id"
                );
            }
        }
        assert!(item.get("x-allow").is_some(), "{path} lists its methods");
    }
    assert_eq!(sandbox_ops, 6);

    let params = &doc["components"]["parameters"];
    assert_eq!(
        params["Limit"]["schema"],
        json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20})
    );
    assert_eq!(params["IdempotencyKey"]["in"], json!("header"));
    assert_eq!(params["IdempotencyKey"]["schema"]["maxLength"], json!(255));
    let create = &doc["paths"]["/agent/{agent_id}/orders"]["post"];
    let headers = &create["responses"]["201"]["headers"];
    for header in ["Location", "Idempotent-Replayed", "X-Request-Id"] {
        assert!(headers.get(header).is_some(), "201 carries {header}");
    }
    let components = &doc["components"]["responses"];
    assert!(components["RateLimited"]["headers"]
        .get("Retry-After")
        .is_some());
    assert!(components["MethodNotAllowed"]["headers"]
        .get("Allow")
        .is_some());
}

#[test]
fn response_schemas_judge_bodies_like_the_schema_set() {
    let api = OpenApi::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("compiles");
    let orders = "/agent/{agent_id}/orders";
    let order = json!({
        "id": "5c1f4f9d-8b5a-4e8b-8c0e-1d1c2f3a4b5c", "product_id": 456, "quantity": 1,
        "external_ref": null, "idempotency_key": null, "status": "pending", "order_content": {},
        "currency_code": "USD", "charged_amount": "12.50", "balance_before": "100.00",
        "balance_after": "87.50", "is_test": false, "region_code": "GLOBAL",
        "created_at": "2024-11-01T10:00:00Z", "completed_at": null, "failed_at": null
    });
    let error =
        json!({"error": {"code": "invalid_request", "message": "bad", "param": "product_id"}});
    assert_eq!(
        api.validate_response("POST", orders, 201, Some(&order)),
        Ok(vec![])
    );
    assert_eq!(
        api.validate_response("post", orders, 400, Some(&error)),
        Ok(vec![])
    );
    let wrong = api
        .validate_response("POST", orders, 400, Some(&order))
        .expect("documented");
    assert!(!wrong.is_empty());
    let mut bad_order = order.clone();
    bad_order["charged_amount"] = json!(12.5);
    let v = api
        .validate_response("POST", orders, 201, Some(&bad_order))
        .expect("documented");
    assert_eq!(
        v.iter()
            .map(|x| x.instance_path.as_str())
            .collect::<Vec<_>>(),
        vec!["/charged_amount"]
    );

    let page = json!({"items": [order.clone(), bad_order], "next_cursor": null});
    let v = api
        .validate_response("GET", orders, 200, Some(&page))
        .expect("documented");
    assert_eq!(
        v.iter()
            .map(|x| x.instance_path.as_str())
            .collect::<Vec<_>>(),
        vec!["/items/1/charged_amount"]
    );

    let balances = json!({"items": [], "next_cursor": "more"});
    let v = api
        .validate_response("GET", "/agent/{agent_id}/balance", 200, Some(&balances))
        .expect("documented");
    assert_eq!(v.len(), 1, "balance is always one page: {v:?}");

    assert_eq!(
        api.validate_response("DELETE", "/_sandbox/keys/{api_key}", 204, None),
        Ok(vec![])
    );
    assert!(!api
        .validate_response("DELETE", "/_sandbox/keys/{api_key}", 204, Some(&json!({})))
        .expect("documented")
        .is_empty());
    assert!(matches!(
        api.validate_response("POST", orders, 404, Some(&error)),
        Err(Undocumented::Status { status: 404, .. })
    ));
    assert!(matches!(
        api.validate_response("PATCH", orders, 200, Some(&order)),
        Err(Undocumented::Operation { .. })
    ));
    // A 405 to a method the path does not support is judged by the path's 405.
    let not_allowed =
        json!({"error": {"code": "method_not_allowed", "message": "no", "param": null}});
    assert_eq!(
        api.validate_response("PATCH", orders, 405, Some(&not_allowed)),
        Ok(vec![])
    );
    assert!(!api
        .validate_response("PATCH", orders, 405, Some(&order))
        .expect("the path's 405")
        .is_empty());
    assert_eq!(
        api.allowed_methods(orders),
        Some(vec!["GET".to_owned(), "POST".to_owned()])
    );
    assert_eq!(api.allowed_methods("/health"), Some(vec!["GET".to_owned()]));
    assert_eq!(api.allowed_methods("/nope"), None);
}

#[test]
fn concrete_paths_match_their_templates() {
    let api = OpenApi::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("compiles");
    let agent = "0b7e6a1e-5d2c-4c53-9d0a-2f1e0c9b8a71";
    assert_eq!(
        api.match_path(&format!("/agent/{agent}/orders")),
        Some("/agent/{agent_id}/orders")
    );
    assert_eq!(
        api.match_path(&format!("/agent/{agent}/orders/abc?x=1")),
        Some("/agent/{agent_id}/orders/{orderId}")
    );
    assert_eq!(
        api.match_path(&format!("/agent/{agent}/products?limit=5")),
        Some("/agent/{agent_id}/products")
    );
    assert_eq!(
        api.match_path("/_sandbox/orders/x/complete"),
        Some("/_sandbox/orders/{order_id}/complete")
    );
    assert_eq!(api.match_path("/health"), Some("/health"));
    assert_eq!(api.match_path("/nope"), None);
}

#[test]
fn load_dir_reads_the_same_document() {
    let from_disk =
        OpenApi::load_dir(&gatecheck::apis::gate::schemas::BUNDLE, schemas_dir()).expect("loads");
    let embedded = OpenApi::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("embedded");
    assert_eq!(from_disk.document(), embedded.document());
}

#[test]
fn a_schema_dir_without_the_document_gets_the_embedded_one() {
    // `--schemas DIR` took schema files alone before the contract read the document.
    let bundle = &gatecheck::apis::gate::schemas::BUNDLE;
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in bundle.files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let loaded = OpenApi::load(bundle, Some(dir.path())).expect("loads without openapi.json");
    let embedded = OpenApi::embedded(bundle).expect("embedded");
    assert_eq!(loaded.operations(), embedded.operations());
    std::fs::write(dir.path().join("openapi.json"), "{not json").expect("write");
    assert!(
        OpenApi::load(bundle, Some(dir.path())).is_err(),
        "a broken document is refused"
    );
}
