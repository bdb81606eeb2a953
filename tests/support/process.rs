//! A `gatecheck sandbox` process, for the tests that run the real binary (kill -9 and
//! restart on the same `--db`): started on a free port with `--json`, its first stdout
//! line (base URL and credentials) read, killed when dropped.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running sandbox process and its JSON start line.
pub struct Running {
    pub child: Child,
    pub info: Value,
}

impl Running {
    /// `gatecheck sandbox --addr 127.0.0.1:0 --json --db DB EXTRA…`.
    pub async fn launch(db: &Path, extra: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gatecheck"))
            .args(["sandbox", "--addr", "127.0.0.1:0", "--json", "--db"])
            .arg(db)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn gatecheck sandbox");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(20),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the sandbox prints its JSON line")
        .expect("read stdout");
        let info: Value = serde_json::from_str(&line).expect("first stdout line is JSON");
        Running { child, info }
    }

    /// A string field of the start line (`""` when absent).
    pub fn field(&self, key: &str) -> String {
        s(&self.info, key)
    }

    /// `kill -9`, then waits for the process to end.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }
}

/// A string field of a JSON object (`""` when absent).
pub fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}
