//! The node runtime against a real chain (the validator under `anchor
//! test`, else an embedded one): one node process runs several tasks at
//! once, commit-reveal and plain, and claims on each; account notifications
//! wake it between polls.

use std::sync::Arc;
use std::time::Duration;

use solana_signer::Signer;
use tasknet::instructions::CreateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{Economics, Submission, SubmissionStatus};
use tasknet_node::code::{IteratedHash, TaskCode};
use tasknet_node::{Node, NodeConfig, TaskSpec};
use tasknet_sdk::chain::SendConfig;
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::proxy::CountingProxy;
use tasknet_testkit::{
    open_plain_task, schedule_from, task_args, wait_for_slot, TestCluster, SOL, TEST_ECONOMICS,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_runs_several_tasks() {
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let creator = cluster.funded(10 * SOL).await;
    let node = cluster.funded(10 * SOL).await;
    // 4 s at 50 ms slots for two tasks and two stakes, on a loaded machine too.
    let start_slot = chain.slot().await.unwrap() + 80;
    let mut tasks = Vec::new();
    for (task_id, commit_reveal) in [(1u64, true), (2, false)] {
        let schedule = Schedule {
            reveal_slots: if commit_reveal { 15 } else { 0 },
            audit_slots: 15,
            ..schedule_from(start_slot)
        };
        let mut args = task_args(task_id, IteratedHash.code_hash(), schedule);
        args.economics = Economics {
            reward_per_round: 1_000_000 * task_id,
            ..TEST_ECONOMICS
        };
        let task = chain.create_task(&creator, args, SOL).await.unwrap();
        let stake = sdk::stake(&node.pubkey(), &task, SOL, None);
        chain.send(&[stake], &node, &[]).await.unwrap();
        tasks.push(task);
    }
    let config = NodeConfig {
        rpc_url: cluster.url().to_string(),
        db_path: cluster.dir.path().join("node.db"),
        poll_interval: Duration::from_millis(100),
        send: SendConfig::fast_polling(),
        audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        follow: Default::default(),
    };
    let running = Running::start(&node, config, tasks.clone());
    let store = running.node.store().clone();
    cluster
        .wait_for("the node to claim on both tasks", 1_200, || async {
            tasks.iter().all(|t| !store.earnings(t).unwrap().is_empty())
        })
        .await;
    running.stop().await;
    // Alone in each round, the node earns each task's whole pool.
    assert_eq!(store.earnings(&tasks[0]).unwrap()[0], (0, 1_000_000));
    assert_eq!(store.earnings(&tasks[1]).unwrap()[0], (0, 2_000_000));
    cluster.stop().await;
}

/// Account notifications wake the pipeline: a node polling once an hour,
/// on a task paused before its round opened, submits within moments of
/// the task's resumption. Only the task account's notification can cause
/// that tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_task_wakes_the_node_at_once() {
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let creator = cluster.funded(10 * SOL).await;
    let node = cluster.funded(10 * SOL).await;
    let start_slot = chain.slot().await.unwrap() + 60;
    let args = CreateTaskArgs {
        code_hash: IteratedHash.code_hash(),
        ..open_plain_task(1, start_slot)
    };
    let task = chain.create_task(&creator, args, SOL).await.unwrap();
    let stake = sdk::stake(&node.pubkey(), &task, SOL, None);
    chain.send(&[stake], &node, &[]).await.unwrap();
    let pause = sdk::pause_task(&creator.pubkey(), &task);
    chain.send(&[pause], &creator, &[]).await.unwrap();

    let config = NodeConfig {
        rpc_url: cluster.url().to_string(),
        db_path: cluster.dir.path().join("node.db"),
        poll_interval: Duration::from_secs(3600),
        send: SendConfig::fast_polling(),
        audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        follow: Default::default(),
    };
    let running = Running::start(&node, config, vec![task]);
    let submission = pda::submission(&task, 0, &node.pubkey());
    let submitted = || async {
        chain
            .account::<Submission>(&submission)
            .await
            .unwrap()
            .is_some()
    };
    // Round 0 is open, the task paused: the node's first tick does nothing.
    wait_for_slot(chain, start_slot + 5).await;
    assert!(!submitted().await, "nothing is submitted on a paused task");

    let resume = sdk::resume_task(&creator.pubkey(), &task);
    chain.send(&[resume], &creator, &[]).await.unwrap();
    cluster
        .wait_for("the woken node's submission", 200, submitted)
        .await;
    running.stop().await;
    cluster.stop().await;
}

/// A node running the example code on some tasks, until stopped.
struct Running {
    node: Arc<Node>,
    stop: tokio::sync::watch::Sender<bool>,
    handle: tokio::task::JoinHandle<Result<(), tasknet_node::NodeError>>,
}

impl Running {
    fn start(
        keypair: &solana_keypair::Keypair,
        config: NodeConfig,
        tasks: Vec<anchor_lang::prelude::Pubkey>,
    ) -> Self {
        let node = Arc::new(Node::new(keypair.insecure_clone(), config).unwrap());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let specs = tasks
            .into_iter()
            .map(|task| TaskSpec::new(task, Arc::new(IteratedHash)))
            .collect();
        let handle = tokio::spawn({
            let node = node.clone();
            async move { node.run(specs, stopped).await }
        });
        Self { node, stop, handle }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.handle.await.unwrap().unwrap();
    }
}

/// Runs the node on `task` until it has an earning; its earnings.
async fn run_until_earned(
    cluster: &TestCluster,
    node: &solana_keypair::Keypair,
    task: anchor_lang::prelude::Pubkey,
    config: NodeConfig,
) -> Vec<(u64, u64)> {
    let running = Running::start(node, config, vec![task]);
    let store = running.node.store().clone();
    cluster
        .wait_for("an earning", 1_200, || async {
            !store.earnings(&task).unwrap().is_empty()
        })
        .await;
    running.stop().await;
    store.earnings(&task).unwrap()
}

/// A bundled transaction that landed while the node was down — the claim
/// of round 0 riding with the submit of round 1, killed between send and
/// confirm: both outbox entries still pending, no earning recorded — is
/// found on restart: marked confirmed, its earning recorded from the
/// chain's `RewardClaimed` event, and neither action sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_that_landed_while_down_is_recorded_from_the_chain() {
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let creator = cluster.funded(10 * SOL).await;
    let node = cluster.funded(10 * SOL).await;
    let schedule = Schedule {
        reveal_slots: 0,
        audit_slots: 10,
        ..schedule_from(chain.slot().await.unwrap() + 40)
    };
    let task = chain
        .create_task(
            &creator,
            task_args(1, IteratedHash.code_hash(), schedule),
            SOL,
        )
        .await
        .unwrap();
    let stake = sdk::stake(&node.pubkey(), &task, SOL, None);
    chain.send(&[stake], &node, &[]).await.unwrap();
    let db = cluster.dir.path().join("node.db");
    let config = NodeConfig {
        rpc_url: cluster.url().to_string(),
        db_path: db.clone(),
        poll_interval: Duration::from_millis(100),
        send: SendConfig::fast_polling(),
        audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        follow: Default::default(),
    };
    let earned = run_until_earned(&cluster, &node, task, config.clone()).await;

    // As if the node died after sending its claim and before seeing it
    // confirmed: the entry pending, the earning never written.
    let sql = rusqlite::Connection::open(&db).unwrap();
    let claims = "SELECT COUNT(*) FROM outbox WHERE action = 'claim'";
    let count =
        |sql: &rusqlite::Connection| -> i64 { sql.query_row(claims, [], |r| r.get(0)).unwrap() };
    assert_eq!(count(&sql), 1);
    // The claim rode in the transaction of the next round's submit: the
    // outbox holds that one signature under both actions.
    let signature: String = sql
        .query_row(
            "SELECT signature FROM outbox WHERE action = 'claim'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let carried: Vec<(i64, String)> = {
        let mut stmt = sql
            .prepare("SELECT round, action FROM outbox WHERE signature = ?1 ORDER BY round")
            .unwrap();
        let rows = stmt.query_map([&signature], |r| Ok((r.get(0)?, r.get(1)?)));
        rows.unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(
        carried,
        [(0, "claim".to_string()), (1, "submit".to_string())],
        "one transaction, keyed by both of its actions"
    );
    sql.execute(
        "UPDATE outbox SET state = 'pending' WHERE signature = ?1",
        [&signature],
    )
    .unwrap();
    sql.execute("DELETE FROM earnings", []).unwrap();

    let again = run_until_earned(&cluster, &node, task, config).await;
    assert_eq!(again, earned, "the same earning, read back from the chain");
    assert_eq!(count(&sql), 1, "the claim was not sent again");
    let resent = "SELECT COUNT(*) FROM outbox WHERE round <= 1 AND action IN ('claim', 'submit')";
    let rows_now: i64 = sql.query_row(resent, [], |r| r.get(0)).unwrap();
    assert_eq!(rows_now, 3, "the bundle's submit was not sent again either");

    cluster.stop().await;
}

/// Reads follow the websocket, and a dropped websocket loses no phase:
/// the node, reaching the chain through a proxy that cuts every websocket
/// once it has submitted and again once it has revealed, still reveals,
/// claims the whole pool and closes nothing twice — the outcome of an
/// undisturbed round — and reconnects each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_websocket_loses_no_phase() {
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let creator = cluster.funded(10 * SOL).await;
    let node = cluster.funded(10 * SOL).await;
    let schedule = Schedule {
        reveal_slots: 20,
        audit_slots: 10,
        ..schedule_from(chain.slot().await.unwrap() + 40)
    };
    let args = task_args(1, IteratedHash.code_hash(), schedule);
    let task = chain.create_task(&creator, args, SOL).await.unwrap();
    let stake = sdk::stake(&node.pubkey(), &task, SOL, None);
    chain.send(&[stake], &node, &[]).await.unwrap();
    let proxy = CountingProxy::for_url(cluster.url()).await.unwrap();
    let config = NodeConfig {
        rpc_url: proxy.url(),
        db_path: cluster.dir.path().join("node.db"),
        poll_interval: Duration::from_millis(100),
        send: SendConfig::fast_polling(),
        audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        follow: Default::default(),
    };
    let running = Running::start(&node, config, vec![task]);
    let runner = &running.node;
    let submission = pda::submission(&task, 0, &node.pubkey());
    let status = || async {
        chain
            .account::<Submission>(&submission)
            .await
            .unwrap()
            .map(|s| s.status)
    };
    cluster
        .wait_for("the node's submission", 400, || async {
            status().await.is_some()
        })
        .await;
    let connections = proxy.counts().ws_connections;
    proxy.drop_websockets();
    cluster
        .wait_for("the node's reveal after the drop", 600, || async {
            status().await == Some(SubmissionStatus::Revealed)
        })
        .await;
    proxy.drop_websockets();
    let store = runner.store().clone();
    cluster
        .wait_for("the claim after the second drop", 1_200, || async {
            !store.earnings(&task).unwrap().is_empty()
        })
        .await;
    running.stop().await;
    assert_eq!(store.earnings(&task).unwrap(), vec![(0, 1_000_000)]);
    assert!(
        proxy.counts().ws_connections > connections,
        "the node reconnected: {:?}",
        proxy.counts()
    );
    cluster.stop().await;
}
