//! Measures the off-chain path on this machine and prints the figures
//! (docs/performance.md records them). Run:
//!
//! ```sh
//! cargo run --profile perf -p tasknet-client --example bench
//! ```
//!
//! 1. the example task's code (10 000 sha256 iterations);
//! 2. send-and-confirm latency of transactions through `ChainClient` against
//!    `tasknet localnet` over HTTP (simulate, sign, send, poll);
//! 3. `getProgramAccounts` with memcmp filters (one round's submissions);
//! 4. a full demo run (5 nodes, 3 rounds).

use std::io::Write;
use std::time::{Duration, Instant};

use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::{CreateTaskArgs, SubmissionPayload};
use tasknet::logic::Schedule;
use tasknet::state::{Economics, Submission};
use tasknet_client::chain::{ChainClient, SendConfig};
use tasknet_client::demo::{self, DemoConfig, LAMPORTS_PER_SOL};
use tasknet_client::localnet::{Localnet, LocalnetConfig};
use tasknet_client::node::code::{IteratedHash, RoundInput, TaskCode};
use tasknet_client::sdk;

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
    // The embedded bank's program logs would otherwise mix with the figures.
    let mut out = tasknet_client::localnet::divert_program_stdout().unwrap();
    // 1. task code
    let samples = (0..50)
        .map(|round| {
            let input = RoundInput::new(Default::default(), round);
            let t = Instant::now();
            IteratedHash.execute(&input).unwrap();
            t.elapsed()
        })
        .collect();
    report(&mut out, "example task execute (10k sha256)", samples);

    // 2. transactions through RPC
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
    let creator = Keypair::new();
    chain
        .airdrop(&creator.pubkey(), 1_000 * LAMPORTS_PER_SOL)
        .await
        .unwrap();
    let start_slot = chain.slot().await.unwrap() + 100;
    let args = CreateTaskArgs {
        task_id: 1,
        name: "bench".into(),
        metadata_uri: String::new(),
        code_hash: [0; 32],
        schedule: Schedule {
            start_slot,
            round_slots: 100_000,
            submit_slots: 100_000,
            reveal_slots: 0,
            audit_slots: 10,
            claim_rounds: 1,
        },
        economics: Economics {
            reward_per_round: 1_000,
            min_stake: 1,
            challenge_bond: 1,
            slash_bps: 0,
            challenger_share_bps: 0,
            vote_threshold_bps: 5_000,
            quorum_bps: 0,
        },
        commit_reveal: false,
    };
    let task = chain.create_task(&creator, args, 0).await.unwrap();
    let mut samples = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        chain
            .send(
                &[sdk::fund_task(&creator.pubkey(), &task, 1)],
                &creator,
                &[],
            )
            .await
            .unwrap();
        samples.push(t.elapsed());
    }
    report(
        &mut out,
        "send+confirm fund_task via RPC (localnet)",
        samples,
    );

    // 3. getProgramAccounts over one round's submissions
    let nodes: Vec<Keypair> = (0..50).map(|_| Keypair::new()).collect();
    for node in &nodes {
        chain
            .airdrop(&node.pubkey(), LAMPORTS_PER_SOL)
            .await
            .unwrap();
        chain
            .send(&[sdk::stake(&node.pubkey(), &task, 1_000, None)], node, &[])
            .await
            .unwrap();
    }
    chain.wait_for_slot(start_slot).await.unwrap();
    for node in &nodes {
        let payload = SubmissionPayload::Value(node.pubkey().to_bytes().to_vec());
        chain
            .send(&[sdk::submit(&node.pubkey(), &task, 0, payload)], node, &[])
            .await
            .unwrap();
    }
    let filters = [
        (Submission::TASK_OFFSET, task.to_bytes().to_vec()),
        (Submission::ROUND_OFFSET, 0u64.to_le_bytes().to_vec()),
    ];
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
    report(
        &mut out,
        "getProgramAccounts, 50 submissions, memcmp",
        samples,
    );
    net.stop().await;

    // 4. the demo, end to end
    let t = Instant::now();
    let outcome = demo::run(DemoConfig::default()).await.unwrap();
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
