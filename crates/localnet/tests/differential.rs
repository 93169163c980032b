//! The differential test: one probe script (`differential/probes.rs`) run
//! against a real `solana-test-validator` and against `tasknet localnet`,
//! their answers compared by shape and by chosen facts.
//!
//! The validator's answers are recorded in
//! `differential/solana-test-validator.json`, so every test run (and CI,
//! which has no validator) compares the embedded chain with them. The
//! recording is checked against a live validator by the ignored test below,
//! which `tools/validator-suite/differential.sh` runs:
//!
//! ```text
//! TASKNET_VALIDATOR=<solana-test-validator> cargo test -p tasknet-localnet \
//!     --test differential -- --ignored --nocapture      # compare
//! TASKNET_RECORD=1 ...                                  # re-record
//! ```
//!
//! Every difference must be listed in `KNOWN_DIFFERENCES` with its reason;
//! an unlisted one fails, and so does a listed one that no longer occurs.

mod differential {
    pub mod probes;
    pub mod shape;
}

use differential::probes::{observe, Target};
use differential::shape::{diff, Difference, Observations};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tasknet_localnet::{Localnet, LocalnetConfig};

const RECORDING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/differential/solana-test-validator.json"
);

/// Where the embedded chain answers differently from the validator, by
/// observation path (`*` matches anything), and why. docs/node.md
/// explains each at more length.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "getBlock.full.shape.result.rewards",
        "no leader: the validator pays its identity its share of each block's fees as \
         a `Fee` reward; this chain has no identity and burns fees",
    ),
    (
        "getBlock.full.shape.result.transactions",
        "no votes: each of the validator's blocks also holds its vote transaction \
         (and its metas carry `costUnits`, below)",
    ),
    (
        "*.costUnits",
        "LiteSVM does not report the cost model's units, and this chain does not \
         run agave's cost model beside it",
    ),
    (
        "*.loadedAccountsDataSize",
        "LiteSVM does not report the size its account loader loaded (a transaction \
         that did not load reports 0, as on the validator)",
    ),
    (
        "getSlot.commitments.processed_minus_confirmed",
        "the working slot is readable at `processed` here; on a lone validator \
         `processed` is its last voted slot, which its own vote confirms at once. \
         A wait for `confirmed` takes one slot on both",
    ),
    (
        "getSlot.unknownCommitment",
        "an unknown commitment level is refused; the validator silently reads it \
         as `finalized`",
    ),
    (
        "simulateTransaction.replaceRecentBlockhash.result.value",
        "reads at `finalized` (the default) see the newest state here, where the \
         payer already exists; at the validator's finalized slot it does not yet",
    ),
    (
        "methods.notServed",
        "methods about leaders, votes, stake, inflation, supply, snapshots and \
         shreds, and token accounts by delegate: a one-bank chain with no validator \
         identity has no true answer to give for the former; the latter is not \
         served yet (docs/node.md)",
    ),
];

/// Whether `path` is `pattern` or lies below it; `*` matches any run of
/// characters.
fn matches(pattern: &str, path: &str) -> bool {
    glob(pattern, path) || glob(&format!("{pattern}.*"), path)
}

fn glob(pattern: &str, path: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match rest.find(part) {
            Some(at) if !last => rest = &rest[at + part.len()..],
            Some(_) if last && part.is_empty() => return true,
            Some(_) => return rest.ends_with(part),
            None => return false,
        }
    }
    rest.is_empty()
}

fn recording() -> (String, Observations) {
    let text = std::fs::read_to_string(RECORDING)
        .unwrap_or_else(|e| panic!("{RECORDING}: {e} (record it with TASKNET_RECORD=1)"));
    let file: serde_json::Value = serde_json::from_str(&text).expect("the recording is JSON");
    let version = file["validator"].as_str().unwrap_or("?").to_string();
    let observations = serde_json::from_value(file["observations"].clone()).unwrap();
    (version, observations)
}

async fn observe_embedded() -> Observations {
    let net = Localnet::start(LocalnetConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        slot_duration: Duration::from_millis(100),
    })
    .await
    .expect("localnet starts");
    let observations = observe(&Target::new(net.url.clone(), net.ws_url.clone())).await;
    net.stop().await;
    observations
}

fn reason(difference: &Difference) -> Option<&'static str> {
    KNOWN_DIFFERENCES
        .iter()
        .find(|(pattern, _)| matches(pattern, &difference.path))
        .map(|(_, reason)| *reason)
}

/// The report as a markdown table, and the failures: unlisted differences
/// and listed ones that did not occur.
fn judge(validator: &Observations, embedded: &Observations) -> (String, Vec<String>) {
    let differences = diff(validator, embedded);
    let mut report =
        String::from("| observation | validator | embedded | why |\n|---|---|---|---|\n");
    let mut failures = Vec::new();
    for difference in &differences {
        let why = reason(difference);
        report.push_str(&format!(
            "| `{}` | `{}` | `{}` | {} |\n",
            difference.path,
            difference.validator,
            difference.embedded,
            why.unwrap_or("**not listed**")
        ));
        if why.is_none() {
            failures.push(format!(
                "{}: validator {} / embedded {}",
                difference.path, difference.validator, difference.embedded
            ));
        }
    }
    for (pattern, _) in KNOWN_DIFFERENCES {
        if !differences.iter().any(|d| matches(pattern, &d.path)) {
            failures.push(format!(
                "{pattern}: listed as a difference, but both agree now"
            ));
        }
    }
    (report, failures)
}

#[test]
fn patterns_match_paths() {
    assert!(matches("a.b", "a.b"));
    assert!(matches("a.b", "a.b.c"));
    assert!(!matches("a.b", "a.bc"));
    assert!(matches("a.*", "a.b.c"));
    assert!(matches(
        "*.costUnits",
        "getTransaction.json.result.meta.costUnits"
    ));
    assert!(!matches("*.costUnits", "x.costUnitsMore"));
    assert!(matches("*Unsubscribe.*", "slotUnsubscribe.unknown.error"));
    assert!(!matches("*Unsubscribe.*", "slotSubscribe.x"));
}

/// The embedded chain against the recorded validator: in every test run.
#[tokio::test]
async fn embedded_chain_answers_like_the_recorded_validator() {
    let (version, validator) = recording();
    let embedded = observe_embedded().await;
    let (report, failures) = judge(&validator, &embedded);
    println!(
        "{} observations; differences from solana-test-validator {version}:\n{report}",
        validator.len()
    );
    assert!(
        failures.is_empty(),
        "the embedded chain differs from solana-test-validator {version}:\n{}",
        failures.join("\n")
    );
}

/// A `solana-test-validator` on its own ports and scratch ledger, running
/// the program's SBF build at genesis; killed when dropped.
struct Validator {
    child: Child,
    target: Target,
    _ledger: tempfile::TempDir,
}

impl Validator {
    async fn start(binary: &Path) -> Self {
        let program = std::env::var_os("TASKNET_PROGRAM_SO")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/deploy/tasknet.so")
            });
        let ledger = tempfile::tempdir().unwrap();
        let rpc_port = 28899;
        let child = Command::new(binary)
            .args([
                "--ledger",
                ledger.path().to_str().unwrap(),
                "--reset",
                "--quiet",
            ])
            .args([
                "--rpc-port",
                &rpc_port.to_string(),
                "--faucet-port",
                "29900",
            ])
            .args([
                "--gossip-port",
                "28001",
                "--dynamic-port-range",
                "28010-28060",
            ])
            .arg("--bpf-program")
            .arg(tasknet::ID.to_string())
            .arg(&program)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        let target = Target::new(
            format!("http://127.0.0.1:{rpc_port}"),
            format!("ws://127.0.0.1:{}", rpc_port + 1),
        );
        let validator = Self {
            child,
            target,
            _ledger: ledger,
        };
        let client = reqwest::Client::new();
        for _ in 0..240 {
            let health = client
                .get(format!("{}/health", validator.target.http))
                .send()
                .await;
            if matches!(health, Ok(ref h) if h.status().is_success()) {
                return validator;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("solana-test-validator did not become healthy within 2 minutes");
    }
}

impl Drop for Validator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The recording against a live validator (`TASKNET_VALIDATOR`), and the
/// embedded chain against that live validator; `TASKNET_RECORD=1` rewrites
/// the recording instead.
#[tokio::test]
#[ignore = "needs a solana-test-validator binary: tools/validator-suite/differential.sh"]
async fn live_validator_matches_the_recording() {
    let binary = PathBuf::from(
        std::env::var_os("TASKNET_VALIDATOR").expect("TASKNET_VALIDATOR=<solana-test-validator>"),
    );
    let version = String::from_utf8(
        Command::new(&binary)
            .arg("--version")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .split_whitespace()
    .nth(1)
    .unwrap_or("?")
    .to_string();
    let validator = Validator::start(&binary).await;
    let live = observe(&validator.target).await;
    drop(validator);

    if std::env::var_os("TASKNET_RECORD").is_some() {
        let file = serde_json::json!({"validator": version, "observations": live});
        std::fs::write(
            RECORDING,
            serde_json::to_string_pretty(&file).unwrap() + "\n",
        )
        .unwrap();
        println!(
            "recorded {} observations of solana-test-validator {version}",
            live.len()
        );
    } else {
        let (recorded_version, recorded) = recording();
        let drift = diff(&recorded, &live);
        assert!(
            drift.is_empty(),
            "solana-test-validator {version} no longer answers as recorded from {recorded_version} \
             (re-record with TASKNET_RECORD=1):\n{drift:#?}"
        );
    }
    let embedded = observe_embedded().await;
    let (report, failures) = judge(&live, &embedded);
    println!("live solana-test-validator {version} against the embedded chain:\n{report}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
