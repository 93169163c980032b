//! The `tasknet` command.

use std::process::ExitCode;

use clap::Parser;
use tasknet_cli::commands::{self, node::NodeCommand, task::TaskCommand, Command};
use tasknet_cli::config::cluster_url;
use tasknet_cli::context::{Format, Global};
use tasknet_cli::output::Output;
use tasknet_cli::{CliError, Ctx};

#[derive(Parser)]
#[command(
    name = "tasknet",
    version,
    about = "Pay a network of nodes to run code, audit each other and settle on Solana",
    arg_required_else_help = true
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
        // Its expected refusals (the copier's reveals) are explained in the
        // report rather than logged as warnings.
        Command::Demo(_) => Some("error"),
        Command::Localnet(_) | Command::Explore(_) => Some("info"),
        Command::Node {
            command: NodeCommand::Run(_),
        } => Some("info"),
        _ => None,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Clap's errors are printed whole (the argument, the problem, a "did
    // you mean" tip, the usage) with exit code 2; help and version exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
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
            let message = e.to_string().replace('\n', " ");
            if json {
                // A script reading JSON gets JSON, on stderr like the text.
                eprintln!("{}", serde_json::json!({ "error": message }));
            } else {
                eprintln!("error: {message}");
            }
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
            let json = global.output == Format::Json;
            if !commands::demo::run(args, url, json).await? {
                return Err(Failure::CheckFailed);
            }
            None
        }
        Command::Localnet(args) => {
            commands::localnet::run(args).await?;
            None
        }
        Command::Explore(args) => {
            commands::explore::run(&ctx()?, args).await?;
            None
        }
        Command::Keygen(args) => Some(Output::record(&commands::keygen::run(args)?)),
        Command::Airdrop(args) => Some(Output::record(
            &commands::airdrop::run(&ctx()?, args).await?,
        )),
        Command::Balance(args) => Some(Output::record(
            &commands::balance::run(&ctx()?, args).await?,
        )),
        Command::Task {
            command: TaskCommand::Test(args),
        } => {
            let json = global.output == Format::Json;
            if !commands::trial::run(args, json)? {
                return Err(Failure::CheckFailed);
            }
            None
        }
        Command::Task {
            command: TaskCommand::New(args),
        } => Some(Output::record(&commands::scaffold::run(args)?)),
        Command::Task { command } => Some(command.run(&ctx()?).await?),
        Command::Token { command } => Some(command.run(&ctx()?).await?),
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

    /// Every command's arguments, with the command's path.
    fn arguments(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Arg)>) {
        for arg in command.get_arguments() {
            out.push((path.clone(), arg.clone()));
        }
        for sub in command.get_subcommands() {
            arguments(sub, format!("{path} {}", sub.get_name()), out);
        }
    }

    /// Every flag and argument says what it is, and a number says its unit.
    #[test]
    fn every_argument_is_described_with_its_unit() {
        let mut all = Vec::new();
        use clap::CommandFactory;
        let mut command = Cli::command();
        command.build();
        arguments(&command, "tasknet".into(), &mut all);
        let mut missing = Vec::new();
        for (path, arg) in &all {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") || arg.is_hide_set() {
                continue;
            }
            let help = arg
                .get_help()
                .map(|h| h.to_string().to_lowercase())
                .unwrap_or_default();
            let unit = if id.ends_with("slots") || id == "start_in" {
                Some("slots")
            } else if id.ends_with("bps") {
                Some("basis points")
            } else if matches!(
                id,
                "amount" | "reward" | "min_stake" | "challenge_bond" | "fund"
            ) {
                Some("sol")
            } else if id.ends_with("_ms") || id == "slot_ms" {
                Some("illiseconds")
            } else if id == "round" {
                Some("round")
            } else if id == "task" || id == "tasks" {
                Some("address")
            } else {
                None
            };
            let described = !help.trim().is_empty() && unit.is_none_or(|u| help.contains(u));
            if !described {
                missing.push(format!("{path} <{id}>: {help:?} (wants {unit:?})"));
            }
        }
        assert!(missing.is_empty(), "undescribed: {missing:#?}");
        assert!(all.len() > 60, "walked {} arguments", all.len());
    }
}
