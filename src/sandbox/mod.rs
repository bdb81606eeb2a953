//! The embedded Gate API sandbox (placeholder API: being built in issue 2).
pub mod cli;

use std::time::Duration;

/// Sandbox settings (placeholder).
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    pub complete_after: Duration,
}

/// A running sandbox (placeholder).
pub struct SandboxHandle {
    base_url: String,
}

impl SandboxHandle {
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    pub fn agent_id(&self) -> &str {
        ""
    }
    pub fn api_key(&self) -> &str {
        ""
    }
    pub fn admin_token(&self) -> &str {
        ""
    }
    pub async fn shutdown(self) {}
}

/// Starts the sandbox (placeholder: not built yet).
pub async fn start(_config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
    anyhow::bail!("the sandbox is not built yet")
}
