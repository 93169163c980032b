//! The scale benchmark's `--quick` mode (10 and 100 nodes), so that it
//! cannot rot between full runs: it must play every round to the end with
//! no failed transaction (the harness checks the money after each), and a
//! node's reads and audits must not grow with the node count. Its timings
//! are printed, never asserted.

use std::process::Command;

/// A figure from the summary table: (nodes, column) → value.
fn summary_row(output: &str, nodes: &str) -> Vec<f64> {
    output
        .lines()
        .skip_while(|l| !l.starts_with("== summary"))
        .find(|l| l.split_whitespace().next() == Some(nodes))
        .unwrap_or_else(|| panic!("no summary row for {nodes} nodes:\n{output}"))
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect()
}

#[test]
fn the_scale_benchmark_plays_full_rounds_in_quick_mode() {
    let output = Command::new(env!("CARGO_BIN_EXE_scale"))
        .arg("--quick")
        .output()
        .expect("the benchmark runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for nodes in ["10", "100"] {
        assert!(stdout.contains(&format!("== {nodes} nodes")), "{stdout}");
    }
    // 10 and 100 nodes, then 100 nodes with 30 % offline after submitting.
    assert_eq!(stdout.matches("failed in all 0").count(), 3, "{stdout}");
    // Backup auditors: every revealed submission still has k auditors.
    let coverage: Vec<f64> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("== coverage under offline nodes"))
        .find(|l| l.split_whitespace().next() == Some("100"))
        .unwrap_or_else(|| panic!("no coverage row:\n{stdout}"))
        .split_whitespace()
        .filter_map(|f| f.trim_end_matches('%').parse().ok())
        .collect();
    // Columns: nodes, offline %, min, mean, …
    assert_eq!(coverage[1], 30.0, "{stdout}");
    assert_eq!(
        coverage[2],
        f64::from(tasknet::logic::DEFAULT_AUDITS_PER_ROUND),
        "min coverage: {stdout}"
    );
    // Columns: nodes, txs, tx bytes, rent locked, RPC calls, bytes read, audits.
    let (small, large) = (summary_row(&stdout, "10"), summary_row(&stdout, "100"));
    // Submit, reveal, claim; the round's opener also opens and closes it.
    assert!(large[1] <= 3.1, "transactions per node per round: {stdout}");
    assert!(
        large[5] <= 1.5 * small[5],
        "bytes read grew with the node count: {stdout}"
    );
    assert!(
        large[6] <= 1.5 * small[6],
        "audits grew with the node count: {stdout}"
    );
}
