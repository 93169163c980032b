//! `tasknet demo`: a task with honest nodes and cheaters, run through the
//! real node runtime against an embedded local chain over real HTTP, with a
//! round-by-round report and a verdict on whether cheating paid.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tokio::sync::watch;

use tasknet::instructions::CreateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{Audit, AuditVerdict, Economics, Round, Stake};

use crate::chain::{ChainClient, ChainError, SendConfig};
use crate::localnet::{Cluster, LocalnetError};
use crate::node::code::{CodeError, IteratedHash, RoundInput, TaskCode};
use crate::node::payloads::Serving;
use crate::node::{Node, NodeConfig, NodeError, Strategy, TaskSpec};
use crate::sdk::{self, pda};

pub use crate::cli::amount::LAMPORTS_PER_SOL;

#[derive(Clone, Debug)]
pub struct DemoConfig {
    pub honest: usize,
    pub cheaters: usize,
    pub rounds: u64,
    pub slot_duration: Duration,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            honest: 3,
            cheaters: 2,
            rounds: 3,
            slot_duration: Duration::from_millis(50),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Honest,
    /// Copies another node's commitment instead of working.
    Copier,
    /// Submits a wrong answer.
    Liar,
    /// Submits a right answer's hash but never serves the payload.
    Withholder,
    /// Serves a payload that does not match what it submitted.
    Tamperer,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Honest => "honest",
            Role::Copier => "copier",
            Role::Liar => "liar",
            Role::Withholder => "withholder",
            Role::Tamperer => "tamperer",
        }
    }
}

/// The example task's code, except that it lies about its own result
/// (it audits others honestly).
pub struct Lying<C>(pub C);

impl<C: TaskCode> TaskCode for Lying<C> {
    fn code_hash(&self) -> [u8; 32] {
        self.0.code_hash()
    }

    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError> {
        let mut value = self.0.execute(input)?;
        value[0] ^= 0xff;
        Ok(value)
    }

    fn audit(&self, input: &RoundInput, node: &Pubkey, value: &[u8]) -> Result<bool, CodeError> {
        self.0.audit(input, node, value)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundRow {
    pub round: u64,
    pub submissions: u32,
    pub revealed: u32,
    pub challenges: u32,
    pub invalid: u32,
    pub slashed: u64,
    pub pool: u64,
    pub paid: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRow {
    pub node: Pubkey,
    pub role: Role,
    pub rounds_paid: usize,
    /// (round, lamports) of every claim.
    pub earnings: Vec<(u64, u64)>,
    pub earned: u64,
    pub slashed: u64,
    pub balance: u64,
}

#[derive(Debug)]
pub struct DemoReport {
    pub url: String,
    pub task: Pubkey,
    pub economics: Economics,
    pub rounds: Vec<RoundRow>,
    pub nodes: Vec<NodeRow>,
    /// Empty when honest nodes were paid every round and cheating did not pay.
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Localnet(#[from] LocalnetError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("cannot create the nodes' state directory: {0}")]
    StateDir(std::io::Error),
    #[error("the demo did not finish within {0:?}")]
    Timeout(Duration),
}

/// A run of nodes with given roles over a number of rounds.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub roles: Vec<Role>,
    pub rounds: u64,
    /// Slot length of the embedded chain.
    pub slot_duration: Duration,
    /// Run on the cluster in `ANCHOR_PROVIDER_URL` when it is set (tests);
    /// otherwise, or when false (the demo), on an embedded chain.
    pub use_provider_url: bool,
}

/// Stake each scenario node bonds.
pub const NODE_STAKE: u64 = 5 * LAMPORTS_PER_SOL;

pub fn roles(config: &DemoConfig) -> Vec<Role> {
    let mut roles = vec![Role::Honest; config.honest];
    roles.extend((0..config.cheaters).map(|i| if i % 2 == 0 { Role::Copier } else { Role::Liar }));
    roles
}

pub async fn run(config: DemoConfig) -> Result<DemoReport, DemoError> {
    run_scenario(&Scenario {
        roles: roles(&config),
        rounds: config.rounds,
        slot_duration: config.slot_duration,
        use_provider_url: false,
    })
    .await
}

pub async fn run_scenario(config: &Scenario) -> Result<DemoReport, DemoError> {
    let net = if config.use_provider_url {
        Cluster::from_env(config.slot_duration).await?
    } else {
        Cluster::embedded(config.slot_duration).await?
    };
    let slot_duration = net.slot_duration();
    let send = SendConfig {
        poll_interval: Duration::from_millis(50),
        ..SendConfig::default()
    };
    let chain = ChainClient::new(net.url(), send.clone());

    // The creator and the nodes, funded by the local faucet.
    let creator = Keypair::new();
    chain
        .airdrop(&creator.pubkey(), 100 * LAMPORTS_PER_SOL)
        .await?;
    let roles = config.roles.clone();
    let keys: Vec<Keypair> = roles.iter().map(|_| Keypair::new()).collect();
    let chain_ref = &chain;
    futures::future::try_join_all(
        keys.iter()
            .map(|k| async move { chain_ref.airdrop(&k.pubkey(), 20 * LAMPORTS_PER_SOL).await }),
    )
    .await?;

    // Rounds of 60 slots; windows overlap the next round (pipelining).
    let reward = LAMPORTS_PER_SOL / 10;
    let start_slot = chain.slot().await? + 60;
    let schedule = Schedule {
        start_slot,
        round_slots: 60,
        submit_slots: 20,
        reveal_slots: 15,
        audit_slots: 25,
        claim_rounds: 1,
    };
    let economics = Economics {
        reward_per_round: reward,
        min_stake: LAMPORTS_PER_SOL,
        challenge_bond: LAMPORTS_PER_SOL / 20,
        slash_bps: 2_000,
        challenger_share_bps: 2_500,
        vote_threshold_bps: 5_000,
        quorum_bps: 3_000,
    };
    let args = CreateTaskArgs {
        task_id: 1,
        name: "iterated-hash demo".into(),
        metadata_uri: "https://example.org/tasknet/iterated-hash".into(),
        code_hash: IteratedHash.code_hash(),
        schedule,
        economics,
        commit_reveal: true,
    };
    let task = chain
        .create_task(&creator, args, reward * config.rounds)
        .await?;
    // The nodes: the real runtime, each with its own state database and its
    // payload server, whose address goes on-chain with its stake.
    let state_dir = std::env::temp_dir().join(format!("tasknet-demo-{}", std::process::id()));
    std::fs::create_dir_all(&state_dir).map_err(DemoError::StateDir)?;
    let mut nodes = Vec::new();
    let mut endpoints = Vec::new();
    for (i, (keypair, role)) in keys.iter().zip(&roles).enumerate() {
        let node = Arc::new(Node::new(
            keypair.insecure_clone(),
            NodeConfig {
                rpc_url: net.url().to_string(),
                db_path: state_dir.join(format!("node-{i}.db")),
                poll_interval: Duration::from_millis(100),
                send: send.clone(),
            },
        )?);
        let serving = if *role == Role::Tamperer {
            Serving::Tampered
        } else {
            Serving::Honest
        };
        let endpoint = if *role == Role::Withholder {
            // Staked with an endpoint where nothing answers.
            "http://127.0.0.1:9".to_string()
        } else {
            let addr = node
                .serve_payloads("127.0.0.1:0".parse().expect("address"), serving)
                .await?;
            format!("http://{addr}")
        };
        nodes.push(node);
        endpoints.push(endpoint);
    }
    let stake = NODE_STAKE;
    futures::future::try_join_all(keys.iter().zip(&endpoints).map(|(k, endpoint)| async move {
        let ix = sdk::stake(&k.pubkey(), &task, stake, Some(endpoint.clone()));
        chain_ref.send(&[ix], k, &[]).await
    }))
    .await?;

    let (stop, stopped) = watch::channel(false);
    let mut handles = Vec::new();
    for (node, role) in nodes.iter().zip(&roles) {
        let code: Arc<dyn TaskCode> = match role {
            Role::Liar => Arc::new(Lying(IteratedHash)),
            _ => Arc::new(IteratedHash),
        };
        let strategy = if *role == Role::Copier {
            Strategy::Copy
        } else {
            Strategy::Honest
        };
        let spec = TaskSpec {
            task,
            code,
            strategy,
        };
        let runner = node.clone();
        let stopped = stopped.clone();
        handles.push(tokio::spawn(async move {
            runner.run(vec![spec], stopped).await
        }));
    }

    // Watch the rounds until every one has settled and closed.
    let mut rows: BTreeMap<u64, RoundRow> = BTreeMap::new();
    // Slashes are attributed to the round whose invalid verdict caused them:
    // the change in the node's `slashed_total` when the verdict appears.
    let mut slashed_seen: BTreeMap<Pubkey, u64> = BTreeMap::new();
    let mut attributed: std::collections::BTreeSet<Pubkey> = Default::default();
    let mut paused = false;
    let limit = slot_duration * (schedule.claim_deadline(config.rounds) - start_slot + 400) as u32;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if tokio::time::Instant::now() > deadline {
            let _ = stop.send(true);
            return Err(DemoError::Timeout(limit));
        }
        let slot = chain.slot().await?;
        if !paused && config.rounds > 0 && slot >= schedule.submit_end(config.rounds - 1) {
            // No round after the last one: pause before it can start.
            chain
                .send(&[sdk::pause_task(&creator.pubkey(), &task)], &creator, &[])
                .await?;
            paused = true;
        }
        for round in 0..config.rounds {
            if let Some(r) = chain.account::<Round>(&pda::round(&task, round)).await? {
                let row = rows.entry(round).or_default();
                row.round = round;
                row.submissions = r.submissions;
                row.revealed = r.revealed;
                row.invalid = r.invalidated;
                row.pool = r.reward_pool;
                row.paid = r.claimed_sum;
            }
            let audits: Vec<(Pubkey, Audit)> = chain
                .program_accounts::<Audit>(&[
                    (8, task.to_bytes().to_vec()),
                    (40, round.to_le_bytes().to_vec()),
                ])
                .await?;
            if !audits.is_empty() {
                let row = rows.entry(round).or_default();
                row.challenges = row.challenges.max(audits.len() as u32);
            }
            for (key, audit) in &audits {
                if audit.verdict != AuditVerdict::Invalid || !attributed.insert(*key) {
                    continue;
                }
                let stake: Option<Stake> = chain.account(&pda::stake(&task, &audit.node)).await?;
                let now = stake.map_or(0, |s| s.slashed_total);
                let before = slashed_seen.insert(audit.node, now).unwrap_or(0);
                rows.entry(round).or_default().slashed += now.saturating_sub(before);
            }
        }
        let all_closed = slot >= schedule.claim_deadline(config.rounds.saturating_sub(1))
            && futures::future::try_join_all(
                (0..config.rounds).map(|r| chain.raw_account_owned(pda::round(&task, r))),
            )
            .await?
            .iter()
            .all(Option::is_none);
        if all_closed && paused {
            break;
        }
        tokio::time::sleep(slot_duration * 4).await;
    }
    let _ = stop.send(true);
    for handle in handles {
        if let Ok(Err(e)) = handle.await {
            tracing::warn!("node stopped with: {e}");
        }
    }

    // Who earned what, who was slashed.
    let mut node_rows = Vec::new();
    for (node, role) in nodes.iter().zip(&roles) {
        let earnings = node.store().earnings(&task).map_err(NodeError::from)?;
        let stake: Option<Stake> = chain.account(&pda::stake(&task, &node.pubkey())).await?;
        node_rows.push(NodeRow {
            node: node.pubkey(),
            role: *role,
            rounds_paid: earnings.iter().filter(|(_, amount)| *amount > 0).count(),
            earnings: earnings.clone(),
            earned: earnings.iter().map(|(_, amount)| amount).sum(),
            slashed: stake.map_or(0, |s| s.slashed_total),
            balance: chain.balance(&node.pubkey()).await?,
        });
    }

    let mut problems = Vec::new();
    for n in &node_rows {
        match n.role {
            Role::Honest if n.rounds_paid < config.rounds as usize => problems.push(format!(
                "honest node {} was paid in {} of {} rounds",
                n.node, n.rounds_paid, config.rounds
            )),
            Role::Liar if n.slashed == 0 => {
                problems.push(format!("liar {} was not slashed", n.node))
            }
            Role::Liar | Role::Copier if n.earned > 0 => problems.push(format!(
                "{} {} earned {} lamports",
                n.role.name(),
                n.node,
                n.earned
            )),
            _ => {}
        }
    }
    let url = net.url().to_string();
    net.stop().await;
    let _ = std::fs::remove_dir_all(&state_dir);
    Ok(DemoReport {
        url,
        task,
        economics,
        rounds: rows.into_values().collect(),
        nodes: node_rows,
        problems,
    })
}

fn sol(lamports: u64) -> String {
    format!("{:.4}", lamports as f64 / LAMPORTS_PER_SOL as f64)
}

impl DemoReport {
    pub fn render(&self, config: &DemoConfig) -> String {
        let mut out = String::new();
        let cheaters: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| n.role != Role::Honest)
            .map(|n| n.role.name())
            .collect();
        out += &format!(
            "tasknet demo: {} honest node(s), {} cheater(s) [{}], {} round(s), commit-reveal on\n",
            config.honest,
            config.cheaters,
            cheaters.join(", "),
            config.rounds
        );
        out += &format!(
            "embedded local chain at {}; task {}\n\n",
            self.url, self.task
        );
        out += &format!(
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
        for r in &self.rounds {
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
        out += &format!(
            "\n{:<44}  {:<10}  {:>11}  {:>10}  {:>11}  {:>11}\n",
            "node", "role", "rounds paid", "earned SOL", "slashed SOL", "balance SOL"
        );
        for n in &self.nodes {
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
        out += "\n";
        if self.problems.is_empty() {
            out += "check passed: every honest node was paid every round; cheating did not pay\n";
        } else {
            for p in &self.problems {
                out += &format!("check FAILED: {p}\n");
            }
        }
        out
    }
}
