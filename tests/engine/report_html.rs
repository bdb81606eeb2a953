//! The HTML report, checked by structure: the verdict banner and the failed checks on top,
//! every finding's curl present and escaped, one inline `<svg>` per plot, nothing loaded
//! from the network, and no API key. `render_preview` (ignored) writes the page to
//! `target/report-preview.html` for a look in a browser.

use crate::report_fixture;

use gatecheck::engine::client::{curl_command, Masker, SentRequest};
use gatecheck::engine::model::RunReport;
use gatecheck::engine::report::{
    write_console, write_html, write_json, write_junit, ConsoleOptions,
};

fn render(run: &RunReport) -> String {
    let mut out = Vec::new();
    write_html(run, &mut out).expect("html renders");
    String::from_utf8(out).expect("html is UTF-8")
}

/// Undoes minijinja's HTML escaping, to compare page text with the report's strings.
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// minijinja's HTML escaping of a text, as it appears in the page source.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

#[test]
fn the_verdict_banner_opens_the_page_and_lists_the_failed_checks() {
    let html = render(&report_fixture::failing_run());
    let banner_start = html
        .find("<section class=\"banner fail\"")
        .expect("a fail banner");
    let banner_end = banner_start + html[banner_start..].find("</section>").expect("closed");
    let banner = &html[banner_start..banner_end];
    assert!(banner.contains("<p class=\"verdict\">NOT certified</p>"));
    assert!(
        banner.contains("6 passed, 3 failed, 1 warning, 1 skipped; thresholds: 2 met, 1 missed")
    );
    for failed in [
        "errors.method_not_allowed_has_allow",
        "transport.json_content_type",
        "idempotency.replay_moves_no_money",
        "create_order:p99&lt;300ms",
    ] {
        assert!(banner.contains(failed), "banner lists {failed}");
    }
    assert!(!banner.contains("auth.missing_key_unauthorized"));
    // The banner comes before every phase section.
    assert!(banner_start < html.find("<section class=\"phase\"").expect("phases"));
}

#[test]
fn a_passing_run_has_a_pass_banner_and_no_failed_list() {
    let html = render(&report_fixture::passing_contract_run());
    assert!(html.contains("<section class=\"banner pass\""));
    assert!(html.contains("<p class=\"verdict\">PASS</p>"));
    assert!(!html.contains("<ul class=\"failed\">"));
}

#[test]
fn every_finding_has_its_curl_escaped_in_a_pre_and_its_evidence() {
    let run = report_fixture::failing_run();
    let html = render(&run);
    let findings: Vec<_> = run.checks().flat_map(|c| c.findings.iter()).collect();
    assert_eq!(findings.len(), 4);
    assert_eq!(html.matches("<details ").count(), findings.len());
    for finding in findings {
        let curl = &finding
            .exchange
            .as_ref()
            .expect("fixture findings have one")
            .curl;
        assert!(
            html.contains(&format!("<pre class=\"curl\">{}</pre>", escaped(curl))),
            "escaped curl of {} in a <pre>",
            finding.check
        );
        if !finding.reproduction.is_empty() {
            let script = finding.reproduction.join("\n");
            assert!(html.contains(&format!("<pre class=\"repro\">{}</pre>", escaped(&script))));
        }
    }
    // The HTML body excerpt is shown as text, never as markup.
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert("));
    assert!(html.contains("7f3a9c1e5b2d4f60"));
}

#[test]
fn the_load_section_has_an_svg_per_plot_and_the_threshold_table() {
    let html = render(&report_fixture::failing_run());
    assert_eq!(html.matches("<svg ").count(), 3);
    for label in [
        "Throughput over time",
        "Latency over time",
        "Latency by percentile",
    ] {
        assert!(
            html.contains(&format!("aria-label=\"{label}\"")),
            "{label} plot"
        );
    }
    for axis in [
        "seconds since start",
        "requests per second",
        "latency (ms)",
        "percentile",
        "99.9%",
    ] {
        assert!(html.contains(axis), "axis text {axis}");
    }
    for name in ["list_products", "get_balance", "create_order"] {
        assert!(html.contains(&format!("<code>{name}</code>")));
    }
    assert!(html.contains("<table class=\"thresholds\">"));
    assert!(html.contains("412.8ms"));
}

#[test]
fn the_environment_is_shown() {
    let html = unescape(&render(&report_fixture::failing_run()));
    for value in [
        report_fixture::BASE_URL,
        report_fixture::AGENT,
        "2026-11-21T12:06:00Z",
        "2026-11-21T12:06:31Z",
        "gatecheck 0.1.0",
        "3f2a9c1",
    ] {
        assert!(html.contains(value), "environment shows {value}");
    }
}

#[test]
fn the_page_is_self_contained() {
    let html = render(&report_fixture::failing_run());
    assert!(!html.contains("<script"), "no script at all");
    assert!(!html.contains("<link"));
    assert!(!html.contains("@import"));
    assert!(!html.contains("url("));
    assert!(!html.contains(" src="));
    // Links stay in the page, or open the HAR beside it (a click, never a load).
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#') || href.starts_with("exchanges.har\""),
            "only in-page links and the HAR, got {href:.40}"
        );
    }
    // Every URL in the page's text is the target's.
    let text = unescape(&html);
    for scheme in ["http://", "https://"] {
        for (at, _) in text.match_indices(scheme) {
            assert!(
                text[at..].starts_with(report_fixture::BASE_URL),
                "unexpected URL: {:.60}",
                &text[at..]
            );
        }
    }
}

#[test]
fn a_masked_curl_shows_the_variable_never_the_key_in_any_format() {
    let secret = "sk_test_0123456789abcdef";
    let masker = Masker::new();
    masker.add(secret, "GATECHECK_API_KEY");
    let request = SentRequest {
        method: "GET".into(),
        path: format!("/agent/{}/balance", report_fixture::AGENT),
        headers: vec![("Authorization".into(), secret.into())],
        body: None,
    };
    let mut run = report_fixture::failing_run();
    let finding = &mut run.phases[1].checks[2].findings[0];
    finding
        .exchange
        .as_mut()
        .expect("fixture finding has an exchange")
        .curl = curl_command(report_fixture::BASE_URL, &request, &masker);

    let html = render(&run);
    assert!(html.contains("-H &quot;Authorization: $GATECHECK_API_KEY&quot;"));
    let mut others = Vec::new();
    write_json(&run, &mut others).unwrap();
    write_junit(&run, &mut others).unwrap();
    write_console(
        &run,
        &mut others,
        &ConsoleOptions {
            color: false,
            verbosity: gatecheck::engine::report::Verbosity::Verbose,
        },
    )
    .unwrap();
    let others = String::from_utf8(others).unwrap();
    assert!(others.contains("Authorization: $GATECHECK_API_KEY"));
    assert!(!html.contains(secret) && !others.contains(secret));
}

/// Writes the fixture's page to `target/report-preview.html`:
/// `cargo test --test report_html -- --ignored render_preview`.
#[test]
#[ignore]
fn render_preview() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-preview.html");
    std::fs::write(&path, render(&report_fixture::failing_run())).expect("preview written");
    println!("{}", path.display());
}
