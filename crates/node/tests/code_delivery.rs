//! Task code that travels, on a real chain (the validator under `anchor
//! test`, else an embedded one): nodes with empty module libraries find a
//! task's WebAssembly module by its hash — the first at the creator's code
//! URI, the second, after the URI starts serving other bytes, from its
//! staked peer — and both are paid; and a node given bad modules refuses
//! each by name, counts it, skips those rounds, and is still paid on the
//! task whose module is good.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use axum::routing::get;
use sha2::{Digest, Sha256};
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::CreateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::CodeLimits;
use tasknet_node::{ModuleLibrary, Node, NodeConfig, TaskSpec};
use tasknet_sandbox::Limits;
use tasknet_sdk::chain::SendConfig;
use tasknet_sdk::{self as sdk};
use tasknet_testkit::{schedule_from, task_args, task_module, TestCluster, SOL};
use tokio::sync::watch;

/// A fast plain schedule whose round 0 starts `lead` slots from now.
async fn schedule(cluster: &TestCluster, lead: u64) -> Schedule {
    let start_slot = cluster.chain.slot().await.unwrap() + lead;
    Schedule {
        reveal_slots: 0,
        audit_slots: 15,
        ..schedule_from(start_slot)
    }
}

/// A node with its own empty library, serving payloads and modules, staked
/// on `tasks` with that endpoint.
async fn start_node(
    cluster: &TestCluster,
    name: &str,
    tasks: &[Pubkey],
) -> (Arc<Node>, Arc<ModuleLibrary>, Keypair) {
    let keypair = cluster.funded(10 * SOL).await;
    let config = NodeConfig {
        rpc_url: cluster.url().to_string(),
        db_path: cluster.dir.path().join(format!("{name}.db")),
        poll_interval: Duration::from_millis(100),
        send: SendConfig::fast_polling(),
        audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        follow: Default::default(),
    };
    let node = Arc::new(Node::new(keypair.insecure_clone(), config).unwrap());
    let dir = cluster.dir.path().join(format!("{name}-code"));
    let library = Arc::new(ModuleLibrary::new(dir, Limits::default()).unwrap());
    let served = node
        .serve_payloads_and_code("127.0.0.1:0".parse().unwrap(), &library)
        .await
        .unwrap();
    for task in tasks {
        let endpoint = Some(format!("http://{served}"));
        let stake = sdk::stake(&keypair.pubkey(), task, SOL, endpoint);
        cluster.chain.send(&[stake], &keypair, &[]).await.unwrap();
    }
    (node, library, keypair)
}

/// The creator's code URI: the module for the first request, then other
/// bytes (a gateway gone bad), counting requests.
async fn serve_uri(module: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let app = axum::Router::new().route(
        "/iterated_hash.wasm",
        get(move || {
            let (module, counted) = (module.clone(), counted.clone());
            async move {
                match counted.fetch_add(1, Ordering::SeqCst) {
                    0 => module,
                    _ => b"not the module".to_vec(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/iterated_hash.wasm"), requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_fetch_the_module_from_the_uri_and_from_a_peer_and_are_paid() {
    let module = std::fs::read(task_module("iterated_hash")).unwrap();
    let hash: [u8; 32] = Sha256::digest(&module).into();
    let (uri, uri_requests) = serve_uri(module.clone()).await;
    let cluster = TestCluster::start().await;
    let creator = cluster.funded(10 * SOL).await;
    let args = CreateTaskArgs {
        code_uri: uri,
        ..task_args(1, hash, schedule(&cluster, 200).await)
    };
    let task = cluster
        .chain
        .create_task(&creator, args, SOL)
        .await
        .unwrap();
    let (first, first_library, _) = start_node(&cluster, "first", &[task]).await;
    let (second, second_library, _) = start_node(&cluster, "second", &[task]).await;
    assert!(!first_library.path(&hash).exists() && !second_library.path(&hash).exists());

    let (stop, stopped) = watch::channel(false);
    let run = |node: &Arc<Node>, library: &Arc<ModuleLibrary>, stopped: &watch::Receiver<bool>| {
        let (node, stopped) = (node.clone(), stopped.clone());
        let specs = vec![TaskSpec::by_hash(task, library.clone())];
        tokio::spawn(async move { node.run(specs, stopped).await })
    };
    let mut handles = vec![run(&first, &first_library, &stopped)];
    cluster
        .wait_for("the first node to fetch the module", 600, || async {
            first_library.path(&hash).exists()
        })
        .await;
    // The URI now serves other bytes: the second node must refuse them and
    // ask its peer.
    handles.push(run(&second, &second_library, &stopped));
    // The second node starts late (after the first one's fetch, at round
    // 0's start): it may only make a later round.
    cluster
        .wait_for("both nodes to be paid", 2_000, || async {
            [&first, &second]
                .iter()
                .all(|node| !node.store().earnings(&task).unwrap().is_empty())
        })
        .await;
    stop.send(true).unwrap();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    assert!(
        uri_requests.load(Ordering::SeqCst) >= 2,
        "the second node asked the URI first"
    );
    let kept = std::fs::read(second_library.path(&hash)).unwrap();
    assert_eq!(
        kept, module,
        "the second node kept the peer's (right) bytes"
    );
    for node in [&first, &second] {
        let failures = &node.ops().metrics.code_failures;
        assert_eq!(failures.with_label_values(&["missing"]).get(), 0);
    }
    cluster.stop().await;
}

/// A bad module's `.wat` source, compiled.
fn bad_module(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../sandbox/tests/modules/{name}.wat",
        env!("CARGO_MANIFEST_DIR")
    );
    wat::parse_file(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_modules_are_refused_by_name_and_the_good_task_still_pays() {
    let good = std::fs::read(task_module("iterated_hash")).unwrap();
    // (module, the metrics label its failure is counted under)
    let bad = [
        ("infinite_loop", "out_of_fuel"),
        ("memory_bomb", "over_limit"),
        ("opens_a_file", "forbidden_import"),
        ("writes_2mib", "output_too_large"),
        ("traps", "trap"),
    ];
    let cluster = TestCluster::start().await;
    let creator = cluster.funded(10 * SOL).await;
    // Time for six tasks and six stakes before round 0.
    let schedule = schedule(&cluster, 500).await;
    // A small fuel budget keeps the infinite loop's round short.
    let limits = CodeLimits {
        fuel: 50_000_000,
        memory_mib: 16,
        deadline_ms: 0,
    };
    let mut tasks = Vec::new();
    let mut modules = vec![good.clone()];
    modules.extend(bad.iter().map(|(name, _)| bad_module(name)));
    for (id, bytes) in modules.iter().enumerate() {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let args = CreateTaskArgs {
            code_limits: if id == 0 {
                CodeLimits::default()
            } else {
                limits
            },
            ..task_args(id as u64 + 1, hash, schedule)
        };
        let task = cluster
            .chain
            .create_task(&creator, args, SOL)
            .await
            .unwrap();
        tasks.push((task, hash));
    }
    let keys: Vec<Pubkey> = tasks.iter().map(|(task, _)| *task).collect();
    let (node, library, _) = start_node(&cluster, "node", &keys).await;
    // The operator already has every module (no fetching here): written
    // into the library as they are, bad ones included.
    for ((_, hash), bytes) in tasks.iter().zip(&modules) {
        std::fs::write(library.path(hash), bytes).unwrap();
    }
    let (stop, stopped) = watch::channel(false);
    let specs = keys
        .iter()
        .map(|task| TaskSpec::by_hash(*task, library.clone()))
        .collect();
    let runner = node.clone();
    let handle = tokio::spawn(async move { runner.run(specs, stopped).await });
    let metrics = &node.ops().metrics;
    let last = std::sync::Mutex::new(String::new());
    cluster
        .wait_for(
            "the good task to pay, each bad module refused",
            2_000,
            || async {
                let counted: Vec<u64> = bad
                    .iter()
                    .map(|(_, kind)| metrics.code_failures.with_label_values(&[kind]).get())
                    .collect();
                let paid = !node.store().earnings(&keys[0]).unwrap().is_empty();
                let seen = format!("paid on the good task: {paid}; failures counted: {counted:?}");
                if *last.lock().unwrap() != seen {
                    eprintln!("{seen}");
                    *last.lock().unwrap() = seen;
                }
                paid && counted.iter().all(|count| *count >= 1)
            },
        )
        .await;
    stop.send(true).unwrap();
    handle.await.unwrap().unwrap();

    let status = node.ops().status.lock().unwrap().clone();
    let slot = cluster.chain.slot().await.unwrap();
    let rounds_started = schedule.round_at(slot).map_or(1, |r| r + 1);
    for ((task, _), (name, kind)) in tasks.iter().skip(1).zip(&bad) {
        // Nothing was submitted for a task whose code failed.
        let submission = sdk::pda::submission(task, 0, &node.pubkey());
        let found = cluster.chain.raw_account(&submission).await.unwrap();
        assert!(found.is_none(), "{name}: submitted anyway");
        let code = &status.tasks[&task.to_string()].code;
        assert!(code.contains("execution"), "{name}: /status says {code:?}");
        // One count per round's work, not one per tick.
        let count = metrics.code_failures.with_label_values(&[kind]).get();
        assert!(
            count <= rounds_started,
            "{name}: counted {count} times in {rounds_started} rounds"
        );
    }
    assert_eq!(status.tasks[&keys[0].to_string()].code, "ready");
    cluster.stop().await;
}
