//! Runs a certification [`Plan`]: health, contract, invariants, load — in that order —
//! into one `RunReport`, writes report.json, junit.xml and report.html, prints the console
//! report, and returns the exit code (0 certified, 1 not certified, 2 config, 3 unreachable).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use super::config::Phase;
use super::plan::{CertifyArgs, OutputFormat, Plan, DEFAULT_SCENARIO};
use super::progress::PhaseProgress;
use crate::apis::gate::contract::{self, ContractOptions};
use crate::apis::gate::invariants::{self, InvariantOptions};
use crate::apis::gate::load::{self, LoadPlan, Progress};
use crate::apis::gate::sandbox::SandboxConfig;
use crate::apis::wallet::contract::WalletContractOptions;
use crate::apis::ApiName;
use crate::engine::client::{ExchangeJournal, PacingSummary};
use crate::engine::exit::FileError;
use crate::engine::load::plan::LoadSettings;
use crate::engine::model::{
    now_rfc3339, CheckResult, PhaseReport, RunReport, Severity, TargetInfo, Verdict,
};
use crate::engine::report::baseline::{self, Comparison};
use crate::engine::report::{self, ConsoleOptions, Format, HarWriter, Verbosity};
use crate::engine::schema::openapi::OpenApi;
use crate::engine::schema::SchemaSet;
use crate::engine::target::{EmbeddedLauncher, ResolvedTarget};
use crate::{Exit, GateError};

/// `gatecheck certify`.
pub async fn run(args: CertifyArgs) -> Result<Exit, GateError> {
    run_with(args, SandboxConfig::default()).await
}

/// What stops a certification outside any phase (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start the HAR: {0}")]
    StartHar(#[source] report::ReportError),
    #[error("cannot write the HAR: {0}")]
    FinishHar(#[source] report::ReportError),
    #[error("cannot write the reports: {0:#}")]
    Reports(anyhow::Error),
    /// An API is certified but its OpenAPI document was not loaded (a gatecheck bug).
    #[error("no {0:?} OpenAPI document")]
    NoOpenApi(ApiName),
    /// The load phase was planned for one API but not the other (a gatecheck bug).
    #[error("no load plan for the {0:?} load phase")]
    NoLoadPlan(ApiName),
}

crate::engine::exit::layer_errors!(RunError);

/// `gatecheck certify` with a chosen embedded-sandbox configuration (tests pass a mutant).
pub async fn run_with(args: CertifyArgs, sandbox: SandboxConfig) -> Result<Exit, GateError> {
    let plan = args.plan(&|name| std::env::var(name).ok())?;
    // A baseline that cannot be read is refused before any request is sent.
    let baseline = plan
        .baseline
        .as_deref()
        .map(|path| baseline::read_baseline(path).map(|report| (path, report)))
        .transpose()?;
    let har = if plan.har {
        let writer =
            HarWriter::create(&plan.out, env!("CARGO_PKG_VERSION")).map_err(RunError::StartHar)?;
        Some(writer)
    } else {
        None
    };
    let outcome = certify_recorded(&plan, sandbox, har.clone()).await?;
    let har_file = har
        .map(|writer| writer.finish())
        .transpose()
        .map_err(RunError::FinishHar)?;
    let comparison = baseline.map(|(path, report)| {
        Comparison::of(
            &path.display().to_string(),
            &report,
            &outcome.report,
            plan.tolerance,
        )
    });
    emit(
        &plan,
        &outcome.report,
        comparison.as_ref(),
        har_file.as_ref(),
    )?;
    // The target answered the preflight, so nothing after it is exit 3: a phase it broke
    // is a failed check (exit 1), and the phases after it still ran. A phase the run's
    // configuration stopped is a failed check too, and exit 2.
    Ok(if outcome.misconfigured {
        use std::io::Write as _;
        let _ = writeln!(
            crate::engine::output::stderr(),
            "gatecheck: a phase was stopped by the run's configuration (its `.completed` check says how): exit 2"
        );
        Exit::Usage
    } else if let Some(comparison) = &comparison {
        // Gating on regressions only: a failure the baseline had too passes.
        baseline::cli::exit_of(comparison)
    } else if outcome.report.verdict() == Verdict::Pass {
        Exit::Pass
    } else {
        Exit::Violations
    })
}

/// A finished certification.
pub struct Outcome {
    pub report: RunReport,
    /// A phase was stopped by the run's configuration (an admin token the target does
    /// not take, say): the report shows it, and the exit code is 2 whatever the verdict.
    pub misconfigured: bool,
}

/// Runs the plan's phases against the target, for each API of the plan, writing no file.
/// Configuration problems (schemas, scenario, flags) are found before any request is sent.
pub async fn certify(plan: &Plan, sandbox: SandboxConfig) -> Result<Outcome, GateError> {
    certify_recorded(plan, sandbox, None).await
}

/// [`certify`], every exchange also kept in `har` (one page per phase); each finding's
/// evidence then cites its HAR entry.
pub async fn certify_recorded(
    plan: &Plan,
    sandbox: SandboxConfig,
    har: Option<Arc<HarWriter>>,
) -> Result<Outcome, GateError> {
    let wallet = crate::sandbox::Launcher {
        config: crate::sandbox::SandboxConfig::from(sandbox.clone()),
        api: ApiName::Wallet,
    };
    certify_with(plan, sandbox, &wallet, har).await
}

/// [`certify_recorded`] with the Wallet's embedded-sandbox launcher chosen too (tests pass
/// mutants).
pub async fn certify_with(
    plan: &Plan,
    sandbox: SandboxConfig,
    wallet: &dyn EmbeddedLauncher,
    har: Option<Arc<HarWriter>>,
) -> Result<Outcome, GateError> {
    let schemas = match &plan.schemas {
        Some(dir) => SchemaSet::load_dir(&crate::apis::gate::schemas::BUNDLE, dir),
        None => SchemaSet::embedded(&crate::apis::gate::schemas::BUNDLE),
    }?;
    let gate_openapi = if plan.apis.contains(&ApiName::Gate) {
        Some(crate::apis::gate::openapi(plan.schemas.as_deref())?)
    } else {
        None
    };
    let wallet_openapi = if plan.apis.contains(&ApiName::Wallet) {
        Some(crate::apis::wallet::openapi(
            plan.schemas
                .as_deref()
                .map(|d| d.join("wallet"))
                .as_deref()
                .filter(|d| d.exists()),
        )?)
    } else {
        None
    };
    let load_plan = if plan.phases.contains(&Phase::Load) && plan.apis.contains(&ApiName::Gate) {
        Some(load_plan(plan)?)
    } else {
        None
    };
    let wallet_load = if plan.phases.contains(&Phase::Load) && plan.apis.contains(&ApiName::Wallet)
    {
        Some(wallet_load_plan(plan)?)
    } else {
        None
    };

    let started_at = now_rfc3339();
    let progress = PhaseProgress::new(plan.quiet || plan.format == OutputFormat::Json);
    let mut phases = Vec::new();
    let mut target = None;
    let mut pacing: Option<PacingSummary> = None;
    let mut misconfigured = false;
    for api in &plan.apis {
        let section = match api {
            ApiName::Gate => {
                let openapi = gate_openapi
                    .as_ref()
                    .ok_or(RunError::NoOpenApi(ApiName::Gate))?;
                gate_section(
                    plan,
                    &sandbox,
                    (&schemas, openapi),
                    load_plan.clone(),
                    &progress,
                    har.as_ref(),
                )
                .await?
            }
            ApiName::Wallet => {
                let openapi = wallet_openapi
                    .as_ref()
                    .ok_or(RunError::NoOpenApi(ApiName::Wallet))?;
                wallet_section(
                    plan,
                    wallet,
                    openapi,
                    wallet_load.clone(),
                    &progress,
                    har.as_ref(),
                )
                .await?
            }
        };
        phases.extend(section.phases);
        target.get_or_insert(section.target);
        pacing = pacing.or(section.pacing);
        misconfigured |= section.misconfigured;
    }
    let target = target.unwrap_or(TargetInfo {
        base_url: plan.target.base_url.clone().unwrap_or_default(),
        identity: Default::default(),
        embedded_sandbox: plan.target.base_url.is_none(),
    });
    let mut report = RunReport::new("certify", target, started_at, phases);
    report.schema_version = schemas.version().to_string();
    report.pacing = pacing;
    Ok(Outcome {
        report,
        misconfigured,
    })
}

/// The Gate's schemas and OpenAPI document, loaded once for the run.
type Documents<'a> = (&'a SchemaSet, &'a Arc<OpenApi>);

/// One API's part of the report.
struct Section {
    phases: Vec<PhaseReport>,
    target: TargetInfo,
    /// What client-side pacing did, when anything.
    pacing: Option<PacingSummary>,
    /// A phase was stopped by the run's configuration (exit 2), not by the target.
    misconfigured: bool,
}

/// The target flags, with the run's HAR journal when there is one (the preflight opens it).
fn journalled(plan: &Plan, har: Option<&Arc<HarWriter>>) -> crate::engine::target::TargetArgs {
    let mut target_args = plan.target.clone();
    if let Some(har) = har {
        har.begin_page("preflight");
        let journal: Arc<dyn ExchangeJournal> = har.clone();
        target_args.journal = Some(journal);
    }
    target_args
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
    documents: Documents<'_>,
    load_plan: Option<LoadPlan>,
    progress: &PhaseProgress,
    har: Option<&Arc<HarWriter>>,
) -> Result<Section, GateError> {
    let resolved = journalled(plan, har)
        .resolve(&crate::apis::gate::GATE, sandbox)
        .await?;
    let mut phases = Vec::new();
    let mut misconfigured = false;
    for (index, phase) in plan.phases.iter().enumerate() {
        progress.start(index, plan.phases.len(), *phase);
        if let Some(har) = &har {
            har.begin_page(phase.name());
        }
        let clock = Instant::now();
        let result = run_phase(*phase, plan, &resolved, documents, load_plan.clone()).await;
        let mut report = match result {
            Ok(report) => report,
            Err(e) => {
                misconfigured |= e.exit() == Exit::Usage;
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
    }
    let target = target_info(&resolved);
    let pacing = Some(resolved.client.pacer().summary());
    resolved.shutdown().await;
    Ok(Section {
        phases,
        target,
        pacing,
        misconfigured,
    })
}

/// The Wallet's phases, named `wallet <phase>`: contract, invariants and load. The Wallet
/// has no health endpoint (its reachability is the resolution's preflight).
async fn wallet_section(
    plan: &Plan,
    launcher: &dyn EmbeddedLauncher,
    openapi: &Arc<OpenApi>,
    load_plan: Option<crate::apis::wallet::load::LoadPlan>,
    progress: &PhaseProgress,
    har: Option<&Arc<HarWriter>>,
) -> Result<Section, GateError> {
    let resolved = journalled(plan, har)
        .resolve(&crate::apis::wallet::WALLET, launcher)
        .await?;
    let mut phases = Vec::new();
    let mut misconfigured = false;
    let wallet_phases: Vec<Phase> = plan
        .phases
        .iter()
        .copied()
        .filter(|p| *p != Phase::Health)
        .collect();
    for (index, phase) in wallet_phases.iter().enumerate() {
        progress.start(index, wallet_phases.len(), *phase);
        if let Some(har) = har {
            har.begin_page(&format!("wallet {}", phase.name()));
        }
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
            Phase::Invariants => {
                let mut opts = crate::apis::wallet::invariants::InvariantOptions {
                    cases: crate::apis::wallet::invariants::DEFAULT_CASES,
                    ..Default::default()
                };
                if let Some(cases) = plan.cases {
                    opts.cases = cases;
                }
                opts.seed = plan.seed;
                crate::apis::wallet::invariants::run(&opts, &resolved).await
            }
            Phase::Load => match load_plan.clone() {
                Some(load_plan) => {
                    match crate::apis::wallet::load::refusal(&load_plan, &resolved) {
                        // No real money without consent: skipped, not failed.
                        Some(reason) => Ok(PhaseReport {
                            name: "load".to_string(),
                            checks: vec![CheckResult::skipped(
                                "wallet.load.authorizations",
                                "§5 Operations",
                                "Wallet load: authorize → poll → capture → refund",
                                Severity::Should,
                                reason.to_string(),
                            )],
                            load: None,
                            duration_ms: 0,
                        }),
                        None => crate::apis::wallet::load::run(
                            load_plan,
                            &resolved,
                            load_progress(plan),
                        )
                        .await
                        .map(|run| load_phase(run.summary)),
                    }
                }
                None => Err(RunError::NoLoadPlan(ApiName::Wallet).into()),
            },
            Phase::Health => continue,
        };
        let mut report = match result {
            Ok(report) => report,
            Err(e) => {
                misconfigured |= e.exit() == Exit::Usage;
                phase_error(*phase, &e)
            }
        };
        report.name = format!("wallet {}", report.name);
        report.duration_ms = clock.elapsed().as_millis() as u64;
        progress.finish(&report);
        phases.push(report);
    }
    let target = target_info(&resolved);
    let pacing = Some(resolved.client.pacer().summary());
    resolved.shutdown().await;
    Ok(Section {
        phases,
        target,
        pacing,
        misconfigured,
    })
}

/// The progress bar of a load phase, unless the output is quiet or JSON.
fn load_progress(plan: &Plan) -> Progress {
    if plan.quiet || plan.format == OutputFormat::Json {
        Progress::Hidden
    } else {
        Progress::Bar
    }
}

/// A load run as a phase of the report.
fn load_phase(summary: crate::engine::model::LoadSummary) -> PhaseReport {
    PhaseReport {
        name: "load".to_string(),
        checks: Vec::new(),
        load: Some(summary),
        duration_ms: 0,
    }
}

async fn run_phase(
    phase: Phase,
    plan: &Plan,
    resolved: &ResolvedTarget,
    (schemas, openapi): Documents<'_>,
    load_plan: Option<LoadPlan>,
) -> Result<PhaseReport, GateError> {
    match phase {
        Phase::Health => Ok(health_phase(resolved, schemas, openapi).await),
        Phase::Contract => {
            contract::run(&ContractOptions::default(), resolved, schemas, openapi).await
        }
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
                return Err(RunError::NoLoadPlan(ApiName::Gate).into());
            };
            let run = load::run(load_plan, resolved, load_progress(plan)).await?;
            Ok(load_phase(run.summary))
        }
    }
}

/// The health phase: the contract's `/health` checks (§8) on their own.
async fn health_phase(
    resolved: &ResolvedTarget,
    schemas: &SchemaSet,
    openapi: &Arc<OpenApi>,
) -> PhaseReport {
    let checks = contract::health_checks(resolved, schemas, openapi).await;
    PhaseReport {
        name: "health".to_string(),
        checks,
        load: None,
        duration_ms: 0,
    }
}

/// A phase that could not run to its end is a failed check with the reason.
fn phase_error(phase: Phase, error: &GateError) -> PhaseReport {
    PhaseReport::stopped(phase.name(), error)
}

fn load_plan(plan: &Plan) -> Result<LoadPlan, GateError> {
    let scenario_path = match &plan.scenario {
        Some(path) => path.clone(),
        // The built-in storefront mix, written beside the reports so the run is
        // reproducible with `gatecheck load --scenario`.
        None => write_scenario(plan, "scenario-mixed.toml", DEFAULT_SCENARIO)?,
    };
    load::cli::plan(
        &load_settings(plan, scenario_path, plan.thresholds.clone()),
        Some(plan.out.clone()),
    )
}

/// The Wallet's load plan: `--scenario` when only the Wallet is certified, else the
/// built-in `scenarios/wallet.toml` (written beside the reports). With the Gate in the
/// same run, the thresholds naming a Gate transaction are the Gate's only.
fn wallet_load_plan(plan: &Plan) -> Result<crate::apis::wallet::load::LoadPlan, GateError> {
    let wallet_only = plan.apis == [ApiName::Wallet];
    let scenario_path = match (&plan.scenario, wallet_only) {
        (Some(path), true) => path.clone(),
        _ => write_scenario(
            plan,
            "scenario-wallet.toml",
            crate::apis::wallet::load::scenario::EMBEDDED[0].1,
        )?,
    };
    let thresholds = if wallet_only {
        plan.thresholds.clone()
    } else {
        let scenario = crate::apis::wallet::load::scenario::load_file(&scenario_path)?;
        plan.thresholds
            .iter()
            .filter(|rule| {
                rule.parse::<crate::engine::load::Threshold>()
                    .ok()
                    .and_then(|t| t.transaction)
                    .is_none_or(|name| scenario.transactions.iter().any(|t| t.name == name))
            })
            .cloned()
            .collect()
    };
    let mut args = load_settings(plan, scenario_path, thresholds);
    // The Wallet's schemas are the `wallet/` folder of --schemas, when it has one.
    args.schemas = plan
        .schemas
        .as_deref()
        .map(|d| d.join("wallet"))
        .filter(|d| d.exists());
    crate::apis::wallet::load::cli::plan(&args, Some(plan.out.join("wallet")))
}

/// A built-in scenario written into the report folder.
fn write_scenario(plan: &Plan, name: &str, text: &str) -> Result<std::path::PathBuf, GateError> {
    std::fs::create_dir_all(&plan.out).map_err(|e| FileError::create(&plan.out, e))?;
    let path = plan.out.join(name);
    crate::engine::output::write_file(&path, text).map_err(|e| FileError::write(&path, e))?;
    Ok(path)
}

/// What a certification's load phase asks of a load run.
fn load_settings(
    plan: &Plan,
    scenario: std::path::PathBuf,
    thresholds: Vec<String>,
) -> LoadSettings {
    LoadSettings {
        users: plan.users,
        run_time: Some(plan.run_time),
        rate: plan.rate,
        thresholds,
        schemas: plan.schemas.clone(),
        ..LoadSettings::new(scenario, plan.target.timeout)
    }
}

/// Writes the three report files and prints the result on stdout.
fn emit(
    plan: &Plan,
    report: &RunReport,
    comparison: Option<&Comparison>,
    har: Option<&report::HarSummary>,
) -> Result<(), GateError> {
    let mut files = report::write_files_compared(report, comparison, &plan.out, &Format::ALL)
        .map_err(RunError::Reports)?;
    files.extend(har.map(|h| h.path.clone()));
    let stdout = std::io::stdout();
    let mut out = crate::engine::output::stdout();
    match plan.format {
        OutputFormat::Json => report::write_json_compared(report, comparison, &mut out)
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
            if let Some(comparison) = comparison {
                let palette = report::style::Palette::new(options.color);
                let _ = writeln!(out, "\n{}", baseline::render::text(comparison, &palette));
            }
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
