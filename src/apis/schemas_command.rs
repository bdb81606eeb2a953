//! `gatecheck schemas [--api gate|wallet] export|check|validate`: export an API's embedded
//! schema files to edit them, check a directory of (updated) schemas, or validate one
//! JSON document against one schema. What each action does is the engine's
//! (`crate::engine::schema::command`); this file picks the API's bundle and names.
//!
//! ```text
//! $ gatecheck schemas export ./my-schemas
//! wrote 14 files to ./my-schemas (schemas version <version>)
//! $ gatecheck schemas --api wallet check --schemas ./my-schemas/wallet
//! ./my-schemas/wallet: 6 schemas compiled, version <version>
//! $ gatecheck schemas validate --schema order response.json
//! response.json: /charged_amount: 12.5 is not of type "string"
//! ```

use std::path::PathBuf;

use crate::apis::gate::schemas::SchemaName;
use crate::apis::wallet::schemas::WalletSchema;
use crate::apis::ApiName;
use crate::engine::exit::{Exit, GateError};
use crate::engine::names::UnknownName;
use crate::engine::schema::cli::SchemaArgs;
use crate::engine::schema::command;

#[derive(Debug, clap::Args)]
pub struct SchemasArgs {
    /// Whose schemas: the Gate's (`schemas/gate/`) or the Wallet's (`schemas/wallet/`).
    #[arg(long, value_enum, default_value_t = ApiName::Gate, global = true)]
    pub api: ApiName,

    #[command(subcommand)]
    pub action: SchemasAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum SchemasAction {
    /// Write the embedded schema files and openapi.json into DIR (to edit, then pass
    /// back with --schemas DIR).
    Export {
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
    /// Compile the schemas (of --schemas DIR, or the embedded ones) and print their
    /// version; exit 2 naming the broken file if one is invalid.
    Check {
        #[command(flatten)]
        schemas: SchemaArgs,
    },
    /// Validate a JSON document (a file, or - for stdin) against one schema; exit 1 when
    /// it does not conform.
    Validate {
        /// The schema: a name like `Order`, `product-type` or `AgentDeposit` (the Gate),
        /// `WalletTransaction` or `wallet-operation` (the Wallet).
        #[arg(long, value_parser = any_schema)]
        schema: String,
        /// The document is a list envelope of that schema's objects.
        #[arg(long)]
        list: bool,
        file: PathBuf,
        #[command(flatten)]
        schemas: SchemaArgs,
    },
}

/// A schema name some API knows (which one is checked against `--api` when run).
fn any_schema(s: &str) -> Result<String, NoSuchSchema> {
    match (s.parse::<SchemaName>(), s.parse::<WalletSchema>()) {
        (Err(gate), Err(wallet)) => Err(NoSuchSchema(Box::new((gate, wallet)))),
        _ => Ok(s.to_string()),
    }
}

/// `--schema` names a schema of neither API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}; or, with --api wallet, {}", .0.0, .0.1)]
pub struct NoSuchSchema(Box<(UnknownName, UnknownName)>);

/// Runs one `gatecheck schemas` action, printing to stdout.
pub fn run(args: SchemasArgs) -> Result<Exit, GateError> {
    let mut out = crate::engine::output::stdout();
    run_to(args, &mut out)
}

/// As [`run`], writing to `out` (for tests).
pub fn run_to(args: SchemasArgs, out: &mut impl std::io::Write) -> Result<Exit, GateError> {
    let bundle = match args.api {
        ApiName::Gate => &crate::apis::gate::schemas::BUNDLE,
        ApiName::Wallet => &crate::apis::wallet::schemas::BUNDLE,
    };
    match args.action {
        SchemasAction::Export { dir, force } => command::export(bundle, &dir, force, out),
        SchemasAction::Check { schemas } => command::check(bundle, &schemas, out),
        SchemasAction::Validate {
            schema,
            list,
            file,
            schemas,
        } => match args.api {
            ApiName::Gate => {
                let name = schema.parse::<SchemaName>()?;
                command::validate(bundle, name, list, &file, &schemas, out)
            }
            ApiName::Wallet => {
                let name = schema.parse::<WalletSchema>()?;
                command::validate(bundle, name, list, &file, &schemas, out)
            }
        },
    }
}
