//! Fault injection (issue 2 flags `--inject-latency`, `--inject-errors`, `--stall`): they
//! hit the Gate API and `/health`, never the admin API, and answer in the Error model.

use crate::common;

use std::time::{Duration, Instant};

use common::start_with;
use gatecheck::apis::gate::sandbox::{Faults, LatencyFault, SandboxConfig, Stall};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn injected_errors_are_503_unavailable_but_spare_admin() {
    let sb = start_with(SandboxConfig {
        faults: Faults {
            errors: Some(1.0),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let a = sb.default_agent();
    sb.get(&a, "/products")
        .await
        .expect_error(503, "unavailable");
    let h = sb.send(Method::GET, "/health", &[], None).await;
    assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.json()["status"], "unavailable");
    assert_eq!(h.json()["error"]["code"], "unavailable");
    assert_eq!(
        sb.admin(Method::POST, "/_sandbox/agents", None)
            .await
            .status,
        StatusCode::CREATED
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn a_fraction_of_errors() {
    let sb = start_with(SandboxConfig {
        faults: Faults {
            errors: Some(0.5),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let a = sb.default_agent();
    let mut failed = 0;
    for _ in 0..100 {
        if sb.get(&a, "/product-types").await.status == StatusCode::SERVICE_UNAVAILABLE {
            failed += 1;
        }
    }
    assert!(
        (20..=80).contains(&failed),
        "{failed} of 100 failed at fraction 0.5"
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn injected_latency() {
    let sb = start_with(SandboxConfig {
        faults: Faults {
            latency: Some(LatencyFault {
                fraction: 1.0,
                delay: Duration::from_millis(150),
            }),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let a = sb.default_agent();
    let t = Instant::now();
    assert_eq!(sb.get(&a, "/product-types").await.status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(150));
    let t = Instant::now();
    sb.admin(Method::POST, "/_sandbox/agents", None).await;
    assert!(
        t.elapsed() < Duration::from_millis(150),
        "admin is not delayed"
    );
    sb.handle.shutdown().await;
}

#[tokio::test]
async fn periodic_stall() {
    let sb = start_with(SandboxConfig {
        faults: Faults {
            stall: Some(Stall {
                period: Duration::from_millis(400),
                every: Duration::from_millis(1000),
            }),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let a = sb.default_agent();
    // Right after start we are inside the first stall: the answer waits for its end.
    let t = Instant::now();
    assert_eq!(sb.get(&a, "/product-types").await.status, StatusCode::OK);
    let stalled = t.elapsed();
    assert!(
        stalled >= Duration::from_millis(150),
        "stalled for {stalled:?}"
    );
    // Just after the stall ends the answer is prompt.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    sb.get(&a, "/product-types").await;
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "not stalled between stalls: {:?}",
        t.elapsed()
    );
    sb.handle.shutdown().await;
}
