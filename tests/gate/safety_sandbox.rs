//! The embedded sandbox cannot be starved by slow clients: half-sent requests (headers
//! never finished, bodies never finished) are dropped after the read timeouts, and while
//! a flood of idle connections holds every slot, a real client is answered at once — by
//! the sandbox or by a clear `503` refusal — instead of timing out.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::common;

fn port(sb: &common::Sb) -> u16 {
    sb.url("").rsplit(':').next().unwrap().parse().unwrap()
}

/// Writes `bytes` and reads until the server closes or answers; how long that took.
fn closed_within(port: u16, bytes: &[u8], limit: Duration) -> Option<(Duration, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    s.write_all(bytes).unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    match s.read_to_end(&mut buf) {
        Ok(_) => Some((
            started.elapsed(),
            String::from_utf8_lossy(&buf).into_owned(),
        )),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_sent_requests_are_dropped_after_the_read_timeouts() {
    let sb = common::start().await;
    let port = port(&sb);
    let (header, body) = tokio::task::spawn_blocking(move || {
        let header = closed_within(port, b"GET /health HTTP/1.1\r\nHost: x\r\n", Duration::from_secs(30));
        let body = closed_within(
            port,
            b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\"",
            Duration::from_secs(30),
        );
        (header, body)
    })
    .await
    .unwrap();
    let (took, _) = header.expect("a connection with unfinished headers is closed");
    assert!(took < Duration::from_secs(10), "headers: {took:?}");
    let (took, _) = body.expect("a request with an unfinished body is ended");
    assert!(took < Duration::from_secs(15), "body: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_idle_connections_does_not_starve_real_clients() {
    let sb = common::start().await;
    let port = port(&sb);
    // More idle connections than the sandbox serves at once.
    let idle: Vec<TcpStream> = (0..1_100)
        .filter_map(|_| {
            let s = TcpStream::connect(("127.0.0.1", port)).ok()?;
            let mut s2 = s.try_clone().ok()?;
            s2.write_all(b"GET /health HTTP/1.1\r\n").ok()?;
            Some(s)
        })
        .collect();
    assert!(idle.len() >= 1_025, "opened {}", idle.len());
    let started = Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        closed_within(
            port,
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Duration::from_secs(5),
        )
    })
    .await
    .unwrap();
    let (_, text) = answer.expect("a real client is answered, not left waiting");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.1 503"),
        "{text}"
    );
    if text.starts_with("HTTP/1.1 503") {
        assert!(text.contains("Retry-After") && text.contains("too many open connections"));
    }
    drop(idle);
}
