//! `gatecheck sandbox`: flags → [`SandboxConfig`] (both APIs), the start banner (or the
//! `--json` line), then serve until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::engine::sandbox::faults::{
    parse_capacity, parse_duration, parse_fraction, parse_latency, parse_stall, CapacityFault,
};
use crate::engine::target::TargetError;
use crate::sandbox::{Faults, LatencyFault, Mutant, SandboxConfig, Stall, WalletMutant};
use crate::{Exit, GateError};

#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// The default agent's id (a UUID); random when absent.
    #[arg(long)]
    pub agent_id: Option<String>,

    /// The default agent's API key; random when absent.
    #[arg(long, env = "GATECHECK_SANDBOX_API_KEY")]
    pub api_key: Option<String>,

    /// The admin token for /_sandbox; random when absent.
    #[arg(long, env = "GATECHECK_SANDBOX_ADMIN_TOKEN")]
    pub admin_token: Option<String>,

    /// Print one JSON line {"base_url","agent_id","api_key","admin_token","merchant_id","merchant_api_key"} first on stdout.
    #[arg(long)]
    pub json: bool,

    /// SQLite file to keep state in (created when missing); in-memory when absent.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// How long an order stays pending (a wallet authorization NEW) before it completes
    /// (or fails, for `sandbox-fail` and phone numbers ending 0000).
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_duration)]
    pub complete_after: Duration,

    /// How long a `sandbox-slow` order stays pending (and a wallet `…1111` one PROCESSING).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub slow_after: Duration,

    /// Requests per API key per second; beyond it, 429 with Retry-After.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,

    /// Delay a fraction of requests: FRACTION:DURATION, e.g. 0.1:250ms.
    #[arg(long, value_name = "FRACTION:DURATION", value_parser = parse_latency)]
    pub inject_latency: Option<LatencyFault>,

    /// Answer a fraction of requests with 503 unavailable, e.g. 0.05.
    #[arg(long, value_name = "FRACTION", value_parser = parse_fraction)]
    pub inject_errors: Option<f64>,

    /// Stall every request for PERIOD once every EVERY: PERIOD/EVERY, e.g. 2s/30s.
    #[arg(long, value_name = "PERIOD/EVERY", value_parser = parse_stall)]
    pub stall: Option<Stall>,

    /// A known capacity for capacity tests: serve at most N requests at once, each for at
    /// least DURATION (capacity N / DURATION per second), e.g. 4:20ms = 200/s.
    #[arg(long, value_name = "N:DURATION", value_parser = parse_capacity)]
    pub capacity: Option<CapacityFault>,

    /// Test-only: start with one deliberate contract violation.
    #[arg(long, hide = true, value_name = "NAME")]
    pub mutant: Option<Mutant>,

    /// Test-only: start with one deliberate Wallet contract violation.
    #[arg(long, hide = true, value_name = "NAME")]
    pub wallet_mutant: Option<WalletMutant>,
}

impl SandboxArgs {
    pub fn config(&self) -> SandboxConfig {
        SandboxConfig {
            gate: self.gate_config(),
            wallet_mutant: self.wallet_mutant,
        }
    }

    fn gate_config(&self) -> crate::apis::gate::sandbox::SandboxConfig {
        crate::apis::gate::sandbox::SandboxConfig {
            addr: self.addr,
            db: self.db.clone(),
            agent_id: self.agent_id.clone(),
            api_key: self.api_key.clone(),
            admin_token: self.admin_token.clone(),
            complete_after: self.complete_after,
            slow_after: self.slow_after,
            rate_limit: self.rate_limit,
            faults: Faults {
                latency: self.inject_latency,
                errors: self.inject_errors,
                stall: self.stall,
                capacity: self.capacity,
            },
            mutant: self.mutant,
        }
    }
}

pub async fn run(args: SandboxArgs) -> Result<Exit, GateError> {
    let config = args.config();
    let sb = crate::sandbox::start(config.clone())
        .await
        .map_err(TargetError::Launch)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let line = serde_json::json!({
            "base_url": sb.base_url(),
            "agent_id": sb.agent_id(),
            "api_key": sb.api_key(),
            "admin_token": sb.admin_token(),
            "merchant_id": sb.merchant_id(),
            "merchant_api_key": sb.merchant_api_key(),
        });
        let _ = writeln!(out, "{line}");
    } else {
        let store = match &config.gate.db {
            Some(p) => format!("SQLite file {}", p.display()),
            None => "in memory (lost on exit)".into(),
        };
        let _ = writeln!(
            out,
            "gatecheck sandbox listening on {} (Gate API and Wallet API)\n  agent_id:         {}\n  api_key:          {}\n  admin_token:      {}\n  merchant_id:      {}\n  merchant_api_key: {}\n  store:            {}\n  orders and wallet authorizations complete after {:?} (sandbox-slow, …1111: {:?})\nPress Ctrl-C to stop.",
            sb.base_url(),
            sb.agent_id(),
            sb.api_key(),
            sb.admin_token(),
            sb.merchant_id(),
            sb.merchant_api_key(),
            store,
            config.gate.complete_after,
            config.gate.slow_after,
        );
        if let Some(m) = config.gate.mutant {
            let _ = writeln!(out, "  MUTANT: {m} (deliberately breaks the contract)");
        }
        if let Some(m) = config.wallet_mutant {
            let _ = writeln!(
                out,
                "  WALLET MUTANT: {m} (deliberately breaks the contract)"
            );
        }
    }
    let _ = out.flush();
    drop(out);
    wait_for_stop().await;
    sb.shutdown().await;
    Ok(Exit::Pass)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
