//! `gatecheck certify` flags, and the plan made from them and `gatecheck.toml`:
//! flags override the chosen environment, which overrides the defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::config::{ConfigError, ConfigFile, EnvConfig, LoadSection, Phase};
use crate::apis::ApiName;
use crate::engine::target::TargetArgs;

/// How the result is printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The console report.
    Human,
    /// The JSON report (the same as report.json).
    Json,
}

/// `gatecheck certify` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct CertifyArgs {
    /// The environment of gatecheck.toml to certify (default: its `default_env`).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// The configuration file. Default: ./gatecheck.toml when it exists.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Base URL of the Gate API. Default: the environment's, else the embedded sandbox.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// The agent id (UUID) the API key belongs to.
    #[arg(long, value_name = "UUID")]
    pub agent_id: Option<String>,

    /// The API key. Default: the variable named by the environment's `api_key_env`, else
    /// GATECHECK_API_KEY.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,

    /// The merchant's API key (the Wallet). Default: the variable named by the
    /// environment's `merchant_api_key_env`, else GATECHECK_MERCHANT_API_KEY.
    #[arg(long, value_name = "KEY")]
    pub merchant_api_key: Option<String>,

    /// The API to certify. Default: the environment's `api`; on the embedded sandbox
    /// both APIs, else the Gate.
    #[arg(long, value_enum)]
    pub api: Option<ApiName>,

    /// The sandbox admin token. Default: the variable named by `admin_token_env`, else
    /// GATECHECK_ADMIN_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    pub admin_token: Option<String>,

    /// Per-request timeout (default 10s).
    #[arg(long, value_parser = crate::engine::bounds::timeout, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Largest response body read from the target (bytes); a larger one is a finding.
    #[arg(long, default_value_t = crate::engine::client::DEFAULT_MAX_BODY, value_parser = crate::engine::bounds::body_bytes, value_name = "BYTES")]
    pub max_response_bytes: usize,

    /// Allow real (non-test) orders against a host outside loopback.
    #[arg(long, conflicts_with = "read_only")]
    pub allow_spend: bool,

    /// Read-only: contract GETs, health and test orders only (production's default).
    #[arg(long)]
    pub read_only: bool,

    /// Cap on real money per currency (default 100.00).
    #[arg(long, value_name = "AMOUNT")]
    pub max_spend: Option<String>,

    /// Start polite: at most N requests per second (default: learned from 429s).
    #[arg(long, value_parser = crate::engine::target::parse_rps, value_name = "N")]
    pub max_rps: Option<f64>,

    /// Phases to run, comma-separated (health,contract,invariants,load).
    #[arg(long, value_delimiter = ',', value_name = "PHASES")]
    pub phases: Option<Vec<String>>,

    /// Load scenario file. Default: the config's, else the built-in storefront mix.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// Load phase duration (default 10s).
    #[arg(long, value_parser = crate::engine::bounds::run_time, value_name = "DURATION")]
    pub run_time: Option<Duration>,

    /// Load users.
    #[arg(long, value_parser = crate::engine::bounds::users, value_name = "N")]
    pub users: Option<u64>,

    /// Open-model load: requests per second, latency from the intended send time.
    #[arg(long, value_parser = crate::engine::bounds::rate, value_name = "PER_SECOND")]
    pub rate: Option<f64>,

    /// Load threshold rule, repeatable (replaces the config's), e.g. 'create_order:p99<300ms'.
    #[arg(long = "threshold", value_name = "RULE")]
    pub thresholds: Vec<String>,

    /// Invariant probe cases.
    #[arg(long, value_parser = crate::engine::bounds::cases, value_name = "N")]
    pub cases: Option<u32>,

    /// Seed of the invariant probes (replays a run).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,

    /// JSON Schemas directory (default: the ones embedded in gatecheck).
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    /// Report folder. Default: gatecheck-reports/<UTC timestamp>/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Compare with this report.json (the last good run): the exit code is then 1 only on
    /// regressions (newly failing or warning checks, missed thresholds, slower load).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    #[command(flatten)]
    pub tolerance: crate::engine::report::baseline::ToleranceArgs,

    /// Do not write exchanges.har (every exchange of the run, HAR 1.2, secrets masked).
    #[arg(long)]
    pub no_har: bool,

    /// Print only failures and the verdict; no progress.
    #[arg(long, short)]
    pub quiet: bool,

    /// What stdout carries.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
}

/// The built-in load profile: the storefront mix shipped in `scenarios/gate/`.
pub const DEFAULT_SCENARIO: &str = crate::apis::gate::load::scenario::EMBEDDED[0].1;
/// The load gate when nothing else is configured.
pub const DEFAULT_THRESHOLDS: &[&str] = &[crate::engine::load::thresholds::DEFAULT_RULE];

/// Why the flags and `gatecheck.toml` make no certification plan (exit 2): names the
/// flag, the environment or the config field, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("--env {name}: the configuration has no [env.{name}] (it has: {})", .known.join(", "))]
    UnknownEnv { name: String, known: Vec<String> },
    #[error("--env {0} needs a gatecheck.toml (write one with `gatecheck init`)")]
    EnvWithoutConfig(String),
    /// A `*_env` field names a variable that is not set.
    #[error("{field} names the environment variable {variable}, which is not set")]
    UnsetVariable {
        field: &'static str,
        variable: String,
    },
    #[error("max spend: {0}")]
    MaxSpend(#[from] crate::engine::spend::BadAmount),
    /// A value out of its range: `field` is `timeout`, `[load] run_time`.
    #[error("{field}: {source}")]
    Bounds {
        field: &'static str,
        source: crate::engine::bounds::BoundsError,
    },
    #[error(transparent)]
    Phase(#[from] crate::engine::names::UnknownName),
}

crate::engine::exit::layer_errors!(PlanError);

/// Everything certify will do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub env_name: Option<String>,
    /// The APIs to certify, in report order (both on the embedded sandbox by default).
    pub apis: Vec<ApiName>,
    pub target: TargetArgs,
    pub phases: Vec<Phase>,
    /// `None`: the built-in scenario.
    pub scenario: Option<PathBuf>,
    pub run_time: Duration,
    pub users: Option<u64>,
    pub rate: Option<f64>,
    pub thresholds: Vec<String>,
    pub cases: Option<u32>,
    pub seed: Option<u64>,
    pub schemas: Option<PathBuf>,
    pub out: PathBuf,
    /// Write `exchanges.har` into `out`.
    pub har: bool,
    /// The baseline report to compare with, and how far load may move.
    pub baseline: Option<PathBuf>,
    pub tolerance: crate::engine::report::baseline::Tolerance,
    pub quiet: bool,
    pub format: OutputFormat,
}

impl CertifyArgs {
    /// Reads the config (if any) and merges it under the flags. `env_lookup` reads
    /// environment variables (a parameter so tests need not touch the process env).
    pub fn plan(&self, env_lookup: &dyn Fn(&str) -> Option<String>) -> Result<Plan, PlanError> {
        let config = self.config_file()?;
        let (env_name, env) =
            match &config {
                Some(file) => {
                    let name = self.env.clone().or_else(|| file.default_env.clone());
                    match name {
                        Some(name) => {
                            let env = file.env.get(&name).cloned().ok_or_else(|| {
                                PlanError::UnknownEnv {
                                    name: name.clone(),
                                    known: file.env.keys().cloned().collect(),
                                }
                            })?;
                            (Some(name), env)
                        }
                        None => (None, EnvConfig::default()),
                    }
                }
                None => {
                    if let Some(name) = &self.env {
                        return Err(PlanError::EnvWithoutConfig(name.clone()));
                    }
                    (None, EnvConfig::default())
                }
            };
        let load = config.as_ref().map(|c| c.load.clone()).unwrap_or_default();
        let env_label = env_name.as_deref().unwrap_or("");
        let read_only = self.read_only || (!self.allow_spend && env.is_read_only(env_label));

        let api_key = self
            .api_key
            .clone()
            .or(secret_from(&env.api_key_env, env_lookup, "api_key_env")?)
            .or_else(|| env_lookup("GATECHECK_API_KEY"));
        let merchant_api_key = self
            .merchant_api_key
            .clone()
            .or(secret_from(
                &env.merchant_api_key_env,
                env_lookup,
                "merchant_api_key_env",
            )?)
            .or_else(|| env_lookup("GATECHECK_MERCHANT_API_KEY"));
        let admin_token = self
            .admin_token
            .clone()
            .or(secret_from(
                &env.admin_token_env,
                env_lookup,
                "admin_token_env",
            )?)
            .or_else(|| env_lookup("GATECHECK_ADMIN_TOKEN"));
        let max_spend_text = self
            .max_spend
            .clone()
            .or(env.max_spend.clone())
            .unwrap_or_else(|| "100.00".to_string());
        let max_spend = max_spend_text.parse::<crate::engine::spend::Minor>()?;
        let timeout = match (self.timeout, &env.timeout) {
            (Some(t), _) => t,
            (None, Some(t)) => {
                crate::engine::bounds::timeout(t).map_err(|source| PlanError::Bounds {
                    field: "timeout",
                    source,
                })?
            }
            (None, None) => Duration::from_secs(10),
        };
        let target = TargetArgs {
            base_url: self.base_url.clone().or(env.base_url.clone()),
            agent_id: self.agent_id.clone().or(env.agent_id.clone()),
            api_key,
            merchant_api_key,
            admin_token,
            timeout,
            max_response_bytes: self.max_response_bytes,
            allow_spend: self.allow_spend || env.allow_spend.unwrap_or(false),
            read_only,
            max_spend,
            max_rps: self.max_rps.or(env.max_rps),
            journal: None,
        };
        let phases = match &self.phases {
            Some(names) => names
                .iter()
                .map(|n| n.parse::<Phase>())
                .collect::<Result<Vec<_>, _>>()?,
            None => env.phases.clone().unwrap_or_else(|| Phase::ALL.to_vec()),
        };
        let mut phases = phases;
        phases.sort();
        phases.dedup();
        let thresholds = if !self.thresholds.is_empty() {
            self.thresholds.clone()
        } else if let Some(t) = &env.thresholds {
            t.clone()
        } else if !load.thresholds.is_empty() {
            load.thresholds.clone()
        } else {
            DEFAULT_THRESHOLDS.iter().map(|s| s.to_string()).collect()
        };
        let run_time = match self.run_time {
            Some(t) => t,
            None => crate::engine::bounds::run_time(&load.run_time).map_err(|source| {
                PlanError::Bounds {
                    field: "[load] run_time",
                    source,
                }
            })?,
        };
        let LoadSection {
            scenario,
            users,
            rate,
            ..
        } = load;
        let invariants = config
            .as_ref()
            .map(|c| c.invariants.clone())
            .unwrap_or_default();
        let apis = match self.api.or(env.api) {
            Some(api) => vec![api],
            None if target.base_url.is_none() => ApiName::ALL.to_vec(),
            None => vec![ApiName::Gate],
        };
        Ok(Plan {
            env_name,
            apis,
            target,
            phases,
            scenario: self.scenario.clone().or(scenario),
            run_time,
            users: self.users.or(users),
            rate: self.rate.or(rate),
            thresholds,
            cases: self.cases.or(invariants.cases),
            seed: self.seed.or(invariants.seed),
            schemas: self
                .schemas
                .clone()
                .or_else(|| config.as_ref().and_then(|c| c.schemas.clone())),
            out: self
                .out
                .clone()
                .unwrap_or_else(crate::engine::report::default_out_dir),
            har: !self.no_har,
            baseline: self.baseline.clone(),
            tolerance: self.tolerance.tolerance(),
            quiet: self.quiet,
            format: self.format,
        })
    }

    fn config_file(&self) -> Result<Option<ConfigFile>, ConfigError> {
        let path = match &self.config {
            Some(p) => p.clone(),
            None => {
                let default = Path::new("gatecheck.toml");
                if !default.exists() {
                    return Ok(None);
                }
                default.to_path_buf()
            }
        };
        ConfigFile::load(&path).map(Some)
    }
}

/// Reads the secret from the variable the config names; a named but unset variable is a
/// configuration error (naming the variable, never a value).
fn secret_from(
    var: &Option<String>,
    env_lookup: &dyn Fn(&str) -> Option<String>,
    field: &'static str,
) -> Result<Option<String>, PlanError> {
    match var {
        None => Ok(None),
        Some(name) => env_lookup(name)
            .map(Some)
            .ok_or_else(|| PlanError::UnsetVariable {
                field,
                variable: name.clone(),
            }),
    }
}
