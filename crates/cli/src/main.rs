//! The `tasknet` command.

use std::process::ExitCode;

use clap::Parser;
use tasknet_cli::commands::{self, node::NodeCommand, Command};
use tasknet_cli::config::cluster_url;
use tasknet_cli::context::{Format, Global};
use tasknet_cli::output::Output;
use tasknet_cli::{CliError, Ctx};

#[derive(Parser)]
#[command(
    name = "tasknet",
    version,
    about = "Pay a network of nodes to run code, audit each other and settle on Solana"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

fn init_logging(default: &str) {
    // tarpc (inside the embedded bank) warns on every request about tracing
    // contexts; that is noise to a user.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},tarpc=error")));
    // Colours only for a terminal: a log file gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
}

/// Long-running commands log; the others print one result.
fn log_level(command: &Command) -> Option<&'static str> {
    match command {
        Command::Demo(_) => Some("warn"),
        Command::Localnet(_) => Some("info"),
        Command::Node {
            command: NodeCommand::Run(_),
        } => Some("info"),
        _ => None,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // One line: clap's first line names the argument and the problem.
            let text = e.to_string();
            eprintln!(
                "{}",
                text.lines().next().unwrap_or("error: invalid arguments")
            );
            return ExitCode::from(2);
        }
    };
    if let Some(level) = log_level(&cli.command) {
        init_logging(level);
    }
    let json = cli.global.output == Format::Json;
    match run(cli.command, &cli.global).await {
        Ok(Some(output)) => {
            print!("{}", output.render(json));
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(Failure::CheckFailed) => ExitCode::FAILURE,
        Err(Failure::Error(e)) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    /// The demo ran and reported its problems itself.
    CheckFailed,
    Error(CliError),
}

impl<E: Into<CliError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.into())
    }
}

/// Runs one command; `None` when it printed or logged its own output.
async fn run(command: Command, global: &Global) -> Result<Option<Output>, Failure> {
    let ctx = || Ctx::from_flags(global);
    Ok(match command {
        Command::Demo(args) => {
            // Only an explicit --url: the demo's default is its own chain,
            // whatever the Solana CLI config says.
            let url = global.url.as_deref().map(cluster_url);
            if !commands::demo::run(args, url).await? {
                return Err(Failure::CheckFailed);
            }
            None
        }
        Command::Localnet(args) => {
            commands::localnet::run(args).await?;
            None
        }
        Command::Keygen(args) => Some(Output::record(&commands::keygen::run(args)?)),
        Command::Airdrop(args) => Some(Output::record(
            &commands::airdrop::run(&ctx()?, args).await?,
        )),
        Command::Task { command } => Some(command.run(&ctx()?).await?),
        Command::Node { command } => command.run(&ctx()?).await?,
        Command::Round { command } => Some(command.run(&ctx()?).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clap's own consistency checks (unique flags, valid defaults) for
    /// every subcommand, which otherwise only fire when one is used.
    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
