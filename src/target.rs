//! Which API to test and as whom: the target flags shared by `contract`, `invariants`,
//! `load` and `certify`, and their resolution — including starting the embedded sandbox
//! when no `--base-url` is given, and the reachability preflight (exit 3).

use std::time::Duration;

use crate::client::{GateClient, Secret, Target};
use crate::model::Amount;
use crate::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::spend::SpendGuard;
use crate::GateError;

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

    /// Sandbox admin token (§9.2); admin-only checks and probes are skipped without it.
    #[arg(
        long,
        env = "GATECHECK_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,

    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Allow real (non-test) orders against a host outside loopback.
    #[arg(long)]
    pub allow_spend: bool,

    /// Cap on real money the run may commit, per currency (e.g. 100.00).
    #[arg(long, default_value = "100.00", value_parser = parse_amount, value_name = "AMOUNT")]
    pub max_spend: Amount,
}

fn parse_amount(s: &str) -> Result<Amount, String> {
    Amount::parse_request_amount(s).map_err(|e| e.to_string())
}

/// A resolved target: a client for it, the embedded sandbox when one was started (kept
/// alive as long as this value), and the spend policy.
pub struct ResolvedTarget {
    pub client: GateClient,
    pub embedded: Option<SandboxHandle>,
    pub spend: SpendGuard,
}

impl ResolvedTarget {
    pub fn target(&self) -> &Target {
        self.client.target()
    }

    /// Stops the embedded sandbox, if any.
    pub async fn shutdown(self) {
        if let Some(sb) = self.embedded {
            sb.shutdown().await;
        }
    }
}

impl TargetArgs {
    /// Validates the flags, starts the embedded sandbox when there is no `--base-url`
    /// (with `sandbox_config` — tests pass a mutant here), and checks the target answers
    /// `GET /health` (no answer → exit 3).
    pub async fn resolve(
        &self,
        sandbox_config: SandboxConfig,
    ) -> Result<ResolvedTarget, GateError> {
        let (target, embedded) = match &self.base_url {
            Some(url) => (self.explicit_target(url)?, None),
            None => {
                let sb = sandbox::start(sandbox_config).await.map_err(|e| {
                    GateError::Config(format!("cannot start the embedded sandbox: {e:#}"))
                })?;
                let target = Target {
                    base_url: sb.base_url().to_string(),
                    agent_id: sb.agent_id().to_string(),
                    api_key: Secret::new(sb.api_key()),
                    admin_token: Some(Secret::new(sb.admin_token())),
                };
                (target, Some(sb))
            }
        };
        let client = GateClient::new(target, self.timeout)
            .map_err(|e| GateError::Config(format!("cannot build the HTTP client: {e:#}")))?;
        preflight(&client).await?;
        let real_orders_allowed = client.target().is_loopback() || self.allow_spend;
        Ok(ResolvedTarget {
            spend: SpendGuard::new(real_orders_allowed, self.max_spend),
            client,
            embedded,
        })
    }

    fn explicit_target(&self, url: &str) -> Result<Target, GateError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| GateError::Config(format!("--base-url `{url}` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(GateError::Config(format!(
                "--base-url `{url}` must be http:// or https://"
            )));
        }
        let agent_id = self.agent_id.clone().ok_or_else(|| {
            GateError::Config("--agent-id is required with --base-url".to_string())
        })?;
        if uuid::Uuid::parse_str(&agent_id).is_err() {
            return Err(GateError::Config(format!(
                "--agent-id `{agent_id}` is not a UUID"
            )));
        }
        let api_key = self.api_key.clone().ok_or_else(|| {
            GateError::Config(
                "an API key is required with --base-url: set GATECHECK_API_KEY or pass --api-key"
                    .to_string(),
            )
        })?;
        Ok(Target {
            base_url: url.trim_end_matches('/').to_string(),
            agent_id: agent_id.to_ascii_lowercase(),
            api_key: Secret::new(api_key),
            admin_token: self.admin_token.clone().map(Secret::new),
        })
    }
}

/// `GET /health`: any HTTP answer means reachable (its correctness is a check's job).
async fn preflight(client: &GateClient) -> Result<(), GateError> {
    client
        .get("/health")
        .auth(crate::client::Auth::None)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| GateError::Unreachable(e.to_string()))
}
