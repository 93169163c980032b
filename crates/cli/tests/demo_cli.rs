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
    // One table row per round, one per node.
    let rounds = stdout
        .lines()
        .filter(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            cells.len() == 8 && cells[0].parse::<u64>().is_ok()
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

#[test]
fn demo_rejects_bad_flags_in_one_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args(["demo", "--rounds", "many"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: invalid value 'many' for '--rounds <ROUNDS>'"),
        "{stderr}"
    );
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
