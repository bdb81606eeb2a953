//! Which API to test and as whom: the target flags shared by `contract`, `invariants`,
//! `load` and `certify`, and their resolution — including starting the embedded sandbox
//! when no `--base-url` is given (through an [`EmbeddedLauncher`] the API hands in; the
//! engine never imports a sandbox), and the reachability preflight (exit 3).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::engine::bounds::BoundsError;
use crate::engine::client::{
    ApiClient, BadSecret, ExchangeJournal, Identity, Masker, PaceConfig, Secret, Target,
};
use crate::engine::exit::GateError;
use crate::engine::spend::{Minor, SpendGuard};

/// Target flags. With no `--base-url`, gatecheck starts its embedded sandbox on a free
/// loopback port and tests that.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// Base URL of the Gate API (e.g. https://sandbox.example). Default: the embedded sandbox.
    #[arg(long, visible_alias = "host", value_name = "URL")]
    pub base_url: Option<String>,

    /// The agent id (UUID) the API key belongs to. Required with --base-url.
    #[arg(long, visible_alias = "agent", value_name = "UUID")]
    pub agent_id: Option<String>,

    /// The API key (raw, as sent in `Authorization`). Prefer the environment variable.
    #[arg(
        long,
        visible_alias = "key",
        env = "GATECHECK_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,

    /// The merchant's API key, for an API whose caller is a merchant (`--api wallet`).
    /// Prefer the environment variable.
    #[arg(
        long,
        env = "GATECHECK_MERCHANT_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub merchant_api_key: Option<String>,

    /// Sandbox admin token (§9.2); admin-only checks and probes are skipped without it.
    #[arg(
        long,
        env = "GATECHECK_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,

    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = crate::engine::bounds::timeout, value_name = "DURATION")]
    pub timeout: Duration,

    /// Allow real (non-test) orders against a host outside loopback.
    #[arg(long, conflicts_with = "read_only")]
    pub allow_spend: bool,

    /// Read-only: create only test orders and never use the admin API, even on loopback.
    #[arg(long)]
    pub read_only: bool,

    /// Largest response body read from the target (bytes); a larger one is a finding on
    /// its endpoint, read no further.
    #[arg(long, default_value_t = crate::engine::client::DEFAULT_MAX_BODY, value_parser = crate::engine::bounds::body_bytes, value_name = "BYTES")]
    pub max_response_bytes: usize,

    /// Cap on real money the run may commit, per currency (e.g. 100.00).
    #[arg(long, default_value = "100.00", value_parser = parse_amount, value_name = "AMOUNT")]
    pub max_spend: Minor,

    /// Start polite: at most N requests per second from the whole run. Without it the
    /// pace is learned from the target's 429s (per key) and their Retry-After.
    #[arg(long, value_parser = parse_rps, value_name = "N")]
    pub max_rps: Option<f64>,

    /// Where the resolved client keeps every exchange, the reachability preflight
    /// included (the run's HAR); not a flag.
    #[arg(skip)]
    pub journal: Option<Arc<dyn ExchangeJournal>>,
}

pub fn parse_rps(s: &str) -> Result<f64, BoundsError> {
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(BoundsError::NotANumber {
            value: s.to_string(),
            kind: "a positive number of requests per second",
        }),
    }
}

fn parse_amount(s: &str) -> Result<Minor, crate::engine::spend::BadAmount> {
    s.parse::<Minor>()
}

/// Why the target flags name no target gatecheck can test (exit 2). Never shows a key,
/// a token or a URL (a URL may hold a password).
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot start the embedded sandbox: {0:#}")]
    Launch(anyhow::Error),
    #[error("cannot build the HTTP client: {0:#}")]
    Client(anyhow::Error),
    #[error("--base-url is not a URL: {0}")]
    BaseUrl(#[from] url::ParseError),
    #[error("--base-url must be http:// or https://")]
    Scheme,
    #[error("--base-url has no host")]
    NoHost,
    /// The API's identity flag (e.g. `--agent-id`) is missing.
    #[error("{flag} is required with --base-url")]
    MissingIdentity { flag: &'static str },
    /// The identity flag's value is not of its form (`expected`, e.g. `a UUID`); shown
    /// masked, as keys and ids get swapped.
    #[error(
        "{flag} `{}` is not {expected}",
        crate::engine::client::mask_middle(value)
    )]
    BadIdentity {
        flag: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("an API key is required with --base-url: set {} or pass {}", .0.variable(), .0.flag())]
    MissingKey(KeyFlag),
    /// A key or token the user gave (`what` names its flag and variable).
    #[error("{what} {source}")]
    Secret { what: String, source: BadSecret },
}

/// A sandbox started in this process, as the engine sees it: where it listens, whose
/// credentials it made, and how to stop it.
pub struct Embedded {
    pub base_url: String,
    /// The default caller's identity (e.g. the Gate's `agent_id`).
    pub identity: Identity,
    pub api_key: String,
    pub admin_token: String,
    /// Stops the sandbox and waits for it.
    pub stop: Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync>,
}

/// What an API hands the engine so that a command with no `--base-url` can start its
/// embedded sandbox (tests hand in one with a mutant).
pub trait EmbeddedLauncher: Send + Sync {
    fn launch(&self) -> BoxFuture<'_, anyhow::Result<Embedded>>;
}

/// Which key flag names an API's caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFlag {
    /// `--api-key` / `GATECHECK_API_KEY` (the Gate's agents).
    ApiKey,
    /// `--merchant-api-key` / `GATECHECK_MERCHANT_API_KEY` (the Wallet's merchants).
    MerchantApiKey,
}

impl KeyFlag {
    /// The flag, for messages.
    pub fn flag(self) -> &'static str {
        match self {
            KeyFlag::ApiKey => "--api-key",
            KeyFlag::MerchantApiKey => "--merchant-api-key",
        }
    }

    /// The environment variable, also the name secrets are masked as.
    pub fn variable(self) -> &'static str {
        match self {
            KeyFlag::ApiKey => "GATECHECK_API_KEY",
            KeyFlag::MerchantApiKey => "GATECHECK_MERCHANT_API_KEY",
        }
    }

    fn value(self, args: &TargetArgs) -> Option<&String> {
        match self {
            KeyFlag::ApiKey => args.api_key.as_ref(),
            KeyFlag::MerchantApiKey => args.merchant_api_key.as_ref(),
        }
    }
}

/// What the engine needs to know of an API to resolve a target for it.
pub trait TargetProfile: Send + Sync {
    /// The identity field the `--agent-id`-style flag fills, and a check of its value
    /// (normalised on success).
    fn identity(&self, value: Option<&str>) -> Result<Identity, TargetError>;
    /// The reachability path, sent without a key: any HTTP answer means reachable.
    fn health_path(&self) -> &'static str;
    /// Which key flag names the caller.
    fn key_flag(&self) -> KeyFlag {
        KeyFlag::ApiKey
    }
    /// The header the key is sent in, raw.
    fn auth_header(&self) -> &'static str {
        crate::engine::client::DEFAULT_AUTH_HEADER
    }
}

/// A resolved target: a client for it, the embedded sandbox when one was started (kept
/// alive as long as this value), and the spend policy.
pub struct ResolvedTarget {
    pub client: ApiClient,
    pub embedded: Option<Embedded>,
    pub spend: SpendGuard,
}

impl ResolvedTarget {
    pub fn target(&self) -> &Target {
        self.client.target()
    }

    /// The target as a report names it.
    pub fn info(&self) -> crate::engine::model::TargetInfo {
        crate::engine::model::TargetInfo {
            base_url: self.target().base_url.clone(),
            identity: crate::engine::model::identity_of(&self.target().identity),
            embedded_sandbox: self.embedded.is_some(),
        }
    }

    /// Stops the embedded sandbox, if any.
    pub async fn shutdown(self) {
        if let Some(sb) = self.embedded {
            (sb.stop)().await;
        }
    }
}

impl TargetArgs {
    /// Validates the flags, starts the embedded sandbox when there is no `--base-url`
    /// (through `launcher` — tests hand in one with a mutant), and checks the target
    /// answers the profile's health path (no answer → exit 3).
    pub async fn resolve(
        &self,
        profile: &dyn TargetProfile,
        launcher: &dyn EmbeddedLauncher,
    ) -> Result<ResolvedTarget, GateError> {
        let (target, embedded) = match &self.base_url {
            Some(url) => (self.explicit_target(profile, url)?, None),
            None => {
                let sb = launcher.launch().await.map_err(TargetError::Launch)?;
                let target = Target {
                    base_url: sb.base_url.clone(),
                    identity: sb.identity.clone(),
                    api_key: Secret::new(sb.api_key.clone()),
                    admin_token: (!self.read_only).then(|| Secret::new(sb.admin_token.clone())),
                };
                (target, Some(sb))
            }
        };
        let pace = PaceConfig {
            max_rps: self.max_rps,
            ..PaceConfig::default()
        };
        let mut client =
            ApiClient::build(target, self.timeout, pace, profile.key_flag().variable())
                .map_err(TargetError::Client)?
                .with_max_body(self.max_response_bytes)
                .with_auth_header(profile.auth_header());
        if let Some(journal) = &self.journal {
            client.record_into(journal.clone());
        }
        preflight(&client, profile.health_path()).await?;
        let real_orders_allowed =
            !self.read_only && (client.target().is_loopback() || self.allow_spend);
        Ok(ResolvedTarget {
            spend: SpendGuard::new(real_orders_allowed, self.max_spend),
            client,
            embedded,
        })
    }

    fn explicit_target(
        &self,
        profile: &dyn TargetProfile,
        url: &str,
    ) -> Result<Target, TargetError> {
        // A URL may carry a password: it is masked from here on, and no error shows it.
        Masker::global().add_url_userinfo(url);
        let parsed = reqwest::Url::parse(url.trim())?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(TargetError::Scheme);
        }
        if parsed.host().is_none() {
            return Err(TargetError::NoHost);
        }
        let identity = profile.identity(self.agent_id.as_deref())?;
        let flag = profile.key_flag();
        let api_key = flag
            .value(self)
            .cloned()
            .ok_or(TargetError::MissingKey(flag))?;
        let api_key = user_secret(
            &api_key,
            &format!("the API key ({} / {})", flag.flag(), flag.variable()),
            flag.variable(),
        )?;
        let admin_token = match (&self.admin_token, self.read_only) {
            (Some(token), false) => Some(user_secret(
                token,
                "the admin token (--admin-token / GATECHECK_ADMIN_TOKEN)",
                "GATECHECK_ADMIN_TOKEN",
            )?),
            _ => None,
        };
        Ok(Target {
            base_url: url.trim().trim_end_matches('/').to_string(),
            identity,
            api_key,
            admin_token,
        })
    }
}

/// A key or token as the user gave it, validated and normalised once, here: trimmed
/// (sent and masked trimmed), refused when empty or with a control character (exit 2).
/// The value is masked (as `$variable`, the name a reproduction expands) before anything
/// can print it; the error never shows it.
fn user_secret(value: &str, what: &str, variable: &str) -> Result<Secret, TargetError> {
    let masker = Masker::global();
    masker.add(value.trim(), variable);
    masker.add(value, variable);
    Secret::from_user(value).map_err(|source| TargetError::Secret {
        what: what.to_string(),
        source,
    })
}

/// `GET <health path>`: any HTTP answer means reachable (its correctness is a check's job).
async fn preflight(client: &ApiClient, path: &str) -> Result<(), GateError> {
    client
        .get(path)
        .auth(crate::engine::client::Auth::None)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| GateError::Unreachable(e.to_string()))
}

impl Default for TargetArgs {
    /// The embedded sandbox, 10 s timeout, 100.00 cap — the flags' defaults.
    fn default() -> TargetArgs {
        TargetArgs {
            base_url: None,
            agent_id: None,
            api_key: None,
            merchant_api_key: None,
            admin_token: None,
            timeout: Duration::from_secs(10),
            max_response_bytes: crate::engine::client::DEFAULT_MAX_BODY,
            allow_spend: false,
            read_only: false,
            max_spend: Minor(10_000),
            max_rps: None,
            journal: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys and ids get swapped: a key given as the identity is not echoed whole.
    #[test]
    fn a_bad_identity_value_is_shown_masked() {
        let e = TargetError::BadIdentity {
            flag: "--agent-id",
            value: "sk_live_0123456789abcdef".into(),
            expected: "a UUID",
        };
        assert_eq!(e.to_string(), "--agent-id `sk****` is not a UUID");
    }
}
