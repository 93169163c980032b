//! `tasknet task test <module.wasm>`: a task module tried through the
//! node's own sandbox for N simulated nodes and R rounds, without a chain.
//! Each node executes (twice: the two runs must agree byte for byte) and
//! audits the peers the protocol's sample assigns it; every call is a row
//! with its payload hash, verdict, fuel and time. It fails when a run
//! differs from its twin, an honest payload is judged invalid, or a call
//! fails (a limit hit, a trap, an answer outside the protocol).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use clap::Args;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tasknet::logic::{AuditSample, DEFAULT_AUDITS_PER_ROUND};
use tasknet_node::code::{CodeError, RoundInput};
use tasknet_node::supply::task_limits;
use tasknet_node::wasm::{Usage, WasmCode};
use tasknet_sandbox::Sandbox;

use crate::context::CliError;
use crate::output::{Output, TableRow};

#[derive(Args)]
pub struct TestArgs {
    /// The task module (.wasm, built for wasm32-wasip1).
    module: PathBuf,
    /// Simulated nodes.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    nodes: u32,
    /// Rounds to play.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    rounds: u64,
    /// Peers each node audits per round, as `node run --audits-per-round`.
    #[arg(long, default_value_t = DEFAULT_AUDITS_PER_ROUND)]
    audits_per_round: u32,
    #[command(flatten)]
    limits: super::create::LimitArgs,
}

/// One call of the module.
#[derive(Serialize)]
pub struct CallRow {
    pub round: u64,
    pub node: String,
    /// "execute", or "audit <node>".
    pub call: String,
    /// sha256 of the payload executed or audited (first 8 bytes, hex).
    pub payload: String,
    pub verdict: String,
    pub fuel: u64,
    pub ms: String,
}

impl TableRow for CallRow {
    const COLUMNS: &'static [&'static str] =
        &["round", "node", "call", "payload", "verdict", "fuel", "ms"];
}

/// Runs the trial, prints its table and a summary; `false` if it failed
/// (the summary says why).
pub fn run(args: TestArgs, json: bool) -> Result<bool, CliError> {
    let bytes = std::fs::read(&args.module)
        .map_err(|e| CliError::Input(format!("{}: {e}", args.module.display())))?;
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    let sandbox = Arc::new(Sandbox::new(None).map_err(CodeError::from)?);
    let limits = task_limits(&args.limits.code_limits());
    let compiling = Instant::now();
    let code = WasmCode::load(sandbox, &bytes, &hash, limits)?;
    let compiled_in = compiling.elapsed();
    let started = Instant::now();
    // The sandbox blocks on its own: off the CLI's async runtime.
    let trial = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut trial = Trial::default();
                for round in 0..args.rounds {
                    trial.play_round(&code, round, args.nodes, args.audits_per_round);
                }
                trial
            })
            .join()
    })
    .map_err(|_| CliError::Input("the trial stopped unexpectedly".into()))?;
    print!("{}", Output::table(&trial.rows).render(json));
    // The summary closes the table for a person; a script reading JSON
    // gets it on stderr.
    let summary = trial.summary(&hash, compiled_in, started.elapsed());
    if json {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    if let Some(failure) = &trial.failure {
        eprintln!("error: {failure}");
    }
    Ok(trial.failure.is_none())
}

/// The same task address and node addresses on every machine, so two
/// creators' trials of one module print the same payloads.
fn simulated(what: &str, i: u64) -> Pubkey {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(b"tasknet task test ")
        .chain_update(what.as_bytes())
        .chain_update(i.to_le_bytes())
        .finalize()
        .into();
    Pubkey::new_from_array(digest)
}

#[derive(Default)]
struct Trial {
    rows: Vec<CallRow>,
    /// The first reason the trial failed.
    failure: Option<String>,
    executions: u64,
    audits: u64,
    max_fuel: u64,
}

impl Trial {
    fn play_round(&mut self, code: &WasmCode, round: u64, nodes: u32, audits: u32) {
        let task = simulated("task", 0);
        let node_keys: Vec<Pubkey> = (0..u64::from(nodes))
            .map(|i| simulated("node", i))
            .collect();
        let payloads: Vec<Option<Vec<u8>>> = node_keys
            .iter()
            .map(|node| self.execute(code, RoundInput::new(task, round, *node)))
            .collect();
        // A simulated round's seed: on-chain, the first block after the
        // submit window's hash.
        let seed = Sha256::digest(round.to_le_bytes()).into();
        let sample = AuditSample::new(&task, round, &seed, nodes, audits);
        for (auditor, node) in node_keys.iter().enumerate() {
            let Ok(auditor) = u32::try_from(auditor) else {
                break;
            };
            for target in sample.targets(auditor) {
                let target = target as usize;
                if let Some(payload) = &payloads[target] {
                    let input = RoundInput::new(task, round, node_keys[target]);
                    self.audit(code, node, input, payload);
                }
            }
        }
    }

    /// Executes twice; the payload if both runs agree.
    fn execute(&mut self, code: &WasmCode, input: RoundInput) -> Option<Vec<u8>> {
        self.executions += 1;
        let first = code.execute_with_usage(&input);
        let second = code.execute_with_usage(&input);
        let (node, round) = (short(&input.node), input.round);
        let row = |payload: String, verdict: &str, usage: Option<Usage>| CallRow {
            round,
            node: node.clone(),
            call: "execute".into(),
            payload,
            verdict: verdict.into(),
            fuel: usage.map_or(0, |u| u.fuel),
            ms: usage.map_or("-".into(), |u| millis(u.elapsed)),
        };
        match (first, second) {
            (Ok((a, usage)), Ok((b, _))) if a == b => {
                self.max_fuel = self.max_fuel.max(usage.fuel);
                self.rows.push(row(payload_hash(&a), "-", Some(usage)));
                Some(a)
            }
            (Ok((a, usage)), Ok((b, _))) => {
                self.rows
                    .push(row(payload_hash(&a), "NOT DETERMINISTIC", Some(usage)));
                self.fail(format!(
                    "round {round}, node {node}: two runs of the same input gave different payloads ({} and {}); a task must compute the same bytes on every node",
                    payload_hash(&a),
                    payload_hash(&b)
                ));
                None
            }
            (Err(e), _) | (_, Err(e)) => {
                self.rows.push(row("-".into(), e.kind(), None));
                self.fail(format!("round {round}, node {node}: execute: {e}"));
                None
            }
        }
    }

    fn audit(&mut self, code: &WasmCode, auditor: &Pubkey, input: RoundInput, payload: &[u8]) {
        self.audits += 1;
        let (round, audited) = (input.round, short(&input.node));
        let mut row = CallRow {
            round,
            node: short(auditor),
            call: format!("audit {audited}"),
            payload: payload_hash(payload),
            verdict: String::new(),
            fuel: 0,
            ms: "-".into(),
        };
        match code.audit_with_usage(&input, &input.node, payload) {
            Ok((valid, usage)) => {
                row.verdict = if valid { "valid" } else { "INVALID" }.into();
                row.fuel = usage.fuel;
                row.ms = millis(usage.elapsed);
                self.max_fuel = self.max_fuel.max(usage.fuel);
                if !valid {
                    self.fail(format!(
                        "round {round}: the audit judged node {audited}'s honest payload invalid"
                    ));
                }
            }
            Err(e) => {
                row.verdict = e.kind().into();
                self.fail(format!("round {round}, audit of {audited}: {e}"));
            }
        }
        self.rows.push(row);
    }

    fn fail(&mut self, reason: String) {
        self.failure.get_or_insert(reason);
    }

    fn summary(&self, hash: &[u8; 32], compiled: Duration, ran: Duration) -> String {
        format!(
            "module {} (compiled in {} ms): {} executions, each run twice, and {} audits in {} ms; at most {} fuel per call; {}",
            hex::encode(hash),
            compiled.as_millis(),
            self.executions,
            self.audits,
            ran.as_millis(),
            self.max_fuel,
            if self.failure.is_none() { "deterministic, every honest payload valid" } else { "FAILED" }
        )
    }
}

/// The first 8 characters of an address.
fn short(key: &Pubkey) -> String {
    key.to_string().chars().take(8).collect()
}

fn payload_hash(payload: &[u8]) -> String {
    hex::encode(&Sha256::digest(payload)[..8])
}

fn millis(elapsed: Duration) -> String {
    format!("{:.2}", elapsed.as_secs_f64() * 1000.0)
}
