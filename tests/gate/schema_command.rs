//! `gatecheck schemas export | check | validate`, driven through the real clap parser.

use clap::Parser;
use gatecheck::apis::gate::schemas::{SchemaName, EMBEDDED_FILES, EMBEDDED_OPENAPI};
use gatecheck::cli::{Cli, Command};
use gatecheck::engine::schema::SchemaSet;
use gatecheck::{Exit, GateError};

fn run(args: &[&str]) -> (Result<Exit, GateError>, String) {
    let cli = Cli::try_parse_from(std::iter::once("gatecheck").chain(args.iter().copied()))
        .expect("the command line parses");
    let Command::Schemas(schemas) = cli.command else {
        panic!("not a schemas command");
    };
    let mut out = Vec::new();
    let result = gatecheck::apis::schemas_command::run_to(schemas, &mut out);
    (result, String::from_utf8(out).expect("utf-8"))
}

#[test]
fn export_writes_the_embedded_files_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("mine");
    let target_str = target.to_str().expect("utf-8 path");
    let (result, out) = run(&["schemas", "export", target_str]);
    assert_eq!(result.expect("export"), Exit::Pass);
    let version = SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE)
        .expect("embedded")
        .version()
        .to_owned();
    assert!(
        out.contains("wrote 14 files") && out.contains(&version),
        "{out}"
    );
    for (name, text) in EMBEDDED_FILES {
        assert_eq!(
            std::fs::read_to_string(target.join(name)).expect("written"),
            text
        );
    }
    assert_eq!(
        std::fs::read_to_string(target.join("openapi.json")).expect("written"),
        EMBEDDED_OPENAPI
    );

    let (again, _) = run(&["schemas", "export", target_str]);
    let err = again.expect_err("existing files are kept");
    assert_eq!(err.exit(), Exit::Usage);
    assert!(err.to_string().contains("--force"), "{err}");
    let (forced, _) = run(&["schemas", "export", "--force", target_str]);
    assert_eq!(forced.expect("forced"), Exit::Pass);
}

#[test]
fn check_reports_the_version_or_the_broken_file() {
    let (result, out) = run(&["schemas", "check"]);
    assert_eq!(result.expect("embedded"), Exit::Pass);
    assert!(
        out.starts_with("embedded: 12 schemas compiled, version "),
        "{out}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8");
    run(&["schemas", "export", path]).0.expect("export");
    let (result, out) = run(&["schemas", "check", "--schemas", path]);
    assert_eq!(result.expect("exported copy"), Exit::Pass);
    assert!(out.contains(path), "{out}");

    std::fs::write(dir.path().join("error.json"), "[").expect("break it");
    let (result, _) = run(&["schemas", "check", "--schemas", path]);
    let err = result.expect_err("broken");
    assert_eq!(err.exit(), Exit::Usage);
    assert!(err.to_string().contains("error.json"), "{err}");
}

#[test]
fn validate_prints_violations_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"{"id": 2, "code": "voucher", "name": "Voucher"}"#).expect("w");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"items": [{"id": "2", "code": "voucher", "name": "V"}], "next_cursor": null}"#,
    )
    .expect("w");

    let (result, out) = run(&[
        "schemas",
        "validate",
        "--schema",
        "product-type",
        good.to_str().expect("p"),
    ]);
    assert_eq!(result.expect("ran"), Exit::Pass);
    assert!(out.contains("conforms to ProductType"), "{out}");

    let (result, out) = run(&[
        "schemas",
        "validate",
        "--schema",
        "ProductType",
        "--list",
        bad.to_str().expect("p"),
    ]);
    assert_eq!(result.expect("ran"), Exit::Violations);
    assert!(out.contains("/items/0/id:"), "{out}");

    let (result, _) = run(&[
        "schemas",
        "validate",
        "--schema",
        "order",
        dir.path().join("none.json").to_str().expect("p"),
    ]);
    assert_eq!(result.expect_err("missing file").exit(), Exit::Usage);
}

#[test]
fn schema_names_parse_from_titles_and_file_stems() {
    for &name in SchemaName::ALL {
        assert_eq!(name.title().parse::<SchemaName>(), Ok(name));
        assert_eq!(name.file_name().parse::<SchemaName>(), Ok(name));
        let stem = name.file_name().trim_end_matches(".json");
        assert_eq!(stem.to_uppercase().parse::<SchemaName>(), Ok(name));
    }
    let err = "receipt".parse::<SchemaName>().expect_err("unknown");
    assert!(err.to_string().contains("AgentDeposit"), "{err}");
    assert!(Cli::try_parse_from([
        "gatecheck",
        "schemas",
        "validate",
        "--schema",
        "nope",
        "x.json"
    ])
    .is_err());
}
