//! `write_files`: the three report files in a fresh folder, and the default folder name.

use crate::report_fixture;

use gatecheck::engine::report::{default_out_dir, write_files, Format};

#[test]
fn writes_each_requested_format_into_a_created_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out_dir = tmp.path().join("nested").join("run");
    let run = report_fixture::failing_run();
    let written = write_files(&run, &out_dir, &Format::ALL).expect("files written");
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.json", "junit.xml", "report.html"]);
    for path in &written {
        assert!(path.starts_with(&out_dir));
    }
    let json = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    assert!(json.starts_with("{\n  \"format_version\": 2,\n  \"verdict\": \"fail\""));
    let xml = std::fs::read_to_string(out_dir.join("junit.xml")).unwrap();
    assert!(xml.starts_with("<?xml"));
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
}

#[test]
fn writes_only_the_formats_asked_once_each() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let run = report_fixture::passing_contract_run();
    let written = write_files(&run, tmp.path(), &[Format::Junit, Format::Junit]).unwrap();
    assert_eq!(written, [tmp.path().join("junit.xml")]);
    assert!(!tmp.path().join("report.json").exists());
}

#[test]
fn the_default_folder_is_a_utc_timestamp_under_gatecheck_reports() {
    let dir = default_out_dir();
    assert!(dir.starts_with("gatecheck-reports"));
    let stamp = dir.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(stamp.len(), "20261121T120600Z".len(), "{stamp}");
    assert!(stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T');
    assert!(stamp[..8]
        .chars()
        .chain(stamp[9..15].chars())
        .all(|c| c.is_ascii_digit()));
}

#[test]
fn an_unwritable_folder_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = write_files(
        &report_fixture::failing_run(),
        &file.join("sub"),
        &[Format::Json],
    )
    .expect_err("a file is in the way");
    assert!(err.to_string().contains("cannot create the report folder"));
}
