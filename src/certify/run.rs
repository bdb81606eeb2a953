//! Runs a certification [`Plan`]: health, contract, invariants, load — in that order —
//! into one `RunReport`, writes report.json, junit.xml and report.html, prints the console
//! report, and returns the exit code (0 certified, 1 not certified, 2 config, 3 unreachable).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::config::Phase;
use super::plan::{CertifyArgs, OutputFormat, Plan, DEFAULT_SCENARIO};
use super::progress::PhaseProgress;
use crate::apis::gate::contract::{self, ContractOptions};
use crate::apis::gate::invariants::{self, InvariantOptions};
use crate::apis::gate::load::{self, cli::LoadArgs, LoadPlan, Progress};
use crate::apis::gate::sandbox::SandboxConfig;
use crate::apis::wallet::contract::WalletContractOptions;
use crate::apis::ApiName;
use crate::engine::model::{
    CheckResult, Finding, PhaseReport, RunReport, Severity, TargetInfo, Verdict,
};
use crate::engine::report::{self, ConsoleOptions, Format, Verbosity};
use crate::engine::schema::openapi::OpenApi;
use crate::engine::schema::SchemaSet;
use crate::engine::target::{EmbeddedLauncher, ResolvedTarget};
use crate::{Exit, GateError};

/// `gatecheck certify`.
pub async fn run(args: CertifyArgs) -> Result<Exit, GateError> {
    run_with(args, SandboxConfig::default()).await
}

/// `gatecheck certify` with a chosen embedded-sandbox configuration (tests pass a mutant).
pub async fn run_with(args: CertifyArgs, sandbox: SandboxConfig) -> Result<Exit, GateError> {
    let plan = args.plan(&|name| std::env::var(name).ok())?;
    let outcome = certify(&plan, sandbox).await?;
    emit(&plan, &outcome.report)?;
    Ok(if outcome.unreachable {
        Exit::Unreachable
    } else if outcome.report.verdict() == Verdict::Pass {
        Exit::Pass
    } else {
        Exit::Violations
    })
}

/// A finished certification.
pub struct Outcome {
    pub report: RunReport,
    /// The target stopped answering during a phase (the report is still complete up to it).
    pub unreachable: bool,
}

/// Runs the plan's phases against the target, for each API of the plan. Configuration
/// problems (schemas, scenario, flags) are found before any request is sent.
pub async fn certify(plan: &Plan, sandbox: SandboxConfig) -> Result<Outcome, GateError> {
    let wallet = crate::sandbox::Launcher {
        config: crate::sandbox::SandboxConfig::from(sandbox.clone()),
        api: ApiName::Wallet,
    };
    certify_with(plan, sandbox, &wallet).await
}

/// [`certify`] with the Wallet's embedded-sandbox launcher chosen too (tests pass mutants).
pub async fn certify_with(
    plan: &Plan,
    sandbox: SandboxConfig,
    wallet: &dyn EmbeddedLauncher,
) -> Result<Outcome, GateError> {
    let schemas = match &plan.schemas {
        Some(dir) => SchemaSet::load_dir(&crate::apis::gate::schemas::BUNDLE, dir),
        None => SchemaSet::embedded(&crate::apis::gate::schemas::BUNDLE),
    }
    .map_err(|e| GateError::Config(e.to_string()))?;
    let wallet_openapi = if plan.apis.contains(&ApiName::Wallet) {
        crate::apis::wallet::openapi(
            plan.schemas
                .as_deref()
                .map(|d| d.join("wallet"))
                .as_deref()
                .filter(|d| d.exists()),
        )?
    } else {
        None
    };
    let load_plan = if plan.phases.contains(&Phase::Load) && plan.apis.contains(&ApiName::Gate) {
        Some(load_plan(plan)?)
    } else {
        None
    };

    let started_at = now_rfc3339();
    let progress = PhaseProgress::new(plan.quiet || plan.format == OutputFormat::Json);
    let mut phases = Vec::new();
    let mut unreachable = false;
    let mut target = None;
    for api in &plan.apis {
        let section = match api {
            ApiName::Gate => {
                gate_section(plan, &sandbox, &schemas, load_plan.clone(), &progress).await?
            }
            ApiName::Wallet => {
                wallet_section(plan, wallet, wallet_openapi.as_ref(), &progress).await?
            }
        };
        phases.extend(section.phases);
        unreachable |= section.unreachable;
        target.get_or_insert(section.target);
        if unreachable {
            break;
        }
    }
    let report = RunReport {
        tool: "gatecheck".to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: schemas.version().to_string(),
        command: "certify".to_string(),
        target: target.unwrap_or(TargetInfo {
            base_url: plan.target.base_url.clone().unwrap_or_default(),
            identity: Default::default(),
            embedded_sandbox: plan.target.base_url.is_none(),
        }),
        started_at,
        finished_at: now_rfc3339(),
        phases,
    };
    Ok(Outcome {
        report,
        unreachable,
    })
}

/// One API's part of the report.
struct Section {
    phases: Vec<PhaseReport>,
    unreachable: bool,
    target: TargetInfo,
}

fn target_info(resolved: &ResolvedTarget) -> TargetInfo {
    TargetInfo {
        base_url: resolved.target().base_url.clone(),
        identity: crate::engine::model::identity_of(&resolved.target().identity),
        embedded_sandbox: resolved.embedded.is_some(),
    }
}

/// The Gate's phases, named as they always were (`health`, `contract`, …).
async fn gate_section(
    plan: &Plan,
    sandbox: &SandboxConfig,
    schemas: &SchemaSet,
    load_plan: Option<LoadPlan>,
    progress: &PhaseProgress,
) -> Result<Section, GateError> {
    let resolved = plan
        .target
        .resolve(&crate::apis::gate::GATE, sandbox)
        .await?;
    let mut phases = Vec::new();
    let mut unreachable = false;
    for (index, phase) in plan.phases.iter().enumerate() {
        progress.start(index, plan.phases.len(), *phase);
        let clock = Instant::now();
        let result = run_phase(*phase, plan, &resolved, schemas, load_plan.clone()).await;
        let mut report = match result {
            Ok(report) => report,
            Err(e) => {
                unreachable |= matches!(e, GateError::Unreachable(_));
                phase_error(*phase, &e)
            }
        };
        if *phase == Phase::Contract && plan.phases.contains(&Phase::Health) {
            // The health phase already reported these.
            report.checks.retain(|c| !c.id.starts_with("health."));
        }
        report.duration_ms = clock.elapsed().as_millis() as u64;
        progress.finish(&report);
        phases.push(report);
        if unreachable {
            break;
        }
    }
    let target = target_info(&resolved);
    resolved.shutdown().await;
    Ok(Section {
        phases,
        unreachable,
        target,
    })
}

/// The Wallet's phases, named `wallet <phase>`. The Wallet has no health endpoint (its
/// reachability is the resolution's preflight); its contract runs here.
async fn wallet_section(
    plan: &Plan,
    launcher: &dyn EmbeddedLauncher,
    openapi: Option<&OpenApi>,
    progress: &PhaseProgress,
) -> Result<Section, GateError> {
    let resolved = plan
        .target
        .resolve(&crate::apis::wallet::WALLET, launcher)
        .await?;
    let mut phases = Vec::new();
    let mut unreachable = false;
    let wallet_phases: Vec<Phase> = plan
        .phases
        .iter()
        .copied()
        .filter(|p| *p == Phase::Contract)
        .collect();
    for (index, phase) in wallet_phases.iter().enumerate() {
        progress.start(index, wallet_phases.len(), *phase);
        let clock = Instant::now();
        let result = match phase {
            Phase::Contract => {
                crate::apis::wallet::contract::run(
                    &WalletContractOptions::default(),
                    &resolved,
                    openapi,
                )
                .await
            }
            _ => continue,
        };
        let mut report = match result {
            Ok(report) => report,
            Err(e) => {
                unreachable |= matches!(e, GateError::Unreachable(_));
                phase_error(*phase, &e)
            }
        };
        report.name = format!("wallet {}", report.name);
        report.duration_ms = clock.elapsed().as_millis() as u64;
        progress.finish(&report);
        phases.push(report);
        if unreachable {
            break;
        }
    }
    let target = target_info(&resolved);
    resolved.shutdown().await;
    Ok(Section {
        phases,
        unreachable,
        target,
    })
}

async fn run_phase(
    phase: Phase,
    plan: &Plan,
    resolved: &ResolvedTarget,
    schemas: &SchemaSet,
    load_plan: Option<LoadPlan>,
) -> Result<PhaseReport, GateError> {
    match phase {
        Phase::Health => Ok(health_phase(resolved, schemas).await),
        Phase::Contract => contract::run(&ContractOptions::default(), resolved, schemas).await,
        Phase::Invariants => {
            let mut opts = InvariantOptions::default();
            if let Some(cases) = plan.cases {
                opts.cases = cases;
            }
            opts.seed = plan.seed;
            invariants::run(&opts, resolved).await
        }
        Phase::Load => {
            let Some(load_plan) = load_plan else {
                return Err(GateError::Config("no load plan".to_string()));
            };
            let progress = if plan.quiet || plan.format == OutputFormat::Json {
                Progress::Hidden
            } else {
                Progress::Bar
            };
            let run = load::run(load_plan, resolved, progress).await?;
            Ok(PhaseReport {
                name: "load".to_string(),
                checks: Vec::new(),
                load: Some(run.summary),
                duration_ms: 0,
            })
        }
    }
}

/// The health phase: the contract's `/health` checks (§8) on their own.
async fn health_phase(resolved: &ResolvedTarget, schemas: &SchemaSet) -> PhaseReport {
    let checks = contract::health_checks(resolved, schemas).await;
    PhaseReport {
        name: "health".to_string(),
        checks,
        load: None,
        duration_ms: 0,
    }
}

/// A phase that could not run to its end is a failed check with the reason.
fn phase_error(phase: Phase, error: &GateError) -> PhaseReport {
    let id = format!("{}.completed", phase.name());
    let finding = Finding {
        check: id.clone(),
        section: "—".to_string(),
        severity: Severity::Must,
        message: format!("the {} phase stopped: {error}", phase.name()),
        expected: "the phase runs to its end".to_string(),
        got: error.to_string(),
        exchange: None,
        reproduction: Vec::new(),
        seed: None,
    };
    PhaseReport {
        name: phase.name().to_string(),
        checks: vec![CheckResult::from_findings(
            id,
            "—",
            format!("the {} phase runs to its end", phase.name()),
            Severity::Must,
            vec![finding],
            0,
        )],
        load: None,
        duration_ms: 0,
    }
}

fn load_plan(plan: &Plan) -> Result<LoadPlan, GateError> {
    let scenario_path = match &plan.scenario {
        Some(path) => path.clone(),
        None => {
            // The built-in storefront mix, written beside the reports so the run is
            // reproducible with `gatecheck load --scenario`.
            std::fs::create_dir_all(&plan.out).map_err(|e| {
                GateError::Config(format!("cannot create {}: {e}", plan.out.display()))
            })?;
            let path = plan.out.join("scenario-mixed.toml");
            std::fs::write(&path, DEFAULT_SCENARIO)
                .map_err(|e| GateError::Config(format!("cannot write {}: {e}", path.display())))?;
            path
        }
    };
    let args = LoadArgs {
        scenario: scenario_path,
        users: plan.users,
        ramp: None,
        run_time: Some(plan.run_time),
        rate: plan.rate,
        validate_sample: 0.01,
        thresholds: plan.thresholds.clone(),
        only: Vec::new(),
        out: Some(plan.out.clone()),
        no_progress: plan.quiet,
        schemas: plan.schemas.clone(),
        no_goose_metrics: false,
        target: plan.target.clone(),
    };
    load::cli::plan(&args, Some(plan.out.clone()))
}

/// Writes the three report files and prints the result on stdout.
fn emit(plan: &Plan, report: &RunReport) -> Result<(), GateError> {
    let files = report::write_files(report, &plan.out, &Format::ALL)
        .map_err(|e| GateError::Config(format!("cannot write the reports: {e:#}")))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match plan.format {
        OutputFormat::Json => report::write_json(report, &mut out)
            .map_err(|e| GateError::Other(anyhow::anyhow!(e)))?,
        OutputFormat::Human => {
            let verbosity = if plan.quiet {
                Verbosity::Quiet
            } else {
                Verbosity::Normal
            };
            let options =
                ConsoleOptions::detect(verbosity, std::io::IsTerminal::is_terminal(&stdout));
            report::write_console(report, &mut out, &options)
                .map_err(|e| GateError::Other(anyhow::anyhow!(e)))?;
            if !plan.quiet {
                let _ = writeln!(out, "reports: {}", list_files(&files, &plan.out));
            }
        }
    }
    Ok(())
}

fn list_files(files: &[std::path::PathBuf], dir: &Path) -> String {
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    format!("{}/{{{}}}", dir.display(), names.join(", "))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
