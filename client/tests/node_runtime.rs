//! The node runtime end to end: several nodes, in process, each with its own
//! state database, against `tasknet localnet` over real HTTP.

use std::time::Duration;

use tasknet::logic::{bps_of, reward_share};
use tasknet_client::demo::{run_scenario, Role, Scenario, NODE_STAKE};

/// Scenarios share two cores and real-time windows: run them one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn scenario(roles: Vec<Role>, rounds: u64) -> Scenario {
    Scenario {
        roles,
        rounds,
        slot_duration: Duration::from_millis(50),
        use_provider_url: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_honest_nodes_earn_exactly_their_shares() {
    let _serial = SERIAL.lock().await;
    let report = run_scenario(&scenario(vec![Role::Honest; 3], 3))
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.rounds.len(), 3);
    for row in &report.rounds {
        assert_eq!(
            (row.submissions, row.revealed, row.challenges, row.invalid),
            (3, 3, 0, 0),
            "{row:?}"
        );
    }
    for node in &report.nodes {
        let expected: Vec<(u64, u64)> = report
            .rounds
            .iter()
            .map(|r| (r.round, reward_share(r.pool, 3).unwrap().share))
            .collect();
        assert_eq!(node.earnings, expected, "node {}", node.node);
        assert_eq!(node.slashed, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liar_is_slashed_and_a_copier_gains_nothing() {
    let _serial = SERIAL.lock().await;
    let roles = vec![
        Role::Honest,
        Role::Honest,
        Role::Honest,
        Role::Copier,
        Role::Liar,
    ];
    let report = run_scenario(&scenario(roles, 2)).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let slash_bps = report.economics.slash_bps;
    let first = bps_of(NODE_STAKE, slash_bps);
    let second = bps_of(NODE_STAKE - first, slash_bps);
    for row in &report.rounds {
        // Five commitments; the copier cannot reveal one that binds another
        // node's key and salt; the liar's value is challenged and voted down.
        assert_eq!(
            (row.submissions, row.revealed, row.challenges, row.invalid),
            (5, 4, 1, 1),
            "{row:?}"
        );
    }
    assert_eq!(report.rounds[0].slashed, first);
    assert_eq!(report.rounds[1].slashed, second);
    for node in &report.nodes {
        match node.role {
            Role::Honest => {
                let expected: Vec<(u64, u64)> = report
                    .rounds
                    .iter()
                    .map(|r| (r.round, reward_share(r.pool, 3).unwrap().share))
                    .collect();
                assert_eq!(node.earnings, expected);
            }
            Role::Liar => {
                assert_eq!(
                    node.slashed,
                    first + second,
                    "slashed exactly slash_bps, each round"
                );
                assert_eq!(node.earned, 0);
            }
            Role::Copier => {
                assert_eq!(
                    (node.earned, node.slashed),
                    (0, 0),
                    "no reward, and a non-reveal is not a lie"
                );
            }
            Role::Withholder | Role::Tamperer => unreachable!("not in this scenario"),
        }
    }
}

/// One node process runs several tasks at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_runs_several_tasks() {
    use std::sync::Arc;

    use solana_keypair::Keypair;
    use solana_signer::Signer;
    use tasknet::instructions::CreateTaskArgs;
    use tasknet::logic::Schedule;
    use tasknet::state::Economics;
    use tasknet_client::chain::{ChainClient, SendConfig};
    use tasknet_client::demo::LAMPORTS_PER_SOL;
    use tasknet_client::localnet::Cluster;
    use tasknet_client::node::code::{IteratedHash, TaskCode};
    use tasknet_client::node::{Node, NodeConfig, Strategy, TaskSpec};
    use tasknet_client::sdk;

    let _serial = SERIAL.lock().await;
    let net = Cluster::from_env(Duration::from_millis(50)).await.unwrap();
    let send = SendConfig {
        poll_interval: Duration::from_millis(50),
        ..SendConfig::default()
    };
    let chain = ChainClient::new(net.url(), send.clone());
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
    let start_slot = chain.slot().await.unwrap() + 40;
    let mut tasks = Vec::new();
    for (task_id, commit_reveal) in [(1u64, true), (2, false)] {
        let args = CreateTaskArgs {
            task_id,
            name: format!("task {task_id}"),
            metadata_uri: String::new(),
            code_hash: IteratedHash.code_hash(),
            schedule: Schedule {
                start_slot,
                round_slots: 60,
                submit_slots: 20,
                reveal_slots: if commit_reveal { 15 } else { 0 },
                audit_slots: 15,
                claim_rounds: 1,
            },
            economics: Economics {
                reward_per_round: 1_000_000 * task_id,
                min_stake: LAMPORTS_PER_SOL,
                challenge_bond: 1_000,
                slash_bps: 1_000,
                challenger_share_bps: 1_000,
                vote_threshold_bps: 5_000,
                quorum_bps: 0,
            },
            commit_reveal,
        };
        let task = chain
            .create_task(&creator, args, LAMPORTS_PER_SOL)
            .await
            .unwrap();
        chain
            .send(
                &[sdk::stake(&node.pubkey(), &task, LAMPORTS_PER_SOL, None)],
                &node,
                &[],
            )
            .await
            .unwrap();
        tasks.push(task);
    }
    let dir = tempfile::tempdir().unwrap();
    let runner = Arc::new(
        Node::new(
            node.insecure_clone(),
            NodeConfig {
                rpc_url: net.url().to_string(),
                db_path: dir.path().join("node.db"),
                poll_interval: Duration::from_millis(100),
                send,
            },
        )
        .unwrap(),
    );
    let specs = tasks
        .iter()
        .map(|task| TaskSpec {
            task: *task,
            code: Arc::new(IteratedHash),
            strategy: Strategy::Honest,
        })
        .collect();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn({
        let runner = runner.clone();
        async move { runner.run(specs, stopped).await }
    });
    let deadline = tokio::time::Instant::now() + net.slot_duration() * 1_200;
    while tasks
        .iter()
        .any(|t| runner.store().earnings(t).unwrap().is_empty())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node did not claim on both tasks"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();
    // Alone in each round, the node earns each task's whole pool.
    assert_eq!(
        runner.store().earnings(&tasks[0]).unwrap()[0],
        (0, 1_000_000)
    );
    assert_eq!(
        runner.store().earnings(&tasks[1]).unwrap()[0],
        (0, 2_000_000)
    );
    net.stop().await;
}

/// Payloads travel over real HTTP between node runtimes: good payloads pass
/// audit; a withheld or tampered one is challenged and slashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_tampered_payloads_are_challenged() {
    let _serial = SERIAL.lock().await;
    let roles = vec![
        Role::Honest,
        Role::Honest,
        Role::Honest,
        Role::Withholder,
        Role::Tamperer,
    ];
    let report = run_scenario(&scenario(roles, 1)).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let row = &report.rounds[0];
    assert_eq!(
        (row.submissions, row.revealed, row.challenges, row.invalid),
        (5, 5, 2, 2),
        "{row:?}"
    );
    let first = bps_of(NODE_STAKE, report.economics.slash_bps);
    for node in &report.nodes {
        match node.role {
            Role::Honest => assert_eq!(
                node.earnings,
                vec![(0, reward_share(row.pool, 3).unwrap().share)]
            ),
            _ => assert_eq!((node.slashed, node.earned), (first, 0), "{:?}", node.role),
        }
    }
}
