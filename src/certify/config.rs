//! `gatecheck.toml`: named environments (sandbox, staging, production) with their target,
//! the *name* of the variable holding the key (never the key), spend cap, thresholds and
//! phases; plus run-wide `[load]` and `[invariants]` settings. Parsing and validation only:
//! merging with the command line happens in `plan.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The phases of a certification run, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Health,
    Contract,
    Invariants,
    Load,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Health,
        Phase::Contract,
        Phase::Invariants,
        Phase::Load,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Health => "health",
            Phase::Contract => "contract",
            Phase::Invariants => "invariants",
            Phase::Load => "load",
        }
    }
}

impl std::str::FromStr for Phase {
    type Err = String;
    fn from_str(s: &str) -> Result<Phase, String> {
        Phase::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown phase `{s}` (health, contract, invariants, load)"))
    }
}

/// One `[env.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    /// Which API this environment serves (`gate` or `wallet`). Absent: the Gate, or both
    /// on the embedded sandbox.
    pub api: Option<crate::apis::ApiName>,
    /// Absent: the embedded sandbox.
    pub base_url: Option<String>,
    pub agent_id: Option<String>,
    /// Name of the environment variable that holds the API key.
    pub api_key_env: Option<String>,
    /// Name of the environment variable that holds the merchant's API key (the Wallet).
    pub merchant_api_key_env: Option<String>,
    /// Name of the environment variable that holds the sandbox admin token.
    pub admin_token_env: Option<String>,
    pub allow_spend: Option<bool>,
    /// Per-currency cap on real money, e.g. "50.00".
    pub max_spend: Option<String>,
    /// Read-only: contract GETs, health and test orders only. Default: true for an
    /// environment named `production`, false otherwise.
    pub read_only: Option<bool>,
    pub phases: Option<Vec<Phase>>,
    /// Load thresholds for this environment (replace `[load].thresholds`).
    pub thresholds: Option<Vec<String>>,
    /// Per-request timeout, e.g. "10s".
    pub timeout: Option<String>,
}

impl EnvConfig {
    pub fn is_read_only(&self, name: &str) -> bool {
        self.read_only.unwrap_or(name == "production")
    }
}

/// The `[load]` table: the short load profile of a certification run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoadSection {
    pub scenario: Option<PathBuf>,
    pub run_time: String,
    pub users: Option<u64>,
    /// Open-model target arrival rate (requests per second).
    pub rate: Option<f64>,
    pub thresholds: Vec<String>,
}

impl Default for LoadSection {
    fn default() -> LoadSection {
        LoadSection {
            scenario: None,
            run_time: "10s".to_string(),
            users: None,
            rate: None,
            thresholds: Vec::new(),
        }
    }
}

/// The `[invariants]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvariantsSection {
    pub cases: Option<u32>,
    pub seed: Option<u64>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The environment used when `--env` is not given.
    pub default_env: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, EnvConfig>,
    #[serde(default)]
    pub load: LoadSection,
    #[serde(default)]
    pub invariants: InvariantsSection,
    /// Directory of JSON Schemas to use instead of the embedded ones.
    pub schemas: Option<PathBuf>,
}

/// Why a config file was refused. Always names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl ConfigFile {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ConfigFile::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and validates config text; the error says where (line, column) and what.
    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        refuse_inline_secrets(text)?;
        let file: ConfigFile = toml::from_str(text).map_err(|e| e.to_string())?;
        file.validate()?;
        Ok(file)
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(name) = &self.default_env {
            if !self.env.contains_key(name) {
                return Err(format!(
                    "default_env = \"{name}\" names no [env.{name}] table"
                ));
            }
        }
        for (name, env) in &self.env {
            for (field, var) in [
                ("api_key_env", &env.api_key_env),
                ("admin_token_env", &env.admin_token_env),
            ] {
                if let Some(var) = var {
                    if !is_env_var_name(var) {
                        return Err(format!(
                            "[env.{name}] {field} = \"{}\" is not an environment variable name \
                             (A-Z, 0-9, _): it holds the variable's NAME, never the secret itself",
                            mask_middle(var)
                        ));
                    }
                }
            }
            if let Some(url) = &env.base_url {
                let ok = reqwest::Url::parse(url)
                    .map(|u| matches!(u.scheme(), "http" | "https"))
                    .unwrap_or(false);
                if !ok {
                    return Err(format!(
                        "[env.{name}] base_url = \"{url}\" is not an http(s) URL"
                    ));
                }
                if env.agent_id.is_none() && env.api != Some(crate::apis::ApiName::Wallet) {
                    return Err(format!("[env.{name}] has base_url but no agent_id"));
                }
            }
            if let Some(id) = &env.agent_id {
                if uuid::Uuid::parse_str(id).is_err() {
                    return Err(format!("[env.{name}] agent_id = \"{id}\" is not a UUID"));
                }
            }
            if let Some(cap) = &env.max_spend {
                crate::apis::gate::money::Amount::parse_request_amount(cap)
                    .map_err(|e| format!("[env.{name}] max_spend: {e}"))?;
            }
            if let Some(t) = &env.timeout {
                humantime::parse_duration(t)
                    .map_err(|e| format!("[env.{name}] timeout = \"{t}\": {e}"))?;
            }
        }
        humantime::parse_duration(&self.load.run_time)
            .map_err(|e| format!("[load] run_time = \"{}\": {e}", self.load.run_time))?;
        if let Some(rate) = self.load.rate {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(format!("[load] rate = {rate} must be a positive number"));
            }
        }
        Ok(())
    }
}

/// A key pasted into the file is refused before anything else, with a message that does
/// not repeat it.
fn refuse_inline_secrets(text: &str) -> Result<(), String> {
    for (i, line) in text.lines().enumerate() {
        let key = line.split('=').next().unwrap_or("").trim();
        if matches!(key, "api_key" | "admin_token" | "key" | "token") {
            return Err(format!(
                "line {}: `{key}` is not allowed: secrets never go in gatecheck.toml; \
                 put the environment variable's name in `{key}_env` instead",
                i + 1,
                key = if key == "admin_token" {
                    "admin_token"
                } else {
                    "api_key"
                },
            ));
        }
    }
    Ok(())
}

fn is_env_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn mask_middle(s: &str) -> String {
    let n = s.chars().count();
    if n <= 4 {
        return "****".to_string();
    }
    let head: String = s.chars().take(2).collect();
    format!("{head}****")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_example_written_by_init() {
        let file = ConfigFile::parse(super::super::init::EXAMPLE).expect("example parses");
        assert_eq!(file.default_env.as_deref(), Some("sandbox"));
        assert!(file.env["production"].is_read_only("production"));
        assert!(!file.env["staging"].is_read_only("staging"));
        assert_eq!(
            file.env["staging"].api_key_env.as_deref(),
            Some("GATE_STAGING_API_KEY")
        );
    }

    #[test]
    fn refuses_a_key_in_the_file_without_repeating_it() {
        let err = ConfigFile::parse("[env.x]\napi_key = \"sk_live_abcdef\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("sk_live_abcdef"), "{err}");
        let err = ConfigFile::parse("[env.x]\napi_key_env = \"sk_live_abcdef\"\n").unwrap_err();
        assert!(!err.contains("sk_live_abcdef"), "{err}");
    }

    #[test]
    fn errors_name_the_place() {
        let err = ConfigFile::parse("[env.staging]\nbase_url = 3\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = ConfigFile::parse("[env.staging]\nphases = [\"lod\"]\n").unwrap_err();
        assert!(err.contains("lod"), "{err}");
        let err = ConfigFile::parse("default_env = \"nope\"\n").unwrap_err();
        assert!(err.contains("nope"), "{err}");
        let err = ConfigFile::parse("[env.s]\nbase_url = \"https://x\"\n").unwrap_err();
        assert!(err.contains("agent_id"), "{err}");
        let err = ConfigFile::parse("[load]\nrun_time = \"soon\"\n").unwrap_err();
        assert!(err.contains("run_time"), "{err}");
    }
}
