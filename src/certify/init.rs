//! `gatecheck init`: writes a commented example `gatecheck.toml`.

use std::io::Write;
use std::path::Path;

use crate::engine::exit::FileError;
use crate::{Exit, GateError};

/// The example configuration. Parsed by a unit test, so it cannot drift from the schema.
pub const EXAMPLE: &str = r#"# gatecheck.toml — certification settings, one table per environment.
# Secrets never go in this file: `api_key_env` names the environment variable that holds
# the key. Flags on the command line override anything here.

# The environment used when --env is not given.
default_env = "sandbox"

# Optional: JSON Schemas to use instead of the ones embedded in gatecheck.
# schemas = "schemas"

[env.sandbox]
# No base_url: gatecheck starts its embedded sandbox on a free loopback port.
phases = ["health", "contract", "invariants", "load"]

[env.staging]
base_url = "https://gate-staging.example.com"
agent_id = "00000000-0000-4000-8000-000000000000"
api_key_env = "GATE_STAGING_API_KEY"
# admin_token_env = "GATE_STAGING_ADMIN_TOKEN"   # only for a sandbox-like staging
allow_spend = false          # outside loopback, only test orders unless true
max_spend = "50.00"          # per currency, for real orders when allow_spend = true
timeout = "10s"
max_rps = 5                  # start polite; 429s are waited out (Retry-After) either way
phases = ["health", "contract", "invariants", "load"]
thresholds = ["create_order:p99<500ms", "error_rate<1%"]

[env.production]
base_url = "https://gate.example.com"
agent_id = "00000000-0000-4000-8000-000000000000"
api_key_env = "GATE_PRODUCTION_API_KEY"
# read_only defaults to true for production: contract GETs, health and test orders only.
read_only = true
phases = ["health", "contract"]

[load]
# The short load profile of a certification run.
# A built-in scenario by name (mixed, orders, catalog) works from any folder; or a path.
scenario = "mixed"
run_time = "10s"
# users = 20
# rate = 100.0               # open model: requests per second, CO-corrected latency
thresholds = ["create_order:p99<300ms", "error_rate<1%"]

[invariants]
# cases = 64                 # generated operation sequences
# seed = 42                  # replay a run exactly
"#;

/// Writes the example to `path`; refuses to overwrite unless `force`.
pub fn write_example(path: &Path, force: bool) -> Result<Exit, GateError> {
    if path.exists() && !force {
        return Err(FileError::exists(path).into());
    }
    crate::engine::output::write_file(path, EXAMPLE).map_err(|e| FileError::write(path, e))?;
    let _ = writeln!(crate::engine::output::stdout(), "wrote {}", path.display());
    Ok(Exit::Pass)
}
