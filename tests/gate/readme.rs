//! The README cannot drift from the program: every `gatecheck …` command line in it is
//! parsed by the real argument parser, every TOML example by the real config parser, and
//! the sandbox walk-through is run as written against the built binary.

use std::path::Path;
use std::process::Command;

use clap::Parser;
use gatecheck::certify::config::ConfigFile;
use gatecheck::cli::Cli;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// Fenced code blocks: (info string, body, text just before the fence).
fn code_blocks(text: &str) -> Vec<(String, String, String)> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().peekable();
    let mut before = String::new();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let mut body = String::new();
            for inner in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            blocks.push((info.trim().to_string(), body, before.clone()));
        } else if !line.trim().is_empty() {
            before = line.to_string();
        }
    }
    blocks
}

/// GitHub Actions' `${{ expr }}` is substituted before the shell sees the line.
fn expand_ci_expressions(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push_str("ci-value");
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits a shell command line (quotes, comments, `&`, `>` redirections).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if let Some(pos) = words.iter().position(|w| w == ">" || w == "&" || w == "|") {
        words.truncate(pos);
    }
    words
}

#[test]
fn every_gatecheck_command_in_the_readme_parses() {
    let text = readme();
    let mut seen = 0;
    for (_, body, _) in code_blocks(&text) {
        // Continuation-joined lines first, so multi-line commands are parsed whole.
        let mut joined = String::new();
        for line in body.lines() {
            match line.trim_end().strip_suffix('\\') {
                Some(head) => {
                    joined.push_str(head);
                    joined.push(' ');
                }
                None => {
                    joined.push_str(line);
                    joined.push('\n');
                }
            }
        }
        for line in joined.lines() {
            let line = line
                .trim()
                .trim_start_matches("- ")
                .trim_start_matches("run: ");
            let line = match line.strip_prefix("cargo run --release -- ") {
                Some(rest) => format!("gatecheck {rest}"),
                None => line.to_string(),
            };
            if !line.starts_with("gatecheck ") {
                continue;
            }
            let words = shell_words(&expand_ci_expressions(&line));
            if let Err(e) = Cli::try_parse_from(&words) {
                panic!("README command does not parse: {line}\n{e}");
            }
            seen += 1;
        }
    }
    assert!(seen >= 15, "expected the README's commands, found {seen}");
}

#[test]
fn every_toml_example_in_the_readme_is_a_valid_config() {
    let text = readme();
    let tomls: Vec<String> = code_blocks(&text)
        .into_iter()
        .filter(|(info, _, _)| info == "toml")
        .map(|(_, body, _)| body)
        .collect();
    assert!(!tomls.is_empty());
    for body in tomls {
        ConfigFile::parse(&body).unwrap_or_else(|e| panic!("README TOML: {e}\n{body}"));
    }
}

#[test]
fn the_sandbox_walkthrough_runs_as_written() {
    let text = readme();
    let (_, script, _) = code_blocks(&text)
        .into_iter()
        .find(|(_, _, before)| before.contains("readme-test: walkthrough"))
        .expect("the walk-through block");
    let output = run_walkthrough(&script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.matches("HTTP/1.1 201 Created").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout
            .to_ascii_lowercase()
            .contains("idempotent-replayed: true"),
        "{stdout}"
    );
    assert!(stdout.contains("\"charged_amount\":\"19.00\""), "{stdout}");
    assert!(stdout.contains("\"currency_code\":\"USD\""), "{stdout}");
    assert!(stdout.contains("\"balance_after\":\"981.00\""), "{stdout}");
}

/// Runs a README walk-through with `bash`, the built binary first on `PATH`, in a fresh
/// folder (the files it writes, like `sandbox.json`, stay out of the checkout).
fn run_walkthrough(script: &str) -> std::process::Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gatecheck")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = tempfile::tempdir().expect("a scratch folder");
    Command::new("bash")
        .arg("-c")
        .arg(format!("set -u\n{script}\nkill %1\nwait\n"))
        .env("PATH", path)
        .current_dir(dir.path())
        .output()
        .expect("bash runs")
}

#[test]
fn the_wallet_walkthrough_runs_as_written() {
    let text = readme();
    let (_, script, _) = code_blocks(&text)
        .into_iter()
        .find(|(_, _, before)| before.contains("readme-test: wallet-walkthrough"))
        .expect("the Wallet walk-through block");
    let output = run_walkthrough(&script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.matches("HTTP/1.1 201 Created").count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout
            .to_ascii_lowercase()
            .contains("idempotent-replayed: true"),
        "{stdout}"
    );
    assert!(stdout.contains("\"operation\":\"capture\""), "{stdout}");
    assert!(stdout.contains("\"operation\":\"refund\""), "{stdout}");
    assert!(stdout.contains("\"capturedAmount\":10000"), "{stdout}");
    assert!(stdout.contains("\"refundedAmount\":2000"), "{stdout}");
    assert!(
        stdout.contains("\"walletTransactionStatus\":\"SUCCESS\""),
        "{stdout}"
    );
}
