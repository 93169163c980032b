//! The scale benchmark's `--quick` mode (10 and 100 nodes), so that it
//! cannot rot between full runs: it must play every round to the end with
//! no failed transaction (the harness checks the money after each), and a
//! node's reads and audits must not grow with the node count. Its timings
//! are printed, never asserted.

use std::process::Command;

/// A figure from the summary table, by its node count and column header.
fn summary(output: &str, nodes: &str, column: &str) -> f64 {
    let mut table = output.lines().skip_while(|l| !l.starts_with("== summary"));
    table.next();
    let header: Vec<&str> = table
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let at = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("no column {column} in {header:?}:\n{output}"));
    let row = table
        .find(|l| l.split_whitespace().next() == Some(nodes))
        .unwrap_or_else(|| panic!("no summary row for {nodes} nodes:\n{output}"));
    let field = row.split_whitespace().nth(at).unwrap_or_default();
    field
        .parse()
        .unwrap_or_else(|_| panic!("{column} of {nodes} nodes is {field:?}:\n{output}"))
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
    // A running node signs its submit (the previous round's claim riding
    // along) and its reveal: two transactions a round; the opener's open
    // and close ride along too.
    assert!(
        summary(&stdout, "100", "running") <= 2.0,
        "transactions per node per round while running: {stdout}"
    );
    for column in ["bytes-recv", "audits"] {
        let (small, large) = (
            summary(&stdout, "10", column),
            summary(&stdout, "100", column),
        );
        assert!(
            large <= 1.5 * small,
            "{column} per node grew with the node count: {stdout}"
        );
    }
}
