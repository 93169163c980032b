//! Measures the off-chain path on this machine and prints the figures
//! (docs/performance.md records them). Run:
//!
//! ```sh
//! cargo run --profile perf -p tasknet-demo --example bench
//! ```
//!
//! 1. the example task's code (10 000 sha256 iterations);
//! 2. send-and-confirm latency of transactions through `ChainClient` against
//!    `tasknet localnet` over HTTP (simulate, sign, send, poll);
//! 3. `getProgramAccounts` with memcmp filters (one round's submissions);
//! 4. a full demo run (5 nodes, 3 rounds).

use std::io::Write;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::SubmissionPayload;
use tasknet::state::Submission;
use tasknet_demo::DemoConfig;
use tasknet_localnet::{Localnet, LocalnetConfig};
use tasknet_node::code::{IteratedHash, RoundInput, TaskCode};
use tasknet_sdk as sdk;
use tasknet_sdk::accounts::filters;
use tasknet_sdk::amount::LAMPORTS_PER_SOL;
use tasknet_sdk::chain::{ChainClient, SendConfig};
use tasknet_testkit::open_plain_task;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(out: &mut impl Write, name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    writeln!(
        out,
        "{name:<46} n={:<4} mean={:>9.2?} p50={:>9.2?} p99={:>9.2?}",
        samples.len(),
        total / samples.len() as u32,
        percentile(&samples, 0.5),
        percentile(&samples, 0.99)
    )
    .unwrap();
}

#[tokio::main]
async fn main() {
    let mut out = std::io::stdout();
    task_code(&mut out);
    let net = Localnet::start(LocalnetConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        slot_duration: Duration::from_millis(50),
    })
    .await
    .unwrap();
    let chain = ChainClient::new(
        &net.url,
        SendConfig {
            poll_interval: Duration::from_millis(10),
            ..SendConfig::default()
        },
    );
    let (creator, task, start_slot) = bench_task(&chain).await;
    transactions(&mut out, &chain, &creator, &task).await;
    program_accounts(&mut out, &chain, &task, start_slot).await;
    net.stop().await;
    demo(&mut out).await;
}

/// 1. the example task's code.
fn task_code(out: &mut impl Write) {
    let samples = (0..50)
        .map(|round| {
            let input = RoundInput::new(Default::default(), round, Default::default());
            let t = Instant::now();
            IteratedHash.execute(&input).unwrap();
            t.elapsed()
        })
        .collect();
    report(out, "example task execute (10k sha256)", samples);
}

/// A plain task whose round 0 starts in 100 slots, and its funded creator.
async fn bench_task(chain: &ChainClient) -> (Keypair, Pubkey, u64) {
    let creator = Keypair::new();
    chain
        .airdrop(&creator.pubkey(), 1_000 * LAMPORTS_PER_SOL)
        .await
        .unwrap();
    let start_slot = chain.slot().await.unwrap() + 100;
    let args = open_plain_task(1, start_slot);
    let task = chain.create_task(&creator, args, 0).await.unwrap();
    (creator, task, start_slot)
}

/// 2. send-and-confirm through RPC.
async fn transactions(out: &mut impl Write, chain: &ChainClient, creator: &Keypair, task: &Pubkey) {
    let mut samples = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        chain
            .send(&[sdk::fund_task(&creator.pubkey(), task, 1)], creator, &[])
            .await
            .unwrap();
        samples.push(t.elapsed());
    }
    report(out, "send+confirm fund_task via RPC (localnet)", samples);
}

/// 3. getProgramAccounts over one round's submissions.
async fn program_accounts(
    out: &mut impl Write,
    chain: &ChainClient,
    task: &Pubkey,
    start_slot: u64,
) {
    let nodes: Vec<Keypair> = (0..50).map(|_| Keypair::new()).collect();
    for node in &nodes {
        chain
            .airdrop(&node.pubkey(), LAMPORTS_PER_SOL)
            .await
            .unwrap();
        chain
            .send(&[sdk::stake(&node.pubkey(), task, 1_000, None)], node, &[])
            .await
            .unwrap();
    }
    tasknet_testkit::wait_for_slot(chain, start_slot).await;
    for (i, node) in nodes.iter().enumerate() {
        let payload = SubmissionPayload::Value(node.pubkey().to_bytes().to_vec());
        let ixs = sdk::submit_opening(&node.pubkey(), task, 0, payload, i > 0);
        chain.send(&ixs, node, &[]).await.unwrap();
    }
    let filters = filters::round_submissions(task, 0);
    let mut samples = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let found = chain
            .program_accounts::<Submission>(&filters)
            .await
            .unwrap();
        samples.push(t.elapsed());
        assert_eq!(found.len(), nodes.len());
    }
    report(out, "getProgramAccounts, 50 submissions, memcmp", samples);
}

/// 4. the demo, end to end.
async fn demo(out: &mut impl Write) {
    let t = Instant::now();
    let outcome = tasknet_demo::run(DemoConfig::default()).await.unwrap();
    writeln!(
        out,
        "{:<46} {:>9.2?} (check {})",
        "tasknet demo, 5 nodes x 3 rounds, 50 ms slots",
        t.elapsed(),
        if outcome.problems.is_empty() {
            "passed"
        } else {
            "FAILED"
        }
    )
    .unwrap();
}
