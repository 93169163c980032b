//! Fixtures the client tests share, written once: a cluster (the validator
//! in `ANCHOR_PROVIDER_URL` under `anchor test`, else an embedded chain),
//! a chain client tuned for fast slots, funded wallets and keypair files,
//! test economics, and a polling wait. A dev-dependency only.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::CreateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::Economics;
use tasknet_localnet::Cluster;
use tasknet_sdk::amount::LAMPORTS_PER_SOL;
use tasknet_sdk::chain::{ChainClient, SendConfig};
use tasknet_sdk::defaults::{ECONOMICS, FAST_SCHEDULE};
use tasknet_sdk::keys::write_keypair;

pub mod proxy;

pub use tasknet_sdk::amount::LAMPORTS_PER_SOL as SOL;

/// Slot length of the embedded chains tests start.
pub const SLOT: Duration = Duration::from_millis(50);

/// Economics for tests that are not about money: a small reward, a bond of
/// 1000 lamports, and no quorum, so a single voter decides.
pub const TEST_ECONOMICS: Economics = Economics {
    reward_per_round: 1_000_000,
    min_stake: LAMPORTS_PER_SOL,
    challenge_bond: 1_000,
    slash_bps: 1_000,
    challenger_share_bps: 1_000,
    quorum_bps: 0,
    ..ECONOMICS
};

/// The fast schedule, starting at `start_slot`.
pub fn schedule_from(start_slot: u64) -> Schedule {
    Schedule {
        start_slot,
        ..FAST_SCHEDULE
    }
}

/// Arguments for a task with test economics.
pub fn task_args(task_id: u64, code_hash: [u8; 32], schedule: Schedule) -> CreateTaskArgs {
    CreateTaskArgs {
        task_id,
        name: format!("test task {task_id}"),
        metadata_uri: String::new(),
        code_hash,
        code_uri: String::new(),
        code_limits: Default::default(),
        commit_reveal: schedule.commit_reveal(),
        accept_freeze_authority: false,
        verifier: None,
        schedule,
        economics: TEST_ECONOMICS,
    }
}

/// A plain task whose round 0 opens at `start_slot` and stays in its submit
/// window for a million slots, with a stake minimum and bond of 1 lamport:
/// for tests and benchmarks that submit whenever they like.
pub fn open_plain_task(task_id: u64, start_slot: u64) -> CreateTaskArgs {
    let schedule = Schedule {
        start_slot,
        round_slots: 1_000_000,
        submit_slots: 1_000_000,
        reveal_slots: 0,
        audit_slots: 10,
        claim_rounds: 1,
    };
    CreateTaskArgs {
        economics: Economics {
            reward_per_round: 1_000,
            min_stake: 1,
            challenge_bond: 1,
            ..TEST_ECONOMICS
        },
        ..task_args(task_id, [0; 32], schedule)
    }
}

/// A cluster to test against, a client for it and a scratch directory.
pub struct TestCluster {
    pub net: Cluster,
    pub chain: ChainClient,
    pub dir: tempfile::TempDir,
}

impl TestCluster {
    pub async fn start() -> Self {
        let net = Cluster::from_env(SLOT).await.expect("cluster starts");
        let chain = ChainClient::new(net.url(), SendConfig::fast_polling());
        Self {
            net,
            chain,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn url(&self) -> &str {
        self.net.url()
    }

    /// A new keypair holding `lamports`.
    pub async fn funded(&self, lamports: u64) -> Keypair {
        let keypair = Keypair::new();
        self.chain
            .airdrop(&keypair.pubkey(), lamports)
            .await
            .expect("airdrop");
        keypair
    }

    /// A funded keypair (100 SOL) written to `<dir>/<name>.json`.
    pub async fn wallet(&self, name: &str) -> (Keypair, PathBuf) {
        let keypair = self.funded(100 * LAMPORTS_PER_SOL).await;
        let path = self.dir.path().join(format!("{name}.json"));
        write_keypair(&keypair, &path).expect("keypair file");
        (keypair, path)
    }

    /// Waits for `check` within `slots` slots of this cluster's clock.
    pub async fn wait_for<F, Fut>(&self, what: &str, slots: u32, check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        wait_for(what, self.net.slot_duration() * slots, check).await
    }

    pub async fn stop(self) {
        self.net.stop().await;
    }
}

/// Waits until the cluster reaches `slot` (a window opening).
pub async fn wait_for_slot(chain: &ChainClient, slot: u64) {
    while chain.slot().await.expect("slot") < slot {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends `build(i, key)` for each of `keys`, `per_transaction` to a
/// transaction signed by their keys (the first pays), 16 transactions in
/// flight: many nodes staking or submitting at once. Panics if one does not
/// land.
pub async fn send_for_each(
    chain: &ChainClient,
    keys: &[Keypair],
    per_transaction: usize,
    build: impl Fn(usize, &Pubkey) -> Instruction,
) {
    let sends = keys.chunks(per_transaction).enumerate().map(|(c, chunk)| {
        let ixs: Vec<Instruction> = chunk
            .iter()
            .enumerate()
            .map(|(j, key)| build(c * per_transaction + j, &key.pubkey()))
            .collect();
        async move {
            let (payer, others) = chunk.split_first().expect("chunks are not empty");
            let others: Vec<&Keypair> = others.iter().collect();
            chain.send(&ixs, payer, &others).await
        }
    });
    land_all(sends).await;
}

/// Gives each of `keys` `lamports` from `payer`, 20 transfers to a
/// transaction, 16 transactions in flight.
pub async fn fund_each(chain: &ChainClient, payer: &Keypair, keys: &[Keypair], lamports: u64) {
    let sends = keys.chunks(20).map(|chunk| {
        let ixs: Vec<Instruction> = chunk
            .iter()
            .map(|key| system_instruction::transfer(&payer.pubkey(), &key.pubkey(), lamports))
            .collect();
        async move { chain.send(&ixs, payer, &[]).await }
    });
    land_all(sends).await;
}

/// Awaits the sends, 16 in flight; panics if one failed.
async fn land_all<T, E: std::fmt::Debug>(
    sends: impl Iterator<Item = impl Future<Output = Result<T, E>>>,
) {
    use futures::stream::StreamExt;
    let sent: Vec<_> = futures::stream::iter(sends)
        .buffer_unordered(16)
        .collect()
        .await;
    for result in sent {
        result.expect("transaction lands");
    }
}

/// Polls `check` every 20 ms until it holds; panics after `limit`.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
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

/// The example task's executable, built next to the running test binary
/// (`target/<profile>/examples/iterated_hash`).
pub fn example_command() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .join("examples")
        .join("iterated_hash");
    assert!(path.exists(), "build the example first: {}", path.display());
    path
}

/// An example task module (`crates/example-tasks`, bin `name`) built for
/// `wasm32-wasip1`, release: its path. Built once per run of a test binary
/// (cargo skips it when it is current); the target is the one
/// `rust-toolchain.toml` lists, added here if this toolchain lacks it.
pub fn task_module(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_build = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("task-modules");
    let run = |args: &[&str]| {
        let status = std::process::Command::new(env!("CARGO"))
            .args(args)
            .current_dir(&root)
            .env_remove("RUSTFLAGS")
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo {args:?} failed");
    };
    let has_target = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(&root)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-wasip1"))
        .unwrap_or(true);
    if !has_target {
        let status = std::process::Command::new("rustup")
            .args(["target", "add", "wasm32-wasip1"])
            .current_dir(&root)
            .status()
            .expect("rustup runs");
        assert!(status.success(), "rustup target add wasm32-wasip1 failed");
    }
    let target_dir = target.to_string_lossy().into_owned();
    run(&[
        "build",
        "--release",
        "--quiet",
        "--target",
        "wasm32-wasip1",
        "-p",
        "tasknet-example-tasks",
        "--bin",
        name,
        "--target-dir",
        &target_dir,
    ]);
    let path = target.join(format!("wasm32-wasip1/release/{name}.wasm"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// The name of a tasknet instruction, from its discriminator: the one table
/// the program tests (compute units) and the restart test (counting what a
/// node sent) read instructions by.
pub fn instruction_name(data: &[u8]) -> Option<&'static str> {
    use anchor_lang::Discriminator;
    use tasknet::instruction as ix;
    let names: [(&str, &[u8]); 23] = [
        ("create_task", ix::CreateTask::DISCRIMINATOR),
        ("fund_task", ix::FundTask::DISCRIMINATOR),
        ("update_task", ix::UpdateTask::DISCRIMINATOR),
        ("pause_task", ix::PauseTask::DISCRIMINATOR),
        ("resume_task", ix::ResumeTask::DISCRIMINATOR),
        ("withdraw_bounty", ix::WithdrawBounty::DISCRIMINATOR),
        ("close_task", ix::CloseTask::DISCRIMINATOR),
        ("stake", ix::Stake::DISCRIMINATOR),
        ("unstake", ix::Unstake::DISCRIMINATOR),
        ("withdraw_stake", ix::WithdrawStake::DISCRIMINATOR),
        ("close_stake", ix::CloseStake::DISCRIMINATOR),
        ("open_round", ix::OpenRound::DISCRIMINATOR),
        ("submit", ix::Submit::DISCRIMINATOR),
        ("reveal", ix::Reveal::DISCRIMINATOR),
        ("challenge", ix::Challenge::DISCRIMINATOR),
        ("vote", ix::Vote::DISCRIMINATOR),
        ("claim", ix::Claim::DISCRIMINATOR),
        ("resolve_audit", ix::ResolveAudit::DISCRIMINATOR),
        ("close_round", ix::CloseRound::DISCRIMINATOR),
        ("close_submission", ix::CloseSubmission::DISCRIMINATOR),
        ("close_vote", ix::CloseVote::DISCRIMINATOR),
        ("record_audit_seed", ix::RecordAuditSeed::DISCRIMINATOR),
        ("verify_audit", ix::VerifyAudit::DISCRIMINATOR),
    ];
    names
        .into_iter()
        .find(|(_, d)| data.starts_with(d))
        .map(|(name, _)| name)
}
