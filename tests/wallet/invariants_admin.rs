//! The sandbox admin API the Wallet invariants need (to make merchants): refusing the
//! admin token given is the run's configuration (exit 2, saying what to change); any
//! other refusal, a 503 here, is the target's doing (exit 1). The Gate's invariants
//! decide the same way (`tests/gate/safety_exits.rs`).

use gatecheck::apis::wallet::invariants::{self, InvariantOptions};
use gatecheck::engine::exit::{Exit, GateError};

use super::common;
use super::hostile::{forward, Hostile, Reply};

async fn run(base_url: String, key: String, admin_token: String) -> GateError {
    let resolved = common::resolve(base_url, key, Some(admin_token)).await;
    let opts = InvariantOptions {
        cases: 2,
        seed: Some(1),
        ..InvariantOptions::default()
    };
    let result = invariants::run(&opts, &resolved).await;
    resolved.shutdown().await;
    match result {
        Ok(phase) => panic!("the invariants ran without the admin API: {phase:?}"),
        Err(e) => e,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_admin_token_is_exit_2_and_a_broken_admin_api_exit_1() {
    let sb = common::start().await;
    let e = run(sb.url(""), sb.key(), "adm_wrong_token_0123456789".into()).await;
    assert_eq!(e.exit(), Exit::Usage, "{e}");
    assert!(
        e.to_string().contains("admin token was not accepted"),
        "{e}"
    );

    let port: u16 = sb.url("").rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Hostile::start(move |req| {
        if req.path.starts_with("/_sandbox/") {
            Reply::json(503, r#"{"code":"unavailable","message":"down"}"#)
        } else {
            forward(port, req)
        }
    });
    let e = run(proxy.url(), sb.key(), sb.handle.admin_token().to_string()).await;
    assert_eq!(e.exit(), Exit::Violations, "{e}");
    assert!(e.to_string().contains("answered 503"), "{e}");
}
