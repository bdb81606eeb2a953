//! `gatecheck schemas`: export the embedded schema files to edit them, check a directory
//! of (updated) schemas, or validate one JSON document against one schema.
//!
//! ```text
//! $ gatecheck schemas export ./my-schemas
//! wrote 14 files to ./my-schemas (schemas version <version>)
//! $ gatecheck schemas check --schemas ./my-schemas
//! ./my-schemas: 12 schemas compiled, version <version>
//! $ gatecheck schemas validate --schema order response.json
//! response.json: /charged_amount: 12.5 is not of type "string"
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::apis::gate::schemas::{SchemaName, BUNDLE, EMBEDDED_FILES, EMBEDDED_OPENAPI};
use crate::engine::exit::{Exit, FileError, GateError};
use crate::engine::schema::cli::SchemaArgs;
use crate::engine::schema::SchemaSet;

#[derive(Debug, clap::Args)]
pub struct SchemasArgs {
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
        /// The schema: a name like `Order`, `product-type` or `AgentDeposit`.
        #[arg(long)]
        schema: SchemaName,
        /// The document is a list envelope of that schema's objects.
        #[arg(long)]
        list: bool,
        file: PathBuf,
        #[command(flatten)]
        schemas: SchemaArgs,
    },
}

/// Runs one `gatecheck schemas` action, printing to stdout.
pub fn run(args: SchemasArgs) -> Result<Exit, GateError> {
    let mut out = crate::engine::output::stdout();
    run_to(args, &mut out)
}

/// As [`run`], writing to `out` (for tests).
pub fn run_to(args: SchemasArgs, out: &mut impl std::io::Write) -> Result<Exit, GateError> {
    let io = |e: std::io::Error| GateError::Other(e.into());
    match args.action {
        SchemasAction::Export { dir, force } => {
            let written = export(&dir, force)?;
            let version = SchemaSet::embedded(&BUNDLE)?.version().to_owned();
            writeln!(
                out,
                "wrote {written} files to {} (schemas version {version})",
                dir.display()
            )
            .map_err(io)?;
            Ok(Exit::Pass)
        }
        SchemasAction::Check { schemas } => {
            let set = schemas.load(&BUNDLE)?;
            writeln!(
                out,
                "{}: {} schemas compiled, version {}",
                set.origin(),
                SchemaName::ALL.len(),
                set.version()
            )
            .map_err(io)?;
            Ok(Exit::Pass)
        }
        SchemasAction::Validate {
            schema,
            list,
            file,
            schemas,
        } => {
            let set = schemas.load(&BUNDLE)?;
            let document = read_document(&file)?;
            let violations = if list {
                set.validate_list(schema, &document)
            } else {
                set.validate(schema, &document)
            };
            for v in &violations {
                writeln!(out, "{}: {v}", file.display()).map_err(io)?;
            }
            if violations.is_empty() {
                writeln!(out, "{}: conforms to {schema}", file.display()).map_err(io)?;
                Ok(Exit::Pass)
            } else {
                Ok(Exit::Violations)
            }
        }
    }
}

fn export(dir: &Path, force: bool) -> Result<usize, GateError> {
    std::fs::create_dir_all(dir).map_err(|e| FileError::create(dir, e))?;
    let files = EMBEDDED_FILES.iter().copied().chain([(
        crate::engine::schema::openapi::OPENAPI_FILE,
        EMBEDDED_OPENAPI,
    )]);
    let mut written = 0;
    for (name, text) in files {
        let path = dir.join(name);
        if path.exists() && !force {
            return Err(GateError::Config(format!(
                "{} already exists (use --force to overwrite)",
                path.display()
            )));
        }
        crate::engine::output::write_file(&path, text).map_err(|e| FileError::write(&path, e))?;
        written += 1;
    }
    Ok(written)
}

fn read_document(file: &Path) -> Result<serde_json::Value, GateError> {
    let text = if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| GateError::Config(format!("cannot read stdin: {e}")))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|e| FileError::read(file, e))?
    };
    serde_json::from_str(&text)
        .map_err(|e| GateError::Config(format!("{} is not JSON: {e}", file.display())))
}
