//! The README's Wallet walk-through runs as written against the real binary.

use std::path::Path;
use std::process::Command;

#[test]
fn the_wallet_walkthrough_runs_as_written() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- readme-test: wallet-walkthrough -->")
        .expect("the Wallet walk-through marker");
    let rest = &readme[start..];
    let body_start = rest.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let body_end = rest[body_start..].find("\n```").expect("block end") + body_start;
    let script = &rest[body_start..body_end];
    let dir = tempfile::tempdir().expect("tempdir");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gatecheck")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("set -u\n{script}\nkill %1\nwait\n"))
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"walletTransactionStatus\":\"NEW\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"operation\":\"capture\""), "{stdout}");
    assert!(stdout.contains("\"operation\":\"refund\""), "{stdout}");
    assert!(
        stdout
            .to_ascii_lowercase()
            .contains("idempotent-replayed: true"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"authorizedAmount\":15000,\"capturedAmount\":10000,\"cancelledAmount\":0,\"refundedAmount\":2000"),
        "{stdout}"
    );
}
