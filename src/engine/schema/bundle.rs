//! What an API hands the schema layer: its schema files, which of them are only shared
//! definitions, its OpenAPI document and its list envelope. The schema layer knows no API;
//! it compiles and validates whatever bundle it is given.

use std::fmt::Display;

/// One API's schema files, embedded in the binary.
#[derive(Debug)]
pub struct SchemaBundle {
    /// The API's name (`gate`), for messages.
    pub api: &'static str,
    /// Every schema file, by file name, named schemas and support files alike.
    pub files: &'static [(&'static str, &'static str)],
    /// Files that only hold shared `$defs` (compiled, but not validated against by name).
    pub support: &'static [&'static str],
    /// The OpenAPI 3.1 document.
    pub openapi: &'static str,
    /// The file of the list envelope every list response is validated against first.
    pub list: &'static str,
}

impl SchemaBundle {
    /// Every file a schema directory for this API must hold.
    pub fn file_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.files.iter().map(|(name, _)| *name)
    }

    /// The named schemas (every file but the support files).
    pub fn named(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.file_names().filter(|f| !self.support.contains(f))
    }

    /// The file whose stem matches `name` ignoring case, `-` and `_` (`AgentDeposit`,
    /// `agent-deposit`, `agent_deposit.json`).
    pub fn find(&self, name: &str) -> Option<&'static str> {
        let norm = |s: &str| {
            s.trim_end_matches(".json")
                .replace(['-', '_'], "")
                .to_ascii_lowercase()
        };
        let wanted = norm(name);
        self.named().find(|f| norm(f) == wanted)
    }
}

/// A name of one schema of a bundle: an API's own enum of its objects.
pub trait SchemaKey: Copy + Display {
    /// The file of this schema inside the bundle.
    fn file_name(self) -> &'static str;
}

impl SchemaKey for &'static str {
    fn file_name(self) -> &'static str {
        self
    }
}

/// `[(file name, its text)]` for files of `schemas/<dir>/`, compiled into the binary; each
/// file is named once: `embedded_files!("gate": "order.json", "list.json")`.
#[macro_export]
macro_rules! embedded_files {
    ($dir:literal: $($file:literal),+ $(,)?) => {
        [$((
            $file,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/", $dir, "/", $file)),
        )),+]
    };
}
