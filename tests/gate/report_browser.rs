//! The HTML report in a real browser: headless Chromium (Debian's `chromium`), driven over
//! the DevTools protocol, opens the `report.html` of a passing and of a failing `certify`
//! run and checks what a person sees — the verdict banner on top, on a failing run the
//! failing checks first with their evidence open and a curl on the first screen, the plots
//! drawn at a real size, no console error, and not one network request (the page is
//! self-contained). A screenshot of the first screen is written beside each report
//! (`report.png`, and `report-full.png` of the whole page).
//!
//! Without chromium the test says so and passes, except in CI (`CI=true`), where chromium
//! is required (`.ci/run` installs it).
//!
//! The protocol is spoken over `tokio-tungstenite` (already built for goose) with the few
//! commands needed; a full CDP binding crate would add minutes of build for six methods.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use gatecheck::apis::gate::sandbox::{Mutant, SandboxConfig};
use gatecheck::certify::{self, CertifyArgs};
use gatecheck::Exit;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// Chromium's flags as root in a container, with no network of its own.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1280,900",
];
const WIDTH: u64 = 1280;
const HEIGHT: u64 = 900;

/// What the page shows, measured in the browser.
const PROBE: &str = r#"(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, width: r.width, height: r.height }; };
  const banner = document.getElementById('verdict');
  const failures = [...document.querySelectorAll('#failures details')];
  const firstCurl = document.querySelector('#failures details pre.curl');
  return {
    banner: banner && { cls: banner.className, verdict: banner.querySelector('.verdict').textContent.trim(), box: box(banner),
      failed: [...banner.querySelectorAll('ul.failed a')].map(a => a.getAttribute('href')) },
    failures: failures.map(d => ({ id: d.id, open: d.open, box: box(d) })),
    firstCurl: firstCurl && { text: firstCurl.textContent, box: box(firstCurl) },
    sectionsInOrder: [...document.querySelectorAll('main > section')].map(s => s.id || s.className),
    tables: [...document.querySelectorAll('table.checks')].map(t => [...t.querySelectorAll('tbody tr')].map(r => r.className)),
    plots: [...document.querySelectorAll('svg.plot')].map(box),
    resources: performance.getEntriesByType('resource').map(e => e.name),
    viewport: { width: innerWidth, height: innerHeight },
    overflowX: document.documentElement.scrollWidth > innerWidth,
    fullHeight: document.documentElement.scrollHeight,
  };
})()"#;

fn chromium() -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        ["chromium", "chromium-browser"].iter().find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|p| p.is_file())
            })
        })
    });
    if found.is_none() {
        assert!(
            !ci,
            "chromium is required in CI (apt-get install -y chromium): the report must be \
             checked in a real browser"
        );
        eprintln!(
            "SKIPPED: chromium is not installed (apt-get install -y chromium); the report \
             was not checked in a browser"
        );
    }
    found
}

fn certify_args(out: &Path, extra: &[&str]) -> CertifyArgs {
    let mut argv = vec![
        "--quiet",
        "--phases",
        "health,contract,load",
        "--run-time",
        "2s",
        "--users",
        "4",
        "--out",
        out.to_str().unwrap(),
    ];
    argv.extend_from_slice(extra);
    super::common::certify_args(&argv)
}

/// One DevTools session on one page.
struct Page {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    session: String,
    next_id: u64,
    /// Every event seen so far.
    events: Vec<Value>,
}

impl Page {
    async fn open(ws_url: &str) -> Page {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .expect("DevTools answers");
        let mut page = Page {
            socket,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
        };
        let target = page
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = page
            .call(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        page.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            page.call(&format!("{domain}.enable"), json!({})).await;
        }
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        page
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("sent");
        loop {
            let reply = self.next().await;
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
            self.events.push(reply);
        }
    }

    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .expect("chromium answers within 30 s")
                .expect("the socket is open")
                .expect("a frame");
            if let Message::Text(text) = frame {
                return serde_json::from_str(&text).expect("JSON");
            }
        }
    }

    async fn wait_for(&mut self, event: &str) {
        if self.events.iter().any(|e| e["method"] == event) {
            return;
        }
        loop {
            let message = self.next().await;
            let done = message["method"] == event;
            self.events.push(message);
            if done {
                return;
            }
        }
    }

    async fn screenshot(&mut self, path: &Path, full_page: bool) {
        let mut params = json!({"format": "png"});
        if full_page {
            let metrics = self.call("Page.getLayoutMetrics", json!({})).await;
            let size = &metrics["cssContentSize"];
            params["captureBeyondViewport"] = json!(true);
            params["clip"] = json!({"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1});
        }
        let shot = self.call("Page.captureScreenshot", params).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .expect("base64 PNG");
        std::fs::write(path, png).expect("screenshot written");
    }
}

/// Opens `html` in chromium; returns the probe, the console errors and the requests the
/// page made (other than itself). Writes the screenshots beside it.
async fn look_at(chromium: &Path, html: &Path) -> (Value, Vec<String>, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(chromium)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("chromium starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let ws_url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stderr") {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                return url.trim().to_string();
            }
        }
        panic!("chromium exited without a DevTools endpoint");
    })
    .await
    .expect("chromium starts within 30 s");
    // Keep draining stderr so chromium never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let mut page = Page::open(&ws_url).await;
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    page.call("Page.navigate", json!({"url": url})).await;
    page.wait_for("Page.loadEventFired").await;
    let probe = page
        .call(
            "Runtime.evaluate",
            json!({"expression": PROBE, "returnByValue": true}),
        )
        .await["result"]["value"]
        .clone();
    let dir = html.parent().unwrap();
    page.screenshot(&dir.join("report.png"), false).await;
    page.screenshot(&dir.join("report-full.png"), true).await;

    let mut errors = Vec::new();
    let mut requests = Vec::new();
    for event in &page.events {
        let params = &event["params"];
        match event["method"].as_str().unwrap_or("") {
            "Runtime.consoleAPICalled" if params["type"] == "error" => {
                errors.push(params["args"].to_string())
            }
            "Runtime.exceptionThrown" => errors.push(params["exceptionDetails"].to_string()),
            "Log.entryAdded" if params["entry"]["level"] == "error" => {
                errors.push(params["entry"]["text"].to_string())
            }
            "Network.requestWillBeSent" => {
                let requested = params["request"]["url"].as_str().unwrap_or("");
                if requested != url {
                    requests.push(requested.to_string());
                }
            }
            _ => {}
        }
    }
    let _ = page.call("Browser.close", json!({})).await;
    let _ = child.wait().await;
    (probe, errors, requests)
}

/// Checks every page must pass.
fn assert_renders(name: &str, probe: &Value, errors: &[String], requests: &[String]) {
    assert!(errors.is_empty(), "{name}: console errors {errors:?}");
    assert!(requests.is_empty(), "{name}: network requests {requests:?}");
    assert!(
        probe["resources"].as_array().unwrap().is_empty(),
        "{name}: resources loaded {}",
        probe["resources"]
    );
    let banner = &probe["banner"];
    assert!(banner.is_object(), "{name}: no verdict banner");
    assert!(
        banner["box"]["top"].as_f64().unwrap() < 120.0,
        "{name}: the banner opens the page"
    );
    let plots = probe["plots"].as_array().unwrap();
    assert!(plots.len() >= 3, "{name}: plots {plots:?}");
    for plot in plots {
        assert!(
            plot["width"].as_f64().unwrap() >= 300.0 && plot["height"].as_f64().unwrap() >= 150.0,
            "{name}: a plot is too small to read: {plot}"
        );
    }
    assert_eq!(
        probe["overflowX"], false,
        "{name}: the page scrolls sideways"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_report_renders_in_chromium_for_a_passing_and_a_failing_run() {
    let Some(chromium) = chromium() else { return };
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&root);

    // A passing run.
    let passing = root.join("passing");
    let exit = certify::run_with(certify_args(&passing, &[]), SandboxConfig::default())
        .await
        .expect("certify runs");
    assert_eq!(exit, Exit::Pass);
    let (probe, errors, requests) = look_at(&chromium, &passing.join("report.html")).await;
    assert_renders("passing", &probe, &errors, &requests);
    assert_eq!(probe["banner"]["verdict"], "certified");
    assert!(probe["failures"].as_array().unwrap().is_empty());

    // A failing run: a contract fault and a load threshold that cannot hold.
    let failing = root.join("failing");
    let exit = certify::run_with(
        certify_args(&failing, &["--threshold", "p50<1us"]),
        SandboxConfig {
            mutant: Some(Mutant::AcceptsBearerPrefix),
            ..SandboxConfig::default()
        },
    )
    .await
    .expect("certify runs");
    assert_eq!(exit, Exit::Violations);
    let (probe, errors, requests) = look_at(&chromium, &failing.join("report.html")).await;
    assert_renders("failing", &probe, &errors, &requests);
    assert_eq!(probe["banner"]["verdict"], "NOT certified");
    assert!(probe["banner"]["cls"].as_str().unwrap().contains("fail"));

    // What failed comes right under the banner, every failure open, and the banner's
    // links land on them.
    let sections: Vec<&str> = probe["sectionsInOrder"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(sections[..2], ["verdict", "failures"], "{sections:?}");
    let failures = probe["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    // The first failure of each check is open (it carries the banner's anchor).
    assert!(
        failures
            .iter()
            .filter(|f| f["id"] != "")
            .all(|f| f["open"] == true),
        "{failures:?}"
    );
    let ids: Vec<String> = failures
        .iter()
        .map(|f| format!("#{}", f["id"].as_str().unwrap()))
        .collect();
    for link in probe["banner"]["failed"].as_array().unwrap() {
        let link = link.as_str().unwrap();
        assert!(
            ids.iter().any(|id| id == link) || link.starts_with("#threshold-"),
            "banner link {link} lands on a failure"
        );
    }
    // The first screen says what broke and how to reproduce it.
    let curl = &probe["firstCurl"];
    assert!(
        curl["text"].as_str().unwrap().starts_with("curl "),
        "{curl}"
    );
    assert!(
        curl["box"]["bottom"].as_f64().unwrap() <= HEIGHT as f64,
        "the first curl is below the first screen: {curl}"
    );
    // In every check table, failed checks come first.
    for table in probe["tables"].as_array().unwrap() {
        let classes: Vec<&str> = table
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let first_pass = classes.iter().position(|c| *c != "failed");
        if let Some(at) = first_pass {
            assert!(
                !classes[at..].contains(&"failed"),
                "failed checks first: {classes:?}"
            );
        }
    }
    for dir in [&passing, &failing] {
        for shot in ["report.png", "report-full.png"] {
            let bytes = std::fs::read(dir.join(shot)).expect("a screenshot beside the report");
            assert!(bytes.starts_with(b"\x89PNG"), "{shot} is a PNG");
        }
    }
}
