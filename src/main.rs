use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use gatecheck::cli::Cli;
use gatecheck::engine::output;
use gatecheck::Exit;

fn main() -> ExitCode {
    // Before anything can print: every secret the process was given is masked in every
    // output, including a clap error that echoes an argument.
    output::register_process_secrets(std::env::args());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    let _ = write!(output::stdout(), "{text}");
                    return ExitCode::SUCCESS;
                }
                _ => Exit::Usage,
            };
            let _ = write!(output::stderr(), "{text}");
            return code.into();
        }
    };
    init_logging(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                output::stderr(),
                "gatecheck: cannot start the async runtime: {e}"
            );
            return Exit::Usage.into();
        }
    };
    match runtime.block_on(gatecheck::run(cli)) {
        Ok(exit) => exit.into(),
        Err(e) => {
            let _ = writeln!(output::stderr(), "gatecheck: {e:#}");
            e.exit().into()
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(output::stderr)
        .try_init();
}
