//! The embedded Gate API sandbox (placeholder: being built in issue 2).
pub mod cli;
