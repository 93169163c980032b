//! The demonstration that honest work pays and cheating does not: a task
//! with honest nodes and adversaries, all running the real node runtime
//! against a real chain (embedded, or the one in `ANCHOR_PROVIDER_URL`),
//! and a report of each round and each node.
//!
//! The adversaries live here, not in the node: each is built from the
//! node's ordinary extension points — a task code that lies ([`roles::Lying`]),
//! a policy that copies ([`roles::Copier`]), a payload server that tampers
//! ([`roles::serve_tampered`]), or an endpoint where nothing answers.
//! The task's code is the example task as a WebAssembly module
//! ([`EXAMPLE_MODULE`]), run in each node's sandbox.
//! `tasknet demo` and the scenario tests both run [`run_scenario`].

pub mod mint;
pub mod report;
pub mod roles;
mod scenario;

pub use report::{DemoReport, NodeRow, RoundRow};
pub use roles::Role;
pub use scenario::{
    run, run_scenario, run_scenario_then, run_then, ClusterChoice, DemoConfig, DemoError, Scenario,
    Served, NODE_STAKE,
};

/// The example task (`iterated_hash` of `crates/example-tasks`) as a
/// WebAssembly module, built for `wasm32-wasip1` by this crate's build
/// script: the code the demo's task names by hash and its nodes run in
/// their sandboxes.
pub const EXAMPLE_MODULE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/iterated_hash.wasm"));
