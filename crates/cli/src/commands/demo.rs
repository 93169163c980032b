//! `tasknet demo`: the scenario of `tasknet-demo` on an embedded chain, with
//! a round-by-round table and a verdict on whether cheating paid.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use sha2::Digest;
use tasknet_demo::{DemoConfig, DemoReport, Role};
use tasknet_sdk::amount::LAMPORTS_PER_SOL;

use crate::context::CliError;

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    _signer: crate::context::UnusedSignerFlags,
    /// Honest nodes (1 to 20): someone must do the work and audit.
    #[arg(short = 'n', long, default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=20))]
    honest: u64,
    /// Cheaters, alternately a copier and a liar (0 to 20).
    #[arg(short = 'c', long, default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(0..=20))]
    cheaters: u64,
    /// Rounds to run (1 to 50).
    #[arg(short = 'r', long, default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=50))]
    rounds: u64,
    /// Milliseconds per slot on the embedded chain, 10 to 2000 (with
    /// `--url`, the cluster's own slot time applies).
    #[arg(long, default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(10..=2000))]
    slot_ms: u64,
    /// Pay the bounty in a new Token-2022 mint ("TASK", 6 decimals) made
    /// on the chain, instead of SOL: nodes are paid into their associated
    /// token accounts; stakes and slashes stay in SOL.
    #[arg(long)]
    mint: bool,
    /// Play a proof-of-work task whose challenges the example verifier
    /// program decides at once, by a call, instead of by a stake vote: the
    /// liar is slashed in the challenge's own transaction with no vote.
    #[arg(long)]
    verifier: bool,
    /// After the rounds, keep the chain and the nodes' pages up: each
    /// node's dashboard and the task in the explorer (on 127.0.0.1), until
    /// Ctrl-C.
    #[arg(long)]
    pages: bool,
}

/// Runs the demo (on an embedded chain, or on the cluster at `url`) and
/// prints its report; true if its check passed.
pub async fn run(args: DemoArgs, url: Option<String>, json: bool) -> Result<bool, CliError> {
    let mut out = std::io::stdout();
    let config = DemoConfig {
        honest: args.honest as usize,
        cheaters: args.cheaters as usize,
        rounds: args.rounds,
        slot_duration: Duration::from_millis(args.slot_ms),
        url,
        token: args.mint,
        verifier: args.verifier,
    };
    let pages = args.pages;
    let shown = config.clone();
    let (report, shown) = tasknet_demo::run_then(config.clone(), async |report, served| {
        if pages {
            Some(show_pages(report, &shown, served).await)
        } else {
            None
        }
    })
    .await?;
    if let Some(shown) = shown {
        // The report was printed before the pages opened.
        shown?;
        return Ok(report.problems.is_empty());
    }
    let text = if json {
        let mut text = serde_json::to_string_pretty(&json_report(&report))
            .map_err(|e| CliError::Input(e.to_string()))?;
        text.push('\n');
        text
    } else {
        render(&report, &config)
    };
    out.write_all(text.as_bytes())?;
    Ok(report.problems.is_empty())
}

/// Prints the report and where to look, and serves the explorer until
/// Ctrl-C (the nodes' dashboards are their payload servers, still up).
async fn show_pages(
    report: &DemoReport,
    config: &DemoConfig,
    served: tasknet_demo::Served,
) -> Result<(), CliError> {
    let mut out = std::io::stdout();
    let mut text = render(report, config);
    let chain = tasknet_sdk::chain::ChainClient::new(&served.url, Default::default());
    let explorer = super::explore::Explorer::new(chain);
    let start = tasknet_pages::explorer::task_path(&served.task.to_string());
    let addr = explorer
        .serve("127.0.0.1:0".parse().expect("an address"), start.clone())
        .await?;
    text.push_str("\nPages (read-only; Ctrl-C to stop):\n");
    text.push_str(&format!("  explorer   http://{addr}{start}\n"));
    for (role, node, url) in &served.dashboards {
        text.push_str(&format!("  {:<10} {url}/   (node {node})\n", role.name()));
    }
    out.write_all(text.as_bytes())?;
    out.flush()?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// The report for scripts (`-o json`): amounts in lamports.
fn json_report(report: &DemoReport) -> serde_json::Value {
    let rounds: Vec<serde_json::Value> = report
        .rounds
        .iter()
        .map(|r| {
            serde_json::json!({
                "round": r.round,
                "submitted": r.submissions,
                "revealed": r.revealed,
                "challenges": r.challenges,
                "votes": r.votes,
                "invalid": r.invalid,
                "slashed_lamports": r.slashed,
                "pool_lamports": r.pool,
                "paid_lamports": r.paid,
            })
        })
        .collect();
    let nodes: Vec<serde_json::Value> = report
        .nodes
        .iter()
        .map(|n| {
            serde_json::json!({
                "node": n.node.to_string(),
                "role": n.role.name(),
                "rounds_paid": n.rounds_paid,
                // Rewards in lamports, or in the demo token's units.
                "earned_lamports": report.asset.is_none().then_some(n.earned),
                "earned_tokens": report.asset.is_some().then_some(n.earned),
                "slashed_lamports": n.slashed,
                "balance_lamports": n.balance,
                "token_balance": n.token_balance,
                "audits_run": n.audits_run,
            })
        })
        .collect();
    serde_json::json!({
        "url": report.url,
        "embedded": report.embedded,
        "task": report.task.to_string(),
        "mint": report.asset.map(|a| a.mint.to_string()),
        "verifier": report.verifier.map(|v| v.to_string()),
        "rounds": rounds,
        "nodes": nodes,
        "passed": report.problems.is_empty(),
        "problems": report.problems,
    })
}

fn sol(lamports: u64) -> String {
    format!("{:.4}", lamports as f64 / LAMPORTS_PER_SOL as f64)
}

/// What rewards are paid in: SOL, or the demo token.
fn reward_unit(report: &DemoReport) -> &'static str {
    match report.asset {
        Some(_) => tasknet_demo::mint::SYMBOL,
        None => "SOL",
    }
}

/// A reward amount in the report's asset.
fn reward(report: &DemoReport, amount: u64) -> String {
    match report.asset {
        Some(_) => format!(
            "{:.4}",
            amount as f64 / 10f64.powi(i32::from(tasknet_demo::mint::DECIMALS))
        ),
        None => sol(amount),
    }
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
    out += &format!("{chain} at {}; task {}\n", report.url, report.task);
    if let Some(asset) = report.asset {
        out += &format!(
            "rewards paid in {} (a Token-2022 mint made for the demo: {}); stakes and slashes in SOL\n",
            tasknet_demo::mint::SYMBOL,
            asset.mint
        );
    }
    if let Some(verifier) = report.verifier {
        out += &format!(
            "task code: proof of work (a nonce whose hash has {} leading zero bits); challenges decided at once by the verifier program {verifier}, with no vote\n\n",
            tasknet_pow_verifier::pow::DIFFICULTY_BITS
        );
    } else {
        let module: [u8; 32] = sha2::Sha256::digest(tasknet_demo::EXAMPLE_MODULE).into();
        out += &format!(
            "task code: the example task as a WebAssembly module ({} bytes, sha256 {}), run in each node's sandbox\n\n",
            tasknet_demo::EXAMPLE_MODULE.len(),
            hex::encode(module)
        );
    }
    out += &render_rounds(report);
    out += &render_nodes(report);
    out += &explain(report);
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
        "{:>5}  {:>9}  {:>8}  {:>10}  {:>5}  {:>7}  {:>12}  {:>10}  {:>10}\n",
        "round",
        "submitted",
        "revealed",
        "challenges",
        "votes",
        "invalid",
        "slashed SOL",
        format!("pool {}", reward_unit(report)),
        format!("paid {}", reward_unit(report))
    );
    for r in &report.rounds {
        out += &format!(
            "{:>5}  {:>9}  {:>8}  {:>10}  {:>5}  {:>7}  {:>12}  {:>10}  {:>10}\n",
            r.round,
            r.submissions,
            r.revealed,
            r.challenges,
            r.votes,
            r.invalid,
            sol(r.slashed),
            reward(report, r.pool),
            reward(report, r.paid)
        );
    }
    out
}

fn render_nodes(report: &DemoReport) -> String {
    let mut out = format!(
        "\n{:<44}  {:<10}  {:>11}  {:>10}  {:>11}  {:>11}\n",
        "node",
        "role",
        "rounds paid",
        format!("earned {}", reward_unit(report)),
        "slashed SOL",
        "balance SOL"
    );
    for n in &report.nodes {
        out += &format!(
            "{:<44}  {:<10}  {:>11}  {:>10}  {:>11}  {:>11}\n",
            n.node.to_string(),
            n.role.name(),
            n.rounds_paid,
            reward(report, n.earned),
            sol(n.slashed),
            sol(n.balance)
        );
    }
    out
}

/// Why the numbers differ where a reader would not expect it.
fn explain(report: &DemoReport) -> String {
    let e = &report.economics;
    let rest = match report.asset {
        Some(_) => "the rest returns to the creator, in SOL, when the task closes",
        None => "the rest goes to the bounty",
    };
    let mut out = format!(
        "\nBalances differ by more than earnings: fees, rent still locked in open accounts, \
         and challenges. A challenger that wins gets its bond back plus {}% of the slash \
         ({rest}); a challenged node that was right gets the bond.\n",
        e.challenger_share_bps as f64 / 100.0
    );
    if report.nodes.iter().any(|n| n.role == Role::Copier) {
        out += "The copier's reveals are refused (RevealMismatch): a copied commitment binds \
                another node's key and salt, so no reveal of its own can match it. It earns \
                nothing and, since not revealing is not a lie, loses nothing.\n";
    }
    out
}
