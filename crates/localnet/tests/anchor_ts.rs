//! The Anchor TypeScript client (`@anchor-lang/core` from npm, versions
//! pinned by tests/ts/package-lock.json) against the embedded chain: the
//! checks are in tests/ts/anchor_client.mjs; this test prepares a task with
//! submissions, installs the client when it is missing (`npm ci`) and runs
//! the script with Node.js.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use tasknet::instructions::SubmissionPayload;
use tasknet_localnet::{Localnet, LocalnetConfig};
use tasknet_sdk::amount::LAMPORTS_PER_SOL as SOL;
use tasknet_sdk::chain::{ChainClient, SendConfig};
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::open_plain_task;

const SUBMITTERS: usize = 2;

fn ts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ts")
}

/// `npm ci` when node_modules is missing or older than the lockfile.
fn install_client(dir: &Path) {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&installed).is_some() && modified(&installed) >= modified(&lock) {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm is on PATH (Node.js runs the Anchor TypeScript client)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

async fn funded(chain: &ChainClient, lamports: u64) -> Keypair {
    let keypair = Keypair::new();
    chain.airdrop(&keypair.pubkey(), lamports).await.unwrap();
    keypair
}

#[tokio::test]
async fn the_anchor_typescript_client_works_against_localnet() {
    let dir = ts_dir();
    install_client(&dir);
    let net = Localnet::start(LocalnetConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        slot_duration: Duration::from_millis(50),
    })
    .await
    .expect("localnet starts");
    let chain = ChainClient::new(&net.url, SendConfig::fast_polling());
    let rpc = RpcClient::new_with_commitment(net.url.clone(), CommitmentConfig::confirmed());

    // A task whose round 0 holds two submissions, for the filter query.
    let creator = funded(&chain, 10 * SOL).await;
    let start = rpc.get_slot().await.unwrap() + 40;
    let task = chain
        .create_task(&creator, open_plain_task(1, start), SOL)
        .await
        .unwrap();
    let mut nodes = Vec::new();
    for _ in 0..SUBMITTERS {
        let node = funded(&chain, 2 * SOL).await;
        chain
            .send(&[sdk::stake(&node.pubkey(), &task, SOL, None)], &node, &[])
            .await
            .unwrap();
        nodes.push(node);
    }
    tasknet_testkit::wait_for_slot(&chain, start).await;
    for (i, node) in nodes.iter().enumerate() {
        let payload = SubmissionPayload::Value(vec![i as u8; 8]);
        let ixs = sdk::submit_opening(&node.pubkey(), &task, 0, payload, i > 0);
        chain.send(&ixs, node, &[]).await.unwrap();
    }
    assert_eq!(pda::task(&creator.pubkey(), 1), task);

    let idl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../idls/tasknet.json");
    let output = tokio::process::Command::new("node")
        .arg(dir.join("anchor_client.mjs"))
        .current_dir(&dir)
        .env("TASKNET_RPC_URL", &net.url)
        .env("TASKNET_IDL", &idl)
        .env("TASKNET_SUBMISSIONS_TASK", task.to_string())
        .env("TASKNET_SUBMISSION_COUNT", SUBMITTERS.to_string())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), output)
        .await
        .expect("the client finishes within 3 minutes")
        .expect("node (Node.js) is on PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Anchor client failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
    assert!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count() == 19,
        "every check ran:\n{stdout}"
    );
    net.stop().await;
}
