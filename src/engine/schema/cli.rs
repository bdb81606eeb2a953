//! The `--schemas DIR` option shared by the commands that validate responses
//! (`contract`, `certify`): flatten `SchemaArgs` into their clap args.

use std::path::PathBuf;

use crate::engine::schema::{SchemaBundle, SchemaError, SchemaSet};

/// Where to read the JSON Schemas from; without it, the copies embedded in the binary.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SchemaArgs {
    /// A directory holding the API's JSON Schemas (as in `schemas/<api>/`), to judge against
    /// an updated contract without rebuilding. Default: the schemas embedded in gatecheck.
    #[arg(long = "schemas", value_name = "DIR", env = "GATECHECK_SCHEMAS")]
    pub schemas: Option<PathBuf>,
}

impl SchemaArgs {
    /// Compiles the chosen schemas; an invalid file is a `SchemaError` naming it (exit 2).
    pub fn load(&self, bundle: &'static SchemaBundle) -> Result<SchemaSet, SchemaError> {
        SchemaSet::load(bundle, self.schemas.as_deref())
    }
}
