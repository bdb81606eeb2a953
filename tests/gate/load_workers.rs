//! Many machines, run as the pods of a Kubernetes Indexed Job would run them: N worker
//! processes, each with only `JOB_COMPLETION_INDEX` in its environment to tell them apart,
//! one shared results folder, one sandbox process as the target; then `gatecheck merge`.
//! The merged counts must equal the sum of the workers', the workers' rates must add up to
//! the whole run's, and a merge missing a shard must be refused.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const WORKERS: u32 = 3;
const RATE: f64 = 60.0;

struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn gatecheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gatecheck"))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

fn all_row(report: &serde_json::Value) -> serde_json::Value {
    report["phases"][0]["load"]["transactions"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == "all").cloned())
        .expect("an `all` row")
}

#[test]
fn n_worker_processes_share_the_run_and_merge_into_its_exact_sum() {
    let mut child = gatecheck()
        .args(["sandbox", "--json", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sandbox");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the sandbox's JSON line");
    let _sandbox = Sandbox(child);
    let info: serde_json::Value = serde_json::from_str(&line).expect("json");
    let field = |k: &str| info[k].as_str().expect(k).to_string();

    let dir = tempfile::tempdir().expect("tmp");
    let results: PathBuf = dir.path().join("results");
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/gate/catalog.toml");
    let workers: Vec<Child> = (0..WORKERS)
        .map(|i| {
            gatecheck()
                .arg("load")
                .arg("--scenario")
                .arg(&scenario)
                .args(["--only", "get_product", "--run-time", "3s", "--no-progress"])
                .args(["--rate", &RATE.to_string(), "--users", "9"])
                .args(["--workers", &WORKERS.to_string()])
                .args([
                    "--base-url",
                    &field("base_url"),
                    "--agent-id",
                    &field("agent_id"),
                ])
                .arg("--out")
                .arg(&results)
                .env("GATECHECK_API_KEY", field("api_key"))
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("worker")
        })
        .collect();
    for mut w in workers {
        assert!(w.wait().expect("worker ran").success(), "a worker failed");
    }

    let mut count = 0;
    let mut rate = 0.0;
    let mut achieved = 0.0;
    let mut logs = Vec::new();
    for i in 0..WORKERS {
        let folder = results.join(format!("worker-{i}"));
        let report = json(&folder.join("report.json"));
        let load = &report["phases"][0]["load"];
        assert_eq!(load["users"], 3, "9 users over 3 workers");
        let share = load["target_rate_per_s"].as_f64().expect("open model");
        assert!((share - RATE / f64::from(WORKERS)).abs() < 1e-9, "{share}");
        rate += share;
        let row = all_row(&report);
        count += row["count"].as_u64().expect("count");
        achieved += row["throughput_per_s"].as_f64().expect("throughput");
        logs.push(folder.join("load.hlog"));
    }
    assert!(
        (rate - RATE).abs() < 1e-9,
        "the shares add up to the run's rate"
    );
    assert!(count > 0);

    let merged = dir.path().join("merged");
    let status = gatecheck()
        .arg("merge")
        .args(&logs)
        .arg("--out")
        .arg(&merged)
        .stdout(Stdio::null())
        .status()
        .expect("merge");
    assert!(status.success(), "the whole run merges");
    let report = json(&merged.join("report.json"));
    let all = all_row(&report);
    assert_eq!(
        all["count"].as_u64(),
        Some(count),
        "merged count = sum of workers'"
    );
    assert_eq!(all["errors"], 0);
    // The workers' achieved rates add up to the whole run's; so does the merged count over
    // the run time (the merged log's span also covers the workers' start-up skew).
    assert!(
        (achieved - RATE).abs() <= RATE * 0.2,
        "workers achieved {achieved}/s together against {RATE}/s"
    );
    let merged_rate = count as f64 / 3.0;
    assert!(
        (merged_rate - RATE).abs() <= RATE * 0.2,
        "merged {count} transactions in 3 s = {merged_rate}/s against {RATE}/s"
    );

    let partial = gatecheck()
        .arg("merge")
        .args(&logs[..2])
        .arg("--out")
        .arg(dir.path().join("partial"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("partial merge");
    assert_eq!(partial.status.code(), Some(2), "a partial merge is refused");
    let stderr = String::from_utf8_lossy(&partial.stderr);
    assert!(stderr.contains("missing worker index 2"), "{stderr}");
}
