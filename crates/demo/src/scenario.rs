//! Running a scenario: fund the keys, create the task, start one real node
//! runtime per role (each with its own state database and payload server),
//! watch the rounds until every one has closed, and report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::CreateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{Audit, AuditVerdict, Round, Stake};
use tasknet_localnet::{Cluster, LocalnetError};
use tasknet_node::code::{CodeError, ProofOfWork, TaskCode};
use tasknet_node::wasm::WasmCode;
use tasknet_node::{ModuleLibrary, Node, NodeConfig, NodeError, TaskSpec};
use tasknet_sandbox::{Limits, Sandbox};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::amount::LAMPORTS_PER_SOL;
use tasknet_sdk::chain::{ChainClient, ChainError, SendConfig};
use tasknet_sdk::defaults::{ECONOMICS, FAST_SCHEDULE};
use tasknet_sdk::tokens::TokenAsset;
use tasknet_sdk::{self as sdk, pda};
use tokio::sync::watch;

use crate::report::{problems, DemoReport, NodeRow, RoundRow};
use crate::roles::{serve_tampered, Copier, Lying, Role};

/// Stake each scenario node bonds.
pub const NODE_STAKE: u64 = 5 * LAMPORTS_PER_SOL;

/// `tasknet demo`'s flags.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    pub honest: usize,
    pub cheaters: usize,
    pub rounds: u64,
    pub slot_duration: Duration,
    /// A running cluster to use instead of an embedded chain.
    pub url: Option<String>,
    /// Pay the bounty in a new Token-2022 mint instead of SOL.
    pub token: bool,
    /// A proof-of-work task decided by the example verifier program: a
    /// liar is slashed with no vote.
    pub verifier: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            honest: 3,
            cheaters: 2,
            rounds: 3,
            slot_duration: Duration::from_millis(50),
            url: None,
            token: false,
            verifier: false,
        }
    }
}

impl DemoConfig {
    /// The honest nodes, then the cheaters: alternately a copier and a liar.
    pub fn roles(&self) -> Vec<Role> {
        let mut roles = vec![Role::Honest; self.honest];
        let cheater = |i| if i % 2 == 0 { Role::Copier } else { Role::Liar };
        roles.extend((0..self.cheaters).map(cheater));
        roles
    }
}

/// Which chain a scenario runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterChoice {
    /// A new embedded chain.
    Embedded,
    /// The cluster in `ANCHOR_PROVIDER_URL` when set, else a new embedded one.
    FromEnv,
    /// A running cluster where the program is deployed and whose faucet
    /// answers `requestAirdrop` (a local validator, devnet).
    Url(String),
}

/// A run of nodes with given roles over a number of rounds.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub roles: Vec<Role>,
    pub rounds: u64,
    /// Slot length of an embedded chain.
    pub slot_duration: Duration,
    pub cluster: ClusterChoice,
    /// Submissions each node audits per round.
    pub audits_per_round: u32,
    /// Pay the bounty in a new Token-2022 mint (`mint::create_demo_mint`)
    /// instead of SOL.
    pub token: bool,
    /// Play a proof-of-work task whose challenges the example verifier
    /// program (`tasknet-pow-verifier`) decides, instead of the WASM task.
    pub verifier: bool,
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

pub async fn run(config: DemoConfig) -> Result<DemoReport, DemoError> {
    Ok(run_then(config, async |_, _| {}).await?.0)
}

/// [`run`], and `then` as in [`run_scenario_then`].
pub async fn run_then<F, T>(config: DemoConfig, then: F) -> Result<(DemoReport, T), DemoError>
where
    F: AsyncFnOnce(&DemoReport, Served) -> T,
{
    run_scenario_then(
        &Scenario {
            roles: config.roles(),
            rounds: config.rounds,
            slot_duration: config.slot_duration,
            cluster: match config.url {
                Some(url) => ClusterChoice::Url(url),
                None => ClusterChoice::Embedded,
            },
            audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
            token: config.token,
            verifier: config.verifier,
        },
        then,
    )
    .await
}

pub async fn run_scenario(scenario: &Scenario) -> Result<DemoReport, DemoError> {
    Ok(run_scenario_then(scenario, async |_, _| {}).await?.0)
}

/// What a finished scenario still serves, before its chain stops: for a
/// look at the nodes' dashboards and the task in the explorer.
#[derive(Clone, Debug)]
pub struct Served {
    /// The chain's JSON-RPC URL.
    pub url: String,
    pub task: Pubkey,
    pub creator: Pubkey,
    /// Each node with a dashboard (its payload server): role, key, URL.
    pub dashboards: Vec<(Role, Pubkey, String)>,
}

/// [`run_scenario`], and `then` with the report and what is still served
/// once the rounds are played, before the chain stops.
pub async fn run_scenario_then<F, T>(
    scenario: &Scenario,
    then: F,
) -> Result<(DemoReport, T), DemoError>
where
    F: AsyncFnOnce(&DemoReport, Served) -> T,
{
    let net = match &scenario.cluster {
        ClusterChoice::Embedded => Cluster::embedded(scenario.slot_duration).await?,
        ClusterChoice::FromEnv => Cluster::from_env(scenario.slot_duration).await?,
        ClusterChoice::Url(url) => Cluster::external(url.clone()).await,
    };
    let embedded = matches!(net, Cluster::Embedded(_));
    let chain = ChainClient::new(net.url(), SendConfig::fast_polling());
    let state = StateDir::create()?;
    // Compiled before the task's clock starts: a round's first execution
    // then only loads it.
    let code = DemoCode::load(&state, scenario.verifier)?;
    let setup = Setup::create(&chain, scenario, code.hash).await?;
    let (nodes, endpoints) = start_nodes(
        &chain,
        &net,
        &setup,
        &state,
        &code,
        scenario.audits_per_round,
    )
    .await?;
    let (stop, stopped) = watch::channel(false);
    let handles: Vec<_> = nodes
        .iter()
        .map(|n| {
            let (node, spec, stopped) =
                (n.node.clone(), n.spec(setup.task, &code), stopped.clone());
            tokio::spawn(async move { node.run(vec![spec], stopped).await })
        })
        .collect();
    let rounds = watch_rounds(&chain, &setup, net.slot_duration()).await;
    let _ = stop.send(true);
    for handle in handles {
        if let Ok(Err(e)) = handle.await {
            tracing::warn!("node stopped with: {e}");
        }
    }
    let rows = node_rows(&chain, &setup, &nodes).await?;
    let url = net.url().to_string();
    let served = Served {
        url: url.clone(),
        task: setup.task,
        creator: setup.creator.pubkey(),
        dashboards: nodes
            .iter()
            .zip(&endpoints)
            .filter(|(n, _)| matches!(n.role, Role::Honest | Role::Liar | Role::Copier))
            .map(|(n, endpoint)| (n.role, n.node.pubkey(), endpoint.clone()))
            .collect(),
    };
    let report = DemoReport {
        url,
        embedded,
        task: setup.task,
        asset: setup.asset,
        verifier: scenario.verifier.then_some(tasknet_pow_verifier::ID),
        economics: ECONOMICS,
        rounds: rounds?,
        problems: problems(&rows, scenario.rounds),
        nodes: rows,
    };
    let after = then(&report, served).await;
    net.stop().await;
    Ok((report, after))
}

/// The example module, kept (and compiled) in a library every demo node
/// shares, and the same module for the liar to lie with; or, for the
/// verifier scenario, the proof-of-work code.
struct DemoCode {
    hash: [u8; 32],
    library: Arc<ModuleLibrary>,
    module: Arc<WasmCode>,
    proof_of_work: bool,
}

impl DemoCode {
    fn load(state: &StateDir, proof_of_work: bool) -> Result<Self, DemoError> {
        let dir = state.0.join("code");
        let library =
            Arc::new(ModuleLibrary::new(dir.clone(), Limits::default()).map_err(NodeError::from)?);
        let hash = library
            .add(crate::EXAMPLE_MODULE)
            .map_err(NodeError::from)?;
        let sandbox = Sandbox::new(Some(dir))
            .map_err(CodeError::from)
            .map_err(NodeError::from)?;
        let module = WasmCode::load(
            Arc::new(sandbox),
            crate::EXAMPLE_MODULE,
            &hash,
            Limits::default(),
        )
        .map_err(NodeError::from)?;
        let hash = if proof_of_work {
            ProofOfWork.code_hash()
        } else {
            hash
        };
        Ok(Self {
            hash,
            library,
            module: Arc::new(module),
            proof_of_work,
        })
    }
}

/// The nodes' state databases, removed when the scenario ends.
struct StateDir(PathBuf);

impl StateDir {
    fn create() -> Result<Self, DemoError> {
        let dir = std::env::temp_dir().join(format!("tasknet-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(DemoError::StateDir)?;
        Ok(Self(dir))
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The creator, the nodes' keys (all funded by the faucet) and the task.
struct Setup {
    creator: Keypair,
    keys: Vec<(Keypair, Role)>,
    task: Pubkey,
    schedule: Schedule,
    rounds: u64,
    /// The mint a token scenario pays in.
    asset: Option<TokenAsset>,
}

impl Setup {
    async fn create(
        chain: &ChainClient,
        scenario: &Scenario,
        code_hash: [u8; 32],
    ) -> Result<Self, DemoError> {
        let creator = Keypair::new();
        chain
            .airdrop(&creator.pubkey(), 100 * LAMPORTS_PER_SOL)
            .await?;
        let keys: Vec<(Keypair, Role)> = scenario
            .roles
            .iter()
            .map(|role| (Keypair::new(), *role))
            .collect();
        let fund = |to: Pubkey| async move { chain.airdrop(&to, 20 * LAMPORTS_PER_SOL).await };
        futures::future::try_join_all(keys.iter().map(|(k, _)| fund(k.pubkey()))).await?;
        // Round 0 starts once every node has staked and loaded its code,
        // with room for a loaded machine (two rounds' worth of slots).
        let schedule = Schedule {
            start_slot: chain.slot().await? + 2 * FAST_SCHEDULE.round_slots,
            ..FAST_SCHEDULE
        };
        let (name, metadata_uri) = if scenario.verifier {
            (
                "proof-of-work demo",
                "https://example.org/tasknet/proof-of-work",
            )
        } else {
            (
                "iterated-hash demo",
                "https://example.org/tasknet/iterated-hash",
            )
        };
        let args = CreateTaskArgs {
            task_id: 1,
            name: name.into(),
            metadata_uri: metadata_uri.into(),
            code_hash,
            code_uri: String::new(),
            code_limits: Default::default(),
            schedule,
            economics: ECONOMICS,
            commit_reveal: true,
            accept_freeze_authority: false,
            verifier: scenario.verifier.then_some(tasknet_pow_verifier::ID),
        };
        let bounty = ECONOMICS.reward_per_round * scenario.rounds;
        let (task, asset) = if scenario.token {
            // The same numbers, in a 6-decimal token: each round pays
            // `reward_per_round` of its smallest units.
            let asset = crate::mint::create_demo_mint(chain, &creator, bounty).await?;
            let task = pda::task(&creator.pubkey(), args.task_id);
            let ixs = [
                sdk::create_task_in(&creator.pubkey(), args, Some(&asset)),
                sdk::fund_task_in(&creator.pubkey(), &task, bounty, Some(&asset)),
            ];
            chain.send(&ixs, &creator, &[]).await?;
            (task, Some(asset))
        } else {
            (chain.create_task(&creator, args, bounty).await?, None)
        };
        Ok(Self {
            creator,
            keys,
            task,
            schedule,
            rounds: scenario.rounds,
            asset,
        })
    }
}

/// One node of the scenario: the real runtime, in its role.
struct DemoNode {
    node: Arc<Node>,
    role: Role,
}

impl DemoNode {
    fn spec(&self, task: Pubkey, code: &DemoCode) -> TaskSpec {
        if code.proof_of_work {
            let honest = TaskSpec::new(task, Arc::new(ProofOfWork));
            return match self.role {
                Role::Liar => TaskSpec::new(task, Arc::new(Lying(ProofOfWork))),
                Role::Copier => honest.with_policy(Arc::new(Copier)),
                _ => honest,
            };
        }
        let honest = TaskSpec::by_hash(task, code.library.clone());
        match self.role {
            Role::Liar => TaskSpec::new(task, Arc::new(Lying(code.module.clone()))),
            Role::Copier => honest.with_policy(Arc::new(Copier)),
            _ => honest,
        }
    }

    /// Where auditors fetch this node's payloads: its own server, a
    /// tampering one, or (for a withholder) an address where nothing answers.
    async fn endpoint(&self, library: &ModuleLibrary) -> Result<String, DemoError> {
        let local = "127.0.0.1:0".parse().expect("address");
        let addr = match self.role {
            Role::Withholder => return Ok("http://127.0.0.1:9".into()),
            Role::Tamperer => serve_tampered(self.node.store().clone())
                .await
                .map_err(NodeError::PayloadServer)?,
            _ => self.node.serve_payloads_and_code(local, library).await?,
        };
        Ok(format!("http://{addr}"))
    }
}

/// Starts each node's runtime and payload server, and stakes it with the
/// endpoint auditors will use; returns the nodes and their endpoints.
async fn start_nodes(
    chain: &ChainClient,
    net: &Cluster,
    setup: &Setup,
    state: &StateDir,
    code: &DemoCode,
    audits_per_round: u32,
) -> Result<(Vec<DemoNode>, Vec<String>), DemoError> {
    let mut nodes = Vec::new();
    for (i, (keypair, role)) in setup.keys.iter().enumerate() {
        let config = NodeConfig {
            rpc_url: net.url().to_string(),
            db_path: state.0.join(format!("node-{i}.db")),
            poll_interval: Duration::from_millis(100),
            send: SendConfig::fast_polling(),
            audits_per_round,
            follow: Default::default(),
        };
        let node = Arc::new(Node::new(keypair.insecure_clone(), config)?);
        nodes.push(DemoNode { node, role: *role });
    }
    let stakes = setup
        .keys
        .iter()
        .zip(&nodes)
        .map(|((key, _), node)| async move {
            let endpoint = node.endpoint(&code.library).await?;
            let ix = sdk::stake(
                &key.pubkey(),
                &setup.task,
                NODE_STAKE,
                Some(endpoint.clone()),
            );
            chain.send(&[ix], key, &[]).await?;
            Ok::<_, DemoError>(endpoint)
        });
    let endpoints = futures::future::try_join_all(stakes).await?;
    Ok((nodes, endpoints))
}

/// What the scenario saw of each round while it ran.
#[derive(Default)]
struct Observer {
    rows: BTreeMap<u64, RoundRow>,
    /// Each node's `slashed_total` when last seen: a slash is attributed to
    /// the round whose invalid verdict caused it.
    slashed_seen: BTreeMap<Pubkey, u64>,
    /// Audits whose slash is counted.
    attributed: BTreeSet<Pubkey>,
}

impl Observer {
    async fn look(
        &mut self,
        chain: &ChainClient,
        task: &Pubkey,
        round: u64,
    ) -> Result<(), DemoError> {
        if let Some(r) = chain.account::<Round>(&pda::round(task, round)).await? {
            let row = self.rows.entry(round).or_default();
            row.round = round;
            row.submissions = r.submissions;
            row.revealed = r.revealed;
            row.invalid = r.invalidated;
            row.pool = r.reward_pool;
            row.paid = r.claimed_sum;
        }
        let audits: Vec<(Pubkey, Audit)> = chain
            .program_accounts(&filters::round_audits(task, round))
            .await?;
        if !audits.is_empty() {
            let row = self.rows.entry(round).or_default();
            row.challenges = row.challenges.max(audits.len() as u32);
            let votes = audits
                .iter()
                .map(|(_, a)| a.voter_count.saturating_sub(1))
                .sum();
            row.votes = row.votes.max(votes);
        }
        for (key, audit) in &audits {
            if audit.verdict != AuditVerdict::Invalid || !self.attributed.insert(*key) {
                continue;
            }
            let stake: Option<Stake> = chain.account(&pda::stake(task, &audit.node)).await?;
            let now = stake.map_or(0, |s| s.slashed_total);
            let before = self.slashed_seen.insert(audit.node, now).unwrap_or(0);
            self.rows.entry(round).or_default().slashed += now.saturating_sub(before);
        }
        Ok(())
    }
}

/// Watches the rounds until every one has settled and closed; pauses the
/// task before a round after the last one can start.
async fn watch_rounds(
    chain: &ChainClient,
    setup: &Setup,
    slot_duration: Duration,
) -> Result<Vec<RoundRow>, DemoError> {
    let (schedule, rounds, task) = (setup.schedule, setup.rounds, setup.task);
    let last = rounds.saturating_sub(1);
    let slots = schedule.claim_deadline(rounds) - schedule.start_slot + 400;
    let limit = slot_duration * u32::try_from(slots).unwrap_or(u32::MAX);
    let deadline = tokio::time::Instant::now() + limit;
    let mut observer = Observer::default();
    let mut paused = false;
    loop {
        if tokio::time::Instant::now() > deadline {
            return Err(DemoError::Timeout(limit));
        }
        let slot = chain.slot().await?;
        if !paused && rounds > 0 && slot >= schedule.submit_end(last) {
            let creator = &setup.creator;
            let pause = sdk::pause_task(&creator.pubkey(), &task);
            chain.send(&[pause], creator, &[]).await?;
            paused = true;
        }
        for round in 0..rounds {
            observer.look(chain, &task, round).await?;
        }
        let round_keys: Vec<Pubkey> = (0..rounds).map(|r| pda::round(&task, r)).collect();
        let all_closed = slot >= schedule.claim_deadline(last)
            && chain
                .raw_accounts(&round_keys)
                .await?
                .iter()
                .all(Option::is_none);
        if all_closed && paused {
            return Ok(observer.rows.into_values().collect());
        }
        tokio::time::sleep(slot_duration * 4).await;
    }
}

/// Who earned what (from each node's store), who was slashed, balances.
async fn node_rows(
    chain: &ChainClient,
    setup: &Setup,
    nodes: &[DemoNode],
) -> Result<Vec<NodeRow>, DemoError> {
    let mut rows = Vec::new();
    for n in nodes {
        let earnings = n
            .node
            .store()
            .earnings(&setup.task)
            .map_err(NodeError::from)?;
        let me = n.node.pubkey();
        let stake: Option<Stake> = chain.account(&pda::stake(&setup.task, &me)).await?;
        rows.push(NodeRow {
            node: me,
            role: n.role,
            rounds_paid: earnings.iter().filter(|(_, amount)| *amount > 0).count(),
            earned: earnings.iter().map(|(_, amount)| amount).sum(),
            earnings,
            slashed: stake.map_or(0, |s| s.slashed_total),
            balance: chain.balance(&me).await?,
            token_balance: match &setup.asset {
                Some(asset) => Some(chain.token_balance(&asset.ata(&me)).await?),
                None => None,
            },
            audits_run: n
                .node
                .store()
                .audit_count(&setup.task)
                .map_err(NodeError::from)?,
        });
    }
    Ok(rows)
}
