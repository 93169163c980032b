//! The `tasknet` CLI as a user runs it, against a `tasknet localnet` the test
//! starts: each subcommand's success, and its bad-input errors as one line
//! with a non-zero exit.

use std::ops::Deref;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use solana_signer::Signer;
use tasknet::instructions::SubmissionPayload;
use tasknet_sdk as sdk;
use tasknet_testkit::TestCluster;

/// Asserts a process succeeded (showing its stderr if not); its stdout.
fn stdout_of(output: std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A cluster, and the `tasknet` binary run against it.
struct Env(TestCluster);

impl Deref for Env {
    type Target = TestCluster;

    fn deref(&self) -> &TestCluster {
        &self.0
    }
}

impl Env {
    async fn new() -> Self {
        Self(TestCluster::start().await)
    }

    /// Runs `tasknet -u <localnet> -k <keypair> <args>`: (exit ok, stdout, stderr).
    fn run(&self, keypair: &Path, args: &[&str]) -> (bool, String, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
            .args(["-u", self.net.url(), "-k"])
            .arg(keypair)
            .args(["-C", "/nonexistent/config.yml"])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn ok(&self, keypair: &Path, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(keypair, args);
        assert!(ok, "tasknet {args:?} failed: {stderr}");
        stdout
    }

    fn json(&self, keypair: &Path, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        serde_json::from_str(&self.ok(keypair, &all)).unwrap()
    }

    /// `task create` of the example task with a 0.1 SOL reward, `extra`
    /// flags appended; its JSON output.
    fn create_task(&self, keypair: &Path, id: &str, name: &str, extra: &[&str]) -> Value {
        let mut args = vec![
            "task",
            "create",
            "--id",
            id,
            "--name",
            name,
            "--example",
            "--reward",
            "0.1",
        ];
        args.extend_from_slice(extra);
        self.json(keypair, &args)
    }

    /// Waits for round 0 of the task `created` describes, and opens it
    /// with `node`'s plain submission; returns the round's start slot.
    async fn open_round_zero(&self, created: &Value, node: &solana_keypair::Keypair) -> u64 {
        let task: anchor_lang::prelude::Pubkey = created["task"].as_str().unwrap().parse().unwrap();
        let start = created["start_slot"].as_u64().unwrap();
        tasknet_testkit::wait_for_slot(&self.chain, start).await;
        let payload = SubmissionPayload::Value(b"42".to_vec());
        let opening = sdk::submit_opening(&node.pubkey(), &task, 0, payload, false);
        self.chain.send(&opening, node, &[]).await.unwrap();
        start
    }

    /// A command line clap refuses: exit code 2, clap's whole message
    /// (the problem first, then how to get help).
    fn refused(&self, keypair: &Path, args: &[&str], prefix: &str) {
        let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
            .args(["-u", self.net.url(), "-k"])
            .arg(keypair)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with(prefix),
            "expected '{prefix}…', got: {stderr}"
        );
        assert!(stderr.contains("--help"), "{stderr}");
    }

    /// Asserts failure with exactly one stderr line starting with `prefix`.
    fn fails(&self, keypair: &Path, args: &[&str], prefix: &str) {
        let (ok, stdout, stderr) = self.run(keypair, args);
        assert!(!ok, "tasknet {args:?} should fail; printed {stdout}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with(prefix),
            "expected '{prefix}…', got: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creator_commands() {
    let env = Env::new().await;
    let (creator_key, creator) = env.wallet("creator").await;

    let created = env.create_task(&creator, "1", "cli", &["--fund", "2"]);
    let task = created["task"].as_str().unwrap().to_string();
    assert_eq!(created["commit_reveal"], true);
    assert_eq!(created["funded_sol"], "2");
    // Slots in seconds too, at the cluster's measured pace (50 ms here).
    let starts_in = created["starts_in_seconds"].as_f64().unwrap();
    assert!(starts_in > 0.0, "{created}");
    // Human output is aligned `field: value` lines.
    let show = env.json(&creator, &["task", "show", &task]);
    // The cluster's measured pace: 50 ms on the embedded chain, about
    // 0.4 s (up to a second on a loaded machine) on a test validator.
    let slot_seconds = show["slot_seconds"].as_f64().unwrap();
    assert!(slot_seconds > 0.0 && slot_seconds <= 2.0, "{show}");
    assert!(
        show["next_round_in_seconds"].as_f64().unwrap() > 0.0,
        "{show}"
    );
    let shown = env.ok(&creator, &["task", "show", &task]);
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("name:") && l.ends_with(" cli")),
        "{shown}"
    );

    assert_eq!(
        env.json(&creator, &["task", "fund", &task, "0.5"])["bounty_available_sol"],
        "2.5"
    );
    env.ok(
        &creator,
        &[
            "task",
            "update",
            &task,
            "--reward",
            "0.2",
            "--metadata-uri",
            "ipfs://x",
        ],
    );
    let show = env.json(&creator, &["task", "show", &task]);
    assert_eq!(
        (
            show["reward_per_round_sol"].as_str(),
            show["metadata_uri"].as_str()
        ),
        (Some("0.2"), Some("ipfs://x"))
    );
    let list = env.json(
        &creator,
        &[
            "task",
            "list",
            "--creator",
            &creator_key.pubkey().to_string(),
        ],
    );
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["task"], task.as_str());

    // Withdrawing needs a paused task; the program's error, by name.
    env.fails(
        &creator,
        &["task", "withdraw", &task, "1"],
        "error: BountyLocked:",
    );
    assert_eq!(
        env.json(&creator, &["task", "pause", &task])["state"],
        "paused"
    );
    let withdrawn = env.json(&creator, &["task", "withdraw", &task, "1"]);
    assert_eq!(
        (
            withdrawn["amount_sol"].as_str(),
            withdrawn["bounty_available_sol"].as_str()
        ),
        (Some("1"), Some("1.5"))
    );
    assert_eq!(
        env.json(&creator, &["task", "resume", &task])["state"],
        "active"
    );

    // A node stakes; the creator closes the task while it is still staked.
    let (_, node) = env.wallet("node").await;
    env.ok(&node, &["node", "stake", &task, "1"]);
    env.ok(&creator, &["task", "pause", &task]);
    let closed = env.json(&creator, &["task", "close", &task]);
    assert_eq!(
        (closed["state"].as_str(), closed["returned_sol"].as_str()),
        (Some("closed"), Some("1.5")),
        "closing returns the bounty left"
    );
    // On a closed task the node leaves at once.
    assert_eq!(
        env.json(&node, &["node", "unstake", &task])["unbonding_sol"],
        "1"
    );
    let withdrawn = env.json(&node, &["node", "withdraw", &task]);
    assert_eq!(
        (
            withdrawn["staked"].as_bool(),
            withdrawn["withdrawn_sol"].as_str()
        ),
        (Some(false), Some("1"))
    );
    assert_eq!(
        env.json(&creator, &["task", "close", &task])["state"],
        "closed (accounts closed)"
    );
    env.fails(
        &creator,
        &["task", "show", &task],
        &format!("error: task {task} does not exist on this cluster"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_and_round_show() {
    let env = Env::new().await;
    let (_, creator) = env.wallet("creator").await;
    let (node_key, node) = env.wallet("node").await;
    let created = env.create_task(
        &creator,
        "7",
        "ops",
        &[
            "--fund",
            "1",
            "--start-in",
            "40",
            "--round-slots",
            "400",
            "--submit-slots",
            "200",
            "--reveal-slots",
            "0",
            "--audit-slots",
            "20",
        ],
    );
    let task = created["task"].as_str().unwrap().to_string();
    let staked = env.json(
        &node,
        &[
            "node",
            "stake",
            &task,
            "2",
            "--endpoint",
            "http://127.0.0.1:9000",
        ],
    );
    assert_eq!(
        (staked["pending_sol"].as_str(), staked["endpoint"].as_str()),
        (Some("2"), Some("http://127.0.0.1:9000"))
    );
    // Someone else's status, by --node.
    let status = env.json(
        &creator,
        &[
            "node",
            "status",
            &task,
            "--node",
            &node_key.pubkey().to_string(),
        ],
    );
    assert_eq!(status["staked"], true);
    assert_eq!(
        env.json(&creator, &["node", "status", &task])["staked"],
        false
    );

    // A submission so that the round exists.
    env.open_round_zero(&created, &node_key).await;
    let round = env.json(&creator, &["round", "show", &task, "0"]);
    assert_eq!(
        (round["phase"].as_str(), round["submitted"].as_u64()),
        (Some("submit"), Some(1))
    );
    assert_eq!(round["submissions"][0]["status"], "Revealed");
    env.fails(
        &creator,
        &["round", "show", &task, "5"],
        "error: round 5 of task",
    );

    let unstaked = env.json(&node, &["node", "unstake", &task]);
    assert_eq!(unstaked["unbonding_sol"], "2");
    // The unbonding window has not closed.
    env.fails(
        &node,
        &["node", "withdraw", &task],
        "error: UnbondingNotFinished:",
    );
    env.fails(&creator, &["node", "unstake", &task], "error: node ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_one_line_and_sends_nothing() {
    let env = Env::new().await;
    let (creator_key, creator) = env.wallet("creator").await;
    let task = env.create_task(&creator, "1", "t", &[])["task"]
        .as_str()
        .unwrap()
        .to_string();

    let missing = env.dir.path().join("missing.json");
    env.fails(
        &missing,
        &["task", "fund", &task, "1"],
        &format!("error: keypair file {}: No such file", missing.display()),
    );
    let malformed = env.dir.path().join("malformed.json");
    std::fs::write(&malformed, "[1, 2, 3]").unwrap();
    env.fails(
        &malformed,
        &["task", "fund", &task, "1"],
        &format!(
            "error: keypair file {} is not a Solana keypair",
            malformed.display()
        ),
    );
    env.fails(
        &creator,
        &["task", "fund", "11111111111111111111111111111111", "1"],
        "error: task 11111111111111111111111111111111 does not exist",
    );
    // Checked against the task's asset (SOL here, 9 decimals) once it is read.
    env.fails(
        &creator,
        &["task", "fund", &task, "99999999999"],
        "error: amount '99999999999' is out of range (at most 18446744073.709551615 SOL)",
    );
    env.refused(
        &creator,
        &["task", "fund", &task, "1.5x"],
        "error: invalid value '1.5x' for '<AMOUNT>'",
    );
    env.refused(
        &creator,
        &["task", "fund", "not-a-key", "1"],
        "error: invalid value 'not-a-key' for '<TASK>'",
    );
    env.fails(
        &creator,
        &[
            "task",
            "create",
            "--id",
            "2",
            "--name",
            "t",
            "--example",
            "--reward",
            "1",
            "--submit-slots",
            "500",
        ],
        "error: invalid schedule: SubmitLongerThanRound",
    );
    env.fails(
        &creator,
        &[
            "task",
            "create",
            "--id",
            "1",
            "--name",
            "t",
            "--example",
            "--reward",
            "1",
        ],
        "error: task id 1 is taken",
    );
    env.fails(
        &creator,
        &["--commitment", "eventually", "task", "list"],
        "error: unknown commitment 'eventually'",
    );
    // Too little SOL is named as such (the system program's error inside
    // the fund instruction), and nothing was sent.
    env.fails(
        &creator,
        &["task", "fund", &task, "5000"],
        "error: InsufficientFunds: the paying account has too few lamports",
    );
    // Nothing above changed the chain: task 2 does not exist, the bounty is 0.
    let creator_pk = creator_key.pubkey();
    assert!(env
        .chain
        .raw_account(&sdk::pda::task(&creator_pk, 2))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        env.json(&creator, &["task", "show", &task])["bounty_available_sol"],
        "0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_come_from_the_solana_cli_config() {
    let env = Env::new().await;
    let (creator_key, creator) = env.wallet("creator").await;
    let config = env.dir.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "---\njson_rpc_url: \"{}\"\nwebsocket_url: \"\"\nkeypair_path: {}\ncommitment: confirmed\n",
            env.net.url(),
            creator.display()
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args(["-C"])
        .arg(&config)
        .args([
            "task",
            "create",
            "--id",
            "3",
            "--name",
            "cfg",
            "--example",
            "--reward",
            "0.1",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let created: Value = serde_json::from_str(&stdout_of(output)).unwrap();
    let expected = sdk::pda::task(&creator_key.pubkey(), 3);
    assert_eq!(created["task"], expected.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keygen_and_airdrop() {
    let env = Env::new().await;
    let path = env.dir.path().join("fresh.json");
    let made = env.json(&path, &["keygen", "--outfile", path.to_str().unwrap()]);
    let address = made["address"].as_str().unwrap().to_string();
    env.fails(
        &path,
        &["keygen", "--outfile", path.to_str().unwrap()],
        "error: ",
    );
    let dropped = env.json(&path, &["airdrop", "2.5"]);
    assert_eq!(
        (dropped["address"].as_str(), dropped["balance_sol"].as_str()),
        (Some(address.as_str()), Some("2.5"))
    );
}

const MANIFEST: &str = r#"
[[task]]
id = 1
name = "hash"
metadata_uri = "https://example.org/v1"
example = true
reward = "0.1"
bounty_target = "3"
[task.schedule]
round_slots = 150
submit_slots = 50
reveal_slots = 40
audit_slots = 60

[[task]]
id = 2
name = "plain"
code_hash = "0101010101010101010101010101010101010101010101010101010101010101"
reward = "0.2"
[task.schedule]
round_slots = 100
submit_slots = 50
audit_slots = 50
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_a_manifest_twice_changes_nothing_the_second_time() {
    let env = Env::new().await;
    let (_, creator) = env.wallet("creator").await;
    let manifest = env.dir.path().join("tasks.toml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let path = manifest.to_str().unwrap();

    let first = env.json(&creator, &["task", "apply", path]);
    assert_eq!(first[0]["actions"], "created; funded 3");
    assert_eq!(first[1]["actions"], "created");
    let task = first[0]["task"].as_str().unwrap().to_string();
    let before = env.json(&creator, &["task", "show", &task]);

    let second = env.json(&creator, &["task", "apply", path]);
    assert_eq!(second[0]["actions"], "unchanged");
    assert_eq!(second[1]["actions"], "unchanged");
    let mut after = env.json(&creator, &["task", "show", &task]);
    // Only the clock moved.
    for clock in [
        "current_slot",
        "current_round",
        "slot_seconds",
        "round_seconds",
        "next_round_in_seconds",
    ] {
        after[clock] = before[clock].clone();
    }
    assert_eq!(after, before, "a second apply changes nothing on chain");

    // A changed manifest: new metadata and a higher bounty target.
    let changed = MANIFEST
        .replace("https://example.org/v1", "https://example.org/v2")
        .replace("bounty_target = \"3\"", "bounty_target = \"4.5\"");
    std::fs::write(&manifest, changed).unwrap();
    let third = env.json(&creator, &["task", "apply", path]);
    assert_eq!(third[0]["actions"], "updated metadata_uri; funded 1.5");
    assert_eq!(third[0]["bounty"], "4.5");
    assert_eq!(third[1]["actions"], "unchanged");

    // Bad input names the file, the line, the task and the field; nothing
    // is sent.
    let fails_with = |from: &str, to: &str, error: String| {
        std::fs::write(&manifest, MANIFEST.replace(from, to)).unwrap();
        env.fails(&creator, &["task", "apply", path], &error);
    };
    fails_with(
        "reward = \"0.2\"",
        "reward = \"lots\"",
        format!("error: {path}:19: task 2: reward: amount 'lots' is not a SOL amount"),
    );
    fails_with(
        "name = \"plain\"",
        "name = \"plain\"\ncolour = \"red\"",
        format!("error: {path}:18: unknown field `colour`"),
    );
}

/// The Anchor.toml `migrate` script: the same reconciliation, driven by the
/// variables `anchor run` sets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_script_applies_the_committed_manifest_idempotently() {
    let env = Env::new().await;
    let (creator_key, creator) = env.wallet("creator").await;
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/tasks.toml");
    let migrate = || {
        let output = Command::new(env!("CARGO_BIN_EXE_tasknet-migrate"))
            .arg(manifest)
            .env("ANCHOR_PROVIDER_URL", env.net.url())
            .env("ANCHOR_WALLET", &creator)
            .output()
            .unwrap();
        stdout_of(output)
    };
    assert!(migrate().contains("created; funded 5"));
    let again = migrate();
    assert!(
        again.contains("unchanged") && !again.contains("created"),
        "{again}"
    );
    let task = sdk::pda::task(&creator_key.pubkey(), 1);
    assert!(env.chain.raw_account(&task).await.unwrap().is_some());
}

/// The commands a creator needs around a round's end: `balance`, `round
/// list`, and `task crank`, which settles and closes the rounds nodes left
/// behind so that a paused task can close (before it, `task close` ended in
/// `RoundsStillOpen` with nothing to clear it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_round_list_and_crank() {
    let env = Env::new().await;
    let (creator_key, creator) = env.wallet("creator").await;
    let (node_key, node) = env.wallet("node").await;
    let balance = env.json(&creator, &["balance"]);
    assert_eq!(balance["address"], creator_key.pubkey().to_string());
    assert_eq!(balance["balance_sol"], "100");
    let node_address = node_key.pubkey().to_string();
    assert_eq!(
        env.json(&creator, &["balance", &node_address])["balance_sol"],
        "100"
    );

    let created = env.create_task(
        &creator,
        "9",
        "crank",
        &[
            "--fund",
            "1",
            "--start-in",
            "40",
            "--round-slots",
            "60",
            "--submit-slots",
            "20",
            "--reveal-slots",
            "0",
            "--audit-slots",
            "10",
            "--claim-rounds",
            "1",
        ],
    );
    let task = created["task"].as_str().unwrap().to_string();
    env.json(&node, &["node", "stake", &task, "2"]);
    let start = env.open_round_zero(&created, &node_key).await;
    // Staked before round 0 began: all of it counts this round.
    let status = env.json(&node, &["node", "status", &task]);
    assert_eq!(
        (
            status["counts_this_round_sol"].as_str(),
            status["current_round"].as_u64()
        ),
        (Some("2"), Some(0)),
        "{status}"
    );
    let shown = env.json(&creator, &["round", "show", &task, "0"]);
    let ends_in = shown["phase_ends_in_seconds"].as_f64().unwrap();
    // At most 20 slots at the cluster's pace, as task show measures it
    // (whole-second block times: a second's slack).
    let pace = env.json(&creator, &["task", "show", &task])["slot_seconds"]
        .as_f64()
        .unwrap();
    assert!(
        ends_in > 0.0 && ends_in <= 20.0 * pace + 1.0,
        "the submit window closes within 20 slots of {pace} s: {shown}"
    );
    let rounds = env.json(&creator, &["round", "list", &task]);
    assert_eq!(rounds[0]["round"], 0);
    assert_eq!(rounds[0]["account"], "open");
    assert_eq!(rounds[0]["submitted"], 1);
    assert_eq!(rounds[0]["pool_sol"], "0.1");

    // Past round 0's claim deadline (the node never claimed), paused.
    let deadline = start + 20 + 10 + 60;
    tasknet_testkit::wait_for_slot(&env.chain, deadline).await;
    env.json(&creator, &["task", "pause", &task]);
    env.fails(
        &creator,
        &["task", "close", &task],
        "error: RoundsStillOpen",
    );
    let before = env.chain.balance(&node_key.pubkey()).await.unwrap();
    let cranked = env.json(&creator, &["task", "crank", &task]);
    assert_eq!(cranked["submissions_closed"], 1, "{cranked}");
    assert_eq!(cranked["rounds_closed"], 1, "{cranked}");
    // The node's unclaimed share reached it, with its submission's rent.
    assert!(env.chain.balance(&node_key.pubkey()).await.unwrap() > before + 100_000_000);
    env.json(&creator, &["task", "close", &task]);
    assert_eq!(
        env.json(&creator, &["round", "list", &task])[0]["account"],
        "none (no submission, or closed)"
    );
}

/// A token task from the command line: amounts in the mint's decimals and
/// shown with its symbol, the bounty funded, withdrawn and returned in the
/// token; a wrong mint or too many decimals refused in one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_task_commands() {
    let env = Env::new().await;
    let (creator_key, creator) = env.wallet("creator").await;
    let asset = tasknet_demo::mint::create_demo_mint(&env.chain, &creator_key, 100_000_000)
        .await
        .unwrap();
    let mint = asset.mint.to_string();

    let created = env.create_task(&creator, "1", "tok", &["--mint", &mint, "--fund", "10"]);
    assert_eq!(
        (created["asset"].as_str(), created["funded"].as_str()),
        (Some("TASK"), Some("10"))
    );
    assert!(created["funded_sol"].is_null(), "{created}");
    let task = created["task"].as_str().unwrap().to_string();
    let show = env.json(&creator, &["task", "show", &task]);
    assert_eq!(show["asset"], "TASK", "{show}");
    assert_eq!(show["reward_per_round"], "0.1", "{show}");
    assert_eq!(show["token"]["bounty"], "10", "{show}");
    assert_eq!(show["token"]["decimals"], 6, "{show}");
    assert_eq!(show["token"]["mint"], mint.as_str(), "{show}");

    let funded = env.json(&creator, &["task", "fund", &task, "2.5"]);
    assert_eq!(
        (funded["amount"].as_str(), funded["bounty"].as_str()),
        (Some("2.5"), Some("12.5"))
    );
    env.fails(
        &creator,
        &["task", "fund", &task, "0.0000001"],
        "error: amount '0.0000001' has more than 6 decimals",
    );
    let balance = env.json(&creator, &["balance", "--mint", &mint]);
    assert_eq!(
        (balance["balance"].as_str(), balance["asset"].as_str()),
        (Some("87.5"), Some("TASK"))
    );

    env.ok(&creator, &["task", "pause", &task]);
    let withdrawn = env.json(&creator, &["task", "withdraw", &task, "1"]);
    assert_eq!(withdrawn["bounty"], "11.5", "{withdrawn}");
    let closed = env.json(&creator, &["task", "close", &task]);
    assert_eq!(closed["returned_tokens"], "11.5", "{closed}");
    assert_eq!(
        env.json(&creator, &["balance", "--mint", &mint])["balance"],
        "100"
    );

    // A manifest names the mint; its amounts are in the mint's units, and a
    // second apply changes nothing.
    let manifest = env.dir.path().join("tokens.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[task]]\nid = 3\nname = \"manifest-tok\"\nexample = true\nreward = \"0.5\"\n\
             mint = \"{mint}\"\nbounty_target = \"20\"\n[task.schedule]\nround_slots = 40\n\
             submit_slots = 10\nreveal_slots = 10\naudit_slots = 10\n"
        ),
    )
    .unwrap();
    let path = manifest.to_str().unwrap();
    let first = env.json(&creator, &["task", "apply", path]);
    assert_eq!(first[0]["actions"], "created; funded 20 TASK", "{first}");
    assert_eq!(
        (first[0]["bounty"].as_str(), first[0]["asset"].as_str()),
        (Some("20"), Some("TASK"))
    );
    let second = env.json(&creator, &["task", "apply", path]);
    assert_eq!(second[0]["actions"], "unchanged", "{second}");
    assert_eq!(
        env.json(&creator, &["balance", "--mint", &mint])["balance"],
        "80"
    );

    // The creator's own address is not a mint: refused before anything is sent.
    let not_a_mint = creator_key.pubkey().to_string();
    env.fails(
        &creator,
        &[
            "task",
            "create",
            "--id",
            "2",
            "--name",
            "x",
            "--example",
            "--reward",
            "1",
            "--mint",
            &not_a_mint,
        ],
        &format!("error: {not_a_mint} is not a mint of SPL Token or Token-2022"),
    );
}
