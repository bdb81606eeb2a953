//! `gatecheck.toml`: named environments (sandbox, staging, production) with their target,
//! the *name* of the variable holding the key (never the key), spend cap, thresholds and
//! phases; plus run-wide `[load]` and `[invariants]` settings. Parsing and validation only:
//! merging with the command line happens in `plan.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::client::mask_middle;
use crate::engine::names::UnknownName;

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
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Phase, UnknownName> {
        Phase::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownName::new("phase", s, Phase::ALL.map(Phase::name)))
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
    /// Start polite: at most this many requests per second (e.g. 5 for a rate-limited
    /// staging). Without it the pace is learned from the target's 429s.
    pub max_rps: Option<f64>,
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
    #[error("{path}: {source}")]
    Invalid { path: PathBuf, source: Box<Invalid> },
}

/// What in a config file's text is refused: names the line or the `[table] field`, and
/// never shows a secret (a value that may be one is shown as its first two characters).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Invalid {
    #[error(
        "line {line}: `{key}` is not allowed: secrets never go in gatecheck.toml; \
         put the environment variable's name in `{key}_env` instead"
    )]
    InlineSecret { line: usize, key: &'static str },
    /// Not TOML, or not of the file's shape: where, and toml's message with any quoted
    /// value masked.
    #[error("{place}{message}")]
    Toml { place: String, message: String },
    #[error("default_env = \"{0}\" names no [env.{0}] table")]
    NoDefaultEnv(String),
    #[error(
        "[env.{env}] {field} = \"{masked}\" is not an environment variable name \
         (A-Z, 0-9, _): it holds the variable's NAME, never the secret itself"
    )]
    NotAVariableName {
        env: String,
        field: &'static str,
        masked: String,
    },
    #[error("[env.{0}] base_url is not an http(s) URL (value not shown: it may hold a password)")]
    BaseUrl(String),
    #[error("[env.{0}] has base_url but no agent_id")]
    NoAgentId(String),
    #[error("[env.{env}] agent_id = \"{masked}\" is not a UUID")]
    AgentId { env: String, masked: String },
    #[error("[env.{env}] max_spend = \"{masked}\" is not an amount such as \"100.00\"")]
    MaxSpend { env: String, masked: String },
    #[error("[env.{env}] max_rps = {value} must be a positive number")]
    MaxRps { env: String, value: f64 },
    /// A number out of its range: `field` is `[env.NAME] timeout`, `[load] rate`, ...
    #[error("{field}: {source}")]
    Bounds {
        field: String,
        source: Box<crate::engine::bounds::BoundsError>,
    },
}

impl ConfigFile {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ConfigFile::parse(&text).map_err(|source| ConfigError::Invalid {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }

    /// Parses and validates config text; the error says where (line, column) and what.
    pub fn parse(text: &str) -> Result<ConfigFile, Invalid> {
        refuse_inline_secrets(text)?;
        let file: ConfigFile = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        file.validate()?;
        Ok(file)
    }

    fn validate(&self) -> Result<(), Invalid> {
        if let Some(name) = &self.default_env {
            if !self.env.contains_key(name) {
                return Err(Invalid::NoDefaultEnv(name.clone()));
            }
        }
        let bounds = |field: String| {
            move |source: crate::engine::bounds::BoundsError| Invalid::Bounds {
                field: field.clone(),
                source: Box::new(source.masked(mask_middle)),
            }
        };
        for (name, env) in &self.env {
            for (field, var) in [
                ("api_key_env", &env.api_key_env),
                ("admin_token_env", &env.admin_token_env),
                ("merchant_api_key_env", &env.merchant_api_key_env),
            ] {
                if let Some(var) = var {
                    if !is_env_var_name(var) {
                        return Err(Invalid::NotAVariableName {
                            env: name.clone(),
                            field,
                            masked: mask_middle(var),
                        });
                    }
                }
            }
            if let Some(url) = &env.base_url {
                let ok = reqwest::Url::parse(url)
                    .map(|u| matches!(u.scheme(), "http" | "https"))
                    .unwrap_or(false);
                if !ok {
                    return Err(Invalid::BaseUrl(name.clone()));
                }
                if env.agent_id.is_none() && env.api != Some(crate::apis::ApiName::Wallet) {
                    return Err(Invalid::NoAgentId(name.clone()));
                }
            }
            if let Some(id) = &env.agent_id {
                if uuid::Uuid::parse_str(id).is_err() {
                    return Err(Invalid::AgentId {
                        env: name.clone(),
                        masked: mask_middle(id),
                    });
                }
            }
            if let Some(cap) = &env.max_spend {
                crate::apis::gate::money::Amount::parse_request_amount(cap).map_err(|_| {
                    Invalid::MaxSpend {
                        env: name.clone(),
                        masked: mask_middle(cap),
                    }
                })?;
            }
            if let Some(r) = env.max_rps {
                if !(r.is_finite() && r > 0.0) {
                    return Err(Invalid::MaxRps {
                        env: name.clone(),
                        value: r,
                    });
                }
            }
            if let Some(t) = &env.timeout {
                crate::engine::bounds::timeout(t)
                    .map_err(bounds(format!("[env.{name}] timeout")))?;
            }
        }
        crate::engine::bounds::run_time(&self.load.run_time)
            .map_err(bounds("[load] run_time".into()))?;
        if let Some(rate) = self.load.rate {
            crate::engine::bounds::check_rate(rate).map_err(bounds("[load] rate".into()))?;
        }
        if let Some(cases) = self.invariants.cases {
            crate::engine::bounds::check_cases(cases)
                .map_err(bounds("[invariants] cases".into()))?;
        }
        if let Some(users) = self.load.users {
            crate::engine::bounds::check_users(users).map_err(bounds("[load] users".into()))?;
        }
        Ok(())
    }
}

/// A key pasted into the file is refused before anything else, with a message that does
/// not repeat it.
fn refuse_inline_secrets(text: &str) -> Result<(), Invalid> {
    for (i, line) in text.lines().enumerate() {
        let key = line.split('=').next().unwrap_or("").trim();
        if line.contains('=') && looks_like_a_secret_field(key) {
            return Err(Invalid::InlineSecret {
                line: i + 1,
                key: if key == "admin_token" {
                    "admin_token"
                } else {
                    "api_key"
                },
            });
        }
    }
    Ok(())
}

/// `api_key`, `apikey`, `API-KEY`, `admin_token`, `password`, … — but not `*_env`, which
/// holds a variable's name.
fn looks_like_a_secret_field(key: &str) -> bool {
    let key: String = key
        .trim_matches(['"', '\''])
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let secretish = ["apikey", "token", "secret", "password", "passwd"]
        .iter()
        .any(|word| key.contains(word))
        || key == "key";
    secretish && !key.ends_with("env")
}

/// A TOML error as line, column and message — never the source snippet, and never a
/// quoted value (a key pasted under a misspelt field must not be printed back).
fn toml_error(text: &str, e: &toml::de::Error) -> Invalid {
    let place = e.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: ")
    });
    let quoted = regex::Regex::new(r#""[^"]*""#).expect("a fixed pattern compiles");
    let ticked = regex::Regex::new(r"`([^`]{17,})`").expect("a fixed pattern compiles");
    let message = quoted.replace_all(e.message(), "\"****\"");
    let message = ticked.replace_all(&message, |c: &regex::Captures| {
        format!("`{}`", mask_middle(&c[1]))
    });
    Invalid::Toml {
        place: place.unwrap_or_default(),
        message: message.trim_end().to_string(),
    }
}

fn is_env_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
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
        let err = ConfigFile::parse("[env.x]\napi_key = \"sk_live_abcdef\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("sk_live_abcdef"), "{err}");
        let err = ConfigFile::parse("[env.x]\napi_key_env = \"sk_live_abcdef\"\n")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("sk_live_abcdef"), "{err}");
        for field in ["apikey", "API-KEY", "secret", "password", "x_token"] {
            let err = ConfigFile::parse(&format!("[env.x]\n{field} = \"sk_live_abcdef\"\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("line 2"), "{err}");
            assert!(!err.contains("sk_live_abcdef"), "{err}");
        }
        for text in [
            "[env.x]\nbase_url = \"ftp://u:sk_live_abcdef@h\"\nagent_id = \"x\"\n",
            "[env.x]\ntimeout = [\"sk_live_abcdef\"]\n",
            "[env.x]\nphases = [\"sk_live_abcdef_long_value\"]\n",
            "[env.x]\nmerchant_api_key_env = \"mk_sk_live_abcdef\"\n",
            "[env.x]\ntimeout = \"sk_live_abcdef\"\n",
            "[env.x]\ntimeout = \"10sk_live_abcdef\"\n",
            "[env.x]\nmax_spend = \"sk_live_abcdef\"\n",
            "[load]\nrun_time = \"sk_live_abcdef\"\n",
        ] {
            let err = ConfigFile::parse(text).unwrap_err().to_string();
            assert!(!err.contains("sk_live_abcdef"), "{err}");
        }
    }

    #[test]
    fn errors_name_the_place() {
        let err = ConfigFile::parse("[env.staging]\nbase_url = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        let err = ConfigFile::parse("[env.staging]\nphases = [\"lod\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lod"), "{err}");
        assert_eq!(
            ConfigFile::parse("default_env = \"nope\"\n").unwrap_err(),
            Invalid::NoDefaultEnv("nope".into())
        );
        assert_eq!(
            ConfigFile::parse("[load]\nusers = 0\n").unwrap_err(),
            Invalid::Bounds {
                field: "[load] users".into(),
                source: Box::new(crate::engine::bounds::check_users(0).unwrap_err())
            }
        );
        let err = ConfigFile::parse("default_env = \"nope\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
        let err = ConfigFile::parse("[env.s]\nbase_url = \"https://x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("agent_id"), "{err}");
        let err = ConfigFile::parse("[load]\nrun_time = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("run_time"), "{err}");
    }
}
