//! `tasknet demo` as a user runs it: defaults, exit code, report.

use std::process::Command;

/// The demo's report; asserts it exited with success (its check passed).
fn report_of(output: std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    stdout
}

#[test]
fn demo_with_defaults_passes_its_own_check() {
    let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .arg("demo")
        .output()
        .unwrap();
    let output_stderr = output.stderr.clone();
    let stdout = report_of(output);
    assert!(
        stdout.starts_with("tasknet demo:"),
        "only the report on stdout: {stdout}"
    );
    assert!(
        stdout.contains("3 honest node(s), 2 cheater(s) [copier, liar], 3 round(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("check passed"), "{stdout}");
    assert!(
        stdout.contains("Balances differ by more than earnings"),
        "{stdout}"
    );
    assert!(
        stdout.contains("The copier's reveals are refused"),
        "{stdout}"
    );
    // Expected refusals are explained, not logged as warnings.
    let stderr = String::from_utf8_lossy(&output_stderr);
    assert!(!stderr.contains("WARN"), "{stderr}");
    // One table row per round (round, submitted, revealed, challenges,
    // votes, invalid, slashed, pool, paid), one per node.
    let rounds = stdout
        .lines()
        .filter(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            cells.len() == 9 && cells[0].parse::<u64>().is_ok()
        })
        .count();
    assert_eq!(rounds, 3, "{stdout}");
    for role in ["honest", "copier", "liar"] {
        assert!(
            stdout.lines().any(|l| l.contains(&format!("  {role}  "))),
            "{role} row missing: {stdout}"
        );
    }
}

/// `tasknet demo --url` runs the same scenario on a running cluster (the
/// validator under `anchor test`, else an embedded chain started here),
/// funding its own keys by airdrop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_on_a_given_cluster() {
    let cluster = tasknet_testkit::TestCluster::start().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args([
            "demo",
            "--url",
            cluster.url(),
            "-n",
            "2",
            "-c",
            "1",
            "-r",
            "1",
        ])
        .output()
        .await
        .unwrap();
    let stdout = report_of(output);
    assert!(
        stdout.contains(&format!("cluster at {}", cluster.url())),
        "{stdout}"
    );
    assert!(stdout.contains("2 honest node(s), 1 cheater(s) [copier], 1 round(s)"));
    assert!(stdout.contains("check passed"), "{stdout}");
    cluster.stop().await;
}

/// Flags that cannot make a demo are refused at once, naming the flag and
/// the range, instead of running into a timeout.
#[test]
fn demo_rejects_bad_flags_at_once() {
    for (args, expected) in [
        (
            &["demo", "--rounds", "many"][..],
            "error: invalid value 'many' for '--rounds <ROUNDS>'",
        ),
        (
            &["demo", "--rounds", "0"],
            "error: invalid value '0' for '--rounds <ROUNDS>': 0 is not in 1..=50",
        ),
        (
            &["demo", "-n", "0"],
            "error: invalid value '0' for '--honest <HONEST>': 0 is not in 1..=20",
        ),
    ] {
        let started = std::time::Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with(expected), "{args:?}: {stderr}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

/// `-o json`: the report as JSON, the check's verdict included; the text
/// report explains the balances and the copier's refused reveals.
#[test]
fn demo_reports_as_json() {
    let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args(["demo", "-o", "json", "-n", "2", "-c", "1", "-r", "1"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&report_of(output)).unwrap();
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["rounds"].as_array().unwrap().len(), 1);
    let roles: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["honest", "honest", "copier"]);
    assert_eq!(report["nodes"][2]["earned_lamports"], 0);
}

/// `tasknet demo --mint`: the same scenario paid in a Token-2022 mint made
/// on the cluster (the validator under `anchor test`, else an embedded
/// chain): honest nodes hold exactly what they earned in their token
/// accounts, the cheats hold none, the liar is slashed in SOL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_pays_in_a_token_mint() {
    let cluster = tasknet_testkit::TestCluster::start().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args([
            "demo",
            "--url",
            cluster.url(),
            "--mint",
            "-o",
            "json",
            "-n",
            "2",
            "-c",
            "2",
            "-r",
            "2",
        ])
        .output()
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&report_of(output)).unwrap();
    assert_eq!(report["passed"], true, "{report}");
    assert!(report["mint"].is_string(), "{report}");
    for node in report["nodes"].as_array().unwrap() {
        let (earned, held) = (&node["earned_tokens"], &node["token_balance"]);
        assert!(node["earned_lamports"].is_null(), "{node}");
        match node["role"].as_str().unwrap() {
            "honest" => {
                assert!(earned.as_u64().unwrap() > 0, "{node}");
                assert_eq!(earned, held, "paid into its token account: {node}");
            }
            "liar" => {
                assert_eq!(earned, 0, "{node}");
                assert!(node["slashed_lamports"].as_u64().unwrap() > 0, "{node}");
            }
            _ => assert_eq!(earned, 0, "{node}"),
        }
    }
    cluster.stop().await;
}

#[test]
fn localnet_command_serves_json_rpc() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args(["localnet", "--bind", "127.0.0.1:0", "--slot-ms", "50"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    // Kept open until the end: the command must not meet a closed pipe.
    let mut banner = BufReader::new(child.stdout.take().unwrap());
    banner.read_line(&mut first).unwrap();
    assert!(
        first.contains("single-bank development chain (no consensus"),
        "{first}"
    );
    let word = |scheme: &str| {
        first
            .split_whitespace()
            .find(|w| w.starts_with(scheme))
            .map(|w| w.trim_end_matches(',').to_string())
            .unwrap_or_else(|| panic!("a {scheme} URL in {first}"))
    };
    let url = word("http://");
    let ws_url = word("ws://");
    let port = |u: &str| -> u16 { u.rsplit(':').next().unwrap().parse().unwrap() };
    assert_eq!(port(&ws_url), port(&url) + 1, "PubSub on the next port");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The process may still be busy starting its bank on a loaded machine.
    let version = runtime.block_on(async {
        let rpc = solana_rpc_client::nonblocking::rpc_client::RpcClient::new(url);
        let mut attempt = 0;
        loop {
            match rpc.get_version().await {
                Err(_) if attempt < 50 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                result => break result,
            }
        }
    });
    child.kill().unwrap();
    child.wait().unwrap();
    drop(banner);
    assert_eq!(
        version.expect("getVersion answers").solana_core,
        tasknet_localnet::SVM_VERSION
    );
}
