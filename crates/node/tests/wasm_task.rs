//! A task whose code is a WebAssembly module, end to end on a real chain
//! (the validator under `anchor test`, else an embedded one): two nodes run
//! the example module (built here for wasm32-wasip1) in their sandboxes,
//! submit, audit each other and are paid. The module computes exactly what
//! the native example does, and the sharded example gives each node its
//! own work.

use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use sha2::{Digest, Sha256};
use solana_signer::Signer;
use tasknet::logic::Schedule;
use tasknet_node::code::{IteratedHash, RoundInput, TaskCode};
use tasknet_node::wasm::WasmCode;
use tasknet_node::{Node, NodeConfig, TaskSpec};
use tasknet_sandbox::{Limits, Sandbox};
use tasknet_sdk::chain::SendConfig;
use tasknet_sdk::{self as sdk};
use tasknet_testkit::{schedule_from, task_args, task_module, TestCluster, SOL};

fn load(name: &str) -> (WasmCode, [u8; 32]) {
    let bytes = std::fs::read(task_module(name)).unwrap();
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    let sandbox = Arc::new(Sandbox::new(None).unwrap());
    let code = WasmCode::load(sandbox, &bytes, &hash, Limits::default()).unwrap();
    (code, hash)
}

#[test]
fn the_module_computes_what_the_native_example_does() {
    let (module, hash) = load("iterated_hash");
    assert_eq!(module.code_hash(), hash);
    let input = RoundInput::new(Pubkey::new_unique(), 5, Pubkey::new_unique());
    let payload = module.execute(&input).unwrap();
    assert_eq!(payload, IteratedHash.execute(&input).unwrap());
    assert!(module.audit(&input, &input.node, &payload).unwrap());
    let mut wrong = payload.clone();
    wrong[0] ^= 1;
    assert!(!module.audit(&input, &input.node, &wrong).unwrap());
}

#[test]
fn sharded_work_differs_per_node_and_is_audited_as_that_nodes() {
    let (module, _) = load("shard_hash");
    let task = Pubkey::new_unique();
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let work_a = module.execute(&RoundInput::new(task, 1, a)).unwrap();
    let work_b = module.execute(&RoundInput::new(task, 1, b)).unwrap();
    assert_ne!(work_a, work_b);
    let audit_of_a = RoundInput::new(task, 1, a);
    assert!(module.audit(&audit_of_a, &a, &work_a).unwrap());
    assert!(
        !module.audit(&audit_of_a, &a, &work_b).unwrap(),
        "b's work passed as a's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_run_a_wasm_task_and_are_paid() {
    let (_, hash) = load("iterated_hash");
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let creator = cluster.funded(10 * SOL).await;
    // Time for two airdrops, two nodes and two stakes before round 0, on
    // a loaded machine too.
    let start_slot = chain.slot().await.unwrap() + 200;
    let schedule = Schedule {
        reveal_slots: 0,
        audit_slots: 15,
        ..schedule_from(start_slot)
    };
    let task = chain
        .create_task(&creator, task_args(1, hash, schedule), SOL)
        .await
        .unwrap();
    let mut nodes = Vec::new();
    for i in 0..2 {
        let keypair = cluster.funded(10 * SOL).await;
        let config = NodeConfig {
            rpc_url: cluster.url().to_string(),
            db_path: cluster.dir.path().join(format!("node{i}.db")),
            poll_interval: Duration::from_millis(100),
            send: SendConfig::fast_polling(),
            audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
            follow: Default::default(),
        };
        let node = Arc::new(Node::new(keypair.insecure_clone(), config).unwrap());
        let served = node
            .serve_payloads("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let endpoint = Some(format!("http://{served}"));
        let stake = sdk::stake(&keypair.pubkey(), &task, SOL, endpoint);
        chain.send(&[stake], &keypair, &[]).await.unwrap();
        nodes.push(node);
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut handles = Vec::new();
    for node in &nodes {
        let (code, _) = load("iterated_hash");
        let specs = vec![TaskSpec::new(task, Arc::new(code))];
        let (node, stopped) = (node.clone(), stopped.clone());
        handles.push(tokio::spawn(async move { node.run(specs, stopped).await }));
    }
    cluster
        .wait_for("both nodes to be paid for round 0", 1_200, || async {
            nodes.iter().all(|n| {
                let earnings = n.store().earnings(&task).unwrap();
                earnings.iter().any(|(round, _)| *round == 0)
            })
        })
        .await;
    stop.send(true).unwrap();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    // Two valid submitters split round 0's pool.
    for node in &nodes {
        let earnings = node.store().earnings(&task).unwrap();
        assert!(earnings.contains(&(0, 500_000)), "{earnings:?}");
    }
    cluster.stop().await;
}
