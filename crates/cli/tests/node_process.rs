//! The node as a process: killed with SIGKILL mid-round and restarted, it
//! still reveals and claims and sends no transaction twice; and it refuses
//! task code whose hash is not the task's.

use std::process::{Child, Command, Stdio};

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::logic::Schedule;
use tasknet::state::{Submission, SubmissionStatus};
use tasknet_node::code::file_hash;
use tasknet_node::store::Store;
use tasknet_sdk::defaults::FAST_SCHEDULE;
use tasknet_sdk::keys::write_keypair;
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::{
    example_command, instruction_name, task_args, wait_for_slot, TestCluster, SOL,
};

struct Setup {
    cluster: TestCluster,
    creator: Keypair,
    node: Keypair,
    task: Pubkey,
    schedule: Schedule,
}

/// Windows of seconds, not one, at 50 ms slots: a node process must start
/// and commit in round 0 even on a loaded machine.
const SCHEDULE: Schedule = Schedule {
    submit_slots: 40,
    reveal_slots: 60,
    audit_slots: 20,
    ..FAST_SCHEDULE
};

async fn setup(code_hash: [u8; 32]) -> Setup {
    setup_with(code_hash, SCHEDULE).await
}

/// A task on `shape` (its start slot set 4 s ahead), funded, and a staked
/// node.
async fn setup_with(code_hash: [u8; 32], shape: Schedule) -> Setup {
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let creator = cluster.funded(10 * SOL).await;
    let node = cluster.funded(10 * SOL).await;
    let schedule = Schedule {
        start_slot: chain.slot().await.unwrap() + 80,
        ..shape
    };
    let args = task_args(9, code_hash, schedule);
    let task = chain.create_task(&creator, args, SOL).await.unwrap();
    let stake = sdk::stake(&node.pubkey(), &task, 2 * SOL, None);
    chain.send(&[stake], &node, &[]).await.unwrap();
    write_keypair(&node, &cluster.dir.path().join("node.json")).unwrap();
    Setup {
        cluster,
        creator,
        node,
        task,
        schedule,
    }
}

/// The node's log, kept with its state (appended across restarts).
fn log_file(s: &Setup) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(s.cluster.dir.path().join("node.log"))
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
            s.cluster.url(),
            "--task",
            &s.task.to_string(),
            "--poll-ms",
            "50",
        ])
        .arg("--keypair")
        .arg(s.cluster.dir.path().join("node.json"))
        .arg("--db")
        .arg(s.cluster.dir.path().join("node.db"))
        .arg("--command")
        .arg(example_command());
    command
}

/// Pauses the task: no new rounds, the open ones settle.
async fn pause(s: &Setup) {
    let ix = sdk::pause_task(&s.creator.pubkey(), &s.task);
    s.cluster.chain.send(&[ix], &s.creator, &[]).await.unwrap();
}

fn spawn_node(s: &Setup) -> Child {
    node_command(s)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log_file(s))
        .spawn()
        .unwrap()
}

/// How many of each tasknet instruction `signer` ever sent, from the
/// chain's own history; asserts that none of its transactions failed.
async fn instructions_sent_by(
    cluster: &TestCluster,
    signer: &Pubkey,
    log: &str,
) -> std::collections::BTreeMap<&'static str, usize> {
    // At the commitment the node confirms at: a real validator finalizes
    // some 30 slots after a transaction is confirmed.
    let commitment = Some(solana_commitment_config::CommitmentConfig::confirmed());
    let rpc = cluster.chain.rpc();
    let history = rpc
        .get_signatures_for_address_with_config(
            signer,
            solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config {
                commitment,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        history.iter().all(|t| t.err.is_none()),
        "no transaction failed: {history:?}\n{log}"
    );
    let mut counts = std::collections::BTreeMap::new();
    for entry in &history {
        let signature = entry.signature.parse().unwrap();
        let config = solana_rpc_client_api::config::RpcTransactionConfig {
            encoding: Some(solana_transaction_status_client_types::UiTransactionEncoding::Base64),
            commitment,
            max_supported_transaction_version: Some(0),
        };
        let tx = rpc
            .get_transaction_with_config(&signature, config)
            .await
            .unwrap();
        let tx = tx.transaction.transaction.decode().unwrap();
        for ix in tx.message.instructions() {
            if let Some(name) = instruction_name(&ix.data) {
                *counts.entry(name).or_default() += 1;
            }
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_restarts_reveals_and_claims_without_duplicates() {
    // A reveal window a process restart lands inside: 3 s was not, once,
    // with two builds running beside the suite (the restarted process
    // took 5 s to make its first look).
    let shape = Schedule {
        round_slots: 120,
        reveal_slots: 160,
        ..SCHEDULE
    };
    let s = setup_with(file_hash(&example_command()).unwrap(), shape).await;
    let submission = pda::submission(&s.task, 0, &s.node.pubkey());

    let mut node = spawn_node(&s);
    s.cluster
        .wait_for("the commitment", 600, || async {
            s.cluster
                .chain
                .raw_account(&submission)
                .await
                .unwrap()
                .is_some()
        })
        .await;
    node.kill().unwrap(); // SIGKILL, mid-round
    node.wait().unwrap();
    let committed: Submission = s.cluster.chain.account(&submission).await.unwrap().unwrap();
    assert_eq!(committed.status, SubmissionStatus::Committed);

    // Restart during the reveal window; stop new rounds.
    wait_for_slot(&s.cluster.chain, s.schedule.submit_end(0)).await;
    let mut node = spawn_node(&s);
    pause(&s).await;
    s.cluster
        .wait_for("the round to be settled and closed", 1200, || async {
            s.cluster
                .chain
                .raw_account(&pda::round(&s.task, 0))
                .await
                .unwrap()
                .is_none()
                && s.cluster
                    .chain
                    .raw_account(&submission)
                    .await
                    .unwrap()
                    .is_none()
        })
        .await;
    node.kill().unwrap();
    node.wait().unwrap();

    let log = std::fs::read_to_string(s.cluster.dir.path().join("node.log")).unwrap_or_default();
    let counts = instructions_sent_by(&s.cluster, &s.node.pubkey(), &log).await;
    for action in ["stake", "submit", "reveal", "claim"] {
        assert_eq!(
            counts.get(action),
            Some(&1),
            "exactly one {action}: {counts:?}\n{log}"
        );
    }
    // The claim closed the (unaudited) submission: nothing left to close.
    assert_eq!(counts.get("close_submission"), None, "{counts:?}");
    assert!(counts.get("close_round").copied().unwrap_or(0) <= 1);
    // Alone in round 0, the node earned the whole pool, recorded once.
    let store = Store::open(&s.cluster.dir.path().join("node.db")).unwrap();
    assert_eq!(store.earnings(&s.task).unwrap(), vec![(0, 1_000_000)]);
    s.cluster.stop().await;
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
            && last.contains(&hex::encode(file_hash(&example_command()).unwrap()))
    );
    // Nothing was sent: the node never submitted.
    assert!(s
        .cluster
        .chain
        .raw_account(&pda::submission(&s.task, 0, &s.node.pubkey()))
        .await
        .unwrap()
        .is_none());
    s.cluster.stop().await;
}

fn read_log(s: &Setup) -> String {
    std::fs::read_to_string(s.cluster.dir.path().join("node.log")).unwrap_or_default()
}

/// Waits for `child` to exit within `secs`; its status.
fn exit_within(child: &mut Child, secs: u64) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A second node on the same database refuses to start, in one line naming
/// the running one; SIGTERM then stops the running node cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_per_database_and_sigterm_stops_it() {
    let s = setup(file_hash(&example_command()).unwrap()).await;
    let mut first = spawn_node(&s);
    s.cluster
        .wait_for("the first node to start", 400, || async {
            read_log(&s).contains("node running")
        })
        .await;

    let second = node_command(&s).output().unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: node state database")
            && last.contains("is in use by another node process")
            && last.contains(&format!("(pid {})", first.id())),
        "{stderr}"
    );

    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(first.id() as i32, libc::SIGTERM) }, 0);
    let status = exit_within(&mut first, 30);
    let log = read_log(&s);
    assert!(status.success(), "a clean exit on SIGTERM: {status}\n{log}");
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.contains("node stopped"),
        "the final line: {last}\n{log}"
    );
    assert!(log.contains("SIGTERM: stopping"), "{log}");
    s.cluster.stop().await;
}

/// A local chain restarted under a running node is another chain (a new
/// genesis): the node stops with one line saying so and how to start
/// fresh, instead of taking its database's rounds for done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stops_when_its_chain_is_replaced() {
    use std::time::Duration;
    use tasknet_localnet::{Localnet, LocalnetConfig};
    use tasknet_sdk::chain::{ChainClient, SendConfig};

    let dir = tempfile::tempdir().unwrap();
    let config = |bind| LocalnetConfig {
        bind,
        slot_duration: Duration::from_millis(50),
    };
    let net = Localnet::start(config("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let (addr, url) = (net.addr, net.url.clone());
    let chain = ChainClient::new(&url, SendConfig::fast_polling());
    let creator = Keypair::new();
    let node = Keypair::new();
    for key in [&creator, &node] {
        chain.airdrop(&key.pubkey(), 10 * SOL).await.unwrap();
    }
    let args = tasknet::instructions::CreateTaskArgs {
        code_hash: file_hash(&example_command()).unwrap(),
        ..tasknet_testkit::open_plain_task(1, chain.slot().await.unwrap() + 20)
    };
    let task = chain.create_task(&creator, args, SOL).await.unwrap();
    let stake = sdk::stake(&node.pubkey(), &task, SOL, None);
    chain.send(&[stake], &node, &[]).await.unwrap();
    write_keypair(&node, &dir.path().join("node.json")).unwrap();

    let log_path = dir.path().join("node.log");
    let mut process = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args(["node", "run", "--url", &url, "--poll-ms", "50"])
        .args(["--task", &task.to_string()])
        .arg("--keypair")
        .arg(dir.path().join("node.json"))
        .arg("--db")
        .arg(dir.path().join("node.db"))
        .arg("--command")
        .arg(example_command())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let read = || std::fs::read_to_string(&log_path).unwrap_or_default();
    tasknet_testkit::wait_for("the node to run", Duration::from_secs(60), || async {
        read().contains("eligible")
    })
    .await;

    net.stop().await;
    let replacement = Localnet::start(config(addr)).await.unwrap();
    let status = exit_within(&mut process, 60);
    let log = read();
    assert!(!status.success(), "{log}");
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: node state database")
            && last.contains("belongs to another chain")
            && last.contains("to start fresh"),
        "the final line: {last}\n{log}"
    );
    // Nothing was said twice (a condition is reported once, not per tick).
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" WARN "))
        .map(|l| l.split_once(" WARN ").map_or(l, |(_, message)| message))
        .collect();
    let distinct: std::collections::BTreeSet<&&str> = warnings.iter().collect();
    assert_eq!(warnings.len(), distinct.len(), "a warning repeated: {log}");
    replacement.stop().await;
}

/// SIGKILL as soon as the node's claim is in its outbox (before or after
/// it lands, whichever the moment holds), then a restart: the claim is on
/// the chain exactly once and its earning is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_around_its_claim_claims_once_and_records_it() {
    let s = setup(file_hash(&example_command()).unwrap()).await;
    let db = s.cluster.dir.path().join("node.db");
    let claims_in_outbox = || {
        rusqlite::Connection::open(&db)
            .and_then(|sql| {
                sql.query_row(
                    "SELECT COUNT(*) FROM outbox WHERE action = 'claim'",
                    [],
                    |row| row.get::<_, i64>(0),
                )
            })
            .unwrap_or(0)
    };
    let submission = pda::submission(&s.task, 0, &s.node.pubkey());
    let mut node = spawn_node(&s);
    s.cluster
        .wait_for("the commitment", 600, || async {
            let mine = s.cluster.chain.raw_account(&submission).await.unwrap();
            mine.is_some()
        })
        .await;
    // No new rounds: only round 0's claim is in question. Paused now, long
    // before round 1, so that the claim does not ride in a later round's
    // submit transaction, which a pause landing between its simulation and
    // its execution would fail whole (the claim would be retried alone).
    pause(&s).await;
    s.cluster
        .wait_for("the claim in the outbox", 2_000, || async {
            claims_in_outbox() > 0
        })
        .await;
    node.kill().unwrap(); // SIGKILL, around the claim
    node.wait().unwrap();

    let mut node = spawn_node(&s);
    s.cluster
        .wait_for("round 0's earning", 1_200, || async {
            Store::open(&db).unwrap().earnings(&s.task).unwrap() == vec![(0, 1_000_000)]
        })
        .await;
    node.kill().unwrap();
    node.wait().unwrap();
    let log = read_log(&s);
    let counts = instructions_sent_by(&s.cluster, &s.node.pubkey(), &log).await;
    assert_eq!(
        counts.get("claim"),
        Some(&1),
        "one claim: {counts:?}\n{log}"
    );
    s.cluster.stop().await;
}

/// The operator's view: `/metrics` in Prometheus's text format (parsed
/// here with a Prometheus parser) and `/status` as JSON, on the node's
/// `--serve` address, counting what the node did in a round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_status_describe_the_node() {
    let s = setup(file_hash(&example_command()).unwrap()).await;
    let serve = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut node = node_command(&s)
        .args(["--serve", &serve.to_string()])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log_file(&s))
        .spawn()
        .unwrap();
    let db = s.cluster.dir.path().join("node.db");
    s.cluster
        .wait_for("round 0's earning", 1_200, || async {
            Store::open(&db)
                .map(|store| !store.earnings(&s.task).unwrap_or_default().is_empty())
                .unwrap_or(false)
        })
        .await;
    let http = reqwest::Client::new();
    // Rounds go on while we look: scrape until a claim's transaction and
    // its earning are both counted (each round's whole pool is ours).
    let mut scraped = None;
    for _ in 0..50 {
        let text = http
            .get(format!("http://{serve}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
            .expect("Prometheus text format");
        let claims = metric(
            &scrape,
            "tasknet_node_transactions_total",
            Some(("action", "claim")),
        );
        let earned = metric(&scrape, "tasknet_node_earned_lamports_total", None);
        if claims >= 1.0 && earned == claims * 1_000_000.0 {
            scraped = Some((scrape, text));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (scrape, text) = scraped.expect("claims and earnings agree in /metrics");
    for action in ["submit", "reveal"] {
        assert!(
            metric(
                &scrape,
                "tasknet_node_transactions_total",
                Some(("action", action))
            ) >= 1.0,
            "{action}: {text}"
        );
    }
    assert!(
        metric(&scrape, "tasknet_node_rounds_total", None) >= 1.0,
        "{text}"
    );
    let task = s.task.to_string();
    assert_eq!(
        metric(&scrape, "tasknet_node_eligible", Some(("task", &task))),
        1.0,
        "{text}"
    );
    assert_eq!(
        metric(&scrape, "tasknet_node_transaction_failures_total", None),
        0.0,
        "{text}"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|sample| sample.metric == "tasknet_node_rpc_latency_seconds"),
        "{text}"
    );

    let status: serde_json::Value = serde_json::from_str(
        &http
            .get(format!("http://{serve}/status"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(status["node"], s.node.pubkey().to_string());
    let task = &status["tasks"][s.task.to_string()];
    assert_eq!(task["eligible"], true, "{status}");
    assert!(task["slot"].as_u64().unwrap() > 0, "{status}");
    node.kill().unwrap();
    node.wait().unwrap();

    // The earnings the node recorded, per round, with a total.
    let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args(["-o", "json", "-u", s.cluster.url(), "-k"])
        .arg(s.cluster.dir.path().join("node.json"))
        .args(["node", "earnings", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let recorded = Store::open(&db).unwrap().earnings(&s.task).unwrap();
    assert_eq!(rows.len(), recorded.len() + 1, "{rows:?}");
    assert_eq!(rows[0]["round"], "0");
    assert_eq!(
        (rows[0]["earned"].as_str(), rows[0]["asset"].as_str()),
        (Some("0.001"), Some("SOL"))
    );
    let total = rows.last().unwrap();
    assert_eq!(total["round"], "total");
    assert_eq!(total["claim"], "slashed 0 SOL");
    s.cluster.stop().await;
}

/// The sum of a metric's samples (with `label`, if given).
fn metric(scrape: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .filter(|sample| label.is_none_or(|(k, v)| sample.labels.get(k) == Some(v)))
        .map(|sample| match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}
