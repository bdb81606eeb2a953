//! The console report: snapshots of every verbosity (no colour), colour codes only when
//! asked, and the verdict words of each command.

use crate::report_fixture;

use gatecheck::engine::report::{write_console, ConsoleOptions, Verbosity};

fn render(run: &gatecheck::engine::model::RunReport, verbosity: Verbosity, color: bool) -> String {
    let mut out = Vec::new();
    write_console(run, &mut out, &ConsoleOptions { color, verbosity }).expect("console renders");
    String::from_utf8(out).expect("console output is UTF-8")
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../../snapshots" }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn normal_output_of_a_failing_certify_run() {
    snapshot!(
        "console_normal",
        render(&report_fixture::failing_run(), Verbosity::Normal, false)
    );
}

#[test]
fn quiet_output_keeps_failures_missed_thresholds_and_the_verdict() {
    let out = render(&report_fixture::failing_run(), Verbosity::Quiet, false);
    snapshot!("console_quiet", out.clone());
    assert!(!out.contains("✓"), "quiet lists no passed check");
    assert!(out.contains("threshold create_order:p99<300ms: measured 412.8ms"));
}

#[test]
fn verbose_output_adds_titles_warnings_and_artifacts() {
    let out = render(&report_fixture::failing_run(), Verbosity::Verbose, false);
    snapshot!("console_verbose", out.clone());
    assert!(out.contains("warnings\n"));
    assert!(out.contains("load-checkout.hgrm"));
}

#[test]
fn passing_contract_run_says_pass() {
    let out = render(
        &report_fixture::passing_contract_run(),
        Verbosity::Normal,
        false,
    );
    snapshot!("console_passing_contract", out.clone());
    assert_eq!(
        out.lines().last(),
        Some("PASS: 4 passed, 0 failed, 0 warnings, 1 skipped")
    );
}

#[test]
fn every_failure_shows_its_full_evidence() {
    let out = render(&report_fixture::failing_run(), Verbosity::Normal, false);
    let finding = report_fixture::replay_finding();
    let exchange = finding.exchange.as_ref().expect("fixture has an exchange");
    assert!(out.contains(&exchange.curl));
    assert!(out.contains("reproduction (seed 7f3a9c1e5b2d4f60):"));
    for line in &finding.reproduction {
        assert!(out.contains(&format!("\n    {line}\n")), "verbatim: {line}");
    }
    assert!(out.contains(&format!(
        "DELETE /agent/{}/orders → 405",
        report_fixture::AGENT
    )));
    assert!(out
        .lines()
        .last()
        .is_some_and(|l| l.starts_with("NOT certified: 6 passed, 3 failed, 1 warning, 1 skipped")));
}

#[test]
fn colour_is_written_only_when_asked() {
    let run = report_fixture::failing_run();
    let plain = render(&run, Verbosity::Normal, false);
    let colored = render(&run, Verbosity::Normal, true);
    assert!(!plain.contains('\x1b'));
    assert!(colored.contains("\x1b[1;31m✗\x1b[0m"));
    assert!(colored.contains("\x1b[32m✓\x1b[0m"));
    assert_eq!(
        strip_ansi(&colored),
        plain,
        "colour changes nothing but colour"
    );
}

#[test]
fn no_color_turns_colour_off_even_on_a_terminal() {
    // The only test in this binary touching the environment.
    std::env::set_var("NO_COLOR", "1");
    let detected = ConsoleOptions::detect(Verbosity::Normal, true);
    std::env::remove_var("NO_COLOR");
    assert!(!detected.color);
    assert!(ConsoleOptions::detect(Verbosity::Normal, true).color);
    assert!(!ConsoleOptions::detect(Verbosity::Normal, false).color);
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
