//! A tiny Gate-API-shaped server for load tests: the catalog endpoints (static data),
//! `GET /health`, and an optional stall (every request that arrives inside a stall window
//! waits until the window ends — a server pause, as a GC or a lock would cause).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::time::Instant;

pub const AGENT: &str = "6f1c2d3e-4a5b-4c6d-8e7f-901234567890";
pub const KEY: &str = "test-key-123";

#[derive(Clone, Copy)]
pub struct Stall {
    pub period: Duration,
    pub every: Duration,
}

struct App {
    started: Instant,
    stall: Option<Stall>,
}

pub struct FakeGate {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(stall: Option<Stall>) -> FakeGate {
    let app = Arc::new(App {
        started: Instant::now(),
        stall,
    });
    let router = Router::new()
        .route(
            "/health",
            get(|| async {
                Json(json!({"status": "ok", "version": "fake", "time": "2024-11-01T10:00:00Z"}))
            }),
        )
        .route("/agent/{agent}/products", get(products))
        .route("/agent/{agent}/products/{id}", get(product))
        .route("/agent/{agent}/product-types", get(types))
        .route("/agent/{agent}/product-categories", get(categories))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    FakeGate {
        base_url: format!("http://{addr}"),
        task,
    }
}

async fn stall(app: &App) {
    if let Some(s) = app.stall {
        let since = app.started.elapsed();
        let phase = Duration::from_nanos((since.as_nanos() % s.every.as_nanos()) as u64);
        if phase < s.period {
            tokio::time::sleep(s.period - phase).await;
        }
    }
}

fn product_json(id: u64) -> Value {
    json!({
        "id": id, "name": format!("Voucher {id}"), "type": "voucher", "category_id": 1,
        "currency_code": "USD", "region_code": "GLOBAL", "is_available": true,
        "price": "10.00", "agent_price": "9.50", "agent_rate": null, "min_amount": null,
        "max_amount": null, "customer_account_fields": [], "updated_at": "2024-10-01T00:00:00Z"
    })
}

async fn products(State(app): State<Arc<App>>, Path(_agent): Path<String>) -> impl IntoResponse {
    stall(&app).await;
    Json(json!({"items": [product_json(1), product_json(2), product_json(3)], "next_cursor": null}))
}

async fn product(
    State(app): State<Arc<App>>,
    Path((_agent, id)): Path<(String, u64)>,
) -> impl IntoResponse {
    stall(&app).await;
    if (1..=3).contains(&id) {
        (StatusCode::OK, Json(product_json(id)))
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": "no", "param": null}})),
        )
    }
}

async fn types(State(app): State<Arc<App>>, Path(_agent): Path<String>) -> impl IntoResponse {
    stall(&app).await;
    Json(json!({"items": [{"id": 1, "code": "voucher", "name": "Voucher"}], "next_cursor": null}))
}

async fn categories(State(app): State<Arc<App>>, Path(_agent): Path<String>) -> impl IntoResponse {
    stall(&app).await;
    Json(json!({"items": [{"id": 1, "name": "Games", "parent_id": null}], "next_cursor": null}))
}

/// Target flags pointing at a fake server.
pub fn target_args(base_url: &str) -> gatecheck::target::TargetArgs {
    gatecheck::target::TargetArgs {
        base_url: Some(base_url.to_string()),
        agent_id: Some(AGENT.to_string()),
        api_key: Some(KEY.to_string()),
        admin_token: None,
        timeout: Duration::from_secs(10),
        allow_spend: false,
        max_spend: gatecheck::model::Amount::from_minor(10_000),
    }
}
