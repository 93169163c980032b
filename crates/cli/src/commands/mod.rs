//! One module per subcommand: its clap arguments and its `run`.

pub mod airdrop;
pub mod balance;
pub mod crank;
pub mod create;
pub mod demo;
pub mod explore;
pub mod keygen;
pub mod localnet;
pub mod manifest;
pub mod node;
pub mod round;
pub mod scaffold;
pub mod task;
pub mod token;
pub mod trial;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum Command {
    /// Run a task with honest nodes and cheaters on an embedded local chain
    /// and show that honest work is paid and cheating is not.
    ///
    /// With --url, run it on that cluster instead: the program must be
    /// deployed there and its faucet must answer airdrops (a local
    /// validator, devnet).
    Demo(demo::DemoArgs),
    /// Serve a single-bank development chain over Solana JSON-RPC.
    ///
    /// It runs the program's SBF build (embedded at build time by
    /// tools/sbf/build.sh) in agave's SVM and answers JSON-RPC, and PubSub
    /// on the next port, as a validator does. It is a single-bank
    /// development chain, not a validator: no consensus, no forks, no vote
    /// transactions; a slot is confirmed when the next one starts and
    /// finalized 32 slots later. For development and tests on machines
    /// without the Solana toolchain. `requestAirdrop` funds any account.
    Localnet(localnet::LocalnetArgs),
    /// Create, fund and manage tasks (creators).
    #[command(arg_required_else_help = true)]
    Task {
        #[command(subcommand)]
        command: task::TaskCommand,
    },
    /// Stake, run and watch a node (operators).
    #[command(arg_required_else_help = true)]
    Node {
        #[command(subcommand)]
        command: node::NodeCommand,
    },
    /// Write a new keypair file (Solana CLI format).
    Keygen(keygen::KeygenArgs),
    /// Request SOL from the cluster's faucet (localnet, devnet, testnet).
    Airdrop(airdrop::AirdropArgs),
    /// An account's SOL (the keypair's by default).
    Balance(balance::BalanceArgs),
    /// Inspect rounds.
    #[command(arg_required_else_help = true)]
    Round {
        #[command(subcommand)]
        command: round::RoundCommand,
    },
    /// Serve a read-only task explorer over the cluster: a task's
    /// schedule, economics, bounty runway, staked nodes and rounds, and a
    /// creator's tasks (on 127.0.0.1:8890 unless --bind says otherwise).
    Explore(explore::ExploreArgs),
    /// Make a token to pay tasks in (local chains and devnet).
    #[command(arg_required_else_help = true)]
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
}
