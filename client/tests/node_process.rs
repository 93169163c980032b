//! The node as a process: killed with SIGKILL mid-round and restarted, it
//! still reveals and claims and sends no transaction twice; and it refuses
//! task code whose hash is not the task's.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use sha2::{Digest, Sha256};
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::CreateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{Economics, Submission, SubmissionStatus};
use tasknet_client::chain::{ChainClient, SendConfig};
use tasknet_client::demo::LAMPORTS_PER_SOL;
use tasknet_client::keys::write_keypair;
use tasknet_client::localnet::Cluster;
use tasknet_client::sdk::{self, pda};

fn example_command() -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/iterated_hash
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("iterated_hash");
    assert!(path.exists(), "build the example first: {}", path.display());
    path
}

struct Setup {
    net: Cluster,
    chain: ChainClient,
    creator: Keypair,
    node: Keypair,
    task: Pubkey,
    schedule: Schedule,
    dir: tempfile::TempDir,
}

async fn setup(code_hash: [u8; 32]) -> Setup {
    let net = Cluster::from_env(Duration::from_millis(50)).await.unwrap();
    let chain = ChainClient::new(
        net.url(),
        SendConfig {
            poll_interval: Duration::from_millis(50),
            ..SendConfig::default()
        },
    );
    let creator = Keypair::new();
    let node = Keypair::new();
    chain
        .airdrop(&creator.pubkey(), 10 * LAMPORTS_PER_SOL)
        .await
        .unwrap();
    chain
        .airdrop(&node.pubkey(), 10 * LAMPORTS_PER_SOL)
        .await
        .unwrap();
    let schedule = Schedule {
        start_slot: chain.slot().await.unwrap() + 40,
        round_slots: 60,
        submit_slots: 20,
        // Long enough for a process restart to land inside it.
        reveal_slots: 60,
        audit_slots: 20,
        claim_rounds: 1,
    };
    let args = CreateTaskArgs {
        task_id: 9,
        name: "process test".into(),
        metadata_uri: String::new(),
        code_hash,
        schedule,
        economics: Economics {
            reward_per_round: 1_000_000,
            min_stake: LAMPORTS_PER_SOL,
            challenge_bond: 1_000,
            slash_bps: 1_000,
            challenger_share_bps: 1_000,
            vote_threshold_bps: 5_000,
            quorum_bps: 0,
        },
        commit_reveal: true,
    };
    let task = chain
        .create_task(&creator, args, LAMPORTS_PER_SOL)
        .await
        .unwrap();
    chain
        .send(
            &[sdk::stake(
                &node.pubkey(),
                &task,
                2 * LAMPORTS_PER_SOL,
                None,
            )],
            &node,
            &[],
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_keypair(&node, &dir.path().join("node.json")).unwrap();
    Setup {
        net,
        chain,
        creator,
        node,
        task,
        schedule,
        dir,
    }
}

/// The node's log, kept with its state (appended across restarts).
fn log_file(s: &Setup) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(s.dir.path().join("node.log"))
        .unwrap()
}

/// `tasknet node run` for the set-up's node and task, with the example task.
fn node_command(s: &Setup) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tasknet"));
    command
        .args([
            "node",
            "run",
            "--url",
            s.net.url(),
            "--task",
            &s.task.to_string(),
            "--poll-ms",
            "50",
        ])
        .arg("--keypair")
        .arg(s.dir.path().join("node.json"))
        .arg("--db")
        .arg(s.dir.path().join("node.db"))
        .arg("--command")
        .arg(example_command());
    command
}

fn spawn_node(s: &Setup) -> Child {
    node_command(s)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log_file(s))
        .spawn()
        .unwrap()
}

async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn code_hash_of(path: &PathBuf) -> [u8; 32] {
    Sha256::digest(std::fs::read(path).unwrap()).into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_restarts_reveals_and_claims_without_duplicates() {
    let s = setup(code_hash_of(&example_command())).await;
    let submission = pda::submission(&s.task, 0, &s.node.pubkey());

    let mut node = spawn_node(&s);
    wait_for("the commitment", s.net.slot_duration() * 600, || async {
        s.chain.raw_account(&submission).await.unwrap().is_some()
    })
    .await;
    node.kill().unwrap(); // SIGKILL, mid-round
    node.wait().unwrap();
    let committed: Submission = s.chain.account(&submission).await.unwrap().unwrap();
    assert_eq!(committed.status, SubmissionStatus::Committed);

    // Restart during the reveal window; stop new rounds.
    s.chain
        .wait_for_slot(s.schedule.submit_end(0))
        .await
        .unwrap();
    let mut node = spawn_node(&s);
    s.chain
        .send(
            &[sdk::pause_task(&s.creator.pubkey(), &s.task)],
            &s.creator,
            &[],
        )
        .await
        .unwrap();
    wait_for(
        "the round to be settled and closed",
        s.net.slot_duration() * 1200,
        || async {
            s.chain
                .raw_account(&pda::round(&s.task, 0))
                .await
                .unwrap()
                .is_none()
                && s.chain.raw_account(&submission).await.unwrap().is_none()
        },
    )
    .await;
    node.kill().unwrap();
    node.wait().unwrap();

    // Every transaction the node ever signed, as the chain saw it.
    let history = s
        .chain
        .rpc()
        .get_signatures_for_address(&s.node.pubkey())
        .await
        .unwrap();
    let log = std::fs::read_to_string(s.dir.path().join("node.log")).unwrap_or_default();
    assert!(
        history.iter().all(|t| t.err.is_none()),
        "no transaction failed: {history:?}\n{log}"
    );
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for entry in &history {
        let signature = entry.signature.parse().unwrap();
        let tx = s
            .chain
            .rpc()
            .get_transaction(
                &signature,
                solana_transaction_status_client_types::UiTransactionEncoding::Base64,
            )
            .await
            .unwrap();
        let tx = tx.transaction.transaction.decode().unwrap();
        for ix in tx.message.instructions() {
            let data = &ix.data;
            let name = [
                ("stake", tasknet::instruction::Stake::DISCRIMINATOR),
                ("submit", tasknet::instruction::Submit::DISCRIMINATOR),
                ("reveal", tasknet::instruction::Reveal::DISCRIMINATOR),
                ("claim", tasknet::instruction::Claim::DISCRIMINATOR),
                (
                    "close_submission",
                    tasknet::instruction::CloseSubmission::DISCRIMINATOR,
                ),
                (
                    "close_round",
                    tasknet::instruction::CloseRound::DISCRIMINATOR,
                ),
            ]
            .into_iter()
            .find(|(_, d)| data.starts_with(d))
            .map(|(n, _)| n);
            if let Some(name) = name {
                *counts.entry(name).or_default() += 1;
            }
        }
    }
    for action in ["stake", "submit", "reveal", "claim", "close_submission"] {
        assert_eq!(
            counts.get(action),
            Some(&1),
            "exactly one {action}: {counts:?}\n{log}"
        );
    }
    assert!(counts.get("close_round").copied().unwrap_or(0) <= 1);
    // Alone in round 0, the node earned the whole pool, recorded once.
    let store = tasknet_client::node::store::Store::open(&s.dir.path().join("node.db")).unwrap();
    assert_eq!(store.earnings(&s.task).unwrap(), vec![(0, 1_000_000)]);
    s.net.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_with_another_hash_is_refused() {
    let s = setup([7; 32]).await;
    let output = node_command(&s).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: task code hash mismatch"),
        "{stderr}"
    );
    assert!(
        last.contains(&hex::encode([7u8; 32]))
            && last.contains(&hex::encode(code_hash_of(&example_command())))
    );
    // Nothing was sent: the node never submitted.
    assert!(s
        .chain
        .raw_account(&pda::submission(&s.task, 0, &s.node.pubkey()))
        .await
        .unwrap()
        .is_none());
    s.net.stop().await;
}
