//! The rule of ARCHITECTURE.md: **the engine imports no API**. Every `.rs` file under
//! `src/engine/` is read; a path into `crate::apis`, `crate::certify` or `crate::cli` (in a
//! `use`, a qualified path or a grouped import) fails the test, naming file and line.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first forbidden path on a line of code, if any.
fn forbidden(line: &str) -> Option<&'static str> {
    let code = line.split("//").next().unwrap_or("");
    const LAYERS: [&str; 3] = ["apis", "certify", "cli"];
    for layer in LAYERS {
        for prefix in ["crate::", "gatecheck::"] {
            let direct = format!("{prefix}{layer}");
            if let Some(at) = code.find(&direct) {
                let next = code[at + direct.len()..].chars().next();
                if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    return Some(layer);
                }
            }
        }
        // `use crate::{apis::…, engine::…}`
        if let Some(open) = code.find("crate::{") {
            let group = &code[open..];
            if group
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == layer)
            {
                return Some(layer);
            }
        }
    }
    None
}

#[test]
fn the_engine_imports_no_api_and_no_command_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 20,
        "the engine folder was found ({} files)",
        files.len()
    );
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source file");
        for (n, line) in text.lines().enumerate() {
            if let Some(layer) = forbidden(line) {
                broken.push(format!(
                    "{}:{}: imports `{layer}`: {}",
                    file.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "the engine must import no API:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_rule_sees_every_form_of_import() {
    assert_eq!(forbidden("use crate::apis::gate::wire;"), Some("apis"));
    assert_eq!(
        forbidden("    let x = crate::certify::run();"),
        Some("certify")
    );
    assert_eq!(
        forbidden("use crate::{engine::client, apis::gate};"),
        Some("apis")
    );
    assert_eq!(forbidden("use crate::engine::client::ApiClient;"), None);
    assert_eq!(forbidden("// see crate::apis for the APIs"), None);
    assert_eq!(forbidden("use crate::apis_like::x;"), None);
}
