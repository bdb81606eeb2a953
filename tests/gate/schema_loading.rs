//! Loading schemas: from the embedded copy or a directory; the embedded copy equals
//! `schemas/` on disk; a broken directory gives a `SchemaError` that names the file and
//! the reason, never a panic.

use std::path::{Path, PathBuf};

use gatecheck::apis::gate::schemas::{
    all_file_names, SchemaName, EMBEDDED_FILES, EMBEDDED_OPENAPI,
};
use gatecheck::engine::schema::{SchemaError, SchemaOrigin, SchemaSet};
use gatecheck::GateError;
use serde_json::json;

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/gate")
}

/// A temporary copy of `schemas/` to break.
fn copy_of_schemas() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(schemas_dir()).expect("schemas/") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    dir
}

fn load_err(dir: &Path) -> SchemaError {
    match SchemaSet::load_dir(&gatecheck::apis::gate::schemas::BUNDLE, dir) {
        Ok(_) => panic!("{} must not load", dir.display()),
        Err(e) => e,
    }
}

#[test]
fn embedded_copy_matches_the_files_on_disk() {
    let mut on_disk: Vec<String> = std::fs::read_dir(schemas_dir())
        .expect("schemas/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json") && name != "openapi.json")
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = EMBEDDED_FILES
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    embedded.sort();
    assert_eq!(
        on_disk, embedded,
        "every schema file is embedded, and only those"
    );
    for (name, text) in EMBEDDED_FILES {
        let disk = std::fs::read_to_string(schemas_dir().join(name)).expect("read");
        assert_eq!(
            disk, text,
            "{name}: the embedded copy differs from schemas/"
        );
    }
    let openapi = std::fs::read_to_string(schemas_dir().join("openapi.json")).expect("read");
    assert_eq!(openapi, EMBEDDED_OPENAPI);
    let mut expected: Vec<&str> = all_file_names().collect();
    expected.sort();
    assert_eq!(
        expected,
        embedded.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[test]
fn directory_and_embedded_sets_agree() {
    let embedded = SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("embedded");
    let from_disk = SchemaSet::load_dir(&gatecheck::apis::gate::schemas::BUNDLE, schemas_dir())
        .expect("schemas/ loads");
    assert_eq!(embedded.version(), from_disk.version());
    assert_eq!(embedded.version().len(), 12);
    assert!(embedded.version().chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(embedded.origin(), &SchemaOrigin::Embedded);
    assert_eq!(from_disk.origin(), &SchemaOrigin::Directory(schemas_dir()));
    let bad = json!({"id": 1});
    assert_eq!(
        embedded.validate(SchemaName::Order, &bad),
        from_disk.validate(SchemaName::Order, &bad)
    );
    assert_eq!(
        SchemaSet::load(&gatecheck::apis::gate::schemas::BUNDLE, None)
            .expect("default")
            .version(),
        embedded.version()
    );
}

#[test]
fn a_changed_file_changes_the_version_and_the_verdict() {
    let dir = copy_of_schemas();
    let path = dir.path().join("decimal-amount.json");
    let text = std::fs::read_to_string(&path).expect("read");
    // A user's updated contract: 3-decimal amounts.
    let updated = text.replace(r"\\.[0-9]{2}$", r"\\.[0-9]{3}$");
    assert_ne!(updated, text, "the pattern was found");
    std::fs::write(&path, updated).expect("write");
    let set = SchemaSet::load_dir(&gatecheck::apis::gate::schemas::BUNDLE, dir.path())
        .expect("still valid");
    assert_ne!(
        set.version(),
        SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE)
            .expect("embedded")
            .version()
    );
    assert!(set
        .validate(SchemaName::DecimalAmount, &json!("1.000"))
        .is_empty());
    assert!(!set
        .validate(SchemaName::DecimalAmount, &json!("1.00"))
        .is_empty());
}

#[test]
fn broken_json_names_the_file() {
    let dir = copy_of_schemas();
    std::fs::write(dir.path().join("product.json"), "{\"type\": \"object\",").expect("write");
    let err = load_err(dir.path());
    assert!(matches!(err, SchemaError::InvalidJson { .. }), "{err:?}");
    assert_eq!(err.file(), "product.json");
    let text = err.to_string();
    assert!(
        text.contains("product.json") && text.contains("not valid JSON"),
        "{text}"
    );
}

#[test]
fn an_invalid_schema_names_the_file_and_the_reason() {
    let dir = copy_of_schemas();
    std::fs::write(
        dir.path().join("health.json"),
        r#"{"$id": "https://gatecheck.example/schemas/health.json", "type": "objekt"}"#,
    )
    .expect("write");
    let err = load_err(dir.path());
    assert!(matches!(err, SchemaError::InvalidSchema { .. }), "{err:?}");
    assert_eq!(err.file(), "health.json");
    assert!(err.to_string().contains("objekt"), "{err}");
}

#[test]
fn a_dangling_ref_names_the_file_and_the_target() {
    let dir = copy_of_schemas();
    let path = dir.path().join("order.json");
    let text = std::fs::read_to_string(&path).expect("read");
    let broken = text.replacen(
        "\"charged_amount\": { \"$ref\": \"decimal-amount.json\" }",
        "\"charged_amount\": { \"$ref\": \"money.json\" }",
        1,
    );
    assert_ne!(broken, text, "the $ref was found");
    std::fs::write(&path, broken).expect("write");
    let err = load_err(dir.path());
    assert_eq!(err.file(), "order.json", "{err}");
    assert!(err.to_string().contains("money.json"), "{err}");
}

#[test]
fn a_ref_to_a_missing_definition_is_reported() {
    let dir = copy_of_schemas();
    let path = dir.path().join("product-type.json");
    let text = std::fs::read_to_string(&path).expect("read");
    let broken = text.replace(
        "common.json#/$defs/PositiveId",
        "common.json#/$defs/NoSuchDef",
    );
    std::fs::write(&path, broken).expect("write");
    let err = load_err(dir.path());
    assert_eq!(err.file(), "product-type.json", "{err}");
    assert!(err.to_string().contains("NoSuchDef"), "{err}");
}

#[test]
fn a_missing_file_is_named() {
    let dir = copy_of_schemas();
    std::fs::remove_file(dir.path().join("common.json")).expect("rm");
    let err = load_err(dir.path());
    assert!(matches!(err, SchemaError::Missing { .. }), "{err:?}");
    assert_eq!(err.file(), "common.json");
    assert!(err.to_string().contains("common.json"), "{err}");
}

#[test]
fn a_missing_directory_is_an_error_not_a_panic() {
    let err = load_err(Path::new("/nonexistent/gatecheck-schemas"));
    assert!(
        err.to_string().contains("/nonexistent/gatecheck-schemas"),
        "{err}"
    );
}

#[test]
fn schema_errors_become_configuration_errors() {
    let err = load_err(Path::new("/nonexistent/gatecheck-schemas"));
    let gate: GateError = err.into();
    assert_eq!(gate.exit(), gatecheck::Exit::Usage);
}

#[test]
fn a_schema_set_is_shareable_across_threads() {
    let set = std::sync::Arc::new(
        SchemaSet::embedded(&gatecheck::apis::gate::schemas::BUNDLE).expect("embedded"),
    );
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let set = std::sync::Arc::clone(&set);
            std::thread::spawn(move || set.validate(SchemaName::DecimalAmount, &json!(i)).len())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), 1);
    }
}
