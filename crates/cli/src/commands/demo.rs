//! `tasknet demo`: the scenario of `tasknet-demo` on an embedded chain, with
//! a round-by-round table and a verdict on whether cheating paid.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use tasknet_demo::{DemoConfig, DemoReport, Role};
use tasknet_sdk::amount::LAMPORTS_PER_SOL;

use crate::context::CliError;

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    _signer: crate::context::UnusedSignerFlags,
    /// Honest nodes.
    #[arg(short = 'n', long, default_value_t = 3)]
    honest: usize,
    /// Cheaters (alternately a copier and a liar).
    #[arg(short = 'c', long, default_value_t = 2)]
    cheaters: usize,
    /// Rounds to run.
    #[arg(short = 'r', long, default_value_t = 3)]
    rounds: u64,
    /// Milliseconds per slot on the embedded chain (with `--url`, the
    /// cluster's own slot time applies).
    #[arg(long, default_value_t = 50)]
    slot_ms: u64,
}

/// Runs the demo (on an embedded chain, or on the cluster at `url`) and
/// prints its report; true if its check passed.
pub async fn run(args: DemoArgs, url: Option<String>) -> Result<bool, CliError> {
    let mut out = std::io::stdout();
    let config = DemoConfig {
        honest: args.honest,
        cheaters: args.cheaters,
        rounds: args.rounds,
        slot_duration: Duration::from_millis(args.slot_ms),
        url,
    };
    let report = tasknet_demo::run(config.clone()).await?;
    out.write_all(render(&report, &config).as_bytes())?;
    Ok(report.problems.is_empty())
}

fn sol(lamports: u64) -> String {
    format!("{:.4}", lamports as f64 / LAMPORTS_PER_SOL as f64)
}

fn render(report: &DemoReport, config: &DemoConfig) -> String {
    let cheaters: Vec<&str> = report
        .nodes
        .iter()
        .filter(|n| n.role != Role::Honest)
        .map(|n| n.role.name())
        .collect();
    let mut out = format!(
        "tasknet demo: {} honest node(s), {} cheater(s) [{}], {} round(s), commit-reveal on\n",
        config.honest,
        config.cheaters,
        cheaters.join(", "),
        config.rounds
    );
    let chain = if report.embedded {
        "embedded local chain"
    } else {
        "cluster"
    };
    out += &format!("{chain} at {}; task {}\n\n", report.url, report.task);
    out += &render_rounds(report);
    out += &render_nodes(report);
    out += "\n";
    if report.problems.is_empty() {
        out += "check passed: every honest node was paid every round; cheating did not pay\n";
    }
    for p in &report.problems {
        out += &format!("check FAILED: {p}\n");
    }
    out
}

fn render_rounds(report: &DemoReport) -> String {
    let mut out = format!(
        "{:>5}  {:>9}  {:>8}  {:>10}  {:>7}  {:>12}  {:>10}  {:>10}\n",
        "round",
        "submitted",
        "revealed",
        "challenges",
        "invalid",
        "slashed SOL",
        "pool SOL",
        "paid SOL"
    );
    for r in &report.rounds {
        out += &format!(
            "{:>5}  {:>9}  {:>8}  {:>10}  {:>7}  {:>12}  {:>10}  {:>10}\n",
            r.round,
            r.submissions,
            r.revealed,
            r.challenges,
            r.invalid,
            sol(r.slashed),
            sol(r.pool),
            sol(r.paid)
        );
    }
    out
}

fn render_nodes(report: &DemoReport) -> String {
    let mut out = format!(
        "\n{:<44}  {:<10}  {:>11}  {:>10}  {:>11}  {:>11}\n",
        "node", "role", "rounds paid", "earned SOL", "slashed SOL", "balance SOL"
    );
    for n in &report.nodes {
        out += &format!(
            "{:<44}  {:<10}  {:>11}  {:>10}  {:>11}  {:>11}\n",
            n.node.to_string(),
            n.role.name(),
            n.rounds_paid,
            sol(n.earned),
            sol(n.slashed),
            sol(n.balance)
        );
    }
    out
}
