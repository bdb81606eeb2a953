//! Engine tests: the report writers over a fixed `RunReport`, and the import rule
//! "the engine imports no API". One binary, so `cargo test` links once for them.

mod arrows;
mod report_baseline;
mod report_console;
mod report_files;
mod report_fixture;
mod report_html;
mod report_json;
mod report_junit;
