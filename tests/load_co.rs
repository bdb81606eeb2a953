//! Coordinated omission: a server that stalls 200 ms every second.
//! - Open model (`--rate`), latency from the intended send time: every request that should
//!   have gone out during a stall waits for its end, so with a stall fraction f = 0.2 the
//!   p99 is P·(1 − 0.01/f) = 190 ms. The measured p99 must be within 10% of that.
//! - Closed model (users loop, latency from the actual send): each user sees one slow
//!   request per stall among hundreds of fast ones, and the p99 hides the stall.

mod load_support;

use std::time::Duration;

use gatecheck::load::{self, scenario, LoadPlan, Progress};
use load_support::Stall;

const PERIOD: Duration = Duration::from_millis(200);
const EVERY: Duration = Duration::from_secs(1);

fn plan(rate: Option<f64>, users: u64) -> LoadPlan {
    let scenario = scenario::parse(
        std::path::Path::new("co.toml"),
        "name = \"co\"\n[[transaction]]\nname = \"get_product\"\nkind = \"get_product\"\n",
    )
    .expect("scenario");
    LoadPlan {
        scenario,
        users,
        ramp: Duration::ZERO,
        run_time: Duration::from_secs(5),
        rate,
        think_time: None,
        validate_sample: 0.0,
        thresholds: Vec::new(),
        request_timeout: Duration::from_secs(5),
        artifacts_dir: None,
    }
}

/// p99 expected from the stall's duty cycle when waiting requests are released at its end.
fn expected_p99() -> f64 {
    let f = PERIOD.as_secs_f64() / EVERY.as_secs_f64();
    PERIOD.as_secs_f64() * 1e6 * (1.0 - 0.01 / f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_p99_reflects_the_stall_and_closed_model_hides_it() {
    let server = load_support::start(Some(Stall { period: PERIOD, every: EVERY })).await;
    let resolved = load_support::target_args(&server.base_url)
        .resolve(Default::default())
        .await
        .expect("resolve");

    let open = load::run(plan(Some(400.0), 200), &resolved, Progress::Hidden)
        .await
        .expect("open run");
    let closed = load::run(plan(None, 4), &resolved, Progress::Hidden)
        .await
        .expect("closed run");

    let open_row = &open.summary.transactions[0];
    let closed_row = &closed.summary.transactions[0];
    let expected = expected_p99();
    let measured = open_row.p99_us as f64;
    eprintln!(
        "CO: expected p99 {:.1} ms; open (rate 400/s) p99 {:.1} ms over {} samples; \
         closed (4 users) p99 {:.1} ms over {} samples, max {:.1} ms",
        expected / 1e3,
        measured / 1e3,
        open_row.count,
        closed_row.p99_us as f64 / 1e3,
        closed_row.count,
        closed_row.max_us as f64 / 1e3
    );
    assert!(open_row.count > 1_500, "open model sent {} requests", open_row.count);
    assert!(
        (measured - expected).abs() <= 0.10 * expected,
        "open-model p99 {measured} µs is not within 10% of {expected} µs"
    );
    // The closed model saw the stall (its max), but its p99 hides it.
    assert!(closed_row.max_us as f64 >= 0.5 * PERIOD.as_micros() as f64);
    assert!(
        (closed_row.p99_us as f64) < 0.25 * expected,
        "closed-model p99 {} µs should hide the stall",
        closed_row.p99_us
    );
    assert_eq!(open.summary.model, "open");
    assert_eq!(closed.summary.model, "closed");
}
